# Local platform: PostgreSQL + Redis (when installed), backend, health-check utility, Next.js.
DEV_BIN := .dev/bin/devrun

.PHONY: dev dev-memory
dev: ## run the whole platform locally and print the URL (Ctrl-C stops everything)
	@mkdir -p .dev/bin && $(GO) build -o $(DEV_BIN) ./app/cmd/devrun
	@exec $(DEV_BIN) $(DEV_FLAGS)

dev-memory: ## like dev, but the backend keeps everything in memory (no PostgreSQL/Redis)
	@mkdir -p .dev/bin && $(GO) build -o $(DEV_BIN) ./app/cmd/devrun
	@exec $(DEV_BIN) -memory $(DEV_FLAGS)
