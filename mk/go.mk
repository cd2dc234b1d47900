# Go: vet, gofmt check, unit and integration tests for every package.
GO_TEST_FLAGS ?= -race -timeout 20m

.PHONY: test-go lint-go
TEST_TARGETS += test-go
LINT_TARGETS += lint-go

test-go: ## go test ./... (race detector on)
	$(GO) test $(GO_TEST_FLAGS) ./...

lint-go: ## gofmt check and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
