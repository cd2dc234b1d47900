#!/usr/bin/env bash
# health-check.sh: poll HTTP URLs, keep a rolling window of results per URL and write the
# chess.health/v1 report (docs/reports.md). One-shot for a shell, loop mode for the sidecar.
set -euo pipefail
export LC_ALL=C # curl and jq must print numbers with a dot whatever the caller's locale

readonly PROG=health-check
readonly SCHEMA=chess.health/v1
readonly EXIT_OK=0 EXIT_BELOW=1 EXIT_USAGE=2 EXIT_RUNTIME=3

usage() {
	cat <<'EOF'
Usage: health-check.sh [options] URL...
       health-check.sh [options] --urls-file FILE

Polls every URL with curl (no redirects followed: only HTTP 200 counts as success), keeps the
last N results per URL and writes a JSON report (schema chess.health/v1, see docs/reports.md).

Options:
  --urls-file FILE    read URLs from FILE, one per line; blank lines and lines starting with #
                      are ignored (may be combined with URL arguments)
  --interval SECONDS  loop mode: time from the start of one round to the next (default 30)
  --timeout SECONDS   per request limit for the whole transfer, curl --max-time; the connect
                      phase is limited to min(timeout, 5) (default 5, at most 120)
  --window N          rolling window: results kept per URL (default 100, 1..10000)
  --threshold RATIO   a URL is ok when its 200 ratio over the window is >= RATIO (default 0.95)
  --output FILE       report path, written atomically (temp file in the same directory +
                      rename); the previous report there is the state the window continues
                      from (default $REPORTS_DIR/health.json when REPORTS_DIR is set)
  --once              one round, print a table (or the report with --json), exit
  --json              with --once: print the JSON report instead of the table
  -h, --help          this text

Exit status:
  0  overall status ok (every URL's 200 ratio >= threshold)
  1  overall status degraded or down (some URL below the threshold)
  2  usage error (bad option, URL, number or file)
  3  runtime error (the report could not be written, a tool is missing)
Loop mode runs until SIGTERM or SIGINT, finishes cleanly (the last report stays valid) and
exits 0.
EOF
}

log() { # level msg [jq args...]: one JSON line on stderr, like the services' slog output
	local level=$1 msg=$2
	shift 2
	now_rfc3339
	jq -cn --arg time "$NOW" --arg level "$level" --arg msg "$msg" "$@" \
		'{time:$time, level:$level, msg:$msg, source:"health-check"} + $ARGS.named' >&2 ||
		printf '%s: %s\n' "$PROG" "$msg" >&2
}

usage_error() {
	printf '%s: %s\n' "$PROG" "$1" >&2
	printf "Try 'health-check.sh --help'.\n" >&2
	exit "$EXIT_USAGE"
}

# now_rfc3339: the current UTC time, RFC 3339, in NOW (a builtin: no process per call)
now_rfc3339() { TZ=UTC printf -v NOW '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }

# to_millis NAME VALUE: decimal seconds ("2", "0.25") to integer milliseconds in REPLY;
# a usage error naming the option when VALUE is not a plain non-negative decimal.
to_millis() {
	local name=$1 value=$2 int frac
	[[ $value =~ ^([0-9]{1,6})(\.([0-9]{1,3}))?$ ]] ||
		usage_error "$name: '$value' is not a number of seconds (e.g. 5 or 0.5)"
	int=${BASH_REMATCH[1]}
	frac=${BASH_REMATCH[3]}
	frac=${frac}000
	REPLY=$((10#$int * 1000 + 10#${frac:0:3}))
}

# validate_url SOURCE URL: http(s) only, a host, an optional port 1..65535, no credentials,
# no whitespace. SOURCE names where the URL came from for the error message.
validate_url() {
	local source=$1 url=$2
	local re='^https?://([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?([/?#][^[:space:]]*)?$'
	if [[ ! $url =~ $re ]]; then
		usage_error "$source: '$url' is not an http:// or https:// URL with a host (no spaces, no user:password@)"
	fi
	local port=${BASH_REMATCH[4]}
	if [[ -n $port ]] && ((10#$port < 1 || 10#$port > 65535)); then
		usage_error "$source: '$url' has port $port outside 1..65535"
	fi
}

# ---- arguments -------------------------------------------------------------------------

URLS=()
URLS_FILE=
INTERVAL=30
TIMEOUT=5
WINDOW=100
THRESHOLD=0.95
OUTPUT=
OUTPUT_SET=0
ONCE=0
JSON=0

need_value() { # option remaining-arg-count
	(($2 >= 2)) || usage_error "$1 needs a value"
}

parse_args() {
	local arg
	while (($# > 0)); do
		arg=$1
		case $arg in
		--*=*)
			# --opt=value: split and re-dispatch
			set -- "${arg%%=*}" "${arg#*=}" "${@:2}"
			continue
			;;
		-h | --help)
			usage
			exit "$EXIT_OK"
			;;
		--urls-file)
			need_value "$arg" $#
			URLS_FILE=$2
			shift 2
			;;
		--interval)
			need_value "$arg" $#
			INTERVAL=$2
			shift 2
			;;
		--timeout)
			need_value "$arg" $#
			TIMEOUT=$2
			shift 2
			;;
		--window)
			need_value "$arg" $#
			WINDOW=$2
			shift 2
			;;
		--threshold)
			need_value "$arg" $#
			THRESHOLD=$2
			shift 2
			;;
		--output)
			need_value "$arg" $#
			OUTPUT=$2
			OUTPUT_SET=1
			shift 2
			;;
		--once)
			ONCE=1
			shift
			;;
		--json)
			JSON=1
			shift
			;;
		--)
			shift
			URLS+=("$@")
			break
			;;
		-*)
			usage_error "unknown option '$arg'"
			;;
		*)
			URLS+=("$arg")
			shift
			;;
		esac
	done
}

validate_args() {
	local u i line n=0
	for u in "${URLS[@]}"; do
		validate_url "argument" "$u"
	done
	if [[ -n $URLS_FILE ]]; then
		[[ -f $URLS_FILE && -r $URLS_FILE ]] || usage_error "--urls-file: cannot read '$URLS_FILE'"
		while IFS= read -r line || [[ -n $line ]]; do
			n=$((n + 1))
			line=${line#"${line%%[![:space:]]*}"} # trim leading and trailing blanks
			line=${line%"${line##*[![:space:]]}"}
			[[ -z $line || $line == \#* ]] && continue
			validate_url "--urls-file $URLS_FILE line $n" "$line"
			URLS+=("$line")
		done <"$URLS_FILE"
	fi
	((${#URLS[@]} > 0)) || usage_error "no URL given (arguments or --urls-file)"
	for ((i = 0; i < ${#URLS[@]}; i++)); do
		for ((n = i + 1; n < ${#URLS[@]}; n++)); do
			[[ ${URLS[i]} != "${URLS[n]}" ]] || usage_error "URL '${URLS[i]}' is given twice"
		done
	done

	to_millis --interval "$INTERVAL"
	INTERVAL_MS=$REPLY
	((INTERVAL_MS >= 100)) || usage_error "--interval: '$INTERVAL' is below 0.1 seconds"
	to_millis --timeout "$TIMEOUT"
	TIMEOUT_MS=$REPLY
	((TIMEOUT_MS >= 100 && TIMEOUT_MS <= 120000)) || usage_error "--timeout: '$TIMEOUT' is outside 0.1..120 seconds"
	CONNECT_MS=$((TIMEOUT_MS < 5000 ? TIMEOUT_MS : 5000))

	if [[ ! $WINDOW =~ ^[0-9]{1,5}$ ]] || ((10#$WINDOW < 1 || 10#$WINDOW > 10000)); then
		usage_error "--window: '$WINDOW' is not an integer in 1..10000"
	fi
	WINDOW=$((10#$WINDOW))

	[[ $THRESHOLD =~ ^(0(\.[0-9]{1,6})?|1(\.0{1,6})?|\.[0-9]{1,6})$ ]] ||
		usage_error "--threshold: '$THRESHOLD' is not a ratio in 0..1 (e.g. 0.95)"
	[[ $THRESHOLD != .* ]] || THRESHOLD=0$THRESHOLD # JSON needs the leading zero

	if ((!OUTPUT_SET)) && [[ -n ${REPORTS_DIR:-} ]]; then
		OUTPUT=${REPORTS_DIR%/}/health.json
	fi
	if ((OUTPUT_SET)) && [[ -z $OUTPUT ]]; then
		usage_error "--output: empty path"
	fi
	if [[ -n $OUTPUT ]]; then
		[[ $OUTPUT != */ ]] || usage_error "--output: '$OUTPUT' is a directory path, expected a file"
		local dir
		dir=$(dirname -- "$OUTPUT")
		[[ -d $dir ]] || usage_error "--output: directory '$dir' does not exist"
		[[ ! -d $OUTPUT ]] || usage_error "--output: '$OUTPUT' is a directory"
	fi
	if ((JSON && !ONCE)); then
		usage_error "--json needs --once (loop mode writes the report to --output)"
	fi
	if ((!ONCE)) && [[ -z $OUTPUT ]]; then
		usage_error "loop mode needs --output FILE (or REPORTS_DIR)"
	fi
}

# seconds_of MILLIS: "1.5"-style seconds for curl and sleep
seconds_of() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# ---- one round ---------------------------------------------------------------------------

STOP=0
WORK=
CHILDREN=()
SAMPLES=
PREV=null     # the previous report (JSON), the state the window continues from
URLS_JSON=
NOW=
REPORT=
STATUS=
OUTPUT_DIR=
OUTPUT_BASE=

# reason_of CURL_EXIT ERR_FILE: machine-readable failure reason (docs/reports.md)
reason_of() {
	local rc=$1 errfile=$2
	case $rc in
	6) echo dns ;;
	5) echo proxy ;;
	7)
		if grep -q 'Connection refused' "$errfile" 2>/dev/null; then echo connection_refused; else echo connect_failed; fi
		;;
	28) echo timeout ;;
	35 | 51 | 53 | 54 | 58 | 59 | 60 | 64 | 66 | 77 | 80 | 82 | 83 | 90 | 91) echo tls ;;
	52) echo empty_reply ;;
	55 | 56) echo connection_reset ;;
	8 | 16 | 18 | 92 | 95) echo protocol ;;
	1 | 3) echo bad_url ;;
	*) echo curl_error ;;
	esac
}

# run_round: checks every URL in parallel and sets SAMPLES to the new samples (JSON array).
# Runs in the main shell (not in $(...)) so that a stop signal interrupts the wait at once, and
# is called plainly (not in an if or ||) so that errexit stays on inside; when a stop signal
# arrived during the round, STOP is set and SAMPLES is empty.
run_round() {
	local i rc code secs at reason detail
	local -a pids=()
	now_rfc3339
	at=$NOW
	for i in "${!URLS[@]}"; do
		# --verbose: the error line alone cannot tell a refused connection from an unreachable host
		curl --verbose --silent --show-error --output /dev/null \
			--connect-timeout "$(seconds_of "$CONNECT_MS")" --max-time "$(seconds_of "$TIMEOUT_MS")" \
			--proto '=http,https' --max-redirs 0 --user-agent 'chess-health-check/1' \
			--write-out '%{http_code} %{time_total}' -- "${URLS[i]}" \
			>"$WORK/$i.out" 2>"$WORK/$i.err" &
		pids[i]=$!
	done
	CHILDREN=("${pids[@]}")
	local -a rcs=()
	for i in "${!pids[@]}"; do
		rc=0
		wait "${pids[i]}" || rc=$?
		if ((STOP)); then
			kill "${pids[@]}" 2>/dev/null || true
			wait "${pids[@]}" 2>/dev/null || true
			CHILDREN=()
			SAMPLES=
			return 0
		fi
		rcs[i]=$rc
	done
	CHILDREN=()

	local -a fields=()
	for i in "${!URLS[@]}"; do
		rc=${rcs[i]}
		read -r code secs <"$WORK/$i.out" || true
		[[ $code =~ ^[0-9]{3}$ ]] || code=000
		[[ $secs =~ ^[0-9]+(\.[0-9]+)?$ ]] || secs=0
		if ((rc == 0)); then
			if [[ $code == 200 ]]; then reason=; else reason=http_status; fi
			detail=
		else
			reason=$(reason_of "$rc" "$WORK/$i.err")
			detail=$(grep -m 1 '^curl: (' "$WORK/$i.err" | head -c 300) || detail=
			detail=${detail#curl: (*) }
		fi
		[[ $code != 000 || -n $reason ]] || reason=curl_error
		if [[ $code == 000 ]]; then
			: # no HTTP response: status stays null in the sample
		elif [[ $reason == http_status ]]; then
			detail="HTTP $code"
		fi
		fields+=("${URLS[i]}" "$code" "$secs" "$reason" "$detail")
	done
	# shellcheck disable=SC2016 # jq program
	SAMPLES=$(jq -cn --arg at "$at" '[$ARGS.positional as $f | range(0; $f | length; 5) as $k | {
		url: $f[$k],
		at: $at,
		ok: ($f[$k + 3] == ""),
		status: (if $f[$k + 1] == "000" then null else ($f[$k + 1] | tonumber) end),
		ms: ($f[$k + 2] | tonumber * 1000 | round),
		reason: (if $f[$k + 3] == "" then null else $f[$k + 3] end),
		detail: (if $f[$k + 4] == "" then null else $f[$k + 4] end)
	}]' --args "${fields[@]}")
}

# The report is a pure function of the previous report, the new samples and the settings.
# Percentiles: nearest rank over the latencies of checks that got an HTTP response.
# shellcheck disable=SC2016 # jq program, not shell expansions
readonly AGGREGATE='
def nearest_rank($p):
	if length == 0 then null
	else .[([((($p * length) + 99) / 100 | floor), 1] | max) - 1] end;
def clean_samples:
	if type == "array" then
		[.[] | select(type == "object" and (.ok | type) == "boolean" and (.ms | type) == "number"
			and (.at | type) == "string")]
	else [] end;
($prev | if type == "object" and .schema == $schema and (.targets | type) == "array"
	then [.targets[] | select(type == "object" and (.url | type) == "string") | {key: .url, value: .}]
		| from_entries
	else {} end) as $old
| [ $urls[] as $u
	| ($old[$u] // {}) as $o
	| (($o.samples | clean_samples) + [$new[] | select(.url == $u) | del(.url)]) | .[-$window:]
	| . as $s
	| ($s | map(select(.ok)) | length) as $ok
	| ($s | length) as $n
	| ($s[-1]) as $last
	| ([$s[] | select(.status != null) | .ms] | sort) as $lat
	| ([$s[] | select(.ok | not)] | last
		| if . == null then null else {at, status, reason, detail} end) as $fail
	| {
		url: $u,
		checks: $n,
		ok200: $ok,
		ratio200: (if $n == 0 then 0 else ($ok / $n * 10000 | round) / 10000 end),
		p50Ms: ($lat | nearest_rank(50)),
		p95Ms: ($lat | nearest_rank(95)),
		lastStatus: $last.status,
		lastCheckedAt: $last.at,
		status: (if $n > 0 and ($ok / $n) >= $threshold then "ok"
			elif ($last.ok | not) then "down"
			else "degraded" end),
		lastFailure: ($fail // (if ($o.lastFailure | type) == "object" then $o.lastFailure else null end)),
		samples: $s
	}
] as $targets
| {
	schema: $schema,
	generatedAt: $now,
	status: (if all($targets[]; .status == "ok") then "ok"
		elif all($targets[]; .status == "down") then "down"
		else "degraded" end),
	threshold: $threshold,
	window: $window,
	timeoutMs: $timeout,
	targets: $targets
}'

# load_previous: PREV from the report at OUTPUT, if there is a readable one
load_previous() {
	PREV=null
	[[ -n $OUTPUT && -f $OUTPUT ]] || return 0
	if ! PREV=$(jq -ce 'select(type == "object")' "$OUTPUT" 2>/dev/null); then
		log warn "previous report is not valid JSON; starting a new window" --arg file "$OUTPUT"
		PREV=null
	fi
}

# build_report: the new report (compact JSON) from PREV and SAMPLES, in REPORT and STATUS
build_report() {
	now_rfc3339
	REPORT=$(jq -cn --argjson prev "$PREV" --argjson new "$SAMPLES" --argjson urls "$URLS_JSON" \
		--argjson window "$WINDOW" --argjson threshold "$THRESHOLD" --argjson timeout "$TIMEOUT_MS" \
		--arg schema "$SCHEMA" --arg now "$NOW" "$AGGREGATE")
	# the program emits schema, generatedAt, status first
	[[ $REPORT =~ ^\{\"schema\":\"[^\"]*\",\"generatedAt\":\"[^\"]*\",\"status\":\"([a-z]+)\" ]]
	STATUS=${BASH_REMATCH[1]}
	PREV=$REPORT
}

# write_report JSON: atomic replace of OUTPUT (temp file in the same directory, then rename)
write_report() {
	local tmp
	tmp=$(mktemp "$OUTPUT_DIR/.$OUTPUT_BASE.XXXXXX" 2>/dev/null) || return 1
	if printf '%s\n' "$1" >"$tmp" && chmod 0644 "$tmp" && mv -f -- "$tmp" "$OUTPUT"; then
		return 0
	fi
	rm -f -- "$tmp"
	return 1
}

print_table() { # report JSON on stdin
	jq -r '
	def cell: if . == null then "-" else tostring end;
	def pad($w): if length < $w then . + (" " * ($w - length)) else . end;
	def failure: if . == null then "-"
		else "\(.at) \(.status // "-") \(.reason)" + (if .detail then " (\(.detail))" else "" end) end;
	(["URL", "STATUS", "LAST", "CHECKS", "OK200", "RATIO", "P50MS", "P95MS", "LAST FAILURE"]) as $head
	| [.targets[] | [.url, .status, (.lastStatus | cell), (.checks | cell), (.ok200 | cell),
		(.ratio200 | cell), (.p50Ms | cell), (.p95Ms | cell), (.lastFailure | failure)]] as $rows
	| ([$head] + $rows) as $all
	| [range(0; $head | length) as $c | ($all | map(.[$c] | length) | max)] as $w
	| ($all[] | (length - 1) as $lastcol
		| [range(0; length) as $c | .[$c] | if $c < $lastcol then pad($w[$c]) else . end]
		| join("  ")),
	  "",
	  "overall: \(.status) (threshold \(.threshold), window \(.window), \(.generatedAt))"
	'
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if ((${#CHILDREN[@]} > 0)); then
		kill "${CHILDREN[@]}" 2>/dev/null || true
	fi
	[[ -z $WORK ]] || rm -rf -- "$WORK"
}

main() {
	parse_args "$@"
	validate_args
	local tool
	for tool in curl jq date mktemp; do
		command -v "$tool" >/dev/null 2>&1 || {
			printf '%s: %s is not installed\n' "$PROG" "$tool" >&2
			exit "$EXIT_RUNTIME"
		}
	done

	# Work files live next to the report: the sidecar's root filesystem is read-only.
	local workdir_parent=${TMPDIR:-/tmp}
	if [[ -n $OUTPUT ]]; then
		OUTPUT_DIR=$(dirname -- "$OUTPUT")
		OUTPUT_BASE=$(basename -- "$OUTPUT")
		workdir_parent=$OUTPUT_DIR
	fi
	WORK=$(mktemp -d "$workdir_parent/.health-check.XXXXXX") || {
		printf '%s: cannot create a work directory in %s\n' "$PROG" "$workdir_parent" >&2
		exit "$EXIT_RUNTIME"
	}
	trap cleanup EXIT
	trap 'STOP=1' TERM INT
	URLS_JSON=$(jq -cn '$ARGS.positional' --args "${URLS[@]}")
	load_previous

	if ((ONCE)); then
		run_round
		((!STOP)) || exit 130
		build_report
		if [[ -n $OUTPUT ]] && ! write_report "$REPORT"; then
			printf '%s: cannot write the report to %s\n' "$PROG" "$OUTPUT" >&2
			exit "$EXIT_RUNTIME"
		fi
		if ((JSON)); then jq . <<<"$REPORT"; else print_table <<<"$REPORT"; fi
		if [[ $STATUS == ok ]]; then exit "$EXIT_OK"; fi
		exit "$EXIT_BELOW"
	fi

	log info "starting" --arg output "$OUTPUT" --argjson targets "${#URLS[@]}" \
		--argjson intervalMs "$INTERVAL_MS" --argjson timeoutMs "$TIMEOUT_MS" --argjson window "$WINDOW"
	local started elapsed_ms last_status=
	while ((!STOP)); do
		started=${EPOCHREALTIME//[!0-9]/}
		run_round
		((!STOP)) || break
		build_report
		if ! write_report "$REPORT"; then
			log error "cannot write the report" --arg output "$OUTPUT"
		fi
		if [[ $STATUS != "$last_status" ]]; then
			log info "status" --arg status "$STATUS" --arg previous "${last_status:-none}"
			last_status=$STATUS
		fi
		((!STOP)) || break
		elapsed_ms=$(((${EPOCHREALTIME//[!0-9]/} - started) / 1000))
		if ((elapsed_ms < INTERVAL_MS)); then
			sleep "$(seconds_of $((INTERVAL_MS - elapsed_ms)))" &
			CHILDREN=("$!")
			wait "$!" || true
			CHILDREN=()
		fi
	done
	log info "stopping" --arg status "${last_status:-none}"
	exit "$EXIT_OK"
}

main "$@"
