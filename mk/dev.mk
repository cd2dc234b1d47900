# Local platform: PostgreSQL + Redis (when installed), backend, health-check utility, Next.js.
# Every step that takes more than ~5 s prints "[dev] <what>… N s" (scripts/progress.sh here,
# app/cmd/devrun/progress.go inside devrun), and the last line is the URL to open.
DEV_BIN := .dev/bin/devrun
DEV_BUILD = mkdir -p .dev/bin && scripts/progress.sh "building the dev runner (go build ./app/cmd/devrun)" \
	$(GO) build -o $(DEV_BIN) ./app/cmd/devrun

.PHONY: dev dev-memory
dev: ## run the whole platform locally and print the URL (Ctrl-C stops everything)
	@$(DEV_BUILD)
	@exec $(DEV_BIN) $(DEV_FLAGS)

dev-memory: ## like dev, but the backend keeps everything in memory (no PostgreSQL/Redis)
	@$(DEV_BUILD)
	@exec $(DEV_BIN) -memory $(DEV_FLAGS)
