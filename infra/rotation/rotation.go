// Package rotation is the component chess:rotation:Rotation: the Secrets Manager rotation
// Lambda of the generated secrets (app/cmd/secret-rotator: the session-signing key, the Redis
// AUTH token and the web app's operator credential), its role, Secrets Manager's permission to invoke it for exactly those secrets, and
// their rotation schedules.
//
// The function runs outside the VPC: it calls only the Secrets Manager, ElastiCache and ECS
// APIs (public regional endpoints); a VPC would add ENIs and NAT traffic for nothing (the
// authorizer's reasoning, docs/infra.md). Its timeout is 15 minutes because setSecret waits
// for the replication group to apply an AUTH token change.
package rotation

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/iampolicy"
)

// Type is the component's type token.
const Type = "chess:rotation:Rotation"

// Function settings (runtime and packaging as the $connect authorizer).
const (
	Runtime      = "provided.al2023"
	Architecture = "arm64"
	Handler      = "bootstrap"
	MemoryMB     = 128
	TimeoutSec   = 900
)

// Secret is one secret the function rotates, with the key that encrypts it.
type Secret struct {
	ARN, KMSKeyARN pulumi.StringInput
}

// Args configures the component. Every field is required.
type Args struct {
	Account    awsenv.Account
	NamePrefix string
	// Zip is dist/secret-rotator.zip (make build-rotator).
	Zip string
	// LogsKMSKeyARN is the stack's logs key (observability) that encrypts the function's log
	// group (LogGroupName), which the component creates; LogRetentionDays its retention.
	LogsKMSKeyARN    pulumi.StringInput
	LogRetentionDays int
	// SessionKey is the session-signing key set; RedisAuth the replication group's AUTH token;
	// Operator the web app's operator credential.
	SessionKey, RedisAuth, Operator Secret
	// ReplicationGroupARN is the group whose AUTH token RedisAuth holds.
	ReplicationGroupARN pulumi.StringInput
	// ClusterName and ServiceName name the backend service redeployed after each rotation of
	// SessionKey or RedisAuth; WebServiceName the web service (same cluster) redeployed after
	// each rotation of Operator.
	ClusterName, ServiceName, WebServiceName pulumi.StringInput
	// Days between rotations (config secretRotationDays).
	Days int
	// Tags are added to every taggable child. Optional.
	Tags map[string]string
}

// LogGroupName is the rotation function's log group.
func LogGroupName(prefix string) string { return "/" + prefix + "/lambda/secret-rotator" }

// Rotation is the component.
type Rotation struct {
	pulumi.ResourceState

	FunctionARN  pulumi.StringOutput `pulumi:"functionArn"`
	FunctionName pulumi.StringOutput `pulumi:"functionName"`
	Function     *lambda.Function
}

// Policy is the function's role policy: its own logs; describe, read, write versions of and
// move labels on exactly the three secrets (through their keys, via Secrets Manager only); the
// AUTH token of exactly the one replication group; and redeploying exactly the backend and the
// web service.
func Policy(a awsenv.Account, logGroup string, secrets, keys []string, groupArn, serviceArn, webServiceArn string) iampolicy.Document {
	return iampolicy.New(
		iampolicy.Statement{
			Sid:      "WriteLogs",
			Effect:   "Allow",
			Action:   iampolicy.List{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: iampolicy.List{a.ARN("logs", "log-group:"+logGroup+":*")},
		},
		iampolicy.Statement{
			Sid:    "RotateSecrets",
			Effect: "Allow",
			Action: iampolicy.List{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
				"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"},
			Resource: iampolicy.List(secrets),
		},
		iampolicy.Statement{
			Sid:       "UseSecretKeys",
			Effect:    "Allow",
			Action:    iampolicy.List{"kms:Decrypt", "kms:GenerateDataKey"},
			Resource:  iampolicy.List(keys),
			Condition: iampolicy.Conditions{"StringEquals": {"kms:ViaService": iampolicy.List{"secretsmanager." + a.Region + "." + a.DNSSuffix}}},
		},
		iampolicy.Statement{
			Sid:      "UpdateRedisAuthToken",
			Effect:   "Allow",
			Action:   iampolicy.List{"elasticache:DescribeReplicationGroups", "elasticache:ModifyReplicationGroup"},
			Resource: iampolicy.List{groupArn},
		},
		iampolicy.Statement{
			Sid:      "RedeployBackend",
			Effect:   "Allow",
			Action:   iampolicy.List{"ecs:UpdateService"},
			Resource: iampolicy.List{serviceArn},
		},
		iampolicy.Statement{
			Sid:      "RedeployWeb",
			Effect:   "Allow",
			Action:   iampolicy.List{"ecs:UpdateService"},
			Resource: iampolicy.List{webServiceArn},
		},
	)
}

// New creates the function, its role and policy, and one invoke permission and one rotation
// schedule per secret.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Rotation, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("rotation %s: %w", name, err)
	}
	r := &Rotation{}
	if err := ctx.RegisterComponentResource(Type, name, r, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(r)
	wrap := component.Wrap("rotation", name)
	a := args.Account
	tags := func(n string) pulumi.StringMap { return awsenv.Tags(args.Tags, args.NamePrefix+"-"+n) }

	logName := LogGroupName(args.NamePrefix)
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(logName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        args.LogsKMSKeyARN,
		Tags:            awsenv.Tags(args.Tags, logName),
	}, parent)
	if err != nil {
		return nil, wrap("log group", err)
	}
	trust, err := iampolicy.ServiceTrust(a.ServicePrincipal("lambda"), a.ID).JSON()
	if err != nil {
		return nil, wrap("trust policy", err)
	}
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Name:             pulumi.String(args.NamePrefix + "-secret-rotator-role"),
		Description:      pulumi.String("Secret rotation Lambda of " + args.NamePrefix + ": the session key, the Redis AUTH token and the operator secret"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             tags("secret-rotator"),
	}, parent)
	if err != nil {
		return nil, wrap("role", err)
	}
	serviceArn := func(svc pulumi.StringInput) pulumi.StringOutput {
		return pulumi.Sprintf("arn:%s:ecs:%s:%s:service/%s/%s", a.Partition, a.Region, a.ID, args.ClusterName, svc)
	}
	policy := pulumi.All(pulumi.StringMap{
		"lg": logGroup.Name, "session": args.SessionKey.ARN, "redis": args.RedisAuth.ARN, "operator": args.Operator.ARN,
		"sessionKey": args.SessionKey.KMSKeyARN, "redisKey": args.RedisAuth.KMSKeyARN, "operatorKey": args.Operator.KMSKeyARN,
		"group": args.ReplicationGroupARN, "service": serviceArn(args.ServiceName), "web": serviceArn(args.WebServiceName),
	}.ToStringMapOutput()).ApplyT(func(v []any) (string, error) {
		s := v[0].(map[string]string)
		var keys []string
		for _, k := range []string{s["sessionKey"], s["redisKey"], s["operatorKey"]} {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		return Policy(a, s["lg"], []string{s["session"], s["redis"], s["operator"]}, keys, s["group"], s["service"], s["web"]).JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role: role.Name, Name: pulumi.String("secret-rotator"), Policy: policy,
	}, parent)
	if err != nil {
		return nil, wrap("role policy", err)
	}
	groupID := pulumi.ToOutput(args.ReplicationGroupARN).ApplyT(func(v any) (string, error) {
		arn, _ := v.(string)
		_, id, ok := strings.Cut(arn, ":replicationgroup:")
		if !ok || id == "" {
			return "", fmt.Errorf("replication group ARN %q has no replicationgroup:<id>", arn)
		}
		return id, nil
	}).(pulumi.StringOutput)
	fn, err := lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
		Name:          pulumi.String(args.NamePrefix + "-secret-rotator"),
		Description:   pulumi.String("Rotates the session-signing key, the Redis AUTH token and the operator secret of " + args.NamePrefix),
		Runtime:       pulumi.String(Runtime),
		Architectures: pulumi.StringArray{pulumi.String(Architecture)},
		Handler:       pulumi.String(Handler),
		MemorySize:    pulumi.Int(MemoryMB),
		Timeout:       pulumi.Int(TimeoutSec),
		PackageType:   pulumi.String("Zip"),
		Code:          pulumi.NewFileArchive(args.Zip),
		Role:          role.Arn,
		Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			// ARNs and names only: the values stay in Secrets Manager.
			"SESSION_KEY_SECRET_ARN": args.SessionKey.ARN,
			"REDIS_AUTH_SECRET_ARN":  args.RedisAuth.ARN,
			"OPERATOR_SECRET_ARN":    args.Operator.ARN,
			"REPLICATION_GROUP_ID":   groupID,
			"ECS_CLUSTER":            args.ClusterName,
			"ECS_SERVICE":            args.ServiceName,
			"ECS_WEB_SERVICE":        args.WebServiceName,
			"LOG_LEVEL":              pulumi.String("info"),
		}},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: logGroup.Name},
		Tags:          tags("secret-rotator"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return nil, wrap("function", err)
	}
	for _, s := range []struct {
		suffix string
		arn    pulumi.StringInput
	}{{"session-key", args.SessionKey.ARN}, {"redis-auth", args.RedisAuth.ARN}, {"operator", args.Operator.ARN}} {
		perm, err := lambda.NewPermission(ctx, name+"-"+s.suffix, &lambda.PermissionArgs{
			Action:        pulumi.String("lambda:InvokeFunction"),
			Function:      fn.Name,
			Principal:     pulumi.String(a.ServicePrincipal("secretsmanager")),
			SourceArn:     s.arn,
			SourceAccount: pulumi.String(a.ID),
		}, parent)
		if err != nil {
			return nil, wrap("permission "+s.suffix, err)
		}
		if _, err := secretsmanager.NewSecretRotation(ctx, name+"-"+s.suffix, &secretsmanager.SecretRotationArgs{
			SecretId:          s.arn,
			RotationLambdaArn: fn.Arn,
			RotationRules: &secretsmanager.SecretRotationRotationRulesArgs{
				AutomaticallyAfterDays: pulumi.Int(args.Days),
			},
			// The first rotation waits for the schedule: Secrets Manager only tests the
			// function (testSecret) when the schedule is set.
			RotateImmediately: pulumi.Bool(false),
		}, parent, pulumi.DependsOn([]pulumi.Resource{perm})); err != nil {
			return nil, wrap("rotation "+s.suffix, err)
		}
	}
	r.Function, r.FunctionARN, r.FunctionName = fn, fn.Arn, fn.Name
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{"functionArn": fn.Arn, "functionName": fn.Name}); err != nil {
		return nil, wrap("register outputs", err)
	}
	return r, nil
}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	var errs []error
	req := func(ok bool, what string) {
		if !ok {
			errs = append(errs, errors.New(what+" is required"))
		}
	}
	req(a.Account.ID != "", "Account")
	req(a.NamePrefix != "", "NamePrefix")
	req(a.LogsKMSKeyARN != nil, "LogsKMSKeyARN")
	req(a.LogRetentionDays > 0, "LogRetentionDays")
	req(a.SessionKey.ARN != nil && a.SessionKey.KMSKeyARN != nil, "SessionKey (Arn, KmsKeyArn)")
	req(a.RedisAuth.ARN != nil && a.RedisAuth.KMSKeyARN != nil, "RedisAuth (Arn, KmsKeyArn)")
	req(a.Operator.ARN != nil && a.Operator.KMSKeyARN != nil, "Operator (Arn, KmsKeyArn)")
	req(a.ReplicationGroupARN != nil, "ReplicationGroupArn")
	req(a.ClusterName != nil && a.ServiceName != nil && a.WebServiceName != nil, "ClusterName, ServiceName and WebServiceName")
	if a.Days < 1 || a.Days > 365 {
		errs = append(errs, fmt.Errorf("Days %d: want 1 to 365", a.Days))
	}
	if err := awsenv.CheckLambdaZip("Zip", a.Zip, "build-rotator"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
