# Web frontend (app/web, Next.js): dependencies from package-lock.json, ESLint, TypeScript,
# vitest unit tests, production build. npm ci reruns only when node_modules is missing or the
# lock file changed. No tool here downloads a browser (the e2e tests use /usr/bin/chromium).
WEB_DIR := app/web
NPM ?= npm
WEB_STAMP := $(WEB_DIR)/node_modules/.installed-from-lock
WEB_ENV := NEXT_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1

.PHONY: web-deps web-build test-web lint-web
TEST_TARGETS += test-web
LINT_TARGETS += lint-web

# flock: two `make` runs in one tree must not unpack into the same node_modules at once.
# One retry: npm ci over a slow registry has failed once here with a transient tar ENOENT.
$(WEB_STAMP): $(WEB_DIR)/package-lock.json $(WEB_DIR)/package.json
	cd $(WEB_DIR) && flock .npm-install.lock sh -c '$(WEB_ENV) $(NPM) ci --no-audit --no-fund || { echo "npm ci failed; retrying once" >&2; $(WEB_ENV) $(NPM) ci --no-audit --no-fund; }'
	touch $@

web-deps: $(WEB_STAMP) ## install the web app's npm packages (npm ci) when needed

web-build: web-deps ## production build of the web app (.next/standalone)
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent build

lint-web: web-deps ## eslint (Next core-web-vitals, TypeScript, jsx-a11y) on app/web
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent lint

test-web: web-deps ## web: eslint, typecheck, unit tests (vitest), production build
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent lint
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent typecheck
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) test
	cd $(WEB_DIR) && $(WEB_ENV) $(NPM) run --silent build
