# Shared helpers for the scripts' bats tests. Sourced by bats (load helpers).
# shellcheck shell=bash

SCRIPTS_DIR="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
TESTS_DIR="$BATS_TEST_DIRNAME"
export SCRIPTS_DIR TESTS_DIR

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for FILE-or-URL SECONDS: polls until the file exists (or the URL answers), fails after SECONDS.
wait_for_file() {
	local file=$1 deadline=$((SECONDS + ${2:-10}))
	until [[ -s $file ]]; do
		((SECONDS < deadline)) || {
			echo "timed out waiting for $file" >&2
			return 1
		}
		sleep 0.05
	done
}

wait_for_url() {
	local url=$1 deadline=$((SECONDS + ${2:-20}))
	until curl -s -o /dev/null --max-time 1 "$url"; do
		((SECONDS < deadline)) || {
			echo "timed out waiting for $url" >&2
			return 1
		}
		sleep 0.1
	done
}

# check_report CHECKER FILE: asserts the report satisfies the documented format.
check_report() {
	local checker=$1 file=$2 out
	out=$(jq -c -f "$TESTS_DIR/$checker" "$file") || {
		echo "cannot check $file" >&2
		return 1
	}
	if [[ $out != "[]" ]]; then
		echo "format violations in $file: $out" >&2
		return 1
	fi
}

# jqv FILE FILTER: the raw value of FILTER on FILE (jq -r), failing loudly on a jq error.
jqv() {
	jq -r "$2" "$1"
}
