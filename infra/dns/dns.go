// Package dns is the site's name component: the certificates of the ALB (regional) and of
// CloudFront (us-east-1), their DNS validation records, origin.<domain> pointing at the ALB, and
// the site's alias records pointing at the distribution, all in the stack's hosted zone.
//
// It is built in three phases because the records point at what is created between them: New
// (certificates, before the ALB's HTTPS listener), Origin (once the ALB exists) and Alias (once
// the distribution exists; it registers the outputs).
package dns

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
)

// Type is the component's type token.
const Type = "chess:dns:DNS"

// CloudFrontZoneID is the hosted zone of every CloudFront distribution (alias targets).
const CloudFrontZoneID = "Z2FDTNDATAQYW2"

// OriginHost is the name CloudFront connects to for the ALB: origin.<domain>. The ALB
// certificate covers it and the domain itself (CloudFront forwards the viewer's Host header and
// sends it as SNI).
func OriginHost(domain string) string { return "origin." + domain }

// Args configures the site's name.
type Args struct {
	// NamePrefix names the ALB certificate's tag, e.g. "chess-platform-dev". Required.
	NamePrefix string
	// Domain is the site's name; "" (preview only) creates nothing.
	Domain string
	// HostedZoneID is the Route 53 zone of Domain; "" means the operator manages DNS and both
	// certificate ARNs are given.
	HostedZoneID string
	// ALBCertificateARN is an existing regional certificate covering Domain and
	// OriginHost(Domain); CDNCertificateARN an existing us-east-1 certificate for Domain.
	// Optional with a zone (then the component creates and validates them).
	ALBCertificateARN, CDNCertificateARN string
	// UsEast1 creates the CloudFront certificate where CloudFront takes it from. Required with a
	// zone unless CDNCertificateARN is given.
	UsEast1 pulumi.ProviderResource
	// Tags are added to the certificates. Optional.
	Tags map[string]string
}

// DNS is the component.
type DNS struct {
	pulumi.ResourceState

	// ALBCertificateARN is the HTTPS listener's certificate: the configured one, the validated
	// one, or (preview without a domain) an unknown value.
	ALBCertificateARN pulumi.StringOutput `pulumi:"albCertificateArn"`
	// CDNCertificateARN is CloudFront's validated us-east-1 certificate (nil without a domain).
	CDNCertificateARN pulumi.StringInput
	// OriginDomainName is what CloudFront connects to (set by Origin): origin.<domain>, or the
	// ALB itself in a preview without a domain.
	OriginDomainName pulumi.StringOutput `pulumi:"originDomainName"`
	// RecordNames are the site's alias records (set by Alias).
	RecordNames pulumi.StringArrayOutput `pulumi:"recordNames"`

	name string
	args Args
}

// New creates (or takes) the certificates of the ALB and of CloudFront.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*DNS, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("dns %s: %w", name, err)
	}
	// Deliberate divergence: a preview may run before the operator inputs exist (the listener's
	// certificate is then an unknown output); up must not create an HTTPS listener without
	// one. Covered by TestCertificateNeededOutsidePreview.
	if args.ALBCertificateARN == "" && args.HostedZoneID == "" && !ctx.DryRun() {
		return nil, fmt.Errorf("dns %s: the HTTPS listener needs a certificate: set Domain with HostedZoneID or ALBCertificateARN (a preview runs without)", name)
	}
	d := &DNS{name: name, args: *args}
	if err := ctx.RegisterComponentResource(Type, name, d, opts...); err != nil {
		return nil, err
	}
	validatedBy, err := d.albCertificate(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.cdnCertificate(ctx, validatedBy); err != nil {
		return nil, err
	}
	return d, nil
}

// albCertificate picks the HTTPS listener's certificate: the configured ARN, or a certificate
// for the domain and OriginHost validated through the hosted zone, or (preview without a
// domain) an unknown value. It returns the validation records.
func (d *DNS) albCertificate(ctx *pulumi.Context) ([]pulumi.Resource, error) {
	a := d.args
	switch {
	case a.ALBCertificateARN != "":
		d.ALBCertificateARN = pulumi.String(a.ALBCertificateARN).ToStringOutput()
		return nil, nil
	case a.HostedZoneID == "":
		// Preview only (New refuses this outside a preview): no domain yet, so no certificate
		// source. An unknown output, not a placeholder ARN, so the plan shows the certificate
		// as computed instead of a value up would never use.
		d.ALBCertificateARN = pulumi.UnsafeUnknownOutput(nil).ApplyT(func(v any) string { return fmt.Sprint(v) }).(pulumi.StringOutput)
		return nil, nil
	}
	parent := pulumi.Parent(d)
	cert, err := acm.NewCertificate(ctx, d.name+"-alb-cert", &acm.CertificateArgs{
		DomainName:              pulumi.String(a.Domain),
		SubjectAlternativeNames: pulumi.StringArray{pulumi.String(OriginHost(a.Domain))},
		ValidationMethod:        pulumi.String("DNS"),
		KeyAlgorithm:            pulumi.String("RSA_2048"),
		Tags:                    awsenv.Tags(a.Tags, a.NamePrefix+"-alb-cert"),
	}, parent)
	if err != nil {
		return nil, d.wrap("ALB certificate", err)
	}
	var fqdns pulumi.StringArray
	var records []pulumi.Resource
	for i, host := range []string{a.Domain, OriginHost(a.Domain)} {
		record, err := ValidationRecord(ctx, fmt.Sprintf("%s-alb-cert-validation-%d", d.name, i), a.HostedZoneID, cert, host, parent)
		if err != nil {
			return nil, d.wrap("certificate validation record "+host, err)
		}
		fqdns = append(fqdns, record.Fqdn)
		records = append(records, record)
	}
	valid, err := acm.NewCertificateValidation(ctx, d.name+"-alb-cert", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: fqdns,
	}, parent)
	if err != nil {
		return nil, d.wrap("ALB certificate validation", err)
	}
	d.ALBCertificateARN = valid.CertificateArn
	return records, nil
}

// cdnCertificate creates CloudFront's certificate for the domain (or takes the configured one).
func (d *DNS) cdnCertificate(ctx *pulumi.Context, validatedBy []pulumi.Resource) error {
	a := d.args
	switch {
	case a.CDNCertificateARN != "":
		d.CDNCertificateARN = pulumi.String(a.CDNCertificateARN)
		return nil
	case a.Domain == "" || a.HostedZoneID == "":
		return nil
	}
	cert, err := acm.NewCertificate(ctx, d.name+"-cdn-cert", &acm.CertificateArgs{
		DomainName:       pulumi.String(a.Domain),
		ValidationMethod: pulumi.String("DNS"),
		KeyAlgorithm:     pulumi.String("RSA_2048"),
		Tags:             awsenv.Tags(a.Tags, a.Domain+"-cloudfront"),
	}, pulumi.Parent(d), pulumi.Provider(a.UsEast1))
	if err != nil {
		return d.wrap("CloudFront certificate", err)
	}
	// No record of its own: ACM asks for the same record for a name in every Region of an
	// account, so the ALB certificate's record for the domain validates it.
	valid, err := acm.NewCertificateValidation(ctx, d.name+"-cdn-cert", &acm.CertificateValidationArgs{
		CertificateArn: cert.Arn,
	}, pulumi.Parent(d), pulumi.Provider(a.UsEast1), pulumi.DependsOn(validatedBy))
	if err != nil {
		return d.wrap("CloudFront certificate validation", err)
	}
	d.CDNCertificateARN = valid.CertificateArn
	return nil
}

// ValidationRecord creates the DNS record that validates cert for one of its names (it may
// exist already from an earlier certificate: it is overwritten with the same value).
func ValidationRecord(ctx *pulumi.Context, name, zoneID string, cert *acm.Certificate, domain string, opts ...pulumi.ResourceOption) (*route53.Record, error) {
	dvo := cert.DomainValidationOptions.ApplyT(func(opts []acm.CertificateDomainValidationOption) (acm.CertificateDomainValidationOption, error) {
		for _, o := range opts {
			if o.DomainName != nil && *o.DomainName == domain {
				return o, nil
			}
		}
		return acm.CertificateDomainValidationOption{}, fmt.Errorf("certificate has no validation option for %s", domain)
	}).(acm.CertificateDomainValidationOptionOutput)
	return route53.NewRecord(ctx, name, &route53.RecordArgs{
		ZoneId:         pulumi.String(zoneID),
		Name:           dvo.ResourceRecordName().Elem(),
		Type:           dvo.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{dvo.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(300),
		AllowOverwrite: pulumi.Bool(true),
	}, opts...)
}

// Origin points OriginHost at the ALB when the stack manages the zone (otherwise the operator
// creates it, docs/infra.md) and sets OriginDomainName.
func (d *DNS) Origin(ctx *pulumi.Context, albDNSName, albZoneID pulumi.StringOutput) error {
	a := d.args
	switch {
	case a.Domain == "":
		d.OriginDomainName = albDNSName
		return nil
	case a.HostedZoneID == "":
		d.OriginDomainName = pulumi.String(OriginHost(a.Domain)).ToStringOutput()
		return nil
	}
	r, err := route53.NewRecord(ctx, d.name+"-origin", &route53.RecordArgs{
		ZoneId: pulumi.String(a.HostedZoneID),
		Name:   pulumi.String(OriginHost(a.Domain)),
		Type:   pulumi.String("A"),
		Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
			Name:                 albDNSName,
			ZoneId:               albZoneID,
			EvaluateTargetHealth: pulumi.Bool(true),
		}},
	}, pulumi.Parent(d))
	if err != nil {
		return d.wrap("origin record", err)
	}
	d.OriginDomainName = r.Fqdn
	return nil
}

// Alias points the domain at the distribution (A and AAAA alias records) when the stack
// manages the zone, and registers the outputs.
func (d *DNS) Alias(ctx *pulumi.Context, distributionDomain pulumi.StringInput) error {
	a := d.args
	var names pulumi.StringArray
	if a.Domain != "" && a.HostedZoneID != "" {
		for _, typ := range []string{"A", "AAAA"} {
			r, err := route53.NewRecord(ctx, d.name+"-"+typ, &route53.RecordArgs{
				ZoneId: pulumi.String(a.HostedZoneID),
				Name:   pulumi.String(a.Domain),
				Type:   pulumi.String(typ),
				Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
					Name:                 distributionDomain,
					ZoneId:               pulumi.String(CloudFrontZoneID),
					EvaluateTargetHealth: pulumi.Bool(false),
				}},
			}, pulumi.Parent(d))
			if err != nil {
				return d.wrap(typ+" record", err)
			}
			names = append(names, pulumi.Sprintf("%s %s", r.Fqdn, typ))
		}
	}
	d.RecordNames = names.ToStringArrayOutput()
	return ctx.RegisterResourceOutputs(d, pulumi.Map{
		"albCertificateArn": d.ALBCertificateARN,
		"originDomainName":  d.OriginDomainName,
		"recordNames":       d.RecordNames,
	})
}

func (d *DNS) wrap(what string, err error) error {
	return fmt.Errorf("dns %s: %s: %w", d.name, what, err)
}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	var errs []error
	if a.NamePrefix == "" {
		errs = append(errs, errors.New("NamePrefix is required"))
	}
	if a.Domain == "" && (a.HostedZoneID != "" || a.ALBCertificateARN != "" || a.CDNCertificateARN != "") {
		errs = append(errs, errors.New("Domain is required with HostedZoneID or a certificate ARN"))
	}
	if a.Domain != "" && strings.ContainsAny(a.Domain, "/: ") {
		errs = append(errs, fmt.Errorf("Domain %q must be a bare DNS name", a.Domain))
	}
	if a.Domain != "" && a.HostedZoneID == "" && a.CDNCertificateARN == "" {
		errs = append(errs, fmt.Errorf("%s needs a hosted zone or a certificate (CDNCertificateARN)", a.Domain))
	}
	if a.HostedZoneID != "" && a.CDNCertificateARN == "" && a.UsEast1 == nil {
		errs = append(errs, errors.New("the CloudFront certificate needs the us-east-1 provider (UsEast1)"))
	}
	return errors.Join(errs...)
}
