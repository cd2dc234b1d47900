#!/usr/bin/env bats
# check-commits.sh against throw-away git repositories.
# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	CC="$SCRIPTS_DIR/check-commits.sh"
	REPO="$BATS_TEST_TMPDIR/repo"
	git init -q -b main "$REPO"
	cd "$REPO" || return 1
	git config user.email test@example.com
	git config user.name test
	commit "first commit on main"
	git checkout -q -b topic
}

# commit MESSAGE: an empty commit with that message.
commit() {
	git commit -q --allow-empty --cleanup=verbatim -m "$1"
}

# chars N: a subject of exactly N characters.
chars() {
	printf 'x%.0s' $(seq "$1")
}

@test "accepts subjects of at most 72 characters, with or without a body" {
	commit "$(chars 72)"
	commit "$(printf 'short subject\n\nthe why, in as many lines as it takes; %s' "$(chars 120)")"
	run -0 --separate-stderr "$CC"
	[[ $output == "check-commits: 2 commits in main..HEAD: subjects of at most 72 characters" ]]
	[[ -z $stderr ]]
}

@test "counts characters, not bytes" {
	commit "$(chars 69) —é" # 72 characters, 75 bytes
	run -0 "$CC"
}

@test "rejects a subject over 72 characters and names the commit" {
	commit "fine"
	commit "$(chars 73)"
	sha=$(git rev-parse --short HEAD)
	run -1 --separate-stderr "$CC"
	[[ $stderr == "check-commits: $sha: subject is 73 characters (at most 72; details go in the body): $(chars 73)" ]]
}

@test "rejects a body that does not start after a blank line, and an empty subject" {
	commit "$(printf 'subject\nbody right below')"
	run -1 --separate-stderr "$CC"
	[[ $stderr == *"the second line must be blank"* ]]
	printf '\n' >"$BATS_TEST_TMPDIR/msg"
	run -1 --separate-stderr "$CC" --message-file "$BATS_TEST_TMPDIR/msg"
	[[ $stderr == *"empty subject"* ]]
}

@test "checks only the range: old long subjects on main do not count" {
	git checkout -q main
	commit "$(chars 150)"
	git checkout -q topic
	git rebase -q main
	commit "a good one"
	run -0 "$CC"
	[[ $output == *"1 commits in main..HEAD"* ]]
	run -1 "$CC" --range HEAD~2..HEAD
}

@test "nothing to check: no new commits, or no main branch" {
	run -0 "$CC"
	[[ $output == "check-commits: no commits in main..HEAD" ]]
	git branch -q -m main trunk
	run -0 "$CC"
	[[ $output == *"no branch main to compare with"* ]]
}

@test "works as a commit-msg hook (message file as the only argument, comments ignored)" {
	printf '%s\n# %s\n' "good subject" "$(chars 100)" >"$BATS_TEST_TMPDIR/msg"
	run -0 "$CC" "$BATS_TEST_TMPDIR/msg"
	printf '%s\n' "$(chars 80)" >"$BATS_TEST_TMPDIR/msg"
	run -1 "$CC" "$BATS_TEST_TMPDIR/msg"
	run -2 "$CC" --bogus
	run -2 "$CC" --range nosuch..HEAD
}
