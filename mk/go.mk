# Go: vet, gofmt check, staticcheck, unit and integration tests for every package.
GO_TEST_FLAGS ?= -race -timeout 20m
# staticcheck at a pinned version (2026.2.2, the newest release; it requires Go 1.26), built
# once into bin/ like actionlint; its checks are in staticcheck.conf. It analyses every package,
# pulumi-aws included: the first run takes minutes on a 2-core machine, later runs reuse its
# cache in $XDG_CACHE_HOME/staticcheck (~/.cache/staticcheck).
BIN_DIR ?= bin
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := $(BIN_DIR)/staticcheck-$(STATICCHECK_VERSION)

.PHONY: test-go lint-go
TEST_TARGETS += test-go
LINT_TARGETS += lint-go

test-go: ## go test ./... (race detector on)
	$(GO) test $(GO_TEST_FLAGS) ./...

# GOFLAGS is cleared: -mod=mod does not apply to `go install pkg@version`.
$(STATICCHECK):
	@mkdir -p $(BIN_DIR)/.staticcheck-$(STATICCHECK_VERSION)
	GOFLAGS= GOBIN=$(abspath $(BIN_DIR)/.staticcheck-$(STATICCHECK_VERSION)) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(BIN_DIR)/.staticcheck-$(STATICCHECK_VERSION)/staticcheck $@
	rmdir $(BIN_DIR)/.staticcheck-$(STATICCHECK_VERSION)

lint-go: $(STATICCHECK) ## gofmt check, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
