# Lambda: the API Gateway WebSocket $connect authorizer, for the provided.al2023 runtime on arm64
# (handler "bootstrap"). Not part of TEST_TARGETS: app/cmd/ws-authorizer's tests run this target.
DIST_DIR ?= dist

.PHONY: build-authorizer
build-authorizer: ## build $(DIST_DIR)/ws-authorizer.zip (bootstrap for provided.al2023, arm64)
	rm -rf $(DIST_DIR)/ws-authorizer $(DIST_DIR)/ws-authorizer.zip
	mkdir -p $(DIST_DIR)/ws-authorizer
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w' \
		-o $(DIST_DIR)/ws-authorizer/bootstrap ./app/cmd/ws-authorizer
	# A fixed timestamp keeps the zip identical across builds of the same binary, so a deploy
	# does not update the function when nothing changed.
	touch -t 198001010000 $(DIST_DIR)/ws-authorizer/bootstrap
	cd $(DIST_DIR)/ws-authorizer && zip -q -X ../ws-authorizer.zip bootstrap
	@echo "built $(DIST_DIR)/ws-authorizer.zip"
