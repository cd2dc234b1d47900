#!/usr/bin/env bash
# progress.sh WHAT COMMAND [ARGS...]: runs COMMAND and reports it the way `make dev` reports its
# slow steps (app/cmd/devrun/progress.go does the same inside devrun): nothing when it ends
# within PROGRESS_AFTER seconds (5), else "[dev] WHAT… N s" once it passes that and every
# PROGRESS_EVERY seconds (15) after, then "[dev] WHAT: done in N s" (or "failed after N s").
# Lines go to stderr; COMMAND's exit status is the script's.
set -uo pipefail

if (($# < 2)); then
	echo "usage: progress.sh WHAT COMMAND [ARGS...]" >&2
	exit 2
fi
what=$1
shift
after=${PROGRESS_AFTER:-5}
every=${PROGRESS_EVERY:-15}
for v in after every; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "progress.sh: PROGRESS_${v^^} must be a whole number of seconds >= 1, got '${!v}'" >&2
		exit 2
	fi
done

start=$SECONDS
said=$(mktemp)
ticker=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[[ -n $ticker ]] && kill "$ticker" 2>/dev/null
	rm -f "$said"
}
trap cleanup EXIT
# Ctrl-C in make reaches the whole process group: the command stops, and so does the ticker
# (a background job of a script ignores SIGINT itself).
trap 'exit 130' INT
trap 'exit 143' TERM

# The ticker sleeps in a child it waits for, so a TERM ends it at once instead of after the
# sleep (a leftover sleep would hold stderr open for whoever reads it).
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	wait_s=$after
	while :; do
		sleep "$wait_s" &
		nap=$!
		wait "$nap"
		kill -0 "$$" 2>/dev/null || exit 0 # the script is gone (killed): say nothing more
		echo "[dev] $what… $((SECONDS - start)) s" >&2
		echo 1 >"$said"
		wait_s=$every
	done
) &
ticker=$!

"$@"
rc=$?
kill "$ticker" 2>/dev/null
wait "$ticker" 2>/dev/null
ticker=

if [[ -s $said ]]; then
	if ((rc == 0)); then
		echo "[dev] $what: done in $((SECONDS - start)) s" >&2
	else
		echo "[dev] $what: failed after $((SECONDS - start)) s" >&2
	fi
fi
exit "$rc"
