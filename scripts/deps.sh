#!/usr/bin/env bash
# Installs what `make test` needs on Debian, and only what is missing: `make test` runs it
# first (the `deps` target) and so does CI (.ci/run). When everything is there it prints one
# line and installs nothing. apt-get runs through sudo only when not root.
#
# Tools the Debian archive cannot provide (moto_server and the AWS CLI from PyPI, Go 1.26 and
# Node >= 20.11) are not installed: each missing one gets a line saying how to get it, and the
# script fails.
#
# Environment (for tests and unusual layouts): CHROMIUM_PATH (the browser the e2e tests drive,
# /usr/bin/chromium), DEPS_PG_GLOB (where Debian puts initdb).
set -euo pipefail

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
pg_glob=${DEPS_PG_GLOB:-/usr/lib/postgresql/*/bin/initdb}

have() { command -v "$1" >/dev/null 2>&1; }

# installed PACKAGE: dpkg knows the package as installed (for packages without a command).
installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == *" installed" ]]
}

# have_postgres: the tests look for initdb on PATH and under /usr/lib/postgresql.
have_postgres() {
	have initdb && return 0
	local f
	for f in $pg_glob; do
		[[ -x $f ]] && return 0
	done
	return 1
}

# Debian package -> is it usable already?
missing_packages() {
	have redis-server || echo redis-server
	have_postgres || echo postgresql
	[[ -x $chromium ]] || echo chromium
	have shellcheck || echo shellcheck
	have bats || echo bats
	have jq || echo jq
	have curl || echo curl
	have zip || echo zip
	have python3 || echo python3
	# The race detector (go test -race) needs cgo: a C compiler and the C library headers.
	have gcc || echo gcc
	installed libc6-dev || echo libc6-dev
	# Go module downloads and npm ci go over HTTPS.
	installed ca-certificates || echo ca-certificates
}

# node_ok: Node >= 20.11 (what the web app's toolchain needs).
node_ok() {
	local v major minor
	v=$(node -p 'process.versions.node' 2>/dev/null) || return 1
	IFS=. read -r major minor _ <<<"$v"
	((major > 20 || (major == 20 && minor >= 11)))
}

# Tools outside the Debian archive: one line each saying how to get them.
check_other_tools() {
	local bad=0
	if ! have go; then
		echo "deps: missing go: install Go 1.26 from https://go.dev/dl/ and put it on PATH" >&2
		bad=1
	fi
	if ! have node || ! have npm || ! node_ok; then
		echo "deps: missing node >= 20.11 with npm: install it from https://nodejs.org/ (or NodeSource's Debian packages)" >&2
		bad=1
	fi
	if ! have moto_server; then
		echo "deps: missing moto_server: pip install 'moto[server]' (PyPI; Debian has no package) and put it on PATH" >&2
		bad=1
	fi
	if ! have aws; then
		echo "deps: missing aws (the AWS CLI): install it from https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" >&2
		bad=1
	fi
	return "$bad"
}

install_packages() {
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if ! have sudo; then
			echo "deps: need root to install $*: run as root or install sudo" >&2
			return 1
		fi
		sudo=(sudo)
	fi
	if ! have apt-get; then
		echo "deps: missing $* and no apt-get: install them with your package manager" >&2
		return 1
	fi
	echo "deps: installing with apt-get: $*"
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

main() {
	local pkgs
	mapfile -t pkgs < <(missing_packages)
	if ((${#pkgs[@]} > 0)); then
		install_packages "${pkgs[@]}"
		mapfile -t pkgs < <(missing_packages)
		if ((${#pkgs[@]} > 0)); then
			echo "deps: still missing after apt-get install: ${pkgs[*]}" >&2
			return 1
		fi
	fi
	# PostgreSQL refuses to run as root; as root the tests run it as the 'postgres' user.
	if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
		echo "deps: adding the system user postgres (the tests run PostgreSQL as it when root)"
		useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
	fi
	check_other_tools
	echo "deps: all present (Debian packages, go, node, moto_server, aws)"
}

main "$@"
