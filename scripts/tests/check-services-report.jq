# Checks a chess.services/v1 report against docs/reports.md.
# Usage: jq -f check-services-report.jq REPORT  -> a JSON array of violations, [] when valid.

def rfc3339: type == "string"
	and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$");
def str: type == "string" and length > 0;
def str_or_null: . == null or str;
def int: type == "number" and . == floor;
def int_or_null: . == null or int;
def bool: type == "boolean";
def check(cond; $msg): if cond then empty else $msg end;
# check_items(f): f on every item; f yields the names of the fields that fail
def check_items($p; f): .[] | f;

def ecs_cluster($p):
	check(.name | str; "\($p).name"), check(.arn | str; "\($p).arn"), check(.status | str; "\($p).status"),
	check(.runningTasks | int_or_null; "\($p).runningTasks"), check(.pendingTasks | int_or_null; "\($p).pendingTasks"),
	if .services == null then empty
	elif (.services | type) != "array" then "\($p).services: not an array or null"
	else .services[] | (
		check(.name | str; "name"), check(.arn | str; "arn"), check(.status | str; "status"),
		check(.desired | int; "desired"), check(.running | int; "running"), check(.pending | int; "pending"),
		check(.launchType | str_or_null; "launchType"), check(.taskDefinition | str_or_null; "taskDefinition"),
		check(.deployments | int; "deployments"), check(.rolloutState | str_or_null; "rolloutState"),
		check(.steady | bool; "steady")) | "\($p).services item: \(.)"
	end;

def summary_checks($k; $p):
	if $k == "ecs" then
		check(.clusters | type == "array"; "\($p).clusters: not an array"),
		(.clusters // [] | to_entries[] | .key as $i | .value | ecs_cluster("\($p).clusters[\($i)]"))
	elif $k == "rds" then
		check(.instances | type == "array"; "\($p).instances: not an array"),
		(.instances // [] | check_items("\($p).instances"; . as $x | (
			check(.id | str; "id"), check(.arn | str; "arn"), check(.status | str; "status"),
			check(.engine | str; "engine"), check(.engineVersion | str_or_null; "engineVersion"),
			check(.instanceClass | str_or_null; "instanceClass"), check(.multiAZ | bool; "multiAZ"),
			check(.availabilityZone | str_or_null; "availabilityZone"),
			check(.secondaryAvailabilityZone | str_or_null; "secondaryAvailabilityZone"),
			check(.storageEncrypted | bool; "storageEncrypted"), check(.deletionProtection | bool; "deletionProtection"),
			check(.endpoint | str_or_null; "endpoint")) | "\($p).instances item: \(.)"))
	elif $k == "elasticache" then
		check(.replicationGroups | type == "array"; "\($p).replicationGroups: not an array"),
		(.replicationGroups // [] | check_items("\($p).replicationGroups"; . as $x | (
			check(.id | str; "id"), check(.arn | str; "arn"), check(.status | str; "status"),
			check(.engine | str; "engine"), check(.nodeType | str_or_null; "nodeType"),
			check(.clusterMode | bool; "clusterMode"), check(.multiAZ | bool; "multiAZ"),
			check(.automaticFailover | str_or_null; "automaticFailover"), check(.members | int; "members"),
			check(.transitEncryption | bool; "transitEncryption"), check(.atRestEncryption | bool; "atRestEncryption"))
			| "\($p).replicationGroups item: \(.)"))
	elif $k == "elasticloadbalancing" then
		check(.loadBalancers | type == "array"; "\($p).loadBalancers: not an array"),
		check(.targetGroups | type == "array"; "\($p).targetGroups: not an array"),
		(.loadBalancers // [] | check_items("\($p).loadBalancers"; . as $x | (
			check(.name | str; "name"), check(.arn | str; "arn"), check(.type | str; "type"),
			check(.scheme | str_or_null; "scheme"), check(.state | str_or_null; "state"),
			check(.dnsName | str_or_null; "dnsName"),
			check(.webAcl == null or ((.webAcl.name | str) and (.webAcl.arn | str)); "webAcl"))
			| "\($p).loadBalancers item: \(.)")),
		(.targetGroups // [] | check_items("\($p).targetGroups"; . as $x | (
			check(.name | str; "name"), check(.arn | str; "arn"), check(.protocol | str_or_null; "protocol"),
			check(.port | int_or_null; "port"), check(.targetType | str_or_null; "targetType"),
			check(.loadBalancers | type == "array" and all(.[]; str); "loadBalancers"),
			check(.health == null or (.health | type == "object" and all(.[]; int)); "health"),
			check(.unhealthyTargets == null or (.unhealthyTargets | type == "array"
				and all(.[]; (.id | str) and (.state | str) and (.port | int_or_null)
					and (.reason | str_or_null) and (.description | str_or_null))); "unhealthyTargets"),
			check((.health == null) == (.unhealthyTargets == null); "health and unhealthyTargets: both or neither"))
			| "\($p).targetGroups item: \(.)"))
	elif $k == "cloudfront" then
		check(.distributions | type == "array"; "\($p).distributions: not an array"),
		(.distributions // [] | check_items("\($p).distributions"; . as $x | (
			check(.id | str; "id"), check(.arn | str; "arn"), check(.domainName | str; "domainName"),
			check(.status | str; "status"), check(.enabled == null or (.enabled | bool); "enabled"),
			check(.aliases | type == "array" and all(.[]; str); "aliases"),
			check(.webAclId | str_or_null; "webAclId"), check(.lastModified == null or (.lastModified | rfc3339); "lastModified"))
			| "\($p).distributions item: \(.)"))
	elif $k == "apigateway" then
		check(.apis | type == "array"; "\($p).apis: not an array"),
		(.apis // [] | check_items("\($p).apis"; . as $x | (
			check(.id | str; "id"), check(.name | str; "name"), check(.arn | str; "arn"),
			check(.protocolType | IN("WEBSOCKET", "HTTP"); "protocolType"), check(.endpoint | str_or_null; "endpoint"),
			check(.routeSelectionExpression | str_or_null; "routeSelectionExpression"),
			check(.stages == null or (.stages | type == "array" and all(.[];
				(.name | str) and (.url | str_or_null) and (.deploymentId | str_or_null)
				and (.lastUpdated == null or (.lastUpdated | rfc3339)) and (.loggingLevel | str_or_null)
				and (.dataTrace | bool) and (.detailedMetrics | bool)
				and (.throttlingBurstLimit | . == null or type == "number")
				and (.throttlingRateLimit | . == null or type == "number") and (.accessLogs | bool))); "stages"))
			| "\($p).apis item: \(.)"))
	elif $k == "wafv2" then
		check(.webAcls | type == "array"; "\($p).webAcls: not an array"),
		(.webAcls // [] | check_items("\($p).webAcls"; . as $x | (
			check(.name | str; "name"), check(.id | str; "id"), check(.arn | str; "arn"),
			check(.scope | IN("REGIONAL", "CLOUDFRONT"); "scope"),
			check(.defaultAction == null or (.defaultAction | IN("Allow", "Block")); "defaultAction"),
			check(.rules | int_or_null; "rules"), check(.capacity | int_or_null; "capacity"))
			| "\($p).webAcls item: \(.)"))
	elif $k == "cloudwatch" then
		check(.alarms | type == "array"; "\($p).alarms: not an array"),
		(.alarms // [] | check_items("\($p).alarms"; . as $x | (
			check(.name | str; "name"), check(.arn | str; "arn"), check(.region | str; "region"),
			check(.type | IN("metric", "composite"); "type"), check(.state == "ALARM"; "state"),
			check(.reason | str_or_null; "reason"), check(.since == null or (.since | rfc3339); "since"),
			check(.namespace | str_or_null; "namespace"), check(.metric | str_or_null; "metric"))
			| "\($p).alarms item: \(.)"))
	else "\($p): unknown summary" end;

[
	if type != "object" then "report: not an object"
	else
		check(.schema == "chess.services/v1"; "schema: not chess.services/v1"),
		check(.generatedAt | rfc3339; "generatedAt: not RFC 3339"),
		check(.region | type == "string" and test("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$"); "region"),
		check(.project | str; "project"),
		check(.stack | str_or_null; "stack"),
		check((.tagKeys.project | str) and (.tagKeys.stack | str); "tagKeys"),
		check(.account == null or (.account | test("^[0-9]{12}$")); "account: not 12 digits or null"),
		check(.complete | bool; "complete: not a boolean"),
		check(.complete == ((.errors | length) == 0); "complete: must be true exactly when errors is empty"),
		if (.resources | type) != "array" then "resources: not an array"
		else
			(.resources | to_entries[] | "resources[\(.key)]" as $p | .value |
				check(.arn | type == "string" and startswith("arn:"); "\($p).arn"),
				check(.service | str; "\($p).service"),
				check(.resourceType | str; "\($p).resourceType"),
				check(.name | str; "\($p).name"),
				check(.region | str; "\($p).region"),
				check(.tags | type == "object" and all(.[]; type == "string"); "\($p).tags"),
				check(.source | IN("tagging", "service"); "\($p).source")),
			check((.resources | map(.arn) | unique | length) == (.resources | length); "resources: duplicate arn"),
			check(.resources == (.resources | sort_by(.service, .resourceType, .name, .arn)); "resources: not sorted")
		end,
		if (.summaries | type) != "object" then "summaries: not an object"
		else
			(.summaries | to_entries[] | .key as $k | "summaries.\($k)" as $p | .value |
				if type != "object" then "\($p): not an object"
				else check(.complete | bool; "\($p).complete"), summary_checks($k; $p) end)
		end,
		if (.errors | type) != "array" then "errors: not an array"
		else
			(.errors | to_entries[] | "errors[\(.key)]" as $p | .value |
				check(.service | str; "\($p).service"),
				check(.action | . == null or (type == "string" and test("^[a-z0-9-]+:[A-Za-z0-9]+$")); "\($p).action"),
				check(.region | str_or_null; "\($p).region"),
				check(.code | str; "\($p).code"),
				check(.message | str; "\($p).message"))
		end
	end
]
