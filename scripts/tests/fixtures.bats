#!/usr/bin/env bats
# The sample reports in scripts/fixtures/ (used by the web app and its tests) must satisfy the
# documented format, like every report the scripts write.
# shellcheck disable=SC2016 # jq programs in single quotes

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	FIXTURES="$SCRIPTS_DIR/fixtures"
}

@test "fixtures/health.json satisfies chess.health/v1" {
	check_report check-health-report.jq "$FIXTURES/health.json"
	# it shows every per-URL status the page must render except down, and both kinds of failure
	[[ $(jqv "$FIXTURES/health.json" '[.status, (.targets | map(.status) | join(","))] | join(" ")') == "degraded ok,ok,degraded" ]]
	jq -e '[.targets[].samples[] | .reason] | (index("timeout") != null) and (index("http_status") != null)' "$FIXTURES/health.json"
}

@test "fixtures/services.json satisfies chess.services/v1" {
	check_report check-services-report.jq "$FIXTURES/services.json"
	jq -e '.summaries | keys == ["apigateway", "cloudfront", "cloudwatch", "ecs", "elasticache", "elasticloadbalancing", "rds", "wafv2"]' "$FIXTURES/services.json"
	jq -e '(.errors | length) == 1 and .complete == false and .summaries.elasticloadbalancing.complete == false' "$FIXTURES/services.json"
}

@test "fixtures/services.json: resourceType, name and region follow from each ARN as list-services.sh derives them" {
	local defs
	defs=$(sed -n "/^readonly JQ_DEFS='/,/^'\$/p" "$SCRIPTS_DIR/list-services.sh" | sed "1s/^readonly JQ_DEFS='//; \$d")
	[[ -n $defs ]]
	run -0 jq -c --arg pk Project --arg project x --arg sk Stack --arg stack "" --argjson tagged '[[]]' \
		"$defs [.resources[] | select((.arn | arninfo) != {arn, service, resourceType, name, region}) | .arn]" \
		"$FIXTURES/services.json"
	[[ $output == "[]" ]]
}
