# Bounded fuzzing of the chess rules package: FuzzPlay (arbitrary move text in
# random reachable positions) and FuzzStateFromFEN (the package's own FEN
# parser). Their seed corpora also run as plain tests under test-go; this
# target explores beyond them for a fixed time each.
FUZZ_RULES_TIME ?= 20s
FUZZ_RULES_FEN_TIME ?= 10s

.PHONY: fuzz-rules
TEST_TARGETS += fuzz-rules

fuzz-rules: ## fuzz rules.Board.Play (FUZZ_RULES_TIME, 20s) and the FEN parser (FUZZ_RULES_FEN_TIME, 10s)
	$(GO) test -run '^$$' -fuzz FuzzPlay -fuzztime $(FUZZ_RULES_TIME) ./app/internal/rules/
	$(GO) test -run '^$$' -fuzz FuzzStateFromFEN -fuzztime $(FUZZ_RULES_FEN_TIME) ./app/internal/rules/
