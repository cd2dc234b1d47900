#!/usr/bin/env bash
# Checks commit messages against the README's "Contributing" rule: a subject of at most 72
# characters saying what changed, and, when there is a body, a blank line after the subject.
#
#   check-commits.sh                  the commits of this branch not on main (main..HEAD)
#   check-commits.sh --range A..B     the commits of a git revision range
#   check-commits.sh --message-file F one message (usable as a commit-msg hook:
#                                     ln -s ../../scripts/check-commits.sh .git/hooks/commit-msg
#                                     runs it with the message file as its only argument)
#
# Exit status: 0 all good (or nothing to check), 1 a message breaks the rule, 2 bad usage.
set -euo pipefail

MAX_SUBJECT=72
# Characters, not bytes: a subject may hold non-ASCII text (an em dash, a name).
export LC_ALL=C.UTF-8

usage() {
	sed -n '2,11s/^# \{0,1\}//p' "$0"
}

# check_message LABEL: reads one message on stdin; prints what is wrong, returns 1 if anything.
check_message() {
	local label=$1 subject second="" bad=0
	IFS= read -r subject || true
	IFS= read -r second || true
	cat >/dev/null # the rest of the body: read it all, so the writer never gets SIGPIPE
	if [[ -z ${subject//[[:space:]]/} ]]; then
		echo "check-commits: $label: empty subject" >&2
		return 1
	fi
	if ((${#subject} > MAX_SUBJECT)); then
		echo "check-commits: $label: subject is ${#subject} characters (at most $MAX_SUBJECT; details go in the body): $subject" >&2
		bad=1
	fi
	if [[ -n $second ]]; then
		echo "check-commits: $label: the second line must be blank (subject, blank line, body)" >&2
		bad=1
	fi
	return "$bad"
}

# message_file FILE: the message as git commit would record it (comment lines dropped).
message_file() {
	grep -v '^#' "$1" || true
}

main() {
	local range="" file=""
	while (($# > 0)); do
		case $1 in
		--range)
			range=${2:?--range needs a revision range}
			shift 2
			;;
		--message-file)
			file=${2:?--message-file needs a file}
			shift 2
			;;
		-h | --help)
			usage
			return 0
			;;
		-*)
			echo "check-commits: unknown option $1" >&2
			usage >&2
			return 2
			;;
		*)
			file=$1 # git's commit-msg hook passes the message file as the only argument
			shift
			;;
		esac
	done

	if [[ -n $file ]]; then
		[[ -r $file ]] || {
			echo "check-commits: cannot read $file" >&2
			return 2
		}
		message_file "$file" | check_message "message"
		return
	fi

	if [[ -z $range ]]; then
		if ! git rev-parse --verify -q main >/dev/null; then
			echo "check-commits: no branch main to compare with; nothing checked"
			return 0
		fi
		range=main..HEAD
	fi
	local commits
	commits=$(git rev-list --reverse "$range") || {
		echo "check-commits: bad revision range $range" >&2
		return 2
	}
	if [[ -z $commits ]]; then
		echo "check-commits: no commits in $range"
		return 0
	fi
	local c n=0 bad=0
	for c in $commits; do
		n=$((n + 1))
		git log -1 --format=%B "$c" | check_message "$(git rev-parse --short "$c")" || bad=1
	done
	if ((bad)); then
		return 1
	fi
	echo "check-commits: $n commits in $range: subjects of at most $MAX_SUBJECT characters"
}

main "$@"
