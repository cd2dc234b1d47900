package ecsservices

import (
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/iampolicy"
)

// Migrate task: `chess-server -migrate` from the backend image, run once per release before the
// backend rolls out (`make migrate`, docs/infra.md "Schema migrations"). It is the only holder of
// the RDS master secret: its own task role reads it at run time (DB_SECRET_ARN) and its own
// execution role pulls and logs; the long-running backend task has neither.
const (
	MigrateCPU    = 256
	MigrateMemory = 512
)

// MigrateTaskInputs are the run-time values of the migrate task definition.
type MigrateTaskInputs struct {
	Region, Image            string
	DBHost, DBName, DBSecret string
	DBPort                   int
	LogGroup                 string
}

// MigrateContainers is the migrate task's single container: the backend binary in migration
// mode, with the master secret's ARN (read at run time by the task role, never injected).
func MigrateContainers(in MigrateTaskInputs) []ContainerDef {
	return []ContainerDef{{
		Name:                   ContainerMigrate,
		Image:                  in.Image,
		Essential:              true,
		User:                   BackendUser,
		ReadonlyRootFilesystem: true,
		Command:                []string{"-migrate"},
		PortMappings:           []PortMapping{},
		Environment: []KeyValue{
			{"AWS_REGION", in.Region},
			{"DB_HOST", in.DBHost},
			{"DB_NAME", in.DBName},
			{"DB_PORT", strconv.Itoa(in.DBPort)},
			{"DB_SECRET_ARN", in.DBSecret},
			{"DB_SSLMODE", "verify-full"},
			{"DB_SSLROOTCERT", RDSCABundle},
		},
		Secrets:          []SecretRef{},
		MountPoints:      []MountPoint{},
		LogConfiguration: logConfig(in.Region, in.LogGroup, ContainerMigrate),
		LinuxParameters:  dropAll,
		StopTimeout:      30,
	}}
}

// MigrateExecutionPolicy: pull the backend image and write the migrate log group. No secret.
func MigrateExecutionPolicy(a awsenv.Account, backendRepo, logGroup string) iampolicy.Document {
	return iampolicy.New(append(pullStatements(backendRepo), iampolicy.Statement{
		Sid:      "WriteLogs",
		Effect:   "Allow",
		Action:   iampolicy.List{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource: logStreamsOf(a, logGroup),
	})...)
}

// MigrateTaskPolicy: read the RDS master secret (and decrypt it through Secrets Manager only).
func MigrateTaskPolicy(a awsenv.Account, dbSecret, dbKey string) iampolicy.Document {
	return iampolicy.New(
		iampolicy.Statement{
			Sid:      "ReadMasterSecret",
			Effect:   "Allow",
			Action:   iampolicy.List{"secretsmanager:GetSecretValue"},
			Resource: iampolicy.List{dbSecret},
		},
		iampolicy.Statement{
			Sid:       "DecryptMasterSecret",
			Effect:    "Allow",
			Action:    iampolicy.List{"kms:Decrypt"},
			Resource:  iampolicy.List{dbKey},
			Condition: iampolicy.Conditions{"StringEquals": {"kms:ViaService": iampolicy.List{"secretsmanager." + a.Region + "." + a.DNSSuffix}}},
		},
	)
}

// migrateTask creates the migrate task's roles and definition (no service: it runs on demand).
func (b *builder) migrateTask() error {
	a, db := b.args, b.args.Database
	acct, lg := a.Account, a.LogGroups[ContainerMigrate]
	exec, err := b.role("migrate-exec", "ECS execution role of the migrate task: pull the backend image, write logs", renderPolicy(
		pulumi.StringMap{"repo": b.s.repositoryArns["backend"], "lg": lg}, nil,
		func(s map[string]string, _ map[string][]string) iampolicy.Document {
			return MigrateExecutionPolicy(acct, s["repo"], s["lg"])
		}))
	if err != nil {
		return err
	}
	task, err := b.role("migrate-task", "ECS task role of the migrate task: the RDS master secret", renderPolicy(
		pulumi.StringMap{"db": db.SecretArn, "dbKey": db.KmsKeyArn}, nil,
		func(s map[string]string, _ map[string][]string) iampolicy.Document {
			return MigrateTaskPolicy(acct, s["db"], s["dbKey"])
		}))
	if err != nil {
		return err
	}
	defs := pulumi.All(pulumi.StringMap{
		"image": b.image("backend", a.Images.Backend), "dbHost": db.Host, "dbSecret": db.SecretArn, "lg": lg,
	}.ToStringMapOutput(), db.Port.ToIntOutput()).ApplyT(func(v []any) (string, error) {
		s, port := v[0].(map[string]string), v[1].(int)
		return MarshalContainers(MigrateContainers(MigrateTaskInputs{
			Region: acct.Region, Image: s["image"], DBHost: s["dbHost"], DBName: db.Name, DBSecret: s["dbSecret"], DBPort: port, LogGroup: s["lg"],
		}))
	}).(pulumi.StringOutput)
	td, err := ecs.NewTaskDefinition(b.ctx, b.name+"-migrate-task", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(a.NamePrefix + "-" + FamilyMigrate),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		NetworkMode:             pulumi.String("awsvpc"),
		Cpu:                     pulumi.String(strconv.Itoa(MigrateCPU)),
		Memory:                  pulumi.String(strconv.Itoa(MigrateMemory)),
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String("X86_64"),
		},
		ExecutionRoleArn:     exec.Arn,
		TaskRoleArn:          task.Arn,
		ContainerDefinitions: defs,
		Tags:                 b.tags("migrate-task"),
	}, b.parent)
	if err != nil {
		return b.wrap("migrate task definition", err)
	}
	b.s.ExecutionRoles[FamilyMigrate], b.s.TaskRoleArns[FamilyMigrate] = exec.Arn, task.Arn
	b.s.MigrateTaskDef, b.s.MigrateTaskDefinitionArn = td, td.Arn
	return nil
}
