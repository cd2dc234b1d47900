# Checks a chess.health/v1 report against docs/reports.md.
# Usage: jq -f check-health-report.jq REPORT  -> a JSON array of violations, [] when valid.
# Besides types it checks the derived fields: counts, ratio, percentiles and statuses must
# follow from the samples, the threshold and the window as documented.

def rfc3339: type == "string"
	and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$");
def int: type == "number" and . == floor;
def http_status: . == null or (int and . >= 100 and . <= 599);
def reason: IN("http_status", "timeout", "connection_refused", "connect_failed", "dns", "tls",
	"empty_reply", "connection_reset", "protocol", "proxy", "bad_url", "curl_error");
def nearest_rank($p): if length == 0 then null
	else .[([((($p * length) + 99) / 100 | floor), 1] | max) - 1] end;
def check(cond; $msg): if cond then empty else $msg end;

def check_failure($p):
	if . == null then empty
	elif type != "object" then "\($p): not an object or null"
	else
		check(.at | rfc3339; "\($p).at: not RFC 3339"),
		check(.status | http_status; "\($p).status: not an HTTP status or null"),
		check(.reason | reason; "\($p).reason: unknown reason \(.reason)"),
		check(.detail == null or (.detail | type) == "string"; "\($p).detail: not a string or null"),
		check(if .reason == "http_status" then .status != null and .status != 200 else true end;
			"\($p): reason http_status must go with a non-200 status")
	end;

def check_sample($p):
	if type != "object" then "\($p): not an object"
	else
		check(.at | rfc3339; "\($p).at: not RFC 3339"),
		check(.ok | type == "boolean"; "\($p).ok: not a boolean"),
		check(.status | http_status; "\($p).status: not an HTTP status or null"),
		check(.ms | int and . >= 0; "\($p).ms: not a non-negative integer"),
		check(if .ok then .reason == null and .status == 200 else (.reason | reason) end;
			"\($p): ok must mean status 200 and no reason; a failure needs a known reason"),
		check(if .reason == "http_status" then .status != null and .status != 200 else true end;
			"\($p): reason http_status must go with a non-200 status"),
		check(.detail == null or (.detail | type) == "string"; "\($p).detail: not a string or null")
	end;

def check_target($p; $window; $threshold):
	if type != "object" then "\($p): not an object"
	else
		check(.url | type == "string" and test("^https?://"); "\($p).url: not an http(s) URL"),
		check(.checks | int and . >= 1 and . <= $window; "\($p).checks: not in 1..window"),
		check(.ok200 | int and . >= 0; "\($p).ok200: not a non-negative integer"),
		check(.ratio200 | type == "number" and . >= 0 and . <= 1; "\($p).ratio200: not in 0..1"),
		check(.p50Ms == null or (.p50Ms | int and . >= 0); "\($p).p50Ms: not an integer or null"),
		check(.p95Ms == null or (.p95Ms | int and . >= 0); "\($p).p95Ms: not an integer or null"),
		check(.lastStatus | http_status; "\($p).lastStatus: not an HTTP status or null"),
		check(.lastCheckedAt | rfc3339; "\($p).lastCheckedAt: not RFC 3339"),
		check(.status | IN("ok", "degraded", "down"); "\($p).status: not ok/degraded/down"),
		(.lastFailure | check_failure("\($p).lastFailure")),
		if (.samples | type) != "array" then "\($p).samples: not an array"
		else
			(.samples | to_entries[] | .key as $i | .value | check_sample("\($p).samples[\($i)]")),
			(. as $t | .samples as $s
			| ($s | map(select(.ok == true)) | length) as $ok
			| ([$s[] | select(.status != null) | .ms] | sort) as $lat
			| check($t.checks == ($s | length); "\($p).checks: != number of samples"),
			  check($t.ok200 == $ok; "\($p).ok200: != ok samples"),
			  check($t.ratio200 == (($ok / ($s | length) * 10000 | round) / 10000);
				"\($p).ratio200: != ok200/checks rounded to 4 places"),
			  check($t.p50Ms == ($lat | nearest_rank(50)); "\($p).p50Ms: not the nearest-rank p50"),
			  check($t.p95Ms == ($lat | nearest_rank(95)); "\($p).p95Ms: not the nearest-rank p95"),
			  check($t.lastStatus == $s[-1].status; "\($p).lastStatus: != last sample"),
			  check($t.lastCheckedAt == $s[-1].at; "\($p).lastCheckedAt: != last sample"),
			  check($t.status == (if ($ok / ($s | length)) >= $threshold then "ok"
					elif ($s[-1].ok | not) then "down" else "degraded" end);
				"\($p).status: does not follow from ratio, threshold and last check"),
			  check(([$s[] | select(.ok | not)] | last) as $f
				| $f == null or ($t.lastFailure != null
					and $t.lastFailure.at == $f.at and $t.lastFailure.status == $f.status
					and $t.lastFailure.reason == $f.reason);
				"\($p).lastFailure: not the newest failing sample"))
		end
	end;

[
	if type != "object" then "report: not an object"
	else
		check(.schema == "chess.health/v1"; "schema: not chess.health/v1"),
		check(.generatedAt | rfc3339; "generatedAt: not RFC 3339"),
		check(.status | IN("ok", "degraded", "down"); "status: not ok/degraded/down"),
		check(.threshold | type == "number" and . >= 0 and . <= 1; "threshold: not in 0..1"),
		check(.window | int and . >= 1 and . <= 10000; "window: not in 1..10000"),
		check(.timeoutMs | int and . >= 100; "timeoutMs: not an integer >= 100"),
		if (.targets | type) != "array" or (.targets | length) == 0 then "targets: not a non-empty array"
		else
			(.window as $w | .threshold as $th
			| .targets | to_entries[] | .key as $i | .value | check_target("targets[\($i)]"; $w; $th)),
			check(.status == (if all(.targets[]; .status == "ok") then "ok"
					elif all(.targets[]; .status == "down") then "down" else "degraded" end);
				"status: does not follow from the targets' statuses"),
			check((.targets | map(.url) | unique | length) == (.targets | length); "targets: duplicate url")
		end
	end
]
