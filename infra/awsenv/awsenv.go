// Package awsenv looks up the AWS account, region and partition the stack deploys to, once, and
// builds the ARNs, service principals and tags the components need from them.
package awsenv

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Account is where the stack deploys. All fields are known at preview (plain invokes).
type Account struct {
	ID            string // 12-digit account id
	Region        string // e.g. eu-west-1
	Partition     string // aws, aws-cn, aws-us-gov
	DNSSuffix     string // amazonaws.com
	ServicePrefix string // com.amazonaws (reverse DNS prefix of endpoint service names)
}

// Lookup asks the AWS provider for the caller identity, region and partition.
func Lookup(ctx *pulumi.Context) (Account, error) {
	id, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return Account{}, fmt.Errorf("awsenv: caller identity: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return Account{}, fmt.Errorf("awsenv: region: %w", err)
	}
	part, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return Account{}, fmt.Errorf("awsenv: partition: %w", err)
	}
	a := Account{ID: id.AccountId, Region: region.Name, Partition: part.Partition, DNSSuffix: part.DnsSuffix, ServicePrefix: part.ReverseDnsPrefix}
	if a.ID == "" || a.Region == "" || a.Partition == "" || a.DNSSuffix == "" || a.ServicePrefix == "" {
		return Account{}, fmt.Errorf("awsenv: incomplete lookup %+v", a)
	}
	return a, nil
}

// RootARN is the account principal used in key policies to delegate access to IAM.
func (a Account) RootARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:root", a.Partition, a.ID)
}

// ARN builds a regional ARN in this account: ARN("logs", "log-group:/x").
func (a Account) ARN(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", a.Partition, service, a.Region, a.ID, resource)
}

// GlobalARN builds an ARN without a region, e.g. for IAM: GlobalARN("iam", "role/x").
func (a Account) GlobalARN(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s::%s:%s", a.Partition, service, a.ID, resource)
}

// ManagedPolicyARN is the ARN of an AWS managed IAM policy, e.g. "service-role/AmazonRDSEnhancedMonitoringRole".
func (a Account) ManagedPolicyARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy/%s", a.Partition, name)
}

// ServicePrincipal is a global service principal, e.g. "monitoring.rds" -> monitoring.rds.amazonaws.com.
func (a Account) ServicePrincipal(service string) string {
	return service + "." + a.DNSSuffix
}

// RegionalServicePrincipal is a regional service principal, e.g. "logs" -> logs.eu-west-1.amazonaws.com.
func (a Account) RegionalServicePrincipal(service string) string {
	return service + "." + a.Region + "." + a.DNSSuffix
}

// EndpointService is the VPC endpoint service name, e.g. "ecr.api" -> com.amazonaws.eu-west-1.ecr.api.
func (a Account) EndpointService(service string) string {
	return a.ServicePrefix + "." + a.Region + "." + service
}

// Tags returns base plus a Name tag, as a Pulumi input.
func Tags(base map[string]string, name string) pulumi.StringMap {
	m := maps.Clone(base)
	if m == nil {
		m = map[string]string{}
	}
	m["Name"] = name
	return pulumi.ToStringMap(m)
}

// zipMagic starts every zip file.
var zipMagic = []byte("PK\x03\x04")

// CheckLambdaZip requires a Lambda package to exist and be a zip file, so that a missing build
// is a clear error naming field and the make target that builds it, rather than a failed upload.
func CheckLambdaZip(field, path, makeTarget string) error {
	if path == "" {
		return fmt.Errorf("%s is required (run make %s)", field, makeTarget)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w (run make %s)", field, err, makeTarget)
	}
	defer f.Close()
	head := make([]byte, len(zipMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, zipMagic) {
		return fmt.Errorf("%s %s is not a zip file (run make %s)", field, path, makeTarget)
	}
	return nil
}
