#!/usr/bin/env bash
# Smoke check of a deployed stack, run by the deploy workflow after each `pulumi up` (and by an
# operator after `make up`): the site's health through CloudFront answers 200 (checked with
# health-check.sh), and the WebSocket URL refuses an upgrade that carries no token (401/403).
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: smoke-check.sh --health-url URL --websocket-url URL [--attempts N] [--delay SECONDS]

  --health-url URL     e.g. https://chess.example.com/healthz (the stack output siteUrl + /healthz)
  --websocket-url URL  the stack output webSocketUrl (wss://...; ws:// and http(s):// also work)
  --attempts N         tries of each check before it fails (default 20): new tasks, DNS and
                       CloudFront take a few minutes after an up
  --delay SECONDS      pause between tries (default 15)
  -h, --help           this text

Exit status: 0 both checks passed, 1 a check failed, 2 usage error.
USAGE
}

die() {
	echo "smoke-check.sh: $*" >&2
	exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
health="" ws="" attempts=20 delay=15
while (($#)); do
	case "$1" in
	--health-url) (($# >= 2)) || die "--health-url needs a value"; health=$2; shift 2 ;;
	--websocket-url) (($# >= 2)) || die "--websocket-url needs a value"; ws=$2; shift 2 ;;
	--attempts) (($# >= 2)) || die "--attempts needs a value"; attempts=$2; shift 2 ;;
	--delay) (($# >= 2)) || die "--delay needs a value"; delay=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
[[ $health =~ ^https?:// ]] || die "--health-url: want an http(s):// URL, got '$health'"
[[ $ws =~ ^(wss?|https?):// ]] || die "--websocket-url: want a ws(s):// or http(s):// URL, got '$ws'"
[[ $attempts =~ ^[1-9][0-9]*$ ]] || die "--attempts: want a positive integer, got '$attempts'"
[[ $delay =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--delay: want seconds, got '$delay'"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# retry NAME CMD...: runs CMD until it succeeds, at most $attempts times.
retry() {
	local name=$1 i
	shift
	for ((i = 1; i <= attempts; i++)); do
		if "$@"; then
			echo "ok: $name"
			return 0
		fi
		echo "not yet: $name (attempt $i of $attempts)" >&2
		((i == attempts)) || sleep "$delay"
	done
	echo "FAILED: $name" >&2
	return 1
}

# shellcheck disable=SC2317 # called through retry
health_ok() {
	"$here/health-check.sh" --once --timeout 10 --threshold 1 --window 1 --output "$work/health.json" "$health" >&2
}

# An upgrade request without a token: API Gateway's authorizer (or the backend's /ws) must
# answer 401 or 403; 101 would mean the socket opened without authentication.
# shellcheck disable=SC2317 # called through retry
ws_refused() {
	local url=$ws code
	url=${url/#wss:\/\//https://}
	url=${url/#ws:\/\//http://}
	code=$(curl -sS -o /dev/null -w '%{http_code}' --http1.1 --max-time 10 \
		-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: c21va2UtY2hlY2sta2V5MDE=' "$url") || code=000
	echo "websocket upgrade without a token: HTTP $code" >&2
	[[ $code == 401 || $code == 403 ]]
}

status=0
retry "GET $health answers 200" health_ok || status=1
retry "WebSocket $ws refuses an upgrade without a token" ws_refused || status=1
exit "$status"
