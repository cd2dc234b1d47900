#!/usr/bin/env bash
# Seeds a moto_server (AWS_ENDPOINT_URL) with a chess-platform "dev" stack's resources, tagged
# as the Pulumi program tags them (Project / Stack / Component), plus decoys that
# list-services.sh must not list: untagged, another stack (prod) and another project.
# Used by list-services.bats; the expected listing is in that file. Prints the generated ids
# the listing contains as lines KEY=VALUE (api=..., cloudfront=...).
# shellcheck disable=SC2016,SC2317 # literal $request selection expressions; functions run in background
set -euo pipefail
export AWS_PAGER="" AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-eu-west-1}
: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the moto_server URL}"

R=$AWS_DEFAULT_REGION
G=us-east-1

aws_() { aws --region "$R" --output json "$@"; }
aws_g() { aws --region "$G" --output json "$@"; }

# tags in the three shapes the APIs take
tags_kv() { printf 'Key=Project,Value=%s Key=Stack,Value=%s Key=Component,Value=%s' "$1" "$2" "$3"; }
tags_ecs() { printf 'key=Project,value=%s key=Stack,value=%s key=Component,value=%s' "$1" "$2" "$3"; }
tags_map() { printf 'Project=%s,Stack=%s,Component=%s' "$1" "$2" "$3"; }

seed_ecs() {
	# shellcheck disable=SC2046 # tags expand to several arguments
	aws_ ecs create-cluster --cluster-name chess-platform-dev --tags $(tags_ecs chess-platform dev ecs-services) >/dev/null
	aws_ ecs register-task-definition --family chess-web \
		--container-definitions '[{"name":"web","image":"web:1","memory":512}]' >/dev/null
	local svc
	for svc in web backend; do
		# shellcheck disable=SC2046
		aws_ ecs create-service --cluster chess-platform-dev --service-name "$svc" --task-definition chess-web \
			--desired-count 2 --tags $(tags_ecs chess-platform dev ecs-services) >/dev/null
	done
	# decoys: an untagged service in our cluster, an untagged cluster, the prod stack's cluster
	aws_ ecs create-service --cluster chess-platform-dev --service-name decoy-untagged-svc \
		--task-definition chess-web --desired-count 1 >/dev/null
	# (moto 5.2's tagging API answers HTTP 500 while any ECS cluster has no tags at all, so this
	# decoy carries an unrelated tag: it is still not tagged with the project)
	aws_ ecs create-cluster --cluster-name decoy-untagged-cluster --tags key=Owner,value=someone-else >/dev/null
	# shellcheck disable=SC2046
	aws_ ecs create-cluster --cluster-name chess-platform-prod --tags $(tags_ecs chess-platform prod ecs-services) >/dev/null
}

seed_rds() {
	local common=(--engine postgres --db-instance-class db.t4g.micro --master-username chess
		--master-user-password not-a-secret-1 --allocated-storage 20)
	# shellcheck disable=SC2046
	aws_ rds create-db-instance --db-instance-identifier chess-platform-dev "${common[@]}" --multi-az \
		--tags $(tags_kv chess-platform dev rds) >/dev/null
	aws_ rds create-db-instance --db-instance-identifier decoy-untagged-db "${common[@]}" >/dev/null
	# shellcheck disable=SC2046
	aws_ rds create-db-instance --db-instance-identifier chess-platform-prod "${common[@]}" \
		--tags $(tags_kv chess-platform prod rds) >/dev/null
}

seed_elasticache() {
	local common=(--engine redis --cache-node-type cache.t4g.micro --num-cache-clusters 2)
	# shellcheck disable=SC2046
	aws_ elasticache create-replication-group --replication-group-id chess-platform-dev \
		--replication-group-description "chess live state" "${common[@]}" \
		--tags $(tags_kv chess-platform dev elasticache) >/dev/null
	# shellcheck disable=SC2046
	aws_ elasticache create-replication-group --replication-group-id other-project-dev \
		--replication-group-description "someone else's" "${common[@]}" \
		--tags $(tags_kv other-project dev elasticache) >/dev/null
}

seed_elbv2_and_waf() {
	local vpc s1 s2 lb tg decoy_lb acl
	vpc=$(aws_ ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)
	s1=$(aws_ ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 --availability-zone "${R}a" --query Subnet.SubnetId --output text)
	s2=$(aws_ ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.2.0/24 --availability-zone "${R}b" --query Subnet.SubnetId --output text)
	# shellcheck disable=SC2046
	lb=$(aws_ elbv2 create-load-balancer --name chess-platform-dev --scheme internet-facing --subnets "$s1" "$s2" \
		--tags $(tags_kv chess-platform dev ecs-services) --query 'LoadBalancers[0].LoadBalancerArn' --output text)
	# shellcheck disable=SC2046
	tg=$(aws_ elbv2 create-target-group --name chess-dev-web --protocol HTTP --port 3000 --vpc-id "$vpc" \
		--target-type ip --tags $(tags_kv chess-platform dev ecs-services) --query 'TargetGroups[0].TargetGroupArn' --output text)
	aws_ elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port 80 \
		--default-actions "Type=forward,TargetGroupArn=$tg" >/dev/null
	aws_ elbv2 register-targets --target-group-arn "$tg" --targets Id=10.0.1.10,Port=3000 Id=10.0.2.10,Port=3000
	decoy_lb=$(aws_ elbv2 create-load-balancer --name decoy-untagged-alb --subnets "$s1" "$s2" \
		--query 'LoadBalancers[0].LoadBalancerArn' --output text)
	# shellcheck disable=SC2046
	aws_ elbv2 create-target-group --name other-project-tg --protocol HTTP --port 80 --vpc-id "$vpc" \
		--target-type ip --tags $(tags_kv other-project dev ecs-services) >/dev/null
	: "$decoy_lb"

	local vis=SampledRequestsEnabled=false,CloudWatchMetricsEnabled=false,MetricName=acl
	# shellcheck disable=SC2046
	acl=$(aws_ wafv2 create-web-acl --name chess-platform-dev-alb --scope REGIONAL --default-action 'Block={}' \
		--visibility-config "$vis" --tags $(tags_kv chess-platform dev waf) --query Summary.ARN --output text)
	aws_ wafv2 associate-web-acl --web-acl-arn "$acl" --resource-arn "$lb"
	aws_ wafv2 create-web-acl --name decoy-untagged-acl --scope REGIONAL --default-action 'Allow={}' \
		--visibility-config "$vis" >/dev/null
	# shellcheck disable=SC2046
	aws_ wafv2 create-web-acl --name chess-platform-prod-alb --scope REGIONAL --default-action 'Allow={}' \
		--visibility-config "$vis" --tags $(tags_kv chess-platform prod waf) >/dev/null
	# shellcheck disable=SC2046
	aws_g wafv2 create-web-acl --name chess-platform-dev-cdn --scope CLOUDFRONT --default-action 'Allow={}' \
		--visibility-config "$vis" --tags $(tags_kv chess-platform dev waf) >/dev/null
}

seed_apigateway() {
	local api decoy
	api=$(aws_ apigatewayv2 create-api --name chess-platform-dev-ws --protocol-type WEBSOCKET \
		--route-selection-expression '$request.body.t' --tags "$(tags_map chess-platform dev apigw-websocket)" \
		--query ApiId --output text)
	echo "api=$api"
	aws_ apigatewayv2 create-stage --api-id "$api" --stage-name live \
		--default-route-settings LoggingLevel=ERROR,DetailedMetricsEnabled=true,ThrottlingBurstLimit=200,ThrottlingRateLimit=100 \
		--tags "$(tags_map chess-platform dev apigw-websocket)" >/dev/null
	decoy=$(aws_ apigatewayv2 create-api --name decoy-untagged-ws --protocol-type WEBSOCKET \
		--route-selection-expression '$request.body.action' --query ApiId --output text)
	aws_ apigatewayv2 create-stage --api-id "$decoy" --stage-name live >/dev/null
	aws_ apigatewayv2 create-api --name chess-platform-prod-ws --protocol-type WEBSOCKET \
		--route-selection-expression '$request.body.t' --tags "$(tags_map chess-platform prod apigw-websocket)" >/dev/null
}

distribution_config() { # caller-reference comment [tags json]
	jq -cn --arg ref "$1" --arg comment "$2" --argjson tags "${3:-[]}" '{
		DistributionConfig: {CallerReference: $ref, Comment: $comment, Enabled: true,
			Origins: {Quantity: 1, Items: [{Id: "alb", DomainName: "alb.example.com",
				CustomOriginConfig: {HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: "https-only"}}]},
			DefaultCacheBehavior: {TargetOriginId: "alb", ViewerProtocolPolicy: "redirect-to-https",
				ForwardedValues: {QueryString: true, Cookies: {Forward: "all"}}, MinTTL: 0,
				TrustedSigners: {Enabled: false, Quantity: 0}}},
		Tags: {Items: $tags}}'
}

seed_cloudfront() {
	local tags id
	tags='[{"Key":"Project","Value":"chess-platform"},{"Key":"Stack","Value":"dev"},{"Key":"Component","Value":"cdn"}]'
	id=$(aws_g cloudfront create-distribution-with-tags --query Distribution.Id --output text \
		--distribution-config-with-tags "$(distribution_config chess-dev chess-platform-dev "$tags")")
	echo "cloudfront=$id"
	aws_g cloudfront create-distribution-with-tags \
		--distribution-config-with-tags "$(distribution_config decoy decoy-untagged)" >/dev/null
}

alarm() { # region name state [project stack]
	local region=$1 name=$2 state=$3
	local -a tags=()
	if [[ -n ${4:-} ]]; then
		read -ra tags <<<"--tags $(tags_kv "$4" "$5" observability)"
	fi
	aws --region "$region" cloudwatch put-metric-alarm --alarm-name "$name" --namespace AWS/ApplicationELB \
		--metric-name HTTPCode_Target_5XX_Count --statistic Sum --period 60 --evaluation-periods 1 \
		--threshold 5 --comparison-operator GreaterThanThreshold "${tags[@]}"
	aws --region "$region" cloudwatch set-alarm-state --alarm-name "$name" --state-value "$state" \
		--state-reason "seeded $state"
}

seed_cloudwatch() {
	alarm "$R" chess-platform-dev-alb-5xx ALARM chess-platform dev
	alarm "$R" chess-platform-dev-rds-cpu OK chess-platform dev
	alarm "$G" chess-platform-dev-cdn-5xx ALARM chess-platform dev
	alarm "$R" decoy-untagged-alarm ALARM
	alarm "$R" chess-platform-prod-alb-5xx ALARM chess-platform prod
}

pids=()
for f in seed_ecs seed_rds seed_elasticache seed_elbv2_and_waf seed_apigateway seed_cloudfront seed_cloudwatch; do
	"$f" &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit "$rc"
