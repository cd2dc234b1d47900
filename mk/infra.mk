# Infrastructure: the Pulumi Go program (main.go, infra/). Its mock-based tests run under
# test-go (go test ./...); the targets below wrap the pulumi CLI for one stack at a time and
# need the CLI, a logged-in backend and AWS credentials. STACK defaults to dev. preview and up
# build the Lambdas first: the program uploads dist/ws-authorizer.zip (config authorizerZip) and
# dist/secret-rotator.zip (config rotatorZip) and refuses to run without them.
PULUMI ?= pulumi
STACK ?= dev
INFRA_PKGS := . ./infra/...

.PHONY: preview up migrate destroy refresh build-infra test-infra config-doc pulumi-check

pulumi-check:
	@command -v $(PULUMI) >/dev/null || { echo "pulumi CLI not found: install it from https://www.pulumi.com/docs/install/ (or set PULUMI=...)"; exit 1; }
	@test -f Pulumi.$(STACK).yaml || { echo "no Pulumi.$(STACK).yaml: STACK must be dev or prod (or a stack you created)"; exit 1; }

preview: pulumi-check build-authorizer build-rotator ## pulumi preview --diff for STACK (default dev)
	$(PULUMI) preview --stack $(STACK) --diff

up: pulumi-check build-authorizer build-rotator ## pulumi up for STACK (default dev), then the schema migration
	$(PULUMI) up --stack $(STACK)
	@if [ -n "$$($(PULUMI) config get backendImage --stack $(STACK) 2>/dev/null)" ]; then \
		$(MAKE) --no-print-directory migrate STACK=$(STACK); \
	else echo "no backendImage yet: no schema migration to run"; fi

# The migrate task (chess-server -migrate with the RDS master secret) in the backend's subnets
# and security group; waits for it and fails unless it exited 0. New backend tasks wait for the
# schema (DB_MIGRATE=false) meanwhile: docs/infra.md, "Schema migrations".
migrate: pulumi-check ## run the schema migration task of STACK and wait for it
	@set -eu; \
	out() { $(PULUMI) stack output --stack $(STACK) "$$1"; }; \
	cluster=$$(out clusterName); taskdef=$$(out migrateTaskDefinitionArn); sg=$$(out backendSecurityGroupId); \
	subnets=$$($(PULUMI) stack output --stack $(STACK) privateSubnetIds --json | jq -r 'join(",")'); \
	task=$$(aws ecs run-task --cluster "$$cluster" --task-definition "$$taskdef" --launch-type FARGATE \
		--platform-version LATEST --started-by make-migrate \
		--network-configuration "awsvpcConfiguration={subnets=[$$subnets],securityGroups=[$$sg],assignPublicIp=DISABLED}" \
		--query 'tasks[0].taskArn' --output text); \
	echo "migrate task $$task"; \
	aws ecs wait tasks-stopped --cluster "$$cluster" --tasks "$$task"; \
	code=$$(aws ecs describe-tasks --cluster "$$cluster" --tasks "$$task" --query 'tasks[0].containers[0].exitCode' --output text); \
	if [ "$$code" != 0 ]; then echo "schema migration failed (exit code $$code): see its log group /<project>-$(STACK)/ecs/migrate"; exit 1; fi; \
	echo "schema migrated"

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
