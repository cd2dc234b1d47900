package ecsservices

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/rds"
)

// Task families; also the suffix of their roles' names.
const (
	FamilyWeb     = "web"
	FamilyBackend = "backend"
)

// ListServicesStarActions are the read actions of list-services.sh that accept only "*" as
// resource (the API has no resource-level permissions, or lists across resources).
var ListServicesStarActions = []string{
	"tag:GetResources",
	"ecs:ListClusters",
	"ecs:ListServices",
	"elasticloadbalancing:DescribeLoadBalancers",
	"elasticloadbalancing:DescribeTargetGroups",
	"elasticloadbalancing:DescribeTags",
	"elasticloadbalancing:DescribeTargetHealth",
	"wafv2:ListWebACLs",
	"cloudfront:ListDistributions",
	"cloudwatch:DescribeAlarms",
}

// TaskTrust lets ECS tasks of this account (and Region) assume a role, and nothing else.
func TaskTrust(a awsenv.Account) iampolicy.Document {
	return iampolicy.New(iampolicy.Statement{
		Sid:       "TrustECSTasks",
		Effect:    "Allow",
		Principal: &iampolicy.Principal{Service: iampolicy.List{a.ServicePrincipal("ecs-tasks")}},
		Action:    iampolicy.List{"sts:AssumeRole"},
		Condition: iampolicy.Conditions{
			"StringEquals": {"aws:SourceAccount": iampolicy.List{a.ID}},
			"ArnLike":      {"aws:SourceArn": iampolicy.List{a.ARN("ecs", "*")}},
		},
	})
}

// logStreamsOf are the ARNs the awslogs driver writes to in each group.
func logStreamsOf(a awsenv.Account, groups ...string) iampolicy.List {
	out := iampolicy.List{}
	for _, g := range groups {
		out = append(out, a.ARN("logs", "log-group:"+g+":*"))
	}
	return out
}

// pullStatements let an execution role pull from the given repositories.
func pullStatements(repos ...string) []iampolicy.Statement {
	return []iampolicy.Statement{
		{
			Sid:      "ECRAuthorizationToken",
			Effect:   "Allow",
			Action:   iampolicy.List{"ecr:GetAuthorizationToken"}, // registry-wide: accepts only "*"
			Resource: iampolicy.List{"*"},
		},
		{
			Sid:      "PullImages",
			Effect:   "Allow",
			Action:   iampolicy.List{"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"},
			Resource: iampolicy.List(repos),
		},
	}
}

// WebExecutionPolicy: pull the web and utility images, write the three containers' logs, and read
// the one secret ECS injects into the web container, the operator credential (kms:Decrypt on its
// key through Secrets Manager only). The task role reads no secret.
func WebExecutionPolicy(a awsenv.Account, webRepo, utilityRepo string, logGroups []string, operatorSecret, operatorKey string) iampolicy.Document {
	return iampolicy.New(append(pullStatements(webRepo, utilityRepo),
		iampolicy.Statement{
			Sid:      "WriteLogs",
			Effect:   "Allow",
			Action:   iampolicy.List{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: logStreamsOf(a, logGroups...),
		},
		iampolicy.Statement{
			Sid:      "ReadOperatorSecret",
			Effect:   "Allow",
			Action:   iampolicy.List{"secretsmanager:GetSecretValue"},
			Resource: iampolicy.List{operatorSecret},
		},
		iampolicy.Statement{
			Sid:       "DecryptOperatorSecret",
			Effect:    "Allow",
			Action:    iampolicy.List{"kms:Decrypt"},
			Resource:  iampolicy.List{operatorKey},
			Condition: iampolicy.Conditions{"StringEquals": {"kms:ViaService": iampolicy.List{"secretsmanager." + a.Region + "." + a.DNSSuffix}}},
		},
	)...)
}

// BackendExecutionPolicy: pull the backend image, write the backend's and the migrate init
// container's logs, and read the secrets ECS injects (the RDS master secret into migrate only;
// Redis AUTH token, session key, gateway shared secret into the backend), which needs
// kms:Decrypt on their keys through Secrets Manager only.
func BackendExecutionPolicy(a awsenv.Account, backendRepo string, logGroups, secrets, keys []string) iampolicy.Document {
	return iampolicy.New(append(pullStatements(backendRepo),
		iampolicy.Statement{
			Sid:      "WriteLogs",
			Effect:   "Allow",
			Action:   iampolicy.List{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: logStreamsOf(a, logGroups...),
		},
		iampolicy.Statement{
			Sid:      "ReadInjectedSecrets",
			Effect:   "Allow",
			Action:   iampolicy.List{"secretsmanager:GetSecretValue"},
			Resource: iampolicy.List(secrets),
		},
		iampolicy.Statement{
			Sid:       "DecryptInjectedSecrets",
			Effect:    "Allow",
			Action:    iampolicy.List{"kms:Decrypt"},
			Resource:  iampolicy.List(keys),
			Condition: iampolicy.Conditions{"StringEquals": {"kms:ViaService": iampolicy.List{"secretsmanager." + a.Region + "." + a.DNSSuffix}}},
		},
	)...)
}

// BackendTaskPolicy: post to, probe and close the stage's WebSocket connections (exactly the
// stage's @connections ARNs), and sign in to the database as the application user only
// (rds-db:connect on dbuser:<DbiResourceId>/chess_app: IAM auth tokens, no password). The
// backend never holds the master secret.
func BackendTaskPolicy(a awsenv.Account, connections []string, dbUser string) iampolicy.Document {
	return iampolicy.New(
		iampolicy.Statement{
			Sid:      "ManageStageConnections",
			Effect:   "Allow",
			Action:   iampolicy.List{"execute-api:ManageConnections"},
			Resource: iampolicy.List(connections),
		},
		iampolicy.Statement{
			Sid:      "ConnectAsAppUser",
			Effect:   "Allow",
			Action:   iampolicy.List{"rds-db:connect"},
			Resource: iampolicy.List{dbUser},
		},
	)
}

// ListServicesPolicy is the web task role: exactly the read-only calls of list-services.sh
// (docs/reports.md, "IAM actions"), scoped to this account and Region (and us-east-1 for the
// CloudFront-scope web ACL and alarms) wherever the API takes a resource. ECS task roles are per
// task, not per container, so the web container holds these rights too; they are read-only
// and the task role reads no secret (docs/infra.md, "The web task's role").
func ListServicesPolicy(a awsenv.Account) iampolicy.Document {
	regionalACL := a.ARN("wafv2", "regional/webacl/*/*")
	globalACL := fmt.Sprintf("arn:%s:wafv2:us-east-1:%s:global/webacl/*/*", a.Partition, a.ID)
	return iampolicy.New(
		iampolicy.Statement{
			Sid:      "ListAcrossResources",
			Effect:   "Allow",
			Action:   iampolicy.List(ListServicesStarActions),
			Resource: iampolicy.List{"*"},
		},
		iampolicy.Statement{
			Sid:      "DescribeECS",
			Effect:   "Allow",
			Action:   iampolicy.List{"ecs:DescribeClusters", "ecs:DescribeServices"},
			Resource: iampolicy.List{a.ARN("ecs", "cluster/*"), a.ARN("ecs", "service/*/*")},
		},
		iampolicy.Statement{
			Sid:      "DescribeRDS",
			Effect:   "Allow",
			Action:   iampolicy.List{"rds:DescribeDBInstances"},
			Resource: iampolicy.List{a.ARN("rds", "db:*")},
		},
		iampolicy.Statement{
			Sid:      "DescribeElastiCache",
			Effect:   "Allow",
			Action:   iampolicy.List{"elasticache:DescribeReplicationGroups", "elasticache:ListTagsForResource"},
			Resource: iampolicy.List{a.ARN("elasticache", "replicationgroup:*")},
		},
		iampolicy.Statement{
			Sid:      "ReadWebACLs",
			Effect:   "Allow",
			Action:   iampolicy.List{"wafv2:GetWebACL", "wafv2:ListTagsForResource"},
			Resource: iampolicy.List{regionalACL, globalACL},
		},
		iampolicy.Statement{
			Sid:      "ReadWebACLOfLoadBalancers",
			Effect:   "Allow",
			Action:   iampolicy.List{"wafv2:GetWebACLForResource"},
			Resource: iampolicy.List{regionalACL, a.ARN("elasticloadbalancing", "loadbalancer/app/*/*")},
		},
		iampolicy.Statement{
			Sid:      "ReadDistributionTags",
			Effect:   "Allow",
			Action:   iampolicy.List{"cloudfront:ListTagsForResource"},
			Resource: iampolicy.List{a.GlobalARN("cloudfront", "distribution/*")},
		},
		iampolicy.Statement{
			Sid:      "ReadWebSocketAPIs",
			Effect:   "Allow",
			Action:   iampolicy.List{"apigateway:GET"},
			Resource: iampolicy.List{fmt.Sprintf("arn:%s:apigateway:%s::/apis", a.Partition, a.Region), fmt.Sprintf("arn:%s:apigateway:%s::/apis/*/stages", a.Partition, a.Region)},
		},
		iampolicy.Statement{
			Sid:      "ReadAlarmTags",
			Effect:   "Allow",
			Action:   iampolicy.List{"cloudwatch:ListTagsForResource"},
			Resource: iampolicy.List{a.ARN("cloudwatch", "alarm:*"), fmt.Sprintf("arn:%s:cloudwatch:us-east-1:%s:alarm:*", a.Partition, a.ID)},
		},
	)
}

// renderPolicy builds a document from named string and string-list inputs in one typed apply.
func renderPolicy(strs pulumi.StringMap, lists pulumi.StringArrayMap, build func(s map[string]string, l map[string][]string) iampolicy.Document) pulumi.StringOutput {
	return pulumi.All(strs.ToStringMapOutput(), lists.ToStringArrayMapOutput()).ApplyT(func(v []any) (string, error) {
		return build(v[0].(map[string]string), v[1].(map[string][]string)).JSON()
	}).(pulumi.StringOutput)
}

// role creates a role trusted by ECS tasks with one inline policy.
func (b *builder) role(suffix, description string, policy pulumi.StringInput) (*iam.Role, error) {
	a := b.args
	trust, err := TaskTrust(a.Account).JSON()
	if err != nil {
		return nil, b.wrap("trust policy", err)
	}
	r, err := iam.NewRole(b.ctx, b.name+"-"+suffix, &iam.RoleArgs{
		Name:             pulumi.String(a.NamePrefix + "-" + suffix),
		Description:      pulumi.String(description),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             b.tags(suffix),
	}, b.parent)
	if err != nil {
		return nil, b.wrap("role "+suffix, err)
	}
	if _, err := iam.NewRolePolicy(b.ctx, b.name+"-"+suffix, &iam.RolePolicyArgs{
		Role:   r.Name,
		Name:   pulumi.String(suffix),
		Policy: policy,
	}, b.parent); err != nil {
		return nil, b.wrap("role policy "+suffix, err)
	}
	return r, nil
}

// roles creates the separate execution and task roles of both task families.
func (b *builder) roles() error {
	a := b.args
	acct := a.Account
	lg := b.logGroupNames
	b.s.ExecutionRoles = map[string]pulumi.StringOutput{}
	b.s.TaskRoleARNs = map[string]pulumi.StringOutput{}

	webExec, err := b.role("web-exec", "ECS execution role of the web task: pull images, write logs, inject the operator secret", renderPolicy(
		pulumi.StringMap{"web": b.s.repositoryArns["web"], "utility": b.s.repositoryArns["utility"],
			"lgWeb": lg[ContainerWeb], "lgHealth": lg[ContainerHealthCheck], "lgList": lg[ContainerListServices],
			"operator": b.s.OperatorSecretARN, "key": b.keyArn},
		nil,
		func(s map[string]string, _ map[string][]string) iampolicy.Document {
			return WebExecutionPolicy(acct, s["web"], s["utility"], []string{s["lgWeb"], s["lgHealth"], s["lgList"]}, s["operator"], s["key"])
		}))
	if err != nil {
		return err
	}
	listPolicy, err := ListServicesPolicy(acct).JSON()
	if err != nil {
		return b.wrap("list-services policy", err)
	}
	webTask, err := b.role("web-task", "ECS task role of the web task: the read-only listing of list-services.sh", pulumi.String(listPolicy))
	if err != nil {
		return err
	}

	g, db, cache := a.Gateway, a.Database, a.Cache
	backendExec, err := b.role("backend-exec", "ECS execution role of the backend task: pull the image, write logs, inject secrets (the RDS master secret into the migrate init container)", renderPolicy(
		pulumi.StringMap{"repo": b.s.repositoryArns["backend"], "lg": lg[ContainerBackend], "lgMigrate": lg[ContainerMigrate],
			"redis": cache.AuthSecretARN, "token": g.TokenKeySecretARN, "shared": g.SharedSecretARN, "master": db.SecretARN,
			"cacheKey": cache.KMSKeyARN, "gwKey": g.SecretsKMSKeyARN, "dbKey": db.KMSKeyARN},
		nil,
		func(s map[string]string, _ map[string][]string) iampolicy.Document {
			return BackendExecutionPolicy(acct, s["repo"], []string{s["lg"], s["lgMigrate"]},
				[]string{s["redis"], s["token"], s["shared"], s["master"]},
				dedupe(s["cacheKey"], s["gwKey"], s["dbKey"]))
		}))
	if err != nil {
		return err
	}
	backendTask, err := b.role("backend-task", "ECS task role of the backend: @connections of its stage, rds-db:connect as "+rds.AppUser, renderPolicy(
		pulumi.StringMap{"dbResource": db.ResourceID},
		pulumi.StringArrayMap{"conns": g.ConnectionsARNs},
		func(s map[string]string, l map[string][]string) iampolicy.Document {
			return BackendTaskPolicy(acct, l["conns"], rds.ConnectARN(acct, s["dbResource"], rds.AppUser))
		}))
	if err != nil {
		return err
	}
	b.s.ExecutionRoles[FamilyWeb], b.s.TaskRoleARNs[FamilyWeb] = webExec.Arn, webTask.Arn
	b.s.ExecutionRoles[FamilyBackend], b.s.TaskRoleARNs[FamilyBackend] = backendExec.Arn, backendTask.Arn
	return nil
}

// dedupe keeps the first occurrence of each value (two inputs may name the same key).
func dedupe(vs ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
