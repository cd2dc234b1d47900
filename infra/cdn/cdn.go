// Package cdn is the content delivery component: CloudFront in front of the ALB for every path,
// with the Next.js static assets (/_next/static/*, /static/*) served from a private S3 bucket
// through origin access control (OAC), a response headers policy with HSTS and the security
// headers, the CLOUDFRONT web ACL, standard logging (v2) to a log bucket, and the build's static
// files uploaded with immutable cache headers.
//
// Decisions (docs/infra.md has the long form):
//   - Static paths use an origin group: S3 first, the ALB when S3 answers 403/404/5xx. A rolling
//     deployment briefly runs tasks of the previous build whose files the upload has replaced
//     (or the reverse); the web container serves its own .next/static, so those requests still
//     succeed.
//   - Every other path goes to the ALB over HTTPS (TLS 1.2), uncached, with every viewer header,
//     cookie and query string (AllViewer, so WebSocket upgrades on /ws pass through), plus a
//     secret origin header the ALB checks. The ALB certificate must cover OriginDomainName:
//     CloudFront accepts an origin certificate that names the origin domain or the forwarded Host.
//   - Standard logging uses v2 (CloudWatch Logs delivery to S3): the legacy S3 logging needs ACLs
//     on the log bucket, which BucketOwnerEnforced (FSBP S3.12) forbids. AWS Config's
//     cloudfront-accesslogs-enabled (FSBP CloudFront.5) only recognises legacy logging and will
//     report this distribution; the control here checks the v2 delivery instead.
//   - Without a certificate (no domain) the distribution uses *.cloudfront.net, whose minimum
//     protocol CloudFront fixes at TLSv1; that fails CloudFront.15 and is only allowed when the
//     caller waives it (AllowDefaultCertificate).
package cdn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/s3bucket"
)

// Type is the component's type token.
const Type = "chess:cdn:CDN"

// OriginVerifyHeader carries OriginVerifySecret from CloudFront to the ALB, whose listener
// rules must require it.
const OriginVerifyHeader = "X-Origin-Verify"

// Managed policies (ids from the CloudFront developer guide, "Use managed cache policies" and
// "Use managed origin request policies").
const (
	CachingOptimizedPolicyID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	CachingDisabledPolicyID  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	AllViewerPolicyID        = "216adef6-5c7f-47e4-b989-5492eafa07d3"
)

// Viewer TLS on a custom certificate (FSBP CloudFront.15, CKV_AWS_174; the string Pulumi's
// compliance policy matches).
const (
	MinimumProtocolVersion = "TLSv1.2_2021"
	SSLSupportMethod       = "sni-only"
)

// StaticPrefix is where Next.js serves its build output (and where it is uploaded).
const StaticPrefix = "_next/static/"

// StaticPaths are the behaviours served from the bucket (origin group), in order.
var StaticPaths = []string{"/_next/static/*", "/static/*"}

// ImmutableCacheControl is sent with every uploaded file: Next.js puts a content hash in every
// file name under _next/static, so a name never changes content.
const ImmutableCacheControl = "public, max-age=31536000, immutable"

// Origin ids inside the distribution.
const (
	AssetsOriginID = "assets-s3"
	ALBOriginID    = "alb"
	StaticGroupID  = "static-s3-then-alb"
)

// failoverStatuses make the static origin group fall back to the ALB. S3 answers 403 (not 404)
// for a missing key when the caller may not list the bucket, as CloudFront via OAC may not.
var failoverStatuses = []int{403, 404, 500, 502, 503, 504}

// Args configures the CDN.
type Args struct {
	// Common are the Account, NamePrefix, LogRetentionDays, KMSDeletionWindowDays and Tags
	// every component takes.
	component.Common
	// UsEast1 is an AWS provider for us-east-1, where CloudFront's log delivery source must be
	// created. Required.
	UsEast1 pulumi.ProviderResource
	// OriginDomainName is the DNS name CloudFront connects to for the ALB (HTTPS only, TLS 1.2);
	// the ALB's certificate must cover it, e.g. origin.chess.example.com. Required.
	OriginDomainName pulumi.StringInput
	// OriginVerifySecret is sent to the ALB in OriginVerifyHeader; pass a secret output. Required.
	OriginVerifySecret pulumi.StringInput
	// WebACLARN is the CLOUDFRONT-scope web ACL's ARN (waf.WAF.CloudfrontACLARN). Required.
	WebACLARN pulumi.StringInput
	// Aliases are the site's host names (e.g. chess.example.com). Optional; they need
	// CertificateARN.
	Aliases []string
	// CertificateARN is an ACM certificate in us-east-1 covering Aliases; with it viewers get
	// TLS >= 1.2 (TLSv1.2_2021) over SNI. Optional.
	CertificateARN pulumi.StringInput
	// AllowDefaultCertificate must be true to deploy without CertificateARN: the distribution
	// then serves *.cloudfront.net with CloudFront's default certificate, whose minimum protocol
	// cannot be raised (waiver of CloudFront.15). Default false.
	AllowDefaultCertificate bool
	// StaticDir is the Next.js build's static directory (the stack passes the web image's build:
	// webBuildDir/.next/static, one build for both); its files are
	// uploaded under _next/static/ when the directory exists. Optional; "" uploads nothing.
	StaticDir string
	// PriceClass of the distribution. Optional; default "PriceClass_100".
	PriceClass string
	// ForceDestroyBuckets lets pulumi destroy delete the buckets with their objects (dev).
	// Default false.
	ForceDestroyBuckets bool
}

// CDN is the component.
type CDN struct {
	pulumi.ResourceState

	DistributionID  pulumi.StringOutput `pulumi:"distributionId"`
	DistributionARN pulumi.StringOutput `pulumi:"distributionArn"`
	// DomainName is the distribution's *.cloudfront.net name (the alias target in Route 53).
	DomainName pulumi.StringOutput `pulumi:"domainName"`
	// SiteURL is https:// plus the first alias, or the CloudFront domain without aliases.
	SiteURL          pulumi.StringOutput `pulumi:"siteUrl"`
	AssetsBucketName pulumi.StringOutput `pulumi:"assetsBucketName"`
	LogBucketName    pulumi.StringOutput `pulumi:"logBucketName"`
	AssetsKMSKeyARN  pulumi.StringOutput `pulumi:"assetsKmsKeyArn"`
	// Uploaded lists the object keys uploaded from StaticDir, sorted.
	Uploaded []string

	Distribution *cloudfront.Distribution
}

// New creates the buckets, the distribution, its logging and the asset upload.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*CDN, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("cdn %s: %w", name, err)
	}
	files, err := staticFiles(args.StaticDir)
	if err != nil {
		return nil, fmt.Errorf("cdn %s: %w", name, err)
	}
	a := args.Account
	c := &CDN{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	wrap := component.Wrap("cdn", name)

	// Log sink: S3 server access logs of the assets bucket and CloudFront's access logs.
	logs, err := s3bucket.New(ctx, name+"-logs", &s3bucket.Args{
		Name:         s3bucket.Name(a, args.NamePrefix, "cdn-logs"),
		LogSink:      true,
		ExpireDays:   args.LogRetentionDays,
		ForceDestroy: args.ForceDestroyBuckets,
		Tags:         args.Tags,
	}, parent)
	if err != nil {
		return nil, wrap("log bucket", err)
	}
	assets, err := s3bucket.New(ctx, name+"-assets", &s3bucket.Args{
		Name:            s3bucket.Name(a, args.NamePrefix, "assets"),
		DeferEncryption: true, // the key's policy names the distribution, created below
		AccessLogBucket: logs.ID,
		ForceDestroy:    args.ForceDestroyBuckets,
		Tags:            args.Tags,
	}, parent)
	if err != nil {
		return nil, wrap("assets bucket", err)
	}

	oac, err := cloudfront.NewOriginAccessControl(ctx, name+"-oac", &cloudfront.OriginAccessControlArgs{
		Name:                          pulumi.String(args.NamePrefix + "-assets"),
		Description:                   pulumi.String("CloudFront reads " + assets.Name + " with SigV4"),
		OriginAccessControlOriginType: pulumi.String("s3"),
		SigningBehavior:               pulumi.String("always"),
		SigningProtocol:               pulumi.String("sigv4"),
	}, parent)
	if err != nil {
		return nil, wrap("origin access control", err)
	}
	headers, err := newSecurityHeaders(ctx, name, args.NamePrefix, parent)
	if err != nil {
		return nil, wrap("response headers policy", err)
	}

	c.Distribution, err = cloudfront.NewDistribution(ctx, name, distributionArgs(args, assets.RegionalDomainName, oac.ID(), headers.ID()), parent)
	if err != nil {
		return nil, wrap("distribution", err)
	}
	dist := c.Distribution

	key, err := newAssetsKey(ctx, name+"-assets-key", args, dist.Arn, parent)
	if err != nil {
		return nil, wrap("assets key", err)
	}
	if err := assets.Encrypt(ctx, key.Arn, parent); err != nil {
		return nil, wrap("assets encryption", err)
	}
	if _, err := assets.Policy(ctx, name+"-assets-policy", pulumi.StringArray{dist.Arn}, func(bucketArn string, in []string) []iampolicy.Statement {
		return []iampolicy.Statement{OACReadStatement(a, bucketArn, in[0])}
	}, parent); err != nil {
		return nil, wrap("assets bucket policy", err)
	}
	logsPolicy, err := logs.Policy(ctx, name+"-logs-policy", nil, func(sinkArn string, _ []string) []iampolicy.Statement {
		return append([]iampolicy.Statement{
			s3bucket.AccessLogDelivery(a, sinkArn, map[string]string{assets.Name: s3bucket.AccessLogPrefix(assets.Name)}),
		}, LogDeliveryStatements(a, sinkArn)...)
	}, parent)
	if err != nil {
		return nil, wrap("log bucket policy", err)
	}
	if err := newLogDelivery(ctx, name, args, dist.Arn, logs.ARN, logsPolicy, parent); err != nil {
		return nil, wrap("access logs", err)
	}

	for _, f := range files {
		if _, err := s3.NewBucketObjectv2(ctx, name+"-static-"+strings.TrimPrefix(f.Key, StaticPrefix), &s3.BucketObjectv2Args{
			Bucket:       assets.ID,
			Key:          pulumi.String(f.Key),
			Source:       pulumi.NewFileAsset(f.Path),
			ContentType:  pulumi.String(f.ContentType),
			CacheControl: pulumi.String(ImmutableCacheControl),
			Tags:         awsenv.Tags(args.Tags, f.Key),
		}, parent, pulumi.DependsOn(assets.Settings)); err != nil {
			return nil, wrap("upload "+f.Key, err)
		}
		c.Uploaded = append(c.Uploaded, f.Key)
	}

	c.DistributionID = dist.ID().ToStringOutput()
	c.DistributionARN = dist.Arn
	c.DomainName = dist.DomainName
	if len(args.Aliases) > 0 {
		c.SiteURL = dist.DomainName.ApplyT(func(string) string { return "https://" + args.Aliases[0] }).(pulumi.StringOutput)
	} else {
		c.SiteURL = pulumi.Sprintf("https://%s", dist.DomainName)
	}
	c.AssetsBucketName = assets.ID
	c.LogBucketName = logs.ID
	c.AssetsKMSKeyARN = key.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"distributionId":   c.DistributionID,
		"distributionArn":  c.DistributionARN,
		"domainName":       c.DomainName,
		"siteUrl":          c.SiteURL,
		"assetsBucketName": c.AssetsBucketName,
		"logBucketName":    c.LogBucketName,
		"assetsKmsKeyArn":  c.AssetsKMSKeyARN,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

var priceClasses = map[string]bool{"PriceClass_100": true, "PriceClass_200": true, "PriceClass_All": true}

func (a *Args) validate() error {
	if a == nil {
		return errors.New("args are required")
	}
	errs := a.Common.Check()
	if a.UsEast1 == nil {
		errs = append(errs, errors.New("UsEast1 (an AWS provider for us-east-1) is required for CloudFront's log delivery"))
	}
	if a.OriginDomainName == nil {
		errs = append(errs, errors.New("OriginDomainName is required"))
	}
	if a.OriginVerifySecret == nil {
		errs = append(errs, errors.New("OriginVerifySecret is required: the ALB only accepts requests that carry it"))
	}
	if a.WebACLARN == nil {
		errs = append(errs, errors.New("WebAclArn (the CLOUDFRONT web ACL's ARN) is required"))
	}
	if a.CertificateARN == nil {
		if len(a.Aliases) > 0 {
			errs = append(errs, fmt.Errorf("Aliases %v need CertificateArn (an ACM certificate in us-east-1)", a.Aliases))
		}
		if !a.AllowDefaultCertificate {
			errs = append(errs, errors.New("no CertificateArn: set AllowDefaultCertificate to serve *.cloudfront.net on the default certificate (TLSv1 minimum, waiver of CloudFront.15)"))
		}
	} else if a.AllowDefaultCertificate {
		errs = append(errs, errors.New("AllowDefaultCertificate is set but CertificateArn is given: remove the waiver"))
	}
	for _, h := range a.Aliases {
		if h == "" || strings.ContainsAny(h, " /:") {
			errs = append(errs, fmt.Errorf("alias %q is not a host name", h))
		}
	}
	if a.PriceClass != "" && !priceClasses[a.PriceClass] {
		errs = append(errs, fmt.Errorf("PriceClass %q must be PriceClass_100, PriceClass_200 or PriceClass_All", a.PriceClass))
	}
	return errs.Err()
}
