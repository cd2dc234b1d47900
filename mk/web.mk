# Web frontend (app/web, Next.js): dependencies from package-lock.json, ESLint, TypeScript,
# vitest unit tests, production build, and the browser tests against the real platform.
# npm ci reruns only when node_modules is missing or the lock file changed; `next build` only
# when one of its inputs is newer than the last complete build. No tool here downloads a
# browser (the e2e tests drive /usr/bin/chromium).
WEB_DIR := app/web
NPM ?= npm
WEB_STAMP := $(WEB_DIR)/node_modules/.installed-from-lock
WEB_ENV := NEXT_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1
# Written by the build's postbuild step once the standalone server and its static files are
# complete; devrun -web-build=auto checks the same file against the same inputs.
WEB_BUILD_MARK := $(WEB_DIR)/.next/standalone/.build-complete
WEB_BUILD_INPUTS := $(shell find $(WEB_DIR)/src $(WEB_DIR)/public -type f 2>/dev/null) \
	$(wildcard $(WEB_DIR)/next.config.ts $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json $(WEB_DIR)/tsconfig.json)
E2E_BIN_DIR := .dev/e2e-bin

.PHONY: web-deps web-build test-web lint-web test-e2e
TEST_TARGETS += test-web test-e2e
LINT_TARGETS += lint-web

# flock: two `make` runs in one tree must not unpack into the same node_modules at once.
# One retry: npm ci over a slow registry has failed once here with a transient tar ENOENT.
$(WEB_STAMP): $(WEB_DIR)/package-lock.json $(WEB_DIR)/package.json
	cd $(WEB_DIR) && flock .npm-install.lock sh -c '$(WEB_ENV) $(NPM) ci --no-audit --no-fund || { echo "npm ci failed; retrying once" >&2; $(WEB_ENV) $(NPM) ci --no-audit --no-fund; }'
	touch $@

web-deps: $(WEB_STAMP) ## install the web app's npm packages (npm ci) when needed

# node_modules is order-only: reinstalling the same lock file does not call for a new build
# (package-lock.json itself is an input), as devrun -web-build=auto sees it too.
$(WEB_BUILD_MARK): $(WEB_BUILD_INPUTS) | $(WEB_STAMP)
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent build

web-build: $(WEB_BUILD_MARK) ## production build of the web app (.next/standalone), when its inputs changed

lint-web: web-deps ## eslint (Next core-web-vitals, TypeScript, jsx-a11y) on app/web
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent lint

test-web: web-deps $(WEB_BUILD_MARK) ## web: eslint, typecheck, unit tests (vitest), production build
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent lint
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent typecheck
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) test

# The browser tests start the platform themselves through devrun (PostgreSQL + Redis when
# installed, the backend binary built here, the production web build) on free ports, and stop
# it at the end. Screenshots and logs: artifacts/e2e/.
test-e2e: $(WEB_BUILD_MARK) build-backend ## browser tests (headless /usr/bin/chromium) against the real backend and web build
	$(GO) build -o $(E2E_BIN_DIR)/devrun ./app/cmd/devrun
	cd $(WEB_DIR) && $(WEB_ENV) DEVRUN_BIN=$(abspath $(E2E_BIN_DIR)/devrun) \
		CHESS_SERVER_BIN=$(abspath $(BIN_DIR)/chess-server) $(NPM) run --silent test:e2e
