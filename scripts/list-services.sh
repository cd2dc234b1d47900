#!/usr/bin/env bash
# list-services.sh: list a chess platform stack's AWS resources in a region by its tags, with
# per-service summaries, as the chess.services/v1 report (docs/reports.md) or a table.
# Read-only: it calls describe/list/get APIs only (the IAM actions are listed in docs/reports.md).
# shellcheck disable=SC2016,SC2317 # single-quoted jq programs everywhere; collectors are called by name
set -euo pipefail
export LC_ALL=C AWS_PAGER="" # numbers with a dot; never a pager, even from aws CLI v2

readonly PROG=list-services
readonly SCHEMA=chess.services/v1
readonly EXIT_OK=0 EXIT_PARTIAL=1 EXIT_USAGE=2 EXIT_NO_CREDENTIALS=3 EXIT_AWS=4 EXIT_RUNTIME=5
readonly GLOBAL_REGION=us-east-1 # CloudFront, CLOUDFRONT-scope WAF and their metrics live here

usage() {
	cat <<'EOF'
Usage: list-services.sh --project NAME [--stack NAME] [--region REGION] [options]

Lists the AWS resources tagged <project-key>=NAME (and <stack-key>=NAME) in REGION, through the
Resource Groups Tagging API, plus per-service summaries (ECS, RDS, ElastiCache, load balancers
and target health, CloudFront, API Gateway v2 WebSocket APIs, WAFv2 web ACLs, CloudWatch
alarms in ALARM), each limited to the stack's tagged resources. Read-only.

Options:
  --region REGION       AWS region, e.g. eu-west-1 (default: $AWS_REGION, then $AWS_DEFAULT_REGION)
  --project NAME        value of the project tag (required)
  --stack NAME          value of the stack tag (default: every stack of the project)
  --project-key KEY     project tag key (default Project)
  --stack-key KEY       stack tag key (default Stack)
  --format json|table   what to print on stdout (default json)
  --output FILE         write the JSON report to FILE atomically (temp file in the same
                        directory + rename); stdout then stays empty unless --format is given
                        (default $REPORTS_DIR/services.json when REPORTS_DIR is set)
  --interval SECONDS    loop mode for the sidecar: refresh the report every SECONDS (>= 10)
                        until SIGTERM; needs --output
  -h, --help            this text

Environment: the usual AWS CLI credentials chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, ECS task role);
AWS_ENDPOINT_URL, when set, is passed as --endpoint-url to every call (e.g. an emulator).

Exit status:
  0  complete report: every API call answered
  1  partial report: some calls failed (e.g. a missing permission), listed in "errors"
  2  usage error (bad option, region, tag value, format)
  3  no AWS credentials found
  4  AWS rejected the credentials or could not be reached (sts:GetCallerIdentity failed)
  5  runtime error (the report could not be written, a tool is missing)
Loop mode exits 0 on SIGTERM or SIGINT.
EOF
}

usage_error() {
	printf '%s: %s\n' "$PROG" "$1" >&2
	printf "Try 'list-services.sh --help'.\n" >&2
	exit "$EXIT_USAGE"
}

# now_rfc3339: the current UTC time, RFC 3339, in NOW
now_rfc3339() { TZ=UTC printf -v NOW '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }
NOW=

log() { # level msg [jq args...]: one JSON line on stderr
	local level=$1 msg=$2
	shift 2
	now_rfc3339
	jq -cn --arg time "$NOW" --arg level "$level" --arg msg "$msg" "$@" \
		'{time:$time, level:$level, msg:$msg, source:"list-services"} + $ARGS.named' >&2 ||
		printf '%s: %s\n' "$PROG" "$msg" >&2
}

# ---- arguments -------------------------------------------------------------------------

REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
REGION_SOURCE=--region
PROJECT=
STACK=
PROJECT_KEY=Project
STACK_KEY=Stack
FORMAT=json
FORMAT_SET=0
OUTPUT=
OUTPUT_SET=0
INTERVAL=

need_value() { (($2 >= 2)) || usage_error "$1 needs a value"; }

parse_args() {
	local arg
	[[ -z ${AWS_REGION:-} ]] || REGION_SOURCE=AWS_REGION
	[[ -n ${AWS_REGION:-} || -z ${AWS_DEFAULT_REGION:-} ]] || REGION_SOURCE=AWS_DEFAULT_REGION
	while (($# > 0)); do
		arg=$1
		case $arg in
		--*=*)
			set -- "${arg%%=*}" "${arg#*=}" "${@:2}"
			continue
			;;
		-h | --help)
			usage
			exit "$EXIT_OK"
			;;
		--region)
			need_value "$arg" $#
			REGION=$2
			REGION_SOURCE=--region
			;;
		--project)
			need_value "$arg" $#
			PROJECT=$2
			;;
		--stack)
			need_value "$arg" $#
			STACK=$2
			;;
		--project-key)
			need_value "$arg" $#
			PROJECT_KEY=$2
			;;
		--stack-key)
			need_value "$arg" $#
			STACK_KEY=$2
			;;
		--format)
			need_value "$arg" $#
			FORMAT=$2
			FORMAT_SET=1
			;;
		--output)
			need_value "$arg" $#
			OUTPUT=$2
			OUTPUT_SET=1
			;;
		--interval)
			need_value "$arg" $#
			INTERVAL=$2
			;;
		*)
			usage_error "unknown argument '$arg'"
			;;
		esac
		shift 2
	done
}

validate_args() {
	[[ -n $REGION ]] || usage_error "--region is required (or set AWS_REGION)"
	# partition-region-number: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5
	[[ $REGION =~ ^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$ ]] ||
		usage_error "$REGION_SOURCE: '$REGION' is not an AWS region name (e.g. eu-west-1)"
	[[ -n $PROJECT ]] || usage_error "--project is required"
	# tag values: what the Pulumi program writes; no spaces or commas keeps filters unambiguous
	local re='^[A-Za-z0-9][A-Za-z0-9._:/=+@-]{0,254}$'
	[[ $PROJECT =~ $re ]] || usage_error "--project: '$PROJECT' is not a tag value (letters, digits, . _ : / = + @ -)"
	[[ -z $STACK || $STACK =~ $re ]] || usage_error "--stack: '$STACK' is not a tag value (letters, digits, . _ : / = + @ -)"
	local kre='^[A-Za-z0-9][A-Za-z0-9._:/=+@-]{0,127}$'
	[[ $PROJECT_KEY =~ $kre && $PROJECT_KEY != aws:* ]] || usage_error "--project-key: '$PROJECT_KEY' is not a tag key"
	[[ $STACK_KEY =~ $kre && $STACK_KEY != aws:* ]] || usage_error "--stack-key: '$STACK_KEY' is not a tag key"
	[[ $FORMAT == json || $FORMAT == table ]] || usage_error "--format: '$FORMAT' is not json or table"
	if ((!OUTPUT_SET)) && [[ -n ${REPORTS_DIR:-} ]]; then
		OUTPUT=${REPORTS_DIR%/}/services.json
	fi
	if ((OUTPUT_SET)) && [[ -z $OUTPUT ]]; then usage_error "--output: empty path"; fi
	if [[ -n $OUTPUT ]]; then
		[[ $OUTPUT != */ && ! -d $OUTPUT ]] || usage_error "--output: '$OUTPUT' is a directory, expected a file"
		local dir
		dir=$(dirname -- "$OUTPUT")
		[[ -d $dir ]] || usage_error "--output: directory '$dir' does not exist"
	fi
	if [[ -n $INTERVAL ]]; then
		if [[ ! $INTERVAL =~ ^[0-9]{1,6}$ ]] || ((10#$INTERVAL < 10)); then
			usage_error "--interval: '$INTERVAL' is not a whole number of seconds >= 10"
		fi
		INTERVAL=$((10#$INTERVAL))
		[[ -n $OUTPUT ]] || usage_error "--interval (loop mode) needs --output FILE (or REPORTS_DIR)"
	fi
	if [[ -n ${LIST_SERVICES_PAGE_SIZE:-} ]]; then
		if [[ ! $LIST_SERVICES_PAGE_SIZE =~ ^[0-9]{1,3}$ ]] || ((10#$LIST_SERVICES_PAGE_SIZE < 1 || 10#$LIST_SERVICES_PAGE_SIZE > 100)); then
			usage_error "LIST_SERVICES_PAGE_SIZE: '$LIST_SERVICES_PAGE_SIZE' is not in 1..100"
		fi
	fi
	if [[ -n ${AWS_ENDPOINT_URL:-} && ! $AWS_ENDPOINT_URL =~ ^https?://[^[:space:]]+$ ]]; then
		usage_error "AWS_ENDPOINT_URL: '$AWS_ENDPOINT_URL' is not an http(s) URL"
	fi
}

# ---- AWS calls -------------------------------------------------------------------------

WORK=
COLLECTOR=  # summary key of the running collector: errors are attributed to it
AWS_OUT=    # stdout (JSON) of the last successful aws_call
ERRORS=()   # JSON error objects recorded by the running collector
CHILDREN=()
STOP=0

# iam_action CLI_SERVICE CLI_OPERATION: the IAM action a call needs (docs/reports.md lists them)
iam_action() {
	case "$1 $2" in
	"sts get-caller-identity") echo "sts:GetCallerIdentity" ;;
	"resourcegroupstaggingapi get-resources") echo "tag:GetResources" ;;
	"ecs list-clusters") echo "ecs:ListClusters" ;;
	"ecs describe-clusters") echo "ecs:DescribeClusters" ;;
	"ecs list-services") echo "ecs:ListServices" ;;
	"ecs describe-services") echo "ecs:DescribeServices" ;;
	"rds describe-db-instances") echo "rds:DescribeDBInstances" ;;
	"elasticache describe-replication-groups") echo "elasticache:DescribeReplicationGroups" ;;
	"elasticache list-tags-for-resource") echo "elasticache:ListTagsForResource" ;;
	"elbv2 describe-load-balancers") echo "elasticloadbalancing:DescribeLoadBalancers" ;;
	"elbv2 describe-target-groups") echo "elasticloadbalancing:DescribeTargetGroups" ;;
	"elbv2 describe-tags") echo "elasticloadbalancing:DescribeTags" ;;
	"elbv2 describe-target-health") echo "elasticloadbalancing:DescribeTargetHealth" ;;
	"wafv2 get-web-acl-for-resource") echo "wafv2:GetWebACLForResource" ;;
	"wafv2 list-web-acls") echo "wafv2:ListWebACLs" ;;
	"wafv2 list-tags-for-resource") echo "wafv2:ListTagsForResource" ;;
	"wafv2 get-web-acl") echo "wafv2:GetWebACL" ;;
	"cloudfront list-distributions") echo "cloudfront:ListDistributions" ;;
	"cloudfront list-tags-for-resource") echo "cloudfront:ListTagsForResource" ;;
	"apigatewayv2 get-apis" | "apigatewayv2 get-stages") echo "apigateway:GET" ;;
	"cloudwatch describe-alarms") echo "cloudwatch:DescribeAlarms" ;;
	"cloudwatch list-tags-for-resource") echo "cloudwatch:ListTagsForResource" ;;
	*) echo "$1:$2" ;;
	esac
}

# parse_aws_error STDERR_FILE: sets ERR_CODE and ERR_MESSAGE from the CLI's error output. The
# CLI prints "An error occurred (Code) when calling the Op operation: message"; some servers
# (and emulators) send an XML body in place of the code, which is unpacked here too.
parse_aws_error() {
	local text line
	text=$(head -c 4000 "$1" 2>/dev/null | tr '\n\r\t' '   ') || text=
	ERR_CODE=
	ERR_MESSAGE=
	if [[ $text =~ An\ error\ occurred\ \(([^\)]*)\)\ when\ calling\ the\ [A-Za-z0-9]+\ operation[^:]*:\ ?(.*)$ ]]; then
		ERR_CODE=${BASH_REMATCH[1]}
		ERR_MESSAGE=${BASH_REMATCH[2]}
	elif [[ $text == *"Unable to locate credentials"* || $text == *"Partial credentials found"* ]]; then
		ERR_CODE=NoCredentials
		ERR_MESSAGE="no AWS credentials found"
	elif [[ $text =~ (Could not connect to the endpoint URL[^ ]*\ [^ ]*) ]]; then
		ERR_CODE=EndpointConnectionError
		ERR_MESSAGE=${BASH_REMATCH[1]}
	elif [[ $text =~ ((Connect|Read)\ timeout\ on\ endpoint\ URL[^ ]*\ [^ ]*) ]]; then
		ERR_CODE=Timeout
		ERR_MESSAGE=${BASH_REMATCH[1]}
	fi
	# an HTTP status in place of the code: the body is XML with the real code and message
	if [[ -z $ERR_CODE || $ERR_CODE == [0-9]* ]]; then
		if [[ $text =~ \<Code\>([^\<]*)\</Code\> ]]; then ERR_CODE=${BASH_REMATCH[1]}; fi
		if [[ $text =~ \<Message\>([^\<]*)\</Message\> ]]; then ERR_MESSAGE=${BASH_REMATCH[1]}; fi
	fi
	if [[ -z ${ERR_MESSAGE//[[:space:]]/} ]]; then
		# the first non-blank line, whatever it is (one line: never a traceback)
		ERR_MESSAGE=
		while IFS= read -r line; do
			if [[ -n ${line//[[:space:]]/} ]]; then
				ERR_MESSAGE=$line
				break
			fi
		done <"$1"
		if [[ $ERR_MESSAGE == Traceback* ]]; then # a crash of the CLI: its last line says what
			while IFS= read -r line; do
				[[ -z ${line//[[:space:]]/} ]] || ERR_MESSAGE=$line
			done <"$1"
		fi
	fi
	[[ -n $ERR_CODE ]] || ERR_CODE=Unknown
	[[ -n $ERR_MESSAGE ]] || ERR_MESSAGE="the AWS CLI failed without a message"
	ERR_MESSAGE=${ERR_MESSAGE:0:400}
	ERR_MESSAGE=${ERR_MESSAGE%"${ERR_MESSAGE##*[![:space:]]}"}
}

# aws_call REGION CLI_SERVICE CLI_OPERATION [ARGS...]: runs one read-only call. On success
# AWS_OUT holds its JSON output; on failure an error naming the IAM action is recorded for
# the running collector and the function returns 1.
aws_call() {
	local region=$1 svc=$2 op=$3
	shift 3
	local errfile="$WORK/$COLLECTOR.stderr"
	local -a cmd=(aws --region "$region" --output json --cli-connect-timeout 10 --cli-read-timeout 30)
	[[ -z ${AWS_ENDPOINT_URL:-} ]] || cmd+=(--endpoint-url "$AWS_ENDPOINT_URL")
	if AWS_OUT=$("${cmd[@]}" "$svc" "$op" "$@" 2>"$errfile" </dev/null); then
		[[ -n $AWS_OUT ]] || AWS_OUT='{}'
		return 0
	fi
	parse_aws_error "$errfile"
	# ALLOW_ERROR=Code aws_call ...: that code is an answer (e.g. "nothing associated"), not a failure
	if [[ -n ${ALLOW_ERROR:-} && $ERR_CODE == "$ALLOW_ERROR" ]]; then
		AWS_OUT='{}'
		return 0
	fi
	local action message
	action=$(iam_action "$svc" "$op")
	message=$ERR_MESSAGE
	case $ERR_CODE in
	AccessDenied* | *AccessDenied | UnauthorizedOperation | AuthorizationError | *NotAuthorized*)
		message="access denied: missing permission $action ($ERR_MESSAGE)"
		;;
	esac
	ERRORS+=("$(jq -cn --arg service "$COLLECTOR" --arg action "$action" --arg region "$region" \
		--arg code "$ERR_CODE" --arg message "$message" \
		'{service: $service, action: $action, region: $region, code: $code, message: $message}')")
	return 1
}

# ---- jq helpers shared by the collectors -----------------------------------------------

readonly JQ_DEFS='
def tagmap:
	if type == "object" and has("Items") then .Items | tagmap
	elif type == "object" and has("TagList") then .TagList | tagmap
	elif type == "array" then map({key: (.Key // .key), value: (.Value // .value // "")}) | from_entries
	elif type == "object" then .
	else {} end;
def matches: tagmap | .[$pk] == $project and ($stack == "" or .[$sk] == $stack);
def tagged_set: $tagged[0] | map({key: .arn, value: .tags}) | from_entries;
def ts: if type == "number" then (floor | todate) elif type == "string" then . else null end;
def arninfo:
	. as $arn | split(":") as $p
	| {service: $p[2], region: $p[3], resource: ($p[5:] | join(":"))}
	| if .service == "cloudfront" then .region = "" | .resource = $p[-1] else . end
	| . as $a | $a.resource as $r
	| (if $a.service == "apigateway" then
			($r | ltrimstr("/") | split("/")) as $s
			| {resourceType: ([range(0; $s | length; 2) as $i | $s[$i]] | join("/")), name: $s[-1]}
		elif $a.service == "elasticloadbalancing" or $a.service == "wafv2" then
			($r | split("/")) as $s
			| if ($s[1] | IN("app", "net", "gwy", "webacl", "ipset", "rulegroup", "regexpatternset", "managedruleset"))
				then {resourceType: ($s[0:2] | join("/")), name: $s[2]}
				else {resourceType: $s[0], name: ($s[1] // $r)} end
		elif ($r | test("^[^/]*:")) then
			{resourceType: ($r | split(":")[0]), name: ($r | split(":")[1:] | join(":"))}
		elif ($r | contains("/")) then
			{resourceType: ($r | split("/")[0]), name: ($r | split("/")[1:] | join("/"))}
		else
			{resourceType: ({s3: "bucket", sns: "topic", sqs: "queue"}[$a.service] // "resource"), name: $r}
		end)
	| {arn: $arn, service: $a.service, resourceType, name,
		region: (if $a.region == "" then "global" else $a.region end)};
def resource($tags; $source): arninfo + {tags: ($tags | tagmap), source: $source};
'

# jqc [jq args...] PROGRAM: jq -c on stdin with the shared defs, the tag filter
# ($pk $project $sk $stack) and the tagging API's findings ($T: arn -> tags).
jqc() {
	local program=${!#}
	set -- "${@:1:$#-1}"
	jq -c --arg pk "$PROJECT_KEY" --arg project "$PROJECT" --arg sk "$STACK_KEY" --arg stack "$STACK" \
		--slurpfile tagged "$WORK/tagged.json" "$@" "$JQ_DEFS (tagged_set) as \$T | $program"
}

# emit SUMMARY RESOURCES: the running collector's result file
emit() {
	local errors='[]'
	if ((${#ERRORS[@]} > 0)); then errors=$(printf '%s\n' "${ERRORS[@]}" | jq -cs .); fi
	jq -cn --argjson summary "$1" --argjson resources "$2" --argjson errors "$errors" \
		'{summary: ($summary + {complete: ($errors | length == 0)}), resources: $resources, errors: $errors}' \
		>"$WORK/$COLLECTOR.result.json"
}

# tags_of_untagged CLI_SERVICE OPERATION ARN_OPTION REGION TAGS_PATH ARN...: asks the service
# for the tags of every ARN the tagging API did not return; sets TAGS_MAP to {arn: tags}.
# (The tagging API can lag behind or be denied, and moto does not cover every service in it;
# the service's own tags are authoritative.)
TAGS_MAP='{}'
tags_of_untagged() {
	local svc=$1 op=$2 opt=$3 region=$4 path=$5
	shift 5
	local arn known
	TAGS_MAP='{}'
	known=$(jq -r '.[].arn' "$WORK/tagged.json")
	for arn in "$@"; do
		if grep -qxF -- "$arn" <<<"$known"; then continue; fi
		if aws_call "$region" "$svc" "$op" "$opt" "$arn"; then
			TAGS_MAP=$(jq -c --arg arn "$arn" --argjson m "$TAGS_MAP" "\$m + {(\$arn): ($path)}" <<<"$AWS_OUT")
		fi
	done
}

# ---- collectors (each runs in its own subshell and writes WORK/<key>.result.json) ------------

collect_tagging() { # REGION [TYPE-FILTER...]: tagged resources -> WORK/tagging-REGION.json
	local region=$1
	shift
	COLLECTOR=tagging
	local filters
	filters=$(jq -cn --arg pk "$PROJECT_KEY" --arg project "$PROJECT" --arg sk "$STACK_KEY" --arg stack "$STACK" \
		'[{Key: $pk, Values: [$project]}] + (if $stack == "" then [] else [{Key: $sk, Values: [$stack]}] end)')
	local -a args=(--tag-filters "$filters")
	(($# == 0)) || args+=(--resource-type-filters "$@")
	[[ -z ${LIST_SERVICES_PAGE_SIZE:-} ]] || args+=(--page-size "$LIST_SERVICES_PAGE_SIZE")
	local found='[]'
	if aws_call "$region" resourcegroupstaggingapi get-resources "${args[@]}"; then
		found=$(jq -c --arg region "$region" '[.ResourceTagMappingList[]? | {arn: .ResourceARN, tags: .Tags}]' <<<"$AWS_OUT")
	fi
	local errors='[]'
	if ((${#ERRORS[@]} > 0)); then errors=$(printf '%s\n' "${ERRORS[@]}" | jq -cs .); fi
	jq -cn --argjson found "$found" --argjson errors "$errors" '{found: $found, errors: $errors}' \
		>"$WORK/tagging-$region.json"
}

collect_ecs() {
	COLLECTOR=ecs
	local summary='{"clusters":[]}' resources='[]'
	local -a arns=()
	if aws_call "$REGION" ecs list-clusters; then
		mapfile -t arns < <(jq -r '.clusterArns[]?' <<<"$AWS_OUT")
	fi
	local clusters='[]' i chunk
	for ((i = 0; i < ${#arns[@]}; i += 100)); do
		if aws_call "$REGION" ecs describe-clusters --include TAGS --clusters "${arns[@]:i:100}"; then
			chunk=$(jqc '[.clusters[]? | select(($T[.clusterArn] != null) or (.tags | matches))]' <<<"$AWS_OUT")
			clusters=$(jq -c --argjson c "$chunk" '. + $c' <<<"$clusters")
		fi
	done
	local -a cluster_arns=()
	mapfile -t cluster_arns < <(jq -r '.[].clusterArn' <<<"$clusters")
	local cluster services svc_arns
	local all_services='{}'
	for cluster in "${cluster_arns[@]}"; do
		services='[]'
		if aws_call "$REGION" ecs list-services --cluster "$cluster"; then
			mapfile -t svc_arns < <(jq -r '.serviceArns[]?' <<<"$AWS_OUT")
			for ((i = 0; i < ${#svc_arns[@]}; i += 10)); do
				if aws_call "$REGION" ecs describe-services --include TAGS --cluster "$cluster" --services "${svc_arns[@]:i:10}"; then
					chunk=$(jqc '[.services[]? | select(($T[.serviceArn] != null) or (.tags | matches))]' <<<"$AWS_OUT")
					services=$(jq -c --argjson c "$chunk" '. + $c' <<<"$services")
				else
					services=null # unknown (a partial list would look complete): the error says why
					break
				fi
			done
		else
			services=null
		fi
		all_services=$(jq -c --arg c "$cluster" --argjson s "$services" '. + {($c): $s}' <<<"$all_services")
	done
	summary=$(jqc --argjson services "$all_services" '{clusters: [.[] | {
		name: .clusterName, arn: .clusterArn, status,
		runningTasks: .runningTasksCount, pendingTasks: .pendingTasksCount,
		services: ($services[.clusterArn] | if . == null then null else [.[] | {
			name: .serviceName, arn: .serviceArn, status,
			desired: .desiredCount, running: .runningCount, pending: .pendingCount,
			launchType: (.launchType // (.capacityProviderStrategy[0].capacityProvider) // null),
			taskDefinition: (.taskDefinition // "" | split("/") | last),
			deployments: (.deployments // [] | length),
			rolloutState: ((.deployments // []) | map(select(.status == "PRIMARY")) | .[0].rolloutState // null),
			steady: (.runningCount == .desiredCount and ((.deployments // []) | length) <= 1)
		}] end)
	}]}' <<<"$clusters")
	resources=$(jqc --argjson services "$all_services" '
		[.[] | .clusterArn as $a | .tags as $t | $a | resource($t // []; "service")]
		+ [$services[] | select(. != null) | .[] | .serviceArn as $a | .tags as $t | $a | resource($t // []; "service")]' \
		<<<"$clusters")
	emit "$summary" "$resources"
}

collect_rds() {
	COLLECTOR=rds
	local summary='{"instances":[]}' resources='[]' mine='[]'
	if aws_call "$REGION" rds describe-db-instances; then
		mine=$(jqc '[.DBInstances[]? | select(($T[.DBInstanceArn] != null) or (.TagList | matches))]' <<<"$AWS_OUT")
	fi
	summary=$(jq -c '{instances: [.[] | {
		id: .DBInstanceIdentifier, arn: .DBInstanceArn, status: .DBInstanceStatus,
		engine: .Engine, engineVersion: .EngineVersion, instanceClass: .DBInstanceClass,
		multiAZ: (.MultiAZ // false), availabilityZone: (.AvailabilityZone // null),
		secondaryAvailabilityZone: (.SecondaryAvailabilityZone // null),
		storageEncrypted: (.StorageEncrypted // false), deletionProtection: (.DeletionProtection // false),
		endpoint: (if .Endpoint then "\(.Endpoint.Address):\(.Endpoint.Port)" else null end)
	}]}' <<<"$mine")
	resources=$(jqc '[.[] | .TagList as $t | .DBInstanceArn | resource($t // []; "service")]' <<<"$mine")
	emit "$summary" "$resources"
}

collect_elasticache() {
	COLLECTOR=elasticache
	local groups='[]'
	if aws_call "$REGION" elasticache describe-replication-groups; then
		groups=$(jq -c '[.ReplicationGroups[]?]' <<<"$AWS_OUT")
	fi
	local -a arns=()
	mapfile -t arns < <(jq -r '.[].ARN // empty' <<<"$groups")
	tags_of_untagged elasticache list-tags-for-resource --resource-name "$REGION" '.TagList' "${arns[@]}"
	local mine
	mine=$(jqc --argjson tags "$TAGS_MAP" '[.[] | .ARN as $a
		| (($T[$a] // $tags[$a]) // null) as $t | select($t != null and ($t | matches)) | . + {tags: $t}]' <<<"$groups")
	local summary resources
	summary=$(jq -c '{replicationGroups: [.[] | {
		id: .ReplicationGroupId, arn: .ARN, status: .Status, engine: (.Engine // "redis"),
		nodeType: (.CacheNodeType // null), clusterMode: (.ClusterEnabled // false),
		multiAZ: (.MultiAZ == "enabled"), automaticFailover: (.AutomaticFailover // null),
		members: (.MemberClusters // [] | length),
		transitEncryption: (.TransitEncryptionEnabled // false), atRestEncryption: (.AtRestEncryptionEnabled // false)
	}]}' <<<"$mine")
	resources=$(jqc '[.[] | .tags as $t | .ARN | resource($t; "service")]' <<<"$mine")
	emit "$summary" "$resources"
}

collect_elbv2() {
	COLLECTOR=elasticloadbalancing
	local lbs='[]' tgs='[]'
	if aws_call "$REGION" elbv2 describe-load-balancers; then lbs=$(jq -c '[.LoadBalancers[]?]' <<<"$AWS_OUT"); fi
	if aws_call "$REGION" elbv2 describe-target-groups; then tgs=$(jq -c '[.TargetGroups[]?]' <<<"$AWS_OUT"); fi
	# tags of everything the tagging API did not return, 20 ARNs per call
	local -a untagged=()
	mapfile -t untagged < <(jq -r --slurpfile tagged "$WORK/tagged.json" \
		'($tagged[0] | map(.arn)) as $known | .[] | (.LoadBalancerArn // .TargetGroupArn) | select(IN($known[]) | not)' \
		<<<"$(jq -c --argjson t "$tgs" '. + $t' <<<"$lbs")")
	local tags='{}' i
	for ((i = 0; i < ${#untagged[@]}; i += 20)); do
		if aws_call "$REGION" elbv2 describe-tags --resource-arns "${untagged[@]:i:20}"; then
			tags=$(jq -c --argjson m "$tags" '$m + ([.TagDescriptions[]? | {key: .ResourceArn, value: .Tags}] | from_entries)' <<<"$AWS_OUT")
		fi
	done
	local mine_lbs mine_tgs
	mine_lbs=$(jqc --argjson tags "$tags" '[.[] | .LoadBalancerArn as $a
		| (($T[$a] // $tags[$a]) // null) as $t | select($t != null and ($t | matches)) | . + {tags: $t}]' <<<"$lbs")
	mine_tgs=$(jqc --argjson tags "$tags" '[.[] | .TargetGroupArn as $a
		| (($T[$a] // $tags[$a]) // null) as $t | select($t != null and ($t | matches)) | . + {tags: $t}]' <<<"$tgs")

	local -a arns=()
	local arn health='{}' acls='{}'
	mapfile -t arns < <(jq -r '.[].TargetGroupArn' <<<"$mine_tgs")
	for arn in "${arns[@]}"; do
		if aws_call "$REGION" elbv2 describe-target-health --target-group-arn "$arn"; then
			health=$(jq -c --arg a "$arn" --argjson m "$health" '$m + {($a): [.TargetHealthDescriptions[]?]}' <<<"$AWS_OUT")
		fi
	done
	mapfile -t arns < <(jq -r '.[] | select(.Type == "application") | .LoadBalancerArn' <<<"$mine_lbs")
	for arn in "${arns[@]}"; do
		if ALLOW_ERROR=WAFNonexistentItemException aws_call "$REGION" wafv2 get-web-acl-for-resource --resource-arn "$arn"; then
			acls=$(jq -c --arg a "$arn" --argjson m "$acls" \
				'$m + {($a): (if .WebACL then {name: .WebACL.Name, arn: .WebACL.ARN} else null end)}' <<<"$AWS_OUT")
		fi
	done

	local summary resources
	summary=$(jq -cn --argjson lbs "$mine_lbs" --argjson tgs "$mine_tgs" --argjson health "$health" --argjson acls "$acls" '
		($lbs | map({key: .LoadBalancerArn, value: .LoadBalancerName}) | from_entries) as $names
		| {loadBalancers: [$lbs[] | .LoadBalancerArn as $a | {
			name: .LoadBalancerName, arn: $a, type: .Type, scheme: .Scheme,
			state: (.State.Code // null), dnsName: (.DNSName // null),
			webAcl: (if .Type == "application" then $acls[$a] else null end)
		}],
		targetGroups: [$tgs[] | .TargetGroupArn as $a | {
			name: .TargetGroupName, arn: $a, protocol: (.Protocol // null), port: (.Port // null),
			targetType: (.TargetType // null),
			loadBalancers: [.LoadBalancerArns[]? | $names[.] // split("/")[-2]],
			health: (if $health | has($a) then
				($health[$a] | group_by(.TargetHealth.State) | map({key: .[0].TargetHealth.State, value: length}) | from_entries)
				else null end),
			unhealthyTargets: (if $health | has($a) then
				[$health[$a][] | select(.TargetHealth.State != "healthy") | {
					id: .Target.Id, port: (.Target.Port // null), state: .TargetHealth.State,
					reason: (.TargetHealth.Reason // null), description: (.TargetHealth.Description // null)}]
				else null end)
		}]}')
	resources=$(jqc --argjson tgs "$mine_tgs" '
		[(.[] | .tags as $t | .LoadBalancerArn | resource($t; "service")),
		 ($tgs[] | .tags as $t | .TargetGroupArn | resource($t; "service"))]' <<<"$mine_lbs")
	emit "$summary" "$resources"
}

collect_cloudfront() {
	COLLECTOR=cloudfront
	local dists='[]'
	if aws_call "$GLOBAL_REGION" cloudfront list-distributions; then
		dists=$(jq -c '[.DistributionList.Items[]?]' <<<"$AWS_OUT")
	fi
	local -a arns=()
	mapfile -t arns < <(jq -r '.[].ARN' <<<"$dists")
	local mine summary resources
	tags_of_untagged cloudfront list-tags-for-resource --resource "$GLOBAL_REGION" '.Tags' "${arns[@]}"
	mine=$(jqc --argjson tags "$TAGS_MAP" '[.[] | .ARN as $a
		| (($T[$a] // $tags[$a]) // null) as $t | select($t != null and ($t | matches)) | . + {tags: $t}]' <<<"$dists")
	summary=$(jqc '{distributions: [.[] | {
		id: .Id, arn: .ARN, domainName: .DomainName, status: .Status, enabled: (.Enabled // null),
		aliases: [.Aliases.Items[]?], webAclId: (if (.WebACLId // "") == "" then null else .WebACLId end),
		lastModified: (.LastModifiedTime | ts)
	}]}' <<<"$mine")
	resources=$(jqc '[.[] | .tags as $t | .ARN | resource($t; "service")]' <<<"$mine")
	emit "$summary" "$resources"
}

collect_apigateway() {
	COLLECTOR=apigateway
	local apis='[]'
	if aws_call "$REGION" apigatewayv2 get-apis; then apis=$(jq -c '[.Items[]?]' <<<"$AWS_OUT"); fi
	# API Gateway v2 ARNs have no account: arn:aws:apigateway:REGION::/apis/ID
	local mine
	mine=$(jqc --arg region "$REGION" '[.[] | ("arn:aws:apigateway:\($region)::/apis/\(.ApiId)") as $a
		| (($T[$a] // .Tags) // {}) as $t | select($t | matches) | . + {arn: $a, tags: $t}]' <<<"$apis")
	local -a ids=()
	local id stages='{}'
	mapfile -t ids < <(jq -r '.[].ApiId' <<<"$mine")
	for id in "${ids[@]}"; do
		if aws_call "$REGION" apigatewayv2 get-stages --api-id "$id"; then
			stages=$(jq -c --arg id "$id" --argjson m "$stages" '$m + {($id): [.Items[]?]}' <<<"$AWS_OUT")
		fi
	done
	local summary resources
	summary=$(jqc --argjson stages "$stages" '{apis: [.[] | .ApiEndpoint as $ep | .ApiId as $id | {
		id: $id, name: .Name, arn, protocolType: .ProtocolType, endpoint: ($ep // null),
		routeSelectionExpression: (.RouteSelectionExpression // null),
		stages: (if $stages | has($id) then [$stages[$id][] | {
			name: .StageName,
			url: (if $ep then "\($ep)/\(.StageName)" else null end),
			deploymentId: (.DeploymentId // null),
			lastUpdated: ((.LastUpdatedDate // .CreatedDate) | ts),
			loggingLevel: (.DefaultRouteSettings.LoggingLevel // null),
			dataTrace: (.DefaultRouteSettings.DataTraceEnabled // false),
			detailedMetrics: (.DefaultRouteSettings.DetailedMetricsEnabled // false),
			throttlingBurstLimit: (.DefaultRouteSettings.ThrottlingBurstLimit // null),
			throttlingRateLimit: (.DefaultRouteSettings.ThrottlingRateLimit // null),
			accessLogs: (.AccessLogSettings.DestinationArn != null)
		}] else null end)
	}]}' <<<"$mine")
	resources=$(jqc '[.[] | .tags as $t | .arn | resource($t; "service")]' <<<"$mine")
	emit "$summary" "$resources"
}

collect_wafv2() {
	COLLECTOR=wafv2
	local all='[]' scope region marker page
	for scope in REGIONAL CLOUDFRONT; do
		region=$REGION
		[[ $scope == REGIONAL ]] || region=$GLOBAL_REGION
		marker=
		while :; do # list-web-acls has no CLI paginator: follow NextMarker by hand
			local -a args=(--scope "$scope" --limit 100)
			[[ -z $marker ]] || args+=(--next-marker "$marker")
			aws_call "$region" wafv2 list-web-acls "${args[@]}" || break
			page=$AWS_OUT
			all=$(jq -c --arg scope "$scope" --arg region "$region" --argjson all "$all" \
				'$all + [.WebACLs[]? | . + {Scope: $scope, Region: $region}]' <<<"$page")
			marker=$(jq -r '.NextMarker // empty' <<<"$page")
			[[ -n $marker && $(jq '.WebACLs | length' <<<"$page") -gt 0 ]] || break
		done
	done
	local tags='{}' arn scope_region
	while IFS=$'\t' read -r arn scope_region; do
		[[ -n $arn ]] || continue
		if jq -e --arg a "$arn" 'any(.[]; .arn == $a)' "$WORK/tagged.json" >/dev/null; then continue; fi
		if aws_call "$scope_region" wafv2 list-tags-for-resource --resource-arn "$arn"; then
			tags=$(jq -c --arg a "$arn" --argjson m "$tags" '$m + {($a): (.TagInfoForResource.TagList // [])}' <<<"$AWS_OUT")
		fi
	done < <(jq -r '.[] | [.ARN, .Region] | @tsv' <<<"$all")
	local mine
	mine=$(jqc --argjson tags "$tags" '[.[] | .ARN as $a
		| (($T[$a] // $tags[$a]) // null) as $t | select($t != null and ($t | matches)) | . + {tags: $t}]' <<<"$all")
	local details='{}' name id s
	while IFS=$'\t' read -r arn name id s region; do
		[[ -n $arn ]] || continue
		if aws_call "$region" wafv2 get-web-acl --scope "$s" --name "$name" --id "$id"; then
			details=$(jq -c --arg a "$arn" --argjson m "$details" '$m + {($a): {
				defaultAction: (.WebACL.DefaultAction // {} | keys | .[0] // null),
				rules: (.WebACL.Rules // [] | length), capacity: (.WebACL.Capacity // null)}}' <<<"$AWS_OUT")
		fi
	done < <(jq -r '.[] | [.ARN, .Name, .Id, .Scope, .Region] | @tsv' <<<"$mine")
	local summary resources
	summary=$(jq -c --argjson d "$details" '{webAcls: [.[] | {
		name: .Name, id: .Id, arn: .ARN, scope: .Scope,
		defaultAction: ($d[.ARN].defaultAction // null), rules: ($d[.ARN].rules // null),
		capacity: ($d[.ARN].capacity // null)
	}]}' <<<"$mine")
	resources=$(jqc '[.[] | .tags as $t | .ARN | resource($t; "service")]' <<<"$mine")
	emit "$summary" "$resources"
}

collect_cloudwatch() {
	COLLECTOR=cloudwatch
	local all='[]' region
	local -a regions=("$REGION")
	[[ $REGION == "$GLOBAL_REGION" ]] || regions+=("$GLOBAL_REGION")
	for region in "${regions[@]}"; do
		if aws_call "$region" cloudwatch describe-alarms --state-value ALARM; then
			all=$(jq -c --arg region "$region" --argjson all "$all" '$all
				+ [.MetricAlarms[]? | . + {Type: "metric", Region: $region}]
				+ [.CompositeAlarms[]? | . + {Type: "composite", Region: $region}]' <<<"$AWS_OUT")
		fi
	done
	local tags='{}' arn
	while IFS=$'\t' read -r arn region; do
		[[ -n $arn ]] || continue
		if jq -e --arg a "$arn" 'any(.[]; .arn == $a)' "$WORK/tagged.json" >/dev/null; then continue; fi
		if aws_call "$region" cloudwatch list-tags-for-resource --resource-arn "$arn"; then
			tags=$(jq -c --arg a "$arn" --argjson m "$tags" '$m + {($a): (.Tags // [])}' <<<"$AWS_OUT")
		fi
	done < <(jq -r '.[] | [.AlarmArn, .Region] | @tsv' <<<"$all")
	local mine summary resources
	mine=$(jqc --argjson tags "$tags" '[.[] | .AlarmArn as $a
		| (($T[$a] // $tags[$a]) // null) as $t | select($t != null and ($t | matches)) | . + {tags: $t}]' <<<"$all")
	summary=$(jqc '{alarms: [.[] | {
		name: .AlarmName, arn: .AlarmArn, region: .Region, type: .Type, state: .StateValue,
		reason: (.StateReason // null), since: (.StateUpdatedTimestamp | ts),
		namespace: (.Namespace // null), metric: (.MetricName // null)
	}]}' <<<"$mine")
	resources=$(jqc '[.[] | .tags as $t | .AlarmArn | resource($t; "service")]' <<<"$mine")
	emit "$summary" "$resources"
}

readonly COLLECTORS=(ecs rds elasticache elbv2 cloudfront apigateway wafv2 cloudwatch)

# run_parallel FUNCTION...: runs each collector in a subshell; returns 1 if a stop signal came.
run_parallel() {
	local f
	local -a pids=()
	for f in "$@"; do
		(
			trap - TERM INT
			"$f"
		) 2>>"$WORK/collectors.stderr" &
		pids+=($!)
	done
	CHILDREN=("${pids[@]}")
	local pid
	for pid in "${pids[@]}"; do
		wait "$pid" || true
		if ((STOP)); then
			kill "${pids[@]}" 2>/dev/null || true
			wait "${pids[@]}" 2>/dev/null || true
			CHILDREN=()
			return 1
		fi
	done
	CHILDREN=()
}

# ---- one report ------------------------------------------------------------------------

REPORT=
RESULT=0

readonly MERGE='
($results | map({key: .key, value: .value}) | from_entries) as $r
| ([$tagging[] | .found[]] | unique_by(.arn)) as $found
| {
	schema: $schema,
	generatedAt: $now,
	region: $region,
	project: $project,
	stack: (if $stack == "" then null else $stack end),
	tagKeys: {project: $pk, stack: $sk},
	account: $account,
	complete: true,
	resources: (
		($found | map(.tags as $t | .arn | resource($t; "tagging")))
		+ ([$r[] | .resources[]?] | map(select(.arn as $a | $found | any(.arn == $a) | not)) | unique_by(.arn))
		| sort_by(.service, .resourceType, .name, .arn)
	),
	summaries: ($r | with_entries(.value = .value.summary)),
	errors: ([$tagging[] | .errors[]] + [$r[] | .errors[]?])
}
| .complete = (.errors | length == 0)'

# sts_preflight: ACCOUNT, or an error in PREFLIGHT_ERROR and a non-zero exit code in RESULT
ACCOUNT=
PREFLIGHT_ERROR=
sts_preflight() {
	COLLECTOR=sts
	ERRORS=()
	if aws_call "$REGION" sts get-caller-identity; then
		ACCOUNT=$(jq -r '.Account // empty' <<<"$AWS_OUT")
		return 0
	fi
	PREFLIGHT_ERROR=${ERRORS[0]}
	if [[ $ERR_CODE == NoCredentials ]]; then
		PREFLIGHT_ERROR=$(jq -c '.message = "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a role (ECS task role, instance profile)"' <<<"$PREFLIGHT_ERROR")
		RESULT=$EXIT_NO_CREDENTIALS
	else
		RESULT=$EXIT_AWS
	fi
	return 1
}

# build_report: REPORT and RESULT for one pass. Called plainly (not in an if or ||) so that
# errexit stays on inside; when a stop signal interrupts it, STOP is set and REPORT is empty.
build_report() {
	REPORT=
	RESULT=$EXIT_OK
	ACCOUNT=
	PREFLIGHT_ERROR=
	rm -f -- "$WORK"/*.json "$WORK"/*.stderr
	now_rfc3339
	local started=$NOW
	if ! sts_preflight; then
		REPORT=$(jq -cn --arg schema "$SCHEMA" --arg now "$started" --arg region "$REGION" \
			--arg project "$PROJECT" --arg stack "$STACK" --arg pk "$PROJECT_KEY" --arg sk "$STACK_KEY" \
			--argjson error "$PREFLIGHT_ERROR" '{schema: $schema, generatedAt: $now, region: $region,
				project: $project, stack: (if $stack == "" then null else $stack end),
				tagKeys: {project: $pk, stack: $sk}, account: null, complete: false,
				resources: [], summaries: {}, errors: [$error]}')
		return 0
	fi
	tagging_regional() { collect_tagging "$REGION"; }
	tagging_global() { collect_tagging "$GLOBAL_REGION" cloudfront wafv2 cloudwatch:alarm; }
	if [[ $REGION == "$GLOBAL_REGION" ]]; then
		run_parallel tagging_regional || return 0
	else
		run_parallel tagging_regional tagging_global || return 0
	fi
	# global resources from us-east-1: CloudFront, CLOUDFRONT-scope ACLs, alarms
	jq -cs '[.[] | .found[]] | unique_by(.arn)' "$WORK"/tagging-*.json >"$WORK/tagged.json"

	local -a fns=()
	local c
	for c in "${COLLECTORS[@]}"; do fns+=("collect_$c"); done
	run_parallel "${fns[@]}" || return 0

	local results='[]' f
	for c in "${COLLECTORS[@]}"; do
		local key=$c
		[[ $c != elbv2 ]] || key=elasticloadbalancing
		f="$WORK/$key.result.json"
		if [[ -s $f ]]; then
			results=$(jq -c --arg k "$key" --slurpfile v "$f" '. + [{key: $k, value: $v[0]}]' <<<"$results")
		else
			# a collector that died without a result: say so rather than drop the service
			results=$(jq -c --arg k "$key" '. + [{key: $k, value: {summary: {complete: false}, resources: [],
				errors: [{service: $k, action: null, region: null, code: "InternalError",
					message: "the collector failed; see the stderr of list-services.sh"}]}}]' <<<"$results")
			log error "collector failed" --arg service "$key"
		fi
	done
	[[ ! -s $WORK/collectors.stderr ]] || log warn "collector stderr" --arg text "$(head -c 2000 "$WORK/collectors.stderr")"
	now_rfc3339
	REPORT=$(jq -cn --argjson results "$results" \
		--argjson tagging "$(jq -cs . "$WORK"/tagging-*.json)" \
		--arg schema "$SCHEMA" --arg now "$NOW" --arg region "$REGION" --arg project "$PROJECT" \
		--arg stack "$STACK" --arg pk "$PROJECT_KEY" --arg sk "$STACK_KEY" --arg account "$ACCOUNT" \
		"$JQ_DEFS $MERGE")
	if [[ $(jq -r '.errors | length' <<<"$REPORT") != 0 ]]; then RESULT=$EXIT_PARTIAL; fi
	return 0
}

# write_report: atomic replace of OUTPUT
write_report() {
	local dir base tmp
	dir=$(dirname -- "$OUTPUT")
	base=$(basename -- "$OUTPUT")
	tmp=$(mktemp "$dir/.$base.XXXXXX" 2>/dev/null) || return 1
	if printf '%s\n' "$REPORT" >"$tmp" && chmod 0644 "$tmp" && mv -f -- "$tmp" "$OUTPUT"; then
		return 0
	fi
	rm -f -- "$tmp"
	return 1
}

print_table() { # report JSON on stdin
	jq -r '
	def cell: if . == null then "-" elif type == "boolean" then (if . then "yes" else "no" end) else tostring end;
	def pad($w): if length < $w then . + (" " * ($w - length)) else . end;
	def table($head; $rows):
		([$head] + $rows) as $all
		| [range(0; $head | length) as $c | ($all | map(.[$c] | cell | length) | max)] as $w
		| $all[] | (length - 1) as $last
		| [range(0; length) as $c | .[$c] | cell | if $c < $last then pad($w[$c]) else . end] | join("  ");
	def section($title; $lines): if ($lines | length) > 0 then "", $title, ($lines[] | "  " + .) else empty end;
	.summaries as $s
	| "project \(.project)  stack \(.stack // "(all)")  region \(.region)  account \(.account // "-")  generated \(.generatedAt)",
	  "",
	  "RESOURCES (\(.resources | length))",
	  (if (.resources | length) > 0 then
		table(["SERVICE", "TYPE", "NAME", "REGION", "SOURCE"];
			[.resources[] | [.service, .resourceType, .name, .region, .source]]) | "  " + .
	   else "  (none)" end),
	  section("ECS"; [$s.ecs.clusters[]? | "cluster \(.name): \(.status), \(.runningTasks) running / \(.pendingTasks) pending tasks",
		(.services[]? | "  service \(.name): \(.status), running \(.running)/\(.desired) desired, pending \(.pending), rollout \(.rolloutState // "-")\(if .steady then "" else " (not steady)" end)")]),
	  section("RDS"; [$s.rds.instances[]? | "\(.id): \(.status), \(.engine) \(.engineVersion), \(.instanceClass), Multi-AZ \(.multiAZ | cell)"]),
	  section("ELASTICACHE"; [$s.elasticache.replicationGroups[]? | "\(.id): \(.status), \(.members) node(s), Multi-AZ \(.multiAZ | cell), failover \(.automaticFailover // "-")"]),
	  section("LOAD BALANCERS"; [($s.elasticloadbalancing.loadBalancers[]? | "\(.name) (\(.type), \(.scheme // "-")): \(.state // "-"), WAF \(.webAcl.name // "-")"),
		($s.elasticloadbalancing.targetGroups[]? | "target group \(.name) (\(.protocol // "-"):\(.port // "-"), \(.targetType // "-")): \(if .health == null then "health unknown" elif (.health | length) == 0 then "no targets" else (.health | to_entries | map("\(.value) \(.key)") | join(", ")) end)")]),
	  section("CLOUDFRONT"; [$s.cloudfront.distributions[]? | "\(.id) \(.domainName): \(.status), \(if .enabled == null then "enabled ?" elif .enabled then "enabled" else "disabled" end), WAF \(if .webAclId then "yes" else "no" end)"]),
	  section("API GATEWAY"; [$s.apigateway.apis[]? | "\(.name) (\(.protocolType)) \(.endpoint // "-")",
		(.stages[]? | "  stage \(.name): logging \(.loggingLevel // "-"), burst \(.throttlingBurstLimit // "-"), rate \(.throttlingRateLimit // "-")")]),
	  section("WAF"; [$s.wafv2.webAcls[]? | "\(.name) (\(.scope)): default \(.defaultAction // "-"), \(.rules // "-") rule(s)"]),
	  section("ALARMS IN ALARM"; [$s.cloudwatch.alarms[]? | "\(.name) (\(.region)) since \(.since // "-"): \(.reason // "")"]),
	  (if (.errors | length) > 0 then "", "ERRORS (\(.errors | length))",
		(table(["SERVICE", "ACTION", "REGION", "CODE", "MESSAGE"];
			[.errors[] | [.service, .action, .region, .code, .message]]) | "  " + .)
	   else empty end)
	'
}

cleanup() {
	if ((${#CHILDREN[@]} > 0)); then kill "${CHILDREN[@]}" 2>/dev/null || true; fi
	[[ -z $WORK ]] || rm -rf -- "$WORK"
}

emit_outputs() {
	if [[ -n $OUTPUT ]] && ! write_report; then
		printf '%s: cannot write the report to %s\n' "$PROG" "$OUTPUT" >&2
		return 1
	fi
	if [[ -z $OUTPUT ]] || ((FORMAT_SET)); then
		if [[ $FORMAT == table ]]; then print_table <<<"$REPORT"; else jq . <<<"$REPORT"; fi
	fi
}

main() {
	parse_args "$@"
	validate_args
	local tool
	for tool in aws jq mktemp; do
		command -v "$tool" >/dev/null 2>&1 || {
			printf '%s: %s is not installed\n' "$PROG" "$tool" >&2
			exit "$EXIT_RUNTIME"
		}
	done
	# work files next to the report: the sidecar's root filesystem is read-only
	local parent=${TMPDIR:-/tmp}
	[[ -z $OUTPUT ]] || parent=$(dirname -- "$OUTPUT")
	WORK=$(mktemp -d "$parent/.list-services.XXXXXX") || {
		printf '%s: cannot create a work directory in %s\n' "$PROG" "$parent" >&2
		exit "$EXIT_RUNTIME"
	}
	trap cleanup EXIT
	trap 'STOP=1' TERM INT

	if [[ -z $INTERVAL ]]; then
		build_report
		((!STOP)) || exit 130
		emit_outputs || exit "$EXIT_RUNTIME"
		if [[ -n $PREFLIGHT_ERROR ]]; then
			printf '%s: %s\n' "$PROG" "$(jq -r '"\(.code): \(.message)"' <<<"$PREFLIGHT_ERROR")" >&2
		fi
		exit "$RESULT"
	fi

	log info "starting" --arg output "$OUTPUT" --arg region "$REGION" --arg project "$PROJECT" \
		--arg stack "$STACK" --argjson intervalSeconds "$INTERVAL"
	local started elapsed
	while ((!STOP)); do
		started=$SECONDS
		build_report
		((!STOP)) || break
		if [[ -n $OUTPUT ]] && ! write_report; then log error "cannot write the report" --arg output "$OUTPUT"; fi
		log info "report" --argjson resources "$(jq '.resources | length' <<<"$REPORT")" \
			--argjson errors "$(jq -c '[.errors[] | .action]' <<<"$REPORT")"
		((!STOP)) || break
		elapsed=$((SECONDS - started))
		if ((elapsed < INTERVAL)); then
			sleep $((INTERVAL - elapsed)) &
			CHILDREN=("$!")
			wait "$!" || true
			CHILDREN=()
		fi
	done
	log info "stopping"
	exit "$EXIT_OK"
}

main "$@"
