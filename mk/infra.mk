# Infrastructure: the Pulumi Go program (main.go, infra/). Its mock-based tests run under
# test-go (go test ./...); the targets below wrap the pulumi CLI for one stack at a time and
# need the CLI, a logged-in backend and AWS credentials. STACK defaults to dev. preview and up
# build the Lambdas first: the program uploads dist/ws-authorizer.zip (config authorizerZip) and
# dist/secret-rotator.zip (config rotatorZip) and refuses to run without them.
PULUMI ?= pulumi
STACK ?= dev
INFRA_PKGS := . ./infra/...

.PHONY: preview up destroy refresh build-infra test-infra config-doc pulumi-check

pulumi-check:
	@command -v $(PULUMI) >/dev/null || { echo "pulumi CLI not found: install it from https://www.pulumi.com/docs/install/ (or set PULUMI=...)"; exit 1; }
	@test -f Pulumi.$(STACK).yaml || { echo "no Pulumi.$(STACK).yaml: STACK must be dev or prod (or a stack you created)"; exit 1; }

preview: pulumi-check build-authorizer build-rotator ## pulumi preview --diff for STACK (default dev)
	$(PULUMI) preview --stack $(STACK) --diff

up: pulumi-check build-authorizer build-rotator ## pulumi up for STACK (default dev)
	$(PULUMI) up --stack $(STACK)

refresh: pulumi-check ## pulumi refresh for STACK (default dev)
	$(PULUMI) refresh --stack $(STACK)

destroy: pulumi-check ## pulumi destroy for STACK (prod keeps RDS deletion protection on)
	$(PULUMI) destroy --stack $(STACK)

build-infra: ## build the Pulumi program to bin/chess-infra (the buildTarget in Pulumi.yaml)
	$(GO) build -o bin/chess-infra .

test-infra: ## only the infrastructure tests (also part of test-go)
	$(GO) test $(GO_TEST_FLAGS) $(INFRA_PKGS)

config-doc: ## regenerate docs/config.md from infra/config
	$(GO) test ./infra/config -run TestConfigDoc -update
