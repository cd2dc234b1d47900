# Chess platform: one Makefile, one include per area (mk/*.mk).
# Each area appends its targets to TEST_TARGETS / LINT_TARGETS.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

STACK ?= dev
GO ?= go
export GOFLAGS ?= -mod=mod

TEST_TARGETS :=
LINT_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help test lint tidy
help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

test: deps $(TEST_TARGETS) ## install what the tests need (deps), then run every test (Go, scripts, web, browser)

# `make test` checks its dependencies before any test starts, also under make -j.
ifneq ($(filter test,$(MAKECMDGOALS)),)
$(TEST_TARGETS): | deps
endif

lint: $(LINT_TARGETS) ## gofmt, go vet, staticcheck, shellcheck, actionlint, eslint, doc links, commit subjects

tidy: ## go mod tidy
	$(GO) mod tidy
