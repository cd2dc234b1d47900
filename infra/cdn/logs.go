package cdn

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/iampolicy"
)

// AccessLogsPrefix is where CloudFront's access logs land in the log bucket.
const AccessLogsPrefix = "cloudfront"

// LogDeliveryStatements let CloudWatch Logs' delivery service write CloudFront's access logs
// under AccessLogsPrefix, for delivery sources of this account in us-east-1 only.
func LogDeliveryStatements(a awsenv.Account, sinkArn string) []iampolicy.Statement {
	cond := iampolicy.Conditions{
		"StringEquals": {"aws:SourceAccount": iampolicy.List{a.ID}},
		"ArnLike":      {"aws:SourceArn": iampolicy.List{fmt.Sprintf("arn:%s:logs:us-east-1:%s:delivery-source:*", a.Partition, a.ID)}},
	}
	principal := &iampolicy.Principal{Service: iampolicy.List{a.ServicePrincipal("delivery.logs")}}
	write := iampolicy.Conditions{
		"StringEquals": {"aws:SourceAccount": iampolicy.List{a.ID}, "s3:x-amz-acl": iampolicy.List{"bucket-owner-full-control"}},
		"ArnLike":      cond["ArnLike"],
	}
	return []iampolicy.Statement{
		{Sid: "AWSLogDeliveryWrite", Effect: "Allow", Principal: principal, Action: iampolicy.List{"s3:PutObject"}, Resource: iampolicy.List{sinkArn + "/" + AccessLogsPrefix + "/*"}, Condition: write},
		{Sid: "AWSLogDeliveryAclCheck", Effect: "Allow", Principal: principal, Action: iampolicy.List{"s3:GetBucketAcl", "s3:ListBucket"}, Resource: iampolicy.List{sinkArn}, Condition: cond},
	}
}

// newLogDelivery sends the distribution's access logs (standard logging v2) to the log bucket.
// The source, destination and delivery live in us-east-1, where CloudFront's logging is
// configured; the bucket may be in any region.
func newLogDelivery(ctx *pulumi.Context, name string, args *Args, distArn, sinkArn pulumi.StringOutput, sinkPolicy pulumi.Resource, opts ...pulumi.ResourceOption) error {
	useast := append(opts, pulumi.Provider(args.UsEast1))
	source, err := cloudwatch.NewLogDeliverySource(ctx, name+"-access-logs-source", &cloudwatch.LogDeliverySourceArgs{
		Name:        pulumi.String(args.NamePrefix + "-cdn"),
		LogType:     pulumi.String("ACCESS_LOGS"),
		ResourceArn: distArn,
		Tags:        awsenv.Tags(args.Tags, args.NamePrefix+"-cdn"),
	}, useast...)
	if err != nil {
		return err
	}
	dest, err := cloudwatch.NewLogDeliveryDestination(ctx, name+"-access-logs-destination", &cloudwatch.LogDeliveryDestinationArgs{
		Name:         pulumi.String(args.NamePrefix + "-cdn-s3"),
		OutputFormat: pulumi.String("parquet"),
		DeliveryDestinationConfiguration: &cloudwatch.LogDeliveryDestinationDeliveryDestinationConfigurationArgs{
			DestinationResourceArn: pulumi.Sprintf("%s/%s", sinkArn, AccessLogsPrefix),
		},
		Tags: awsenv.Tags(args.Tags, args.NamePrefix+"-cdn-s3"),
	}, useast...)
	if err != nil {
		return err
	}
	_, err = cloudwatch.NewLogDelivery(ctx, name+"-access-logs", &cloudwatch.LogDeliveryArgs{
		DeliverySourceName:     source.Name,
		DeliveryDestinationArn: dest.Arn,
		Tags:                   awsenv.Tags(args.Tags, args.NamePrefix+"-cdn-access-logs"),
	}, append(useast, pulumi.DependsOn([]pulumi.Resource{sinkPolicy}))...)
	return err
}
