#!/usr/bin/env bats
# deps.sh in a sandbox: PATH holds only bash, env and stubs (id, sudo, apt-get, useradd and the
# tools themselves), so the tests choose what is "installed" and see every privileged call.
# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr
# shellcheck disable=SC2016 # the stubs' bodies expand when they run, not here
# shellcheck disable=SC2030,SC2031 # each test's exports are meant to stay in its subshell

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	DEPS="$SCRIPTS_DIR/deps.sh"
	SANDBOX="$BATS_TEST_TMPDIR/bin"
	LOG="$BATS_TEST_TMPDIR/calls.log"
	mkdir -p "$SANDBOX"
	: >"$LOG"
	ln -s "$(command -v bash)" "$SANDBOX/bash"
	ln -s "$(command -v env)" "$SANDBOX/env"
	export LOG SANDBOX
	export CHROMIUM_PATH="$BATS_TEST_TMPDIR/chromium"
	export DEPS_PG_GLOB="$BATS_TEST_TMPDIR/pg/*/bin/initdb"
	export FAKE_UID=1000

	# id -u answers FAKE_UID; `id postgres` fails when NO_PG_USER is set.
	stub id '[[ $1 == -u ]] && { echo "$FAKE_UID"; exit 0; }; [[ $1 == postgres && -n ${NO_PG_USER:-} ]] && exit 1; exit 0'
	# sudo makes the command run as root (FAKE_UID=0).
	stub sudo 'echo "sudo $*" >>"$LOG"; export FAKE_UID=0; exec "$@"'
	# apt-get refuses unless root; install "installs" the stub commands of the packages named.
	stub apt-get '
		[[ $FAKE_UID == 0 ]] || { echo "apt-get: not root" >&2; exit 100; }
		PATH=/usr/bin:/bin
		echo "apt-get $* (DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-})" >>"$LOG"
		[[ $1 == install && -z ${APT_BROKEN:-} ]] || exit 0
		for p in "$@"; do
			case $p in
			-*|install) ;;
			postgresql) mkdir -p "$(dirname "${DEPS_PG_GLOB/\*/15}")"; printf "#!/bin/sh\n" >"${DEPS_PG_GLOB/\*/15}"; chmod +x "${DEPS_PG_GLOB/\*/15}" ;;
			chromium) printf "#!/bin/sh\n" >"$CHROMIUM_PATH"; chmod +x "$CHROMIUM_PATH" ;;
			libc6-dev|ca-certificates) echo "$p" >>"$SANDBOX/dpkg" ;;
			*) printf "#!/bin/sh\n" >"$SANDBOX/$p"; chmod +x "$SANDBOX/$p" ;;
			esac
		done'
	# dpkg-query knows the packages listed in $SANDBOX/dpkg.
	: >"$SANDBOX/dpkg"
	stub dpkg-query 'while read -r p; do [[ $p == "${!#}" ]] && { echo "install ok installed"; exit 0; }; done <"$SANDBOX/dpkg"; exit 1'
	stub useradd 'echo "useradd $*" >>"$LOG"'
	stub node 'echo "${NODE_VERSION:-22.3.0}"'
}

# stub NAME BODY: an executable NAME in the sandbox running BODY with bash.
stub() {
	printf '#!%s\n%s\n' "$(command -v bash)" "$2" >"$SANDBOX/$1"
	chmod +x "$SANDBOX/$1"
}

# present TOOL...: the tools exist (they do nothing).
present() {
	local t
	for t in "$@"; do
		case $t in
		chromium) stub_file "$CHROMIUM_PATH" ;;
		postgresql) stub_file "${DEPS_PG_GLOB/\*/15}" ;;
		libc6-dev|ca-certificates) echo "$t" >>"$SANDBOX/dpkg" ;;
		*) stub_file "$SANDBOX/$t" ;;
		esac
	done
}

stub_file() {
	mkdir -p "$(dirname "$1")"
	printf '#!/bin/sh\n' >"$1"
	chmod +x "$1"
}

ALL_DEBIAN=(redis-server postgresql chromium shellcheck bats jq curl zip python3 gcc libc6-dev ca-certificates)
OTHERS=(go npm moto_server aws)

deps() {
	run --separate-stderr env PATH="$SANDBOX" "$DEPS"
}

@test "everything present: one line, no sudo, no apt-get" {
	present "${ALL_DEBIAN[@]}" "${OTHERS[@]}"
	deps
	[[ $status -eq 0 ]]
	[[ $output == "deps: all present"* ]]
	[[ $(wc -l <<<"$output") -eq 1 ]]
	[[ -z $stderr ]]
	[[ ! -s $LOG ]]
}

@test "installs only what is missing, through sudo when not root, and once" {
	present redis-server bats curl zip python3 gcc ca-certificates "${OTHERS[@]}"
	deps
	[[ $status -eq 0 ]]
	[[ $output == *"deps: installing with apt-get: postgresql chromium shellcheck jq libc6-dev"* ]]
	grep -qx 'sudo apt-get update -qq' "$LOG"
	grep -q '^apt-get install -y -qq --no-install-recommends postgresql chromium shellcheck jq libc6-dev (DEBIAN_FRONTEND=noninteractive)$' "$LOG"
	[[ $(grep -c '^sudo ' "$LOG") -eq 2 ]]

	# Idempotent: a second run finds everything and calls nothing.
	: >"$LOG"
	deps
	[[ $status -eq 0 ]]
	[[ $(wc -l <<<"$output") -eq 1 ]]
	[[ ! -s $LOG ]]
}

@test "as root apt-get runs without sudo" {
	export FAKE_UID=0
	rm "$SANDBOX/sudo"
	present redis-server postgresql chromium shellcheck bats curl zip python3 gcc libc6-dev ca-certificates "${OTHERS[@]}"
	deps
	[[ $status -eq 0 ]]
	[[ $output == *"installing with apt-get: jq"* ]]
	grep -q '^apt-get install .* jq ' "$LOG"
	run ! grep -q '^sudo' "$LOG"
}

@test "not root and no sudo: names what is missing and installs nothing" {
	rm "$SANDBOX/sudo"
	present redis-server postgresql chromium shellcheck bats curl zip python3 gcc libc6-dev ca-certificates "${OTHERS[@]}"
	deps
	[[ $status -eq 1 ]]
	[[ $stderr == "deps: need root to install jq: run as root or install sudo" ]]
	[[ ! -s $LOG ]]
}

@test "fails when apt-get did not provide a tool" {
	export APT_BROKEN=1
	present redis-server postgresql chromium shellcheck bats curl zip python3 gcc libc6-dev ca-certificates "${OTHERS[@]}"
	deps
	[[ $status -eq 1 ]]
	[[ $stderr == *"deps: still missing after apt-get install: jq"* ]]
}

@test "tools Debian cannot provide: one line each naming the tool and how to get it" {
	present "${ALL_DEBIAN[@]}" go npm
	deps
	[[ $status -eq 1 ]]
	[[ $(wc -l <<<"$stderr") -eq 2 ]]
	[[ $stderr == *"deps: missing moto_server: pip install 'moto[server]'"* ]]
	[[ $stderr == *"deps: missing aws (the AWS CLI): install it from https://"* ]]
	[[ ! -s $LOG ]]
}

@test "go missing, or node older than 20.11, is named" {
	present "${ALL_DEBIAN[@]}" npm moto_server aws
	export NODE_VERSION=20.10.0
	deps
	[[ $status -eq 1 ]]
	[[ $stderr == *"deps: missing go: install Go 1.26"* ]]
	[[ $stderr == *"deps: missing node >= 20.11 with npm"* ]]

	present go
	export NODE_VERSION=20.11.1
	deps
	[[ $status -eq 0 ]]
}

@test "as root adds the postgres user PostgreSQL needs, only when it is missing" {
	export FAKE_UID=0
	present "${ALL_DEBIAN[@]}" "${OTHERS[@]}"
	deps
	[[ $status -eq 0 ]]
	[[ ! -s $LOG ]]

	export NO_PG_USER=1
	deps
	[[ $status -eq 0 ]]
	grep -q '^useradd --system .* postgres$' "$LOG"
}
