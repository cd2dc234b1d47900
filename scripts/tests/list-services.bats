#!/usr/bin/env bats
# list-services.sh against a moto_server started on a free port and seeded with the aws CLI
# (tests/seed-moto.sh): a chess-platform "dev" stack plus untagged, other-stack and
# other-project decoys. The aws CLI is slow to start, so the expensive runs happen once in
# setup_file and the tests assert on their outputs.
# shellcheck disable=SC2154,SC2016 # $stderr is set by bats' run --separate-stderr; jq programs in single quotes

bats_require_minimum_version 1.5.0

# isolated AWS CLI environment: no user config, no instance metadata, test credentials
aws_env() {
	export AWS_CONFIG_FILE="$BATS_FILE_TMPDIR/aws-config-absent"
	export AWS_SHARED_CREDENTIALS_FILE="$BATS_FILE_TMPDIR/aws-credentials-absent"
	export AWS_EC2_METADATA_DISABLED=true
	unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI
	export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=eu-west-1
	unset REPORTS_DIR LIST_SERVICES_PAGE_SIZE
}

moto_auth() { # N: moto checks credentials and IAM policies after N more requests (inf: never)
	curl -sf -X POST -H 'Content-Type: text/plain' --data-binary "$1" "$AWS_ENDPOINT_URL/moto-api/reset-auth" >/dev/null
}

setup_file() {
	load helpers
	aws_env
	export LS="$SCRIPTS_DIR/list-services.sh"
	local port
	port=$(free_port)
	moto_server -H 127.0.0.1 -p "$port" >"$BATS_FILE_TMPDIR/moto.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/moto.pid"
	export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
	wait_for_url "$AWS_ENDPOINT_URL/moto-api/" 30

	"$TESTS_DIR/seed-moto.sh" >"$BATS_FILE_TMPDIR/seed.ids" 2>"$BATS_FILE_TMPDIR/seed.log" || {
		cat "$BATS_FILE_TMPDIR/seed.log" >&3
		return 1
	}
	API_ID=$(sed -n 's/^api=//p' "$BATS_FILE_TMPDIR/seed.ids")
	CF_ID=$(sed -n 's/^cloudfront=//p' "$BATS_FILE_TMPDIR/seed.ids")
	[[ -n $API_ID && -n $CF_ID ]]
	export API_ID CF_ID
	mkdir -p "$BATS_FILE_TMPDIR/reports"

	# 1. the dev stack, tagging API paged one resource at a time, JSON to a file + table on stdout
	local rc=0
	LIST_SERVICES_PAGE_SIZE=1 "$LS" --region eu-west-1 --project chess-platform --stack dev \
		--format table --output "$BATS_FILE_TMPDIR/reports/services.json" \
		>"$BATS_FILE_TMPDIR/table.txt" 2>"$BATS_FILE_TMPDIR/main.stderr" || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/main.rc"

	# 2. every stack of the project, as a user denied three of the read actions (moto names the
	# tagging API's actions after its signing name, "tagging:", where IAM says "tag:")
	aws iam create-user --user-name lister >/dev/null
	aws iam put-user-policy --user-name lister --policy-name read-most --policy-document '{
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": "*", "Resource": "*"},
			{"Effect": "Deny", "Resource": "*", "Action": ["tag:GetResources", "tagging:GetResources",
				"ecs:DescribeServices", "wafv2:ListWebACLs"]}
		]}'
	local key
	key=$(aws iam create-access-key --user-name lister --output json)
	moto_auth 0
	rc=0
	AWS_ACCESS_KEY_ID=$(jq -r .AccessKey.AccessKeyId <<<"$key") \
		AWS_SECRET_ACCESS_KEY=$(jq -r .AccessKey.SecretAccessKey <<<"$key") \
		"$LS" --region eu-west-1 --project chess-platform \
		>"$BATS_FILE_TMPDIR/denied.json" 2>"$BATS_FILE_TMPDIR/denied.stderr" || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/denied.rc"

	# 3. credentials the emulator does not know (an access key id of AWS's shape, assembled
	# here so that no key-shaped literal sits in the repository for secret scanners to flag)
	rc=0
	local unknown_key_id="AKIA"UNKNOWN0000000000
	AWS_ACCESS_KEY_ID=$unknown_key_id AWS_SECRET_ACCESS_KEY=nope \
		"$LS" --region eu-west-1 --project chess-platform --stack dev \
		>"$BATS_FILE_TMPDIR/rejected.json" 2>"$BATS_FILE_TMPDIR/rejected.stderr" || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/rejected.rc"
	moto_auth inf
}

teardown_file() {
	if [[ -f $BATS_FILE_TMPDIR/moto.pid ]]; then
		kill "$(cat "$BATS_FILE_TMPDIR/moto.pid")" 2>/dev/null || true
	fi
}

setup() {
	load helpers
	aws_env
	MAIN="$BATS_FILE_TMPDIR/reports/services.json"
	DENIED="$BATS_FILE_TMPDIR/denied.json"
}

# ---- usage (no AWS call is made) -------------------------------------------------------

@test "--help prints usage and exits 0" {
	run -0 "$LS" --help
	[[ $output == *"Usage: list-services.sh --project NAME"* ]]
	[[ $output == *"Exit status:"* ]]
}

@test "usage errors exit 2 and name the offending argument" {
	local -a cases=(
		"--region eu_west_1 --project p|--region: 'eu_west_1' is not an AWS region name"
		"--region EU-WEST-1 --project p|--region: 'EU-WEST-1' is not an AWS region name"
		"--region moon --project p|--region: 'moon' is not an AWS region name"
		"--region eu-west-1|--project is required"
		"--region eu-west-1 --project a,b|--project: 'a,b' is not a tag value"
		"--region eu-west-1 --project p --stack dev!|--stack: 'dev!' is not a tag value"
		"--region eu-west-1 --project p --project-key aws:x|--project-key: 'aws:x' is not a tag key"
		"--region eu-west-1 --project p --format yaml|--format: 'yaml' is not json or table"
		"--region eu-west-1 --project p --interval 5 --output /tmp/x.json|--interval: '5' is not a whole number of seconds >= 10"
		"--region eu-west-1 --project p --interval 60|--interval (loop mode) needs --output"
		"--region eu-west-1 --project p --output /nonexistent-dir/s.json|--output: directory '/nonexistent-dir' does not exist"
		"--region eu-west-1 --project p --bogus|unknown argument '--bogus'"
		"--region|--region needs a value"
	)
	local c args want
	for c in "${cases[@]}"; do
		args=${c%%|*}
		want=${c#*|}
		# shellcheck disable=SC2086 # the case's argument list splits on purpose
		run --separate-stderr "$LS" $args
		if [[ $status -ne 2 || $stderr != *"$want"* || -n $output ]]; then
			echo "args: $args -> status $status, stderr: $stderr" >&2
			return 1
		fi
	done
}

@test "the region comes from AWS_REGION / AWS_DEFAULT_REGION, and a bad one is named" {
	AWS_REGION=nowhere run --separate-stderr -2 "$LS" --project p
	[[ $stderr == *"AWS_REGION: 'nowhere' is not an AWS region name"* ]]
	unset AWS_DEFAULT_REGION
	run --separate-stderr -2 "$LS" --project p
	[[ $stderr == *"--region is required"* ]]
}

@test "a bad AWS_ENDPOINT_URL or LIST_SERVICES_PAGE_SIZE is a usage error" {
	AWS_ENDPOINT_URL="not a url" run --separate-stderr -2 "$LS" --region eu-west-1 --project p
	[[ $stderr == *"AWS_ENDPOINT_URL: 'not a url' is not an http(s) URL"* ]]
	LIST_SERVICES_PAGE_SIZE=0 run --separate-stderr -2 "$LS" --region eu-west-1 --project p
	[[ $stderr == *"LIST_SERVICES_PAGE_SIZE: '0' is not in 1..100"* ]]
}

# ---- the dev stack ---------------------------------------------------------------------

@test "every seeded resource of the stack is listed, and nothing else" {
	[[ $(cat "$BATS_FILE_TMPDIR/main.rc") == 0 ]]
	check_report check-services-report.jq "$MAIN"
	run -0 jq -r '.resources[] | [.service, .resourceType, .name, .region, .source] | join("|")' "$MAIN"
	local expected
	expected=$(printf '%s\n' \
		"apigateway|apis|$API_ID|eu-west-1|service" \
		"cloudfront|distribution|$CF_ID|global|tagging" \
		"cloudwatch|alarm|chess-platform-dev-alb-5xx|eu-west-1|tagging" \
		"cloudwatch|alarm|chess-platform-dev-cdn-5xx|us-east-1|tagging" \
		"cloudwatch|alarm|chess-platform-dev-rds-cpu|eu-west-1|tagging" \
		"ecs|cluster|chess-platform-dev|eu-west-1|tagging" \
		"ecs|service|chess-platform-dev/backend|eu-west-1|tagging" \
		"ecs|service|chess-platform-dev/web|eu-west-1|tagging" \
		"elasticache|replicationgroup|chess-platform-dev|eu-west-1|tagging" \
		"elasticloadbalancing|loadbalancer/app|chess-platform-dev|eu-west-1|tagging" \
		"elasticloadbalancing|targetgroup|chess-dev-web|eu-west-1|tagging" \
		"rds|db|chess-platform-dev|eu-west-1|tagging" \
		"wafv2|global/webacl|chess-platform-dev-cdn|us-east-1|service" \
		"wafv2|regional/webacl|chess-platform-dev-alb|eu-west-1|service")
	if [[ $output != "$expected" ]]; then
		diff <(echo "$expected") <(echo "$output") >&2 || true
		return 1
	fi
	# no decoy anywhere in the report: untagged, the prod stack, another project
	run ! grep -Eq 'decoy|chess-platform-prod|other-project' "$MAIN"
	[[ $(jqv "$MAIN" '[.schema, .region, .project, .stack, .tagKeys.project, .tagKeys.stack, .account, .complete] | map(tostring) | join(",")') == \
		"chess.services/v1,eu-west-1,chess-platform,dev,Project,Stack,123456789012,true" ]]
	[[ $(jqv "$MAIN" '.errors | length') == 0 ]]
	[[ $(jqv "$MAIN" '[.resources[] | select(.name == "chess-platform-dev-alb") | .tags.Component] | join(",")') == waf ]]
}

@test "per-service summaries describe exactly the stack's resources" {
	jq -e '.summaries | keys == ["apigateway", "cloudfront", "cloudwatch", "ecs", "elasticache", "elasticloadbalancing", "rds", "wafv2"]' "$MAIN"
	jq -e '[.summaries[] | .complete] | all' "$MAIN"
	# ECS: the tagged cluster and its two tagged services, not the untagged service in it
	[[ $(jqv "$MAIN" '[.summaries.ecs.clusters[] | .name as $c | .services[] | "\($c)/\(.name):\(.desired)"] | join(" ")') == \
		"chess-platform-dev/backend:2 chess-platform-dev/web:2" ]]
	# RDS status and Multi-AZ
	[[ $(jqv "$MAIN" '[.summaries.rds.instances[] | "\(.id):\(.status):\(.multiAZ):\(.engine)"] | join(" ")') == \
		"chess-platform-dev:available:true:postgres" ]]
	[[ $(jqv "$MAIN" '[.summaries.elasticache.replicationGroups[] | "\(.id):\(.status)"] | join(" ")') == \
		"chess-platform-dev:available" ]]
	# the ALB, its WAF association and its target group's health
	[[ $(jqv "$MAIN" '[.summaries.elasticloadbalancing.loadBalancers[] | "\(.name):\(.type):\(.scheme):\(.state):\(.webAcl.name)"] | join(" ")') == \
		"chess-platform-dev:application:internet-facing:active:chess-platform-dev-alb" ]]
	[[ $(jqv "$MAIN" '[.summaries.elasticloadbalancing.targetGroups[] | "\(.name):\(.port):\(.loadBalancers | join("+")):\(.health | tojson):\(.unhealthyTargets | length)"] | join(" ")') == \
		'chess-dev-web:3000:chess-platform-dev:{"healthy":2}:0' ]]
	[[ $(jqv "$MAIN" '[.summaries.cloudfront.distributions[] | "\(.id):\(.status)"] | join(" ")') == "$CF_ID:Deployed" ]]
	# the WebSocket API and its stage settings
	[[ $(jqv "$MAIN" '[.summaries.apigateway.apis[] | "\(.id):\(.name):\(.protocolType)" + ([.stages[] | ":\(.name):\(.loggingLevel):\(.throttlingBurstLimit):\(.throttlingRateLimit):\(.detailedMetrics)"] | join(""))] | join(" ")') == \
		"$API_ID:chess-platform-dev-ws:WEBSOCKET:live:ERROR:200:100:true" ]]
	jq -e --arg id "$API_ID" '.summaries.apigateway.apis[0].stages[0].url | endswith("\($id).execute-api.eu-west-1.amazonaws.com/live")' "$MAIN"
	# both web ACLs: REGIONAL in the region, CLOUDFRONT from us-east-1
	[[ $(jqv "$MAIN" '[.summaries.wafv2.webAcls[] | "\(.name):\(.scope):\(.defaultAction)"] | join(" ")') == \
		"chess-platform-dev-alb:REGIONAL:Block chess-platform-dev-cdn:CLOUDFRONT:Allow" ]]
	# only the stack's alarms that are in ALARM (the OK one and the decoys are left out)
	[[ $(jqv "$MAIN" '[.summaries.cloudwatch.alarms[] | "\(.name):\(.region):\(.state)"] | join(" ")') == \
		"chess-platform-dev-alb-5xx:eu-west-1:ALARM chess-platform-dev-cdn-5xx:us-east-1:ALARM" ]]
}

@test "the table names the resources and the summaries" {
	local t="$BATS_FILE_TMPDIR/table.txt"
	grep -q '^project chess-platform  stack dev  region eu-west-1  account 123456789012' "$t"
	grep -q '^RESOURCES (14)$' "$t"
	grep -Eq '^  rds +db +chess-platform-dev +eu-west-1 +tagging$' "$t"
	grep -Eq '^  wafv2 +regional/webacl +chess-platform-dev-alb +eu-west-1 +service$' "$t"
	grep -q '^  cluster chess-platform-dev: ACTIVE' "$t"
	grep -q '^    service web: ACTIVE, running 0/2 desired' "$t"
	grep -q '^  chess-platform-dev: available, postgres .*Multi-AZ yes$' "$t"
	grep -q '^  target group chess-dev-web (HTTP:3000, ip): 2 healthy$' "$t"
	grep -q '^    stage live: logging ERROR, burst 200, rate 100$' "$t"
	grep -q '^  chess-platform-dev-cdn-5xx (us-east-1) since .*: seeded ALARM$' "$t"
	run ! grep -q '^ERRORS' "$t"
	run ! grep -Eq 'decoy|chess-platform-prod|other-project' "$t"
}

@test "the report file is written by rename, world-readable, with no temp files left" {
	[[ $(stat -c %a "$MAIN") == 644 ]]
	[[ $(ls -A "$BATS_FILE_TMPDIR/reports") == services.json ]]
	[[ ! -s $BATS_FILE_TMPDIR/main.stderr ]] || {
		cat "$BATS_FILE_TMPDIR/main.stderr" >&2
		false
	}
}

# ---- missing permissions ---------------------------------------------------------------

@test "denied actions are reported by name, the rest is still listed (exit 1)" {
	[[ $(cat "$BATS_FILE_TMPDIR/denied.rc") == 1 ]]
	check_report check-services-report.jq "$DENIED"
	# the three denied actions, named; plus two failures that are moto's own: with IAM checks on,
	# moto 5.2 rejects every CloudFront call without an error code and every API Gateway v2 call
	# with SignatureDoesNotMatch, whatever the policy says
	[[ $(jqv "$DENIED" '[.errors[] | "\(.service) \(.action) \(.region) \(.code)"] | sort | join(",")') == \
		"apigateway apigateway:GET eu-west-1 SignatureDoesNotMatch,cloudfront cloudfront:ListDistributions us-east-1 Unknown,ecs ecs:DescribeServices eu-west-1 AccessDenied,tagging tag:GetResources eu-west-1 AccessDenied,tagging tag:GetResources us-east-1 AccessDenied,wafv2 wafv2:ListWebACLs eu-west-1 AccessDenied,wafv2 wafv2:ListWebACLs us-east-1 AccessDenied" ]]
	jq -e 'all(.errors[] | select(.code == "AccessDenied"); . as $e
		| .message | startswith("access denied: missing permission \($e.action) ("))' "$DENIED"
	[[ $(jqv "$DENIED" '.complete') == false ]]
	# without the tagging API everything still comes from the services' own tags ...
	jq -e '[.resources[].source] | unique == ["service"]' "$DENIED"
	# ... for both stacks (no --stack), never the decoys
	run -0 jq -r '[.resources[] | "\(.service)|\(.resourceType)|\(.name)"] | join("\n")' "$DENIED"
	[[ $output == *"rds|db|chess-platform-dev"* && $output == *"rds|db|chess-platform-prod"* ]]
	[[ $output == *"ecs|cluster|chess-platform-prod"* && $output == *"elasticache|replicationgroup|chess-platform-dev"* ]]
	[[ $output == *"elasticloadbalancing|loadbalancer/app|chess-platform-dev"* ]]
	[[ $output == *"cloudwatch|alarm|chess-platform-prod-alb-5xx"* ]]
	[[ $output != *"ecs|service|"* && $output != *"wafv2|"* ]]
	run ! grep -Eq 'decoy|other-project' "$DENIED"
	# ECS clusters are known; the dev cluster's services are not (null, not a partial list), the
	# prod cluster has none (listing needs no DescribeServices); the summary says it is incomplete
	[[ $(jqv "$DENIED" '[.summaries.ecs.clusters[] | "\(.name)=\(.services | tojson)"] | join(" ")') == \
		"chess-platform-dev=null chess-platform-prod=[]" ]]
	jq -e '.summaries.ecs.complete == false' "$DENIED"
	jq -e '.summaries.wafv2 == {webAcls: [], complete: false} and .summaries.rds.complete' "$DENIED"
	jq -e '.stack == null' "$DENIED"
	run ! grep -q Traceback "$BATS_FILE_TMPDIR/denied.stderr"
}

# ---- credentials -----------------------------------------------------------------------

@test "missing credentials: the documented message and exit 3, and an error report" {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	local out="$BATS_TEST_TMPDIR/services.json"
	run --separate-stderr -3 "$LS" --region eu-west-1 --project chess-platform --stack dev --output "$out"
	[[ $stderr == "list-services: NoCredentials: no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a role (ECS task role, instance profile)" ]]
	[[ -z $output ]]
	check_report check-services-report.jq "$out"
	[[ $(jqv "$out" '[.complete, (.resources | length), (.errors[0] | .service, .action, .code)] | map(tostring) | join(",")') == \
		"false,0,sts,sts:GetCallerIdentity,NoCredentials" ]]
}

@test "a report that cannot be written: exit 5 and a message" {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY # fast: one call
	run --separate-stderr -5 "$LS" --region eu-west-1 --project chess-platform --output /proc/services.json
	[[ $stderr == *"cannot"*"/proc"* ]]
}

@test "credentials the endpoint rejects: exit 4 with the AWS error code" {
	[[ $(cat "$BATS_FILE_TMPDIR/rejected.rc") == 4 ]]
	grep -q '^list-services: InvalidClientTokenId: ' "$BATS_FILE_TMPDIR/rejected.stderr"
	jq -e '.errors[0].code == "InvalidClientTokenId" and .resources == []' "$BATS_FILE_TMPDIR/rejected.json"
}

@test "an unreachable endpoint: exit 4, no stack trace" {
	AWS_MAX_ATTEMPTS=1 AWS_ENDPOINT_URL="http://127.0.0.1:$(free_port)" \
		run --separate-stderr -4 "$LS" --region eu-west-1 --project chess-platform
	[[ $stderr == "list-services: EndpointConnectionError: Could not connect to the endpoint URL"* ]]
	[[ $stderr != *Traceback* ]]
}

# ---- loop mode -------------------------------------------------------------------------

@test "loop mode rewrites the report and stops on SIGTERM with exit 0" {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY # fast: one call per pass
	local out="$BATS_TEST_TMPDIR/services.json"
	"$LS" --region eu-west-1 --project chess-platform --interval 10 --output "$out" \
		2>"$BATS_TEST_TMPDIR/loop.log" 3>&- &
	local pid=$!
	wait_for_file "$out" 60
	sleep 0.5 # now sleeping until the next pass
	local start=$EPOCHREALTIME rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	local elapsed_ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
	((rc == 0))
	((elapsed_ms < 3000)) # not the remaining ~9 s of the interval
	check_report check-services-report.jq "$out"
	# no temp file or work directory left next to the report
	[[ -z $(find "$BATS_TEST_TMPDIR" -mindepth 1 -maxdepth 1 -name '.*') ]]
	grep -q '"msg":"stopping"' "$BATS_TEST_TMPDIR/loop.log"
}
