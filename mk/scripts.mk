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
