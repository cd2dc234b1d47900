# Infrastructure: the Pulumi Go program (main.go, infra/). Its mock-based tests run under
# test-go (go test ./...); the targets below wrap the pulumi CLI for one stack at a time and
# need the CLI, a logged-in backend and AWS credentials. STACK (dev or prod) names the stack
# file Pulumi.$(STACK).yaml; STACK_REF is the stack as the backend knows it (e.g. org/dev).
# preview and up build what the program reads first: the Lambdas' zips (authorizerZip,
# rotatorZip) and the web app (webBuildDir, the web image's context and the static files
# uploaded to S3: one build); the program builds and pushes the three images itself (awsx
# ecr.Image, Docker with buildx needed during up).
PULUMI ?= pulumi
STACK ?= dev
STACK_REF ?= $(STACK)
# Extra flags, e.g. PULUMI_FLAGS="--yes" in CI.
PULUMI_FLAGS ?=
# Operator inputs (domain, zone or certificates, alarm e-mail): see operator/example.env.
OPERATOR_INPUTS ?= operator/$(STACK).env
INFRA_PKGS := . ./infra/...

.PHONY: preview up destroy refresh build-infra test-infra config-doc pulumi-check operator-config deploy-artifacts smoke-check

pulumi-check:
	@command -v $(PULUMI) >/dev/null || { echo "pulumi CLI not found: install it from https://www.pulumi.com/docs/install/ (or set PULUMI=...)"; exit 1; }
	@test -f Pulumi.$(STACK).yaml || { echo "no Pulumi.$(STACK).yaml: STACK must be dev or prod (or a stack you created)"; exit 1; }

operator-config: pulumi-check ## set the operator inputs of STACK from OPERATOR_INPUTS (default operator/STACK.env)
	PULUMI=$(PULUMI) scripts/operator-config.sh --stack $(STACK_REF) --file $(OPERATOR_INPUTS)

deploy-artifacts: build-authorizer build-rotator web-build ## what preview/up read: the Lambda zips and the web build

preview: pulumi-check deploy-artifacts ## pulumi preview --diff for STACK (default dev)
	$(PULUMI) preview --stack $(STACK_REF) --diff $(PULUMI_FLAGS)

up: pulumi-check deploy-artifacts ## pulumi up for STACK (default dev): builds and pushes the images
	$(PULUMI) up --stack $(STACK_REF) $(PULUMI_FLAGS)

smoke-check: pulumi-check ## after up: /healthz through CloudFront is 200, the WebSocket refuses an upgrade without a token
	scripts/smoke-check.sh --health-url "$$($(PULUMI) stack output siteUrl --stack $(STACK_REF))/healthz" \
		--websocket-url "$$($(PULUMI) stack output webSocketUrl --stack $(STACK_REF))"

refresh: pulumi-check ## pulumi refresh for STACK (default dev)
	$(PULUMI) refresh --stack $(STACK_REF)

destroy: pulumi-check ## pulumi destroy for STACK (prod keeps RDS deletion protection on)
	$(PULUMI) destroy --stack $(STACK_REF)

build-infra: ## build the Pulumi program to bin/chess-infra (the buildTarget in Pulumi.yaml)
	$(GO) build -o bin/chess-infra .

test-infra: ## only the infrastructure tests (also part of test-go)
	$(GO) test $(GO_TEST_FLAGS) $(INFRA_PKGS)

config-doc: ## regenerate docs/config.md from infra/config
	$(GO) test ./infra/config -run TestConfigDoc -update
