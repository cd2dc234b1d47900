package stack

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
)

// SiteType is the type token of the site's DNS component.
const SiteType = "chess:site:Site"

// CloudFrontZoneID is the hosted zone of every CloudFront distribution (alias targets).
const CloudFrontZoneID = "Z2FDTNDATAQYW2"

// SiteArgs configures the site's name: its CloudFront certificate and DNS records.
type SiteArgs struct {
	// Domain is the site's name; "" (preview only) creates nothing.
	Domain string
	// HostedZoneID is the Route 53 zone of Domain; "" means the operator manages DNS and
	// CertificateArn is given.
	HostedZoneID string
	// CertificateArn is an existing us-east-1 certificate for Domain. Optional with a zone.
	CertificateArn string
	// UsEast1 creates the certificate where CloudFront takes it from. Required with a zone.
	UsEast1 pulumi.ProviderResource
	// ValidatedBy are the records that validate Domain for this account (ACM asks for the same
	// record in every Region): the ALB certificate's.
	ValidatedBy []pulumi.Resource
	// Tags are added to the certificate. Optional.
	Tags map[string]string
}

// Site is the component: CloudFront's certificate first (New), the alias records once the
// distribution exists (Alias).
type Site struct {
	pulumi.ResourceState

	// CertificateArn is the validated us-east-1 certificate (nil without a domain).
	CertificateArn pulumi.StringInput
	// RecordNames are the alias records created by Alias.
	RecordNames pulumi.StringArrayOutput `pulumi:"recordNames"`

	name string
	args SiteArgs
}

// NewSite creates the CloudFront certificate for the domain (or takes the configured one).
func NewSite(ctx *pulumi.Context, name string, args *SiteArgs, opts ...pulumi.ResourceOption) (*Site, error) {
	if args == nil {
		return nil, errors.New("site: args are required")
	}
	if args.Domain != "" && args.HostedZoneID == "" && args.CertificateArn == "" {
		return nil, fmt.Errorf("site %s: %s needs a hosted zone or a certificate", name, args.Domain)
	}
	if args.HostedZoneID != "" && args.CertificateArn == "" && args.UsEast1 == nil {
		return nil, fmt.Errorf("site %s: the certificate needs the us-east-1 provider", name)
	}
	s := &Site{name: name, args: *args}
	if err := ctx.RegisterComponentResource(SiteType, name, s, opts...); err != nil {
		return nil, err
	}
	switch {
	case args.CertificateArn != "":
		s.CertificateArn = pulumi.String(args.CertificateArn)
	case args.Domain != "":
		cert, err := acm.NewCertificate(ctx, name+"-cdn-cert", &acm.CertificateArgs{
			DomainName:       pulumi.String(args.Domain),
			ValidationMethod: pulumi.String("DNS"),
			KeyAlgorithm:     pulumi.String("RSA_2048"),
			Tags:             awsenv.Tags(args.Tags, args.Domain+"-cloudfront"),
		}, pulumi.Parent(s), pulumi.Provider(args.UsEast1))
		if err != nil {
			return nil, fmt.Errorf("site %s: certificate: %w", name, err)
		}
		// No record of its own: the ALB certificate's record for the domain validates it.
		valid, err := acm.NewCertificateValidation(ctx, name+"-cdn-cert", &acm.CertificateValidationArgs{
			CertificateArn: cert.Arn,
		}, pulumi.Parent(s), pulumi.Provider(args.UsEast1), pulumi.DependsOn(args.ValidatedBy))
		if err != nil {
			return nil, fmt.Errorf("site %s: certificate validation: %w", name, err)
		}
		s.CertificateArn = valid.CertificateArn
	}
	return s, nil
}

// Alias points the domain at the distribution (A and AAAA alias records) when the stack
// manages the zone, and registers the outputs.
func (s *Site) Alias(ctx *pulumi.Context, distributionDomain pulumi.StringInput) error {
	a := s.args
	var names pulumi.StringArray
	if a.Domain != "" && a.HostedZoneID != "" {
		for _, typ := range []string{"A", "AAAA"} {
			r, err := route53.NewRecord(ctx, s.name+"-"+typ, &route53.RecordArgs{
				ZoneId: pulumi.String(a.HostedZoneID),
				Name:   pulumi.String(a.Domain),
				Type:   pulumi.String(typ),
				Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
					Name:                 distributionDomain,
					ZoneId:               pulumi.String(CloudFrontZoneID),
					EvaluateTargetHealth: pulumi.Bool(false),
				}},
			}, pulumi.Parent(s))
			if err != nil {
				return fmt.Errorf("site %s: %s record: %w", s.name, typ, err)
			}
			names = append(names, pulumi.Sprintf("%s %s", r.Fqdn, typ))
		}
	}
	s.RecordNames = names.ToStringArrayOutput()
	return ctx.RegisterResourceOutputs(s, pulumi.Map{"recordNames": s.RecordNames})
}
