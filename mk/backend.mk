# Backend binary: build and run locally (single-instance mode, in memory).
BIN_DIR ?= bin

.PHONY: build-backend run
build-backend: ## build bin/chess-server
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN_DIR)/chess-server ./app/cmd/chess-server

run: build-backend ## run the backend alone on :8080 in single-instance mode (Ctrl-C stops it)
	LOG_LEVEL=$${LOG_LEVEL:-info} $(BIN_DIR)/chess-server -listen $${LISTEN_ADDR:-127.0.0.1:8080}
