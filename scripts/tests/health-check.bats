#!/usr/bin/env bats
# health-check.sh against a local HTTP server (tests/http_server.py) started on a free port.
# shellcheck disable=SC2154,SC2016 # $stderr is set by bats' run --separate-stderr; jq programs in single quotes

bats_require_minimum_version 1.5.0

setup_file() {
	load helpers
	export HC="$SCRIPTS_DIR/health-check.sh"
	local portfile="$BATS_FILE_TMPDIR/http.port"
	python3 "$TESTS_DIR/http_server.py" "$portfile" 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/http.pid"
	wait_for_file "$portfile" 10
	BASE="http://127.0.0.1:$(cat "$portfile")"
	CLOSED="http://127.0.0.1:$(free_port)/"
	export BASE CLOSED
}

teardown_file() {
	if [[ -f $BATS_FILE_TMPDIR/http.pid ]]; then
		kill "$(cat "$BATS_FILE_TMPDIR/http.pid")" 2>/dev/null || true
	fi
}

setup() {
	load helpers
	OUT="$BATS_TEST_TMPDIR/reports"
	mkdir -p "$OUT"
	REPORT="$OUT/health.json"
	unset REPORTS_DIR
}

# ---- usage -----------------------------------------------------------------------------

@test "--help prints usage and exits 0" {
	run -0 "$HC" --help
	[[ $output == *"Usage: health-check.sh"* ]]
	[[ $output == *"Exit status:"* ]]
}

@test "usage errors exit 2 and name the offending argument" {
	local -a cases=(
		"ftp://example.com/|'ftp://example.com/' is not an http:// or https:// URL"
		"notaurl|'notaurl' is not an http"
		"http://user:pw@example.com/|is not an http:// or https:// URL"
		"http://example.com:70000/|port 70000 outside 1..65535"
		"--interval abc $BASE/ok|--interval: 'abc' is not a number of seconds"
		"--interval 0.05 $BASE/ok|--interval: '0.05' is below 0.1 seconds"
		"--timeout 0 $BASE/ok|--timeout: '0' is outside 0.1..120 seconds"
		"--timeout 121 $BASE/ok|--timeout: '121' is outside 0.1..120 seconds"
		"--timeout -1 $BASE/ok|--timeout: '-1' is not a number of seconds"
		"--window 0 $BASE/ok|--window: '0' is not an integer in 1..10000"
		"--window 2.5 $BASE/ok|--window: '2.5' is not an integer in 1..10000"
		"--window 10001 $BASE/ok|--window: '10001' is not an integer in 1..10000"
		"--threshold 1.5 $BASE/ok|--threshold: '1.5' is not a ratio in 0..1"
		"--threshold abc $BASE/ok|--threshold: 'abc' is not a ratio in 0..1"
		"--bogus $BASE/ok|unknown option '--bogus'"
		"--once|no URL given"
		"--once --timeout|--timeout needs a value"
		"--once $BASE/ok $BASE/ok|is given twice"
		"--json $BASE/ok|--json needs --once"
		"$BASE/ok|loop mode needs --output"
		"--once --output /nonexistent-dir/h.json $BASE/ok|--output: directory '/nonexistent-dir' does not exist"
		"--once --urls-file /nonexistent.txt|--urls-file: cannot read '/nonexistent.txt'"
	)
	local c args want
	for c in "${cases[@]}"; do
		args=${c%%|*}
		want=${c#*|}
		# shellcheck disable=SC2086 # word splitting of the case's argument list is intended
		run --separate-stderr "$HC" $args
		if [[ $status -ne 2 || $stderr != *"$want"* ]]; then
			echo "args: $args" >&2
			echo "status $status, stderr: $stderr" >&2
			return 1
		fi
		[[ -z $output ]]
	done
}

@test "a URL with a space is a usage error" {
	run --separate-stderr -2 "$HC" --once "http://exa mple.com/"
	[[ $stderr == *"'http://exa mple.com/' is not an http"* ]]
}

@test "a bad line in --urls-file is reported with its line number and nothing is written" {
	printf '# targets\n\n%s/ok\n  not-a-url  \n' "$BASE" >"$BATS_TEST_TMPDIR/urls.txt"
	run --separate-stderr -2 "$HC" --once --output "$REPORT" --urls-file "$BATS_TEST_TMPDIR/urls.txt"
	[[ $stderr == *"urls.txt line 4: 'not-a-url' is not an http"* ]]
	[[ ! -e $REPORT ]]
	[[ -z $(ls -A "$OUT") ]]
}

# ---- one round -------------------------------------------------------------------------

@test "one round: 200, 500, timeout, refused, TLS and empty reply are told apart" {
	run --separate-stderr -1 "$HC" --once --json --timeout 0.5 --output "$REPORT" \
		"$BASE/ok" "$BASE/fail" "$BASE/slow/3000" "$CLOSED" "https://${BASE#http://}/ok" "$BASE/empty" "$BASE/redirect"
	check_report check-health-report.jq "$REPORT"
	# stdout is the report that was written
	[[ $(jq -c . <<<"$output") == "$(jq -c . "$REPORT")" ]]

	[[ $(jqv "$REPORT" '.status') == degraded ]]
	[[ $(jqv "$REPORT" '[.threshold, .window, .timeoutMs] | @csv') == "0.95,100,500" ]]
	run -0 jq -r '.targets[] | [.url, .checks, .ok200, .ratio200, (.lastStatus // "null"), .status,
		(.lastFailure.reason // "none"), (.lastFailure.status // "null")] | @tsv' "$REPORT"
	local https="https://${BASE#http://}/ok"
	local expected
	expected=$(printf '%s\n' \
		"$BASE/ok	1	1	1	200	ok	none	null" \
		"$BASE/fail	1	0	0	500	down	http_status	500" \
		"$BASE/slow/3000	1	0	0	null	down	timeout	null" \
		"$CLOSED	1	0	0	null	down	connection_refused	null" \
		"$https	1	0	0	null	down	tls	null" \
		"$BASE/empty	1	0	0	null	down	empty_reply	null" \
		"$BASE/redirect	1	0	0	301	down	http_status	301")
	[[ $output == "$expected" ]]
	# latency percentiles only over checks that got an HTTP response
	[[ $(jqv "$REPORT" '[.targets[] | .p50Ms != null] | map(tostring) | join(",")') == "true,true,false,false,false,false,true" ]]
	[[ $(jqv "$REPORT" '.targets[2].lastFailure.detail') == "Operation timed out after "*" milliseconds"* ]]
}

@test "a slow URL costs at most the timeout" {
	local start=$EPOCHREALTIME
	run -1 "$HC" --once --timeout 0.5 "$BASE/slow/8000"
	local elapsed_ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
	[[ $output == *"timeout"* ]]
	# curl --max-time 0.5 plus process start-up (generous for a loaded machine); far below the
	# server's 8 s delay
	((elapsed_ms < 5000))
}

@test "all URLs answering 200: status ok, exit 0, readable table" {
	run -0 "$HC" --once --output "$REPORT" "$BASE/ok" "$BASE/seq/allok/200"
	check_report check-health-report.jq "$REPORT"
	[[ $(jqv "$REPORT" '.status') == ok ]]
	[[ ${lines[0]} == "URL"*"STATUS"*"LAST"*"CHECKS"*"OK200"*"RATIO"*"P50MS"*"P95MS"*"LAST FAILURE" ]]
	[[ ${lines[1]} =~ ^http://127\.0\.0\.1:[0-9]+/ok\ +ok\ +200\ +1\ +1\ +1\ +[0-9]+\ +[0-9]+\ +-$ ]]
	[[ ${lines[3]} == "overall: ok (threshold 0.95, window 100, "* ]]
}

@test "every URL failing: status down, exit 1" {
	run -1 "$HC" --once --json --timeout 0.5 "$BASE/fail" "$CLOSED"
	[[ $(jq -r .status <<<"$output") == down ]]
	[[ $(jq -r '[.targets[].status] | join(",")' <<<"$output") == "down,down" ]]
}

@test "without --output nothing is written and each run is a window of one" {
	cd "$BATS_TEST_TMPDIR"
	run -0 "$HC" --once --json "$BASE/ok"
	run -0 "$HC" --once --json "$BASE/ok"
	[[ $(jq -r '.targets[0].checks' <<<"$output") == 1 ]]
	[[ -z $(ls -A "$OUT") ]]
}

@test "REPORTS_DIR gives the default output path" {
	REPORTS_DIR="$OUT" run -0 "$HC" --once "$BASE/ok"
	check_report check-health-report.jq "$OUT/health.json"
}

@test "--urls-file: comments and blank lines skipped, combined with arguments" {
	printf '# web\n\n  %s/ok  \n%s/seq/file/200\r\n' "$BASE" "$BASE" >"$BATS_TEST_TMPDIR/urls.txt"
	run -0 "$HC" --once --json --urls-file "$BATS_TEST_TMPDIR/urls.txt" "$BASE/seq/arg/200"
	[[ $(jq -r '[.targets[].url] | join(" ")' <<<"$output") == "$BASE/seq/arg/200 $BASE/ok $BASE/seq/file/200" ]]
}

# ---- the rolling window across runs ----------------------------------------------------

@test "repeated --once runs aggregate over the window; statuses and exit codes follow the threshold" {
	local a="$BASE/seq/win/200,500" b="$BASE/ok"
	local -a want=(
		# exit | A checks,ok200,ratio200,status | overall
		"0|1,1,1,ok|ok"
		"1|2,1,0.5,down|degraded"
		"0|3,2,0.6667,ok|ok"
		"1|3,1,0.3333,down|degraded"
		"0|3,2,0.6667,ok|ok"
	)
	local w got n=0 kept
	for w in "${want[@]}"; do
		n=$((n + 1))
		run "$HC" --once --window 3 --threshold 0.6 --output "$REPORT" "$a" "$b"
		check_report check-health-report.jq "$REPORT"
		got="$status|$(jqv "$REPORT" '.targets[0] | [.checks, .ok200, .ratio200, .status] | join(",")')|$(jqv "$REPORT" .status)"
		if [[ $got != "$w" ]]; then
			echo "run $n: want $w, got $got" >&2
			return 1
		fi
		kept=$((n < 3 ? n : 3))
		[[ $(jqv "$REPORT" '.targets[1] | [.checks, .ok200, .ratio200, .status] | join(",")') == "$kept,$kept,1,ok" ]]
	done
}

@test "a target below the threshold whose last check succeeded is degraded" {
	local u="$BASE/seq/recover/500,500,200"
	run -1 "$HC" --once --output "$REPORT" "$u"
	run -1 "$HC" --once --output "$REPORT" "$u"
	run -1 "$HC" --once --output "$REPORT" "$u"
	[[ $(jqv "$REPORT" '.targets[0] | [.checks, .ok200, .ratio200, .lastStatus, .status] | join(",")') == "3,1,0.3333,200,degraded" ]]
	[[ $(jqv "$REPORT" '.status') == degraded ]]
}

@test "lastFailure survives the failure leaving the window" {
	local u="$BASE/seq/lastfail/500,200,200"
	run -1 "$HC" --once --window 1 --output "$REPORT" "$u"
	local at
	at=$(jqv "$REPORT" '.targets[0].lastFailure.at')
	run -0 "$HC" --once --window 1 --output "$REPORT" "$u"
	run -0 "$HC" --once --window 1 --output "$REPORT" "$u"
	check_report check-health-report.jq "$REPORT"
	[[ $(jqv "$REPORT" '.targets[0] | [.checks, .ok200, .status, .lastFailure.status, .lastFailure.reason] | join(",")') == "1,1,ok,500,http_status" ]]
	[[ $(jqv "$REPORT" '.targets[0].lastFailure.at') == "$at" ]]
}

@test "targets dropped from the command line leave the report; new ones start empty" {
	run -0 "$HC" --once --output "$REPORT" "$BASE/ok" "$BASE/seq/keep/200"
	run -0 "$HC" --once --output "$REPORT" "$BASE/seq/keep/200" "$BASE/seq/new/200"
	[[ $(jqv "$REPORT" '[.targets[] | "\(.url | sub(".*/seq/"; ""))=\(.checks)"] | join(" ")') == "keep/200=2 new/200=1" ]]
}

@test "a lowered --window trims the kept samples" {
	for _ in 1 2 3 4; do run -0 "$HC" --once --output "$REPORT" "$BASE/ok"; done
	[[ $(jqv "$REPORT" '.targets[0].checks') == 4 ]]
	run -0 "$HC" --once --window 2 --output "$REPORT" "$BASE/ok"
	[[ $(jqv "$REPORT" '[.window, .targets[0].checks, (.targets[0].samples | length)] | join(",")') == "2,2,2" ]]
}

# ---- percentiles (nearest rank) --------------------------------------------------------

# seed_report URL MS...: a previous report holding one ok sample per MS for URL
seed_report() {
	local url=$1
	shift
	printf '%s\n' "$@" | jq -s --arg url "$url" '{
		schema: "chess.health/v1", generatedAt: "2026-01-01T00:00:00Z", status: "ok",
		threshold: 0.95, window: 100, timeoutMs: 5000,
		targets: [{url: $url, samples: [.[] | {at: "2026-01-01T00:00:00Z", ok: true, status: 200,
			ms: ., reason: null, detail: null}]}]}' >"$REPORT"
}

@test "p50/p95 are nearest-rank percentiles over checks that got a response" {
	# 20 latencies 20..1 (unsorted) + one refused check without a latency
	# shellcheck disable=SC2046 # one argument per latency
	seed_report "$CLOSED" $(seq 20 -1 1)
	run -0 "$HC" --once --window 21 --output "$REPORT" "$CLOSED"
	check_report check-health-report.jq "$REPORT"
	# rank = ceil(p/100 * 20): p50 -> 10th smallest, p95 -> 19th smallest
	[[ $(jqv "$REPORT" '.targets[0] | [.checks, .ok200, .ratio200, .p50Ms, .p95Ms, .lastStatus, .status] | map(tostring) | join(",")') == "21,20,0.9524,10,19,null,ok" ]]
	# above the threshold although the last check failed: ok overall, exit 0 (checked by run -0)
	[[ $(jqv "$REPORT" '.targets[0].lastFailure.reason') == connection_refused ]]

	seed_report "$CLOSED" 7
	run -1 "$HC" --once --window 21 --output "$REPORT" "$CLOSED"
	[[ $(jqv "$REPORT" '.targets[0] | [.p50Ms, .p95Ms, .ratio200, .status] | map(tostring) | join(",")') == "7,7,0.5,down" ]]

	seed_report "$CLOSED" 5 1 3 2 4
	run -1 "$HC" --once --window 21 --output "$REPORT" "$CLOSED"
	# n=5: p50 rank ceil(2.5)=3 -> 3; p95 rank ceil(4.75)=5 -> 5
	[[ $(jqv "$REPORT" '.targets[0] | [.p50Ms, .p95Ms] | map(tostring) | join(",")') == "3,5" ]]
}

@test "an unreadable previous report is replaced by a fresh window, with a warning" {
	echo '{"schema": "chess.health/v1", "targets": [' >"$REPORT"
	run --separate-stderr -0 "$HC" --once --output "$REPORT" "$BASE/ok"
	[[ $stderr == *"previous report is not valid JSON"* ]]
	check_report check-health-report.jq "$REPORT"
	[[ $(jqv "$REPORT" '.targets[0].checks') == 1 ]]
}

# ---- atomic write ----------------------------------------------------------------------

@test "the report is replaced by rename, readable by others, with no temp files left" {
	run -0 "$HC" --once --output "$REPORT" "$BASE/ok"
	local inode1
	inode1=$(stat -c %i "$REPORT")
	run -0 "$HC" --once --output "$REPORT" "$BASE/ok"
	[[ $(stat -c %i "$REPORT") != "$inode1" ]]
	[[ $(stat -c %a "$REPORT") == 644 ]]
	[[ $(ls -A "$OUT") == health.json ]]
}

@test "a report that cannot be written: exit 3 and a message" {
	run --separate-stderr -3 "$HC" --once --output /proc/health.json "$BASE/ok"
	[[ $stderr == *"cannot"* ]]
}

# ---- loop mode -------------------------------------------------------------------------

@test "loop mode: readers never see a partial report; SIGTERM stops it cleanly with exit 0" {
	"$HC" --interval 0.1 --timeout 1 --output "$REPORT" "$BASE/ok" "$BASE/seq/loop/200,500" \
		2>"$BATS_TEST_TMPDIR/loop.log" 3>&- &
	local pid=$!
	wait_for_file "$REPORT" 30
	# read the report as fast as possible for 3 s while rounds replace it (about 0.1 s apart)
	local stats bad
	stats=$(python3 "$TESTS_DIR/read_json_loop.py" "$REPORT" 3)
	echo "reader: $stats" >&2
	bad=$(jq -r .bad <<<"$stats")
	(($(jq -r .reads <<<"$stats") > 100))
	(($(jq -r .versions <<<"$stats") > 3))
	local deadline=$((SECONDS + 20))
	until (($(jqv "$REPORT" '.targets[0].checks') >= 5)) || ((SECONDS > deadline)); do sleep 0.1; done
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	echo "exit $rc" >&2
	((bad == 0))
	((rc == 0))
	check_report check-health-report.jq "$REPORT"
	(($(jqv "$REPORT" '.targets[0].checks') >= 5))
	# the alternating target: half its checks succeed (one more on odd counts)
	[[ $(jqv "$REPORT" '.targets[1] | (.ok200 - (.checks - .ok200))') =~ ^[01]$ ]]
	[[ $(ls -A "$OUT") == health.json ]]
	grep -q '"msg":"starting"' "$BATS_TEST_TMPDIR/loop.log"
	grep -q '"msg":"stopping"' "$BATS_TEST_TMPDIR/loop.log"
}

@test "loop mode: SIGTERM during a slow round stops at once and keeps the last report" {
	"$HC" --interval 0.1 --timeout 10 --output "$REPORT" "$BASE/ok" "$BASE/slow/6000" \
		2>"$BATS_TEST_TMPDIR/loop.log" 3>&- &
	local pid=$!
	wait_for_file "$REPORT" 30
	local before
	before=$(cat "$REPORT")
	sleep 0.5 # the second round is now waiting for the slow URL (6 s)
	local start=$EPOCHREALTIME rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	local elapsed_ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
	echo "exit $rc after ${elapsed_ms} ms" >&2
	((rc == 0))
	# generous for a loaded machine, yet well below the 6 s the round would take
	((elapsed_ms < 4000))
	[[ $(cat "$REPORT") == "$before" ]]
	check_report check-health-report.jq "$REPORT"
	[[ $(ls -A "$OUT") == health.json ]]
}

# ---- DNS -------------------------------------------------------------------------------

@test "an unresolvable host is reported as dns" {
	# .invalid never resolves (RFC 6761); skip where the resolver cannot answer quickly
	if timeout 2 getent hosts health-check-test.invalid >/dev/null 2>&1 || (($? == 124)); then
		skip "the resolver does not answer NXDOMAIN quickly here"
	fi
	run -1 "$HC" --once --json --timeout 3 "http://health-check-test.invalid/"
	[[ $(jq -r '.targets[0].lastFailure.reason' <<<"$output") == dns ]]
}
