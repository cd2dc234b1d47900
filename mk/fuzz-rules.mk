# Bounded fuzzing of the chess rules package (FuzzPlay: arbitrary move text in
# random reachable positions). The seed corpus in app/internal/rules/testdata
# also runs as a plain test under test-go; this target explores beyond it.
FUZZ_RULES_TIME ?= 20s

.PHONY: fuzz-rules
TEST_TARGETS += fuzz-rules

fuzz-rules: ## fuzz rules.Board.Play for a bounded time (FUZZ_RULES_TIME, default 20s)
	$(GO) test -run '^$$' -fuzz FuzzPlay -fuzztime $(FUZZ_RULES_TIME) ./app/internal/rules/
