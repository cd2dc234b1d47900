# Lambdas, for the provided.al2023 runtime on arm64 (handler "bootstrap"): the API Gateway WebSocket
# $connect authorizer and the secret rotation function.
# Not part of TEST_TARGETS: the tests of app/cmd/ws-authorizer and app/cmd/secret-rotator run them.
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

# Lambda: the Secrets Manager rotation function of the session key and the Redis AUTH token
# (same runtime and packaging). app/cmd/secret-rotator's tests run this target.
.PHONY: build-rotator
build-rotator: ## build $(DIST_DIR)/secret-rotator.zip (bootstrap for provided.al2023, arm64)
	rm -rf $(DIST_DIR)/secret-rotator $(DIST_DIR)/secret-rotator.zip
	mkdir -p $(DIST_DIR)/secret-rotator
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w' \
		-o $(DIST_DIR)/secret-rotator/bootstrap ./app/cmd/secret-rotator
	touch -t 198001010000 $(DIST_DIR)/secret-rotator/bootstrap
	cd $(DIST_DIR)/secret-rotator && zip -q -X ../secret-rotator.zip bootstrap
	@echo "built $(DIST_DIR)/secret-rotator.zip"
