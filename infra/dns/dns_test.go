package dns_test

import (
	"fmt"
	"regexp"
	"sort"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/dns"
	"chessplatform/infra/infratest"
)

const zone = "Z0123456789ABCDEFGHIJ"

func args() *dns.Args {
	return &dns.Args{NamePrefix: "chess-platform-test", Domain: "chess.example.com", HostedZoneID: zone,
		Tags: map[string]string{"Component": "dns"}}
}

// run builds the component through its three phases, with stand-ins for the ALB and the
// distribution.
func run(t *testing.T, a *dns.Args, opts ...pulumi.RunOption) (*infratest.Mocks, *dns.DNS, error) {
	t.Helper()
	var d *dns.DNS
	m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		if a != nil && a.HostedZoneID != "" && a.UsEast1 == nil {
			p, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
			if err != nil {
				return err
			}
			a.UsEast1 = p
		}
		var err error
		if d, err = dns.New(ctx, "dns", a); err != nil {
			return err
		}
		alb := pulumi.String("alb-123.eu-west-1.elb.amazonaws.com").ToStringOutput()
		if err := d.Origin(ctx, alb, pulumi.String("Z32O12XQLNTSW2").ToStringOutput()); err != nil {
			return err
		}
		return d.Alias(ctx, pulumi.String("d111111abcdef8.cloudfront.net"))
	}, opts...)
	return m, d, err
}

// TestCertificateNeededOutsidePreview: without a certificate source only a preview runs.
func TestCertificateNeededOutsidePreview(t *testing.T) {
	m, _, err := run(t, &dns.Args{NamePrefix: "chess-platform-test"})
	require.ErrorContains(t, err, "needs a certificate")
	assert.Empty(t, m.Resources())

	m, _, err = run(t, &dns.Args{NamePrefix: "chess-platform-test"}, infratest.DryRun())
	require.NoError(t, err)
	assert.Empty(t, m.ByType("aws:acm/certificate:Certificate"))
	assert.Empty(t, m.ByType("aws:route53/record:Record"))
}

// TestCertificateCoversDomainAndOrigin: the ALB certificate covers the site and the origin
// host, each validated by a record in the zone; origin.<domain> points at the ALB and the
// domain at the distribution; the CloudFront certificate (us-east-1) is validated by the same
// record for the domain.
func TestCertificateCoversDomainAndOrigin(t *testing.T) {
	m, _, err := run(t, args())
	require.NoError(t, err)
	alb := m.Named(t, "aws:acm/certificate:Certificate", "dns-alb-cert")
	d, _ := alb.Str("domainName")
	assert.Equal(t, "chess.example.com", d)
	assert.Equal(t, []string{"origin.chess.example.com"}, alb.Strings("subjectAlternativeNames"))
	cdn := m.Named(t, "aws:acm/certificate:Certificate", "dns-cdn-cert")
	assert.Contains(t, cdn.Provider, "us-east-1")

	var names []string
	for _, r := range m.ByType("aws:route53/record:Record") {
		n, _ := r.Str("name")
		names = append(names, n)
		z, _ := r.Str("zoneId")
		assert.Equal(t, zone, z)
	}
	sort.Strings(names)
	require.Len(t, names, 5, "two validation records, the origin record, A and AAAA: %v", names)
	var site, origin, plain int
	for _, n := range names {
		switch {
		case regexp.MustCompile(`^_[0-9a-f]{32}\.chess\.example\.com\.$`).MatchString(n):
			site++
		case regexp.MustCompile(`^_[0-9a-f]{32}\.origin\.chess\.example\.com\.$`).MatchString(n):
			origin++
		case n == "origin.chess.example.com" || n == "chess.example.com":
			plain++
		}
	}
	assert.Equal(t, [3]int{1, 1, 3}, [3]int{site, origin, plain}, "records: %v", names)
	v := m.Named(t, "aws:acm/certificateValidation:CertificateValidation", "dns-alb-cert")
	assert.Len(t, v.Strings("validationRecordFqdns"), 2)
	cv := m.Named(t, "aws:acm/certificateValidation:CertificateValidation", "dns-cdn-cert")
	for i := range 2 {
		assert.Contains(t, cv.Dependencies, m.Named(t, "aws:route53/record:Record", fmt.Sprintf("dns-alb-cert-validation-%d", i)).URN,
			"the CloudFront certificate waits for the validation records")
	}
}

// TestExistingCertificates: with both certificates given and no zone, nothing is created and
// the origin is origin.<domain> (the operator's record).
func TestExistingCertificates(t *testing.T) {
	a := &dns.Args{NamePrefix: "chess-platform-test", Domain: "chess.example.com",
		ALBCertificateARN: "arn:aws:acm:eu-west-1:123456789012:certificate/alb",
		CDNCertificateARN: "arn:aws:acm:us-east-1:123456789012:certificate/cdn"}
	var origin string
	m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		d, err := dns.New(ctx, "dns", a)
		if err != nil {
			return err
		}
		if err := d.Origin(ctx, pulumi.String("alb").ToStringOutput(), pulumi.String("Z").ToStringOutput()); err != nil {
			return err
		}
		if origin, err = infratest.Await[string](ctx, d.OriginDomainName); err != nil {
			return err
		}
		return d.Alias(ctx, pulumi.String("d.cloudfront.net"))
	})
	require.NoError(t, err)
	assert.Equal(t, "origin.chess.example.com", origin)
	for _, r := range m.Resources() {
		assert.False(t, r.Custom, "no resource: %s %s", r.Type, r.Name)
	}
}

// TestArgsValidation: bad args are refused before anything is created.
func TestArgsValidation(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*dns.Args)
		want   string
	}{
		"no prefix":          {func(a *dns.Args) { a.NamePrefix = "" }, "NamePrefix"},
		"zone without name":  {func(a *dns.Args) { a.Domain = "" }, "Domain is required"},
		"domain with scheme": {func(a *dns.Args) { a.Domain = "https://chess.example.com" }, "bare DNS name"},
		"no zone, no cert":   {func(a *dns.Args) { a.HostedZoneID = "" }, "needs a hosted zone or a certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			a := args()
			c.mutate(a)
			m, _, err := run(t, a)
			require.ErrorContains(t, err, c.want)
			for _, r := range m.Resources() {
				assert.NotContains(t, r.Type, "aws:acm", "nothing is created")
			}
		})
	}
}
