# Bounded fuzzing of the protocol decoder and the game state machine. The seed corpora also
# run as plain tests under test-go; these targets explore beyond them for FUZZ_TIME each.
FUZZ_TIME ?= 15s

.PHONY: fuzz-protocol fuzz-game fuzz-api
TEST_TARGETS += fuzz-protocol fuzz-game fuzz-api

fuzz-protocol: ## fuzz protocol.Decode (FUZZ_TIME, default 15s)
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZ_TIME) -fuzzminimizetime 2s ./app/internal/protocol/

fuzz-game: ## fuzz the game state machine with arbitrary moves, plies and timings (FUZZ_TIME)
	$(GO) test -run '^$$' -fuzz FuzzMoves -fuzztime $(FUZZ_TIME) -fuzzminimizetime 2s ./app/internal/game/

fuzz-api: ## fuzz the HTTP API's string parameters on PostgreSQL vs the memory store (FUZZ_TIME; one worker: each starts PostgreSQL)
	$(GO) test -run '^$$' -fuzz FuzzAPIStringParameters -fuzztime $(FUZZ_TIME) -fuzzminimizetime 2s -parallel 1 ./app/internal/httpapi/
