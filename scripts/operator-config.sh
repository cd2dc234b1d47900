#!/usr/bin/env bash
# Applies a file of operator inputs (the values a stack needs that the repository cannot hold:
# domain, hosted zone or certificates, alarm e-mail) to a Pulumi stack's config. The deploy
# workflow writes the file from the GitHub environment's variables and runs this script; a
# person at a terminal fills in a copy of operator/example.env and runs the same script
# (make operator-config STACK=dev OPERATOR_INPUTS=operator/dev.env). See docs/infra.md.
set -euo pipefail

readonly PROJECT=chess-platform
readonly KEYS=(domain hostedZoneId albCertificateArn cdnCertificateArn alarmEmail)

usage() {
	cat <<'USAGE'
Usage: operator-config.sh --file FILE (--stack STACK | --print)

Reads KEY=VALUE lines from FILE (blank lines and lines starting with # are ignored) and sets
each as chess-platform:KEY in the stack's config with `pulumi config set`. Allowed keys:
domain (required), hostedZoneId, albCertificateArn, cdnCertificateArn, alarmEmail. A key with
an empty value is skipped. The whole file is checked before anything is set.

Options:
  --file FILE     the operator inputs (see operator/example.env)
  --stack STACK   the stack to configure (e.g. dev, or org/dev)
  --print         print chess-platform:KEY=VALUE lines instead of setting anything
  -h, --help      this text

Environment: PULUMI (default pulumi) is the CLI to run.
Exit status: 0 done, 2 usage or input error (nothing was set), other: pulumi failed.
USAGE
}

die() {
	echo "operator-config.sh: $*" >&2
	exit 2
}

file="" stack="" print=0
while (($#)); do
	case "$1" in
	--file) (($# >= 2)) || die "--file needs a value"; file=$2; shift 2 ;;
	--stack) (($# >= 2)) || die "--stack needs a value"; stack=$2; shift 2 ;;
	--print) print=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
[[ -n $file ]] || die "--file is required (see --help)"
[[ -f $file ]] || die "no such file: $file (copy operator/example.env and fill it in)"
((print)) || [[ -n $stack ]] || die "--stack or --print is required"

declare -A values=()
order=()
lineno=0
while IFS= read -r line || [[ -n $line ]]; do
	lineno=$((lineno + 1))
	line=${line%$'\r'}
	[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
	[[ $line =~ ^([A-Za-z]+)=(.*)$ ]] || die "$file:$lineno: not KEY=VALUE: $line"
	key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
	allowed=0
	for k in "${KEYS[@]}"; do [[ $k == "$key" ]] && allowed=1; done
	((allowed)) || die "$file:$lineno: unknown key $key (allowed: ${KEYS[*]})"
	[[ -z ${values[$key]+set} ]] || die "$file:$lineno: $key is set twice"
	[[ $value =~ ^[^[:space:]\"\']*$ ]] || die "$file:$lineno: the value of $key has spaces or quotes"
	values[$key]=$value
	order+=("$key")
done <"$file"
[[ -n ${values[domain]:-} ]] || die "$file: domain is required"

for key in "${order[@]}"; do
	value=${values[$key]}
	[[ -n $value ]] || continue
	if ((print)); then
		printf '%s:%s=%s\n' "$PROJECT" "$key" "$value"
	else
		"${PULUMI:-pulumi}" config set --stack "$stack" "$PROJECT:$key" "$value"
	fi
done
