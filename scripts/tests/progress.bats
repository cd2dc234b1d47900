#!/usr/bin/env bats
# progress.sh: how `make dev` reports a slow step (building devrun) before devrun exists.
# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	P="$SCRIPTS_DIR/progress.sh"
}

# elapsed LINE: the N of "… N s", "done in N s" or "failed after N s".
elapsed() {
	[[ $1 =~ ([0-9]+)\ s$ ]] && echo "${BASH_REMATCH[1]}"
}

@test "a slow step gets a line with its elapsed time every interval, then its total" {
	PROGRESS_AFTER=1 PROGRESS_EVERY=1 run -0 --separate-stderr "$P" "building the dev runner" sleep 3.2
	[[ -z $output ]]
	mapfile -t lines <<<"$stderr"
	# A line a second from 1 s on (a loaded machine may skip some), then the total, which a
	# loaded machine can only make longer.
	((${#lines[@]} >= 2))
	prev=1
	for l in "${lines[@]:0:${#lines[@]}-1}"; do
		[[ $l =~ ^\[dev\]\ building\ the\ dev\ runner…\ [0-9]+\ s$ ]]
		n=$(elapsed "$l")
		((n >= prev))
		prev=$n
	done
	[[ ${lines[-1]} =~ ^\[dev\]\ building\ the\ dev\ runner:\ done\ in\ [0-9]+\ s$ ]]
	(($(elapsed "${lines[-1]}") >= 3))
}

@test "a quick step prints nothing and passes its output through" {
	run -0 --separate-stderr "$P" "checking" echo hello
	[[ $output == hello ]]
	[[ -z $stderr ]]
}

@test "a slow failure says so and keeps the command's exit status" {
	PROGRESS_AFTER=1 run -3 --separate-stderr "$P" "building the backend" bash -c 'sleep 1.6; exit 3'
	mapfile -t lines <<<"$stderr"
	[[ ${lines[0]} =~ ^\[dev\]\ building\ the\ backend…\ [0-9]+\ s$ ]]
	[[ ${lines[-1]} =~ ^\[dev\]\ building\ the\ backend:\ failed\ after\ [0-9]+\ s$ ]]
	(($(elapsed "${lines[-1]}") >= 1))
}

@test "the ticker stops with the command: nothing is printed afterwards" {
	out="$BATS_TEST_TMPDIR/out"
	PROGRESS_AFTER=1 PROGRESS_EVERY=1 "$P" "short" sleep 1.5 2>"$out"
	[[ $(tail -n 1 "$out") == "[dev] short: done in "* ]]
	n_lines=$(wc -l <"$out")
	sleep 2.2
	[[ $(wc -l <"$out") -eq $n_lines ]]
}

@test "Ctrl-C stops the command and the ticker" {
	out="$BATS_TEST_TMPDIR/out"
	# A background job of bats ignores SIGINT; a terminal's Ctrl-C does not: restore it.
	PROGRESS_AFTER=1 PROGRESS_EVERY=1 python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
		"$P" "interrupted" sleep 30 2>"$out" &
	pid=$!
	wait_for_file "$out" 10
	# make delivers Ctrl-C to the whole process group: the script and the command.
	pkill -INT -P "$pid" -x sleep || true
	kill -INT "$pid"
	wait "$pid" || true
	n_lines=$(wc -l <"$out")
	sleep 2.2
	[[ $(wc -l <"$out") -eq $n_lines ]]
	run ! kill -0 "$pid"
}

@test "refuses bad usage and bad settings with a clear message" {
	run -2 --separate-stderr "$P" "only a name"
	[[ $stderr == *"usage: progress.sh WHAT COMMAND"* ]]
	PROGRESS_AFTER=soon run -2 --separate-stderr "$P" "x" true
	[[ $stderr == *"PROGRESS_AFTER must be a whole number of seconds >= 1, got 'soon'"* ]]
}
