# CI workflows (.github/workflows): actionlint, built once into bin/ at a pinned version (with
# shellcheck on PATH it also checks the run: scripts). Part of both lint and test, so a broken
# workflow fails CI. The target also requires actionlint to reject a known-broken workflow
# (.github/actionlint-fixtures/broken.yml), so the check cannot pass vacuously.
BIN_DIR ?= bin
ACTIONLINT_VERSION ?= v1.7.12
ACTIONLINT := $(BIN_DIR)/actionlint-$(ACTIONLINT_VERSION)
WORKFLOWS := $(sort $(wildcard .github/workflows/*.yml .github/workflows/*.yaml))

.PHONY: lint-ci
LINT_TARGETS += lint-ci
TEST_TARGETS += lint-ci

# GOFLAGS is cleared: -mod=mod does not apply to `go install pkg@version`.
$(ACTIONLINT):
	@mkdir -p $(BIN_DIR)/.actionlint-$(ACTIONLINT_VERSION)
	GOFLAGS= GOBIN=$(abspath $(BIN_DIR)/.actionlint-$(ACTIONLINT_VERSION)) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	mv $(BIN_DIR)/.actionlint-$(ACTIONLINT_VERSION)/actionlint $@
	rmdir $(BIN_DIR)/.actionlint-$(ACTIONLINT_VERSION)

lint-ci: $(ACTIONLINT) ## actionlint the GitHub workflows (and prove it rejects a broken one)
	@test -n "$(WORKFLOWS)" || { echo "no workflows under .github/workflows"; exit 1; }
	$(ACTIONLINT) -no-color $(WORKFLOWS)
	@if $(ACTIONLINT) -no-color .github/actionlint-fixtures/broken.yml >/dev/null 2>&1; then \
		echo "actionlint accepted .github/actionlint-fixtures/broken.yml: the lint is not checking"; exit 1; fi
	@echo "actionlint: $(words $(WORKFLOWS)) workflows clean"
