#!/usr/bin/env bats
# smoke-check.sh against a local HTTP server (tests/http_server.py) started on a free port.
# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

bats_require_minimum_version 1.5.0

setup_file() {
	load helpers
	export SC="$SCRIPTS_DIR/smoke-check.sh"
	local portfile="$BATS_FILE_TMPDIR/http.port"
	python3 "$TESTS_DIR/http_server.py" "$portfile" 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/http.pid"
	wait_for_file "$portfile" 30
	PORT=$(cat "$portfile")
	BASE="http://127.0.0.1:$PORT"
	export PORT BASE
}

teardown_file() {
	if [[ -f $BATS_FILE_TMPDIR/http.pid ]]; then
		kill "$(cat "$BATS_FILE_TMPDIR/http.pid")" 2>/dev/null || true
	fi
}

setup() {
	load helpers
}

@test "passes when health is 200 and the upgrade is refused with 401 or 403" {
	run -0 --separate-stderr "$SC" --health-url "$BASE/ok" --websocket-url "ws://127.0.0.1:$PORT/seq/a/401" --attempts 1 --delay 0
	[[ $output == *"ok: GET $BASE/ok answers 200"* ]]
	[[ $output == *"refuses an upgrade without a token"* ]]
	run -0 "$SC" --health-url "$BASE/ok" --websocket-url "$BASE/seq/b/403" --attempts 1 --delay 0
}

@test "fails when the WebSocket accepts the upgrade or answers anything else" {
	run -1 --separate-stderr "$SC" --health-url "$BASE/ok" --websocket-url "ws://127.0.0.1:$PORT/ok" --attempts 2 --delay 0
	[[ $stderr == *"HTTP 200"* ]]
	[[ $stderr == *"FAILED: WebSocket"* ]]
}

@test "fails when health is not 200 after every attempt, and retries until it is" {
	run -1 --separate-stderr "$SC" --health-url "$BASE/fail" --websocket-url "$BASE/seq/c/401" --attempts 2 --delay 0
	[[ $stderr == *"FAILED: GET $BASE/fail"* ]]
	run -0 "$SC" --health-url "$BASE/seq/d/500,200" --websocket-url "$BASE/seq/e/401" --attempts 2 --delay 0
}

@test "usage errors exit 2" {
	run -2 "$SC" --health-url ftp://x --websocket-url wss://x
	run -2 "$SC" --health-url "$BASE/ok"
	run -2 "$SC" --health-url "$BASE/ok" --websocket-url "$BASE/ok" --attempts 0
	run -0 "$SC" --help
}
