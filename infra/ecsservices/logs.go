package ecsservices

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
)

// logGroups creates the containers' log groups (LogGroupNames) before the roles and task
// definitions that name them, with the log retention and the stack's logs key.
func (b *builder) logGroups() error {
	a := b.args
	b.logGroupNames = map[string]pulumi.StringInput{}
	for _, c := range Containers {
		full := LogGroupNames(a.NamePrefix)[c]
		lg, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-log-"+c, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(full),
			RetentionInDays: pulumi.Int(a.LogRetentionDays),
			KmsKeyId:        a.LogsKMSKeyARN,
			Tags:            awsenv.Tags(a.Tags, full),
		}, b.parent)
		if err != nil {
			return b.wrap("log group "+full, err)
		}
		b.logGroupNames[c] = lg.Name
	}
	return nil
}
