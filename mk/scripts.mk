# Operator scripts (scripts/*.sh): shellcheck, and bats tests against a local HTTP server and
# moto_server (both started by the tests on free ports). See docs/reports.md.
BATS ?= bats
SHELLCHECK ?= shellcheck
SCRIPTS_SHELL := $(sort $(wildcard scripts/*.sh scripts/tests/*.sh scripts/tests/*.bash))
SCRIPTS_BATS := $(sort $(wildcard scripts/tests/*.bats))

.PHONY: test-scripts lint-scripts
TEST_TARGETS += test-scripts
LINT_TARGETS += lint-scripts

lint-scripts: ## shellcheck every script in scripts/ and its tests
	$(SHELLCHECK) --severity=style $(SCRIPTS_SHELL)
	$(SHELLCHECK) --severity=style --shell=bats $(SCRIPTS_BATS)

test-scripts: lint-scripts ## bats tests of health-check.sh and list-services.sh (+ shellcheck)
	$(BATS) --timing $(SCRIPTS_BATS)

# Commit messages (README, "Contributing"): the commits of this branch that main lacks have
# subjects of at most 72 characters. COMMIT_RANGE checks another range (e.g. origin/main..HEAD).
COMMIT_RANGE ?=

.PHONY: lint-commits
LINT_TARGETS += lint-commits

lint-commits: ## commit subjects of this branch (main..HEAD) are at most 72 characters
	scripts/check-commits.sh $(if $(COMMIT_RANGE),--range $(COMMIT_RANGE))
