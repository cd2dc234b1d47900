package waf

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/controls"
	"chessplatform/infra/infratest"
)

const (
	testPrefix = "chess-platform-test"
	testAlbArn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/chess-platform-test/50dc6c495c0c9188"
)

// wired are the awaited outputs and references a test compares with the recorded resources.
type wired struct {
	AssociationResource string
	RegionalARN         string
	CloudfrontARN       string
	CloudfrontName      string
	ProviderRef         string // "<urn>::<id>" of the us-east-1 provider
}

func testArgs(a awsenv.Account, p pulumi.ProviderResource) *Args {
	return &Args{
		Common:  component.Common{Account: a, NamePrefix: testPrefix, LogRetentionDays: 365, KMSDeletionWindowDays: 30, Tags: map[string]string{"Project": "chess-platform", "Stack": "test", "Component": "waf"}},
		ALBARN:  pulumi.String(testAlbArn),
		UsEast1: p,
	}
}

// run builds the component (edit may change the args) and awaits its wiring.
func run(t *testing.T, edit func(*Args)) (*infratest.Mocks, wired) {
	t.Helper()
	var w wired
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		a, err := awsenv.Lookup(ctx)
		if err != nil {
			return err
		}
		p, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		args := testArgs(a, p)
		if edit != nil {
			edit(args)
		}
		waf, err := New(ctx, "waf", args)
		if err != nil {
			return err
		}
		for _, x := range []struct {
			dst *string
			out pulumi.Output
		}{
			{&w.AssociationResource, waf.Association.ResourceArn},
			{&w.RegionalARN, waf.RegionalACLARN},
			{&w.CloudfrontARN, waf.CloudfrontACLARN},
			{&w.CloudfrontName, waf.CloudfrontACLName},
		} {
			if *x.dst, err = infratest.Await[string](ctx, x.out); err != nil {
				return err
			}
		}
		urn, err := infratest.Await[string](ctx, p.URN())
		if err != nil {
			return err
		}
		id, err := infratest.Await[string](ctx, p.ID())
		w.ProviderRef = urn + "::" + id
		return err
	})
	return m, w
}

func params() controls.EdgeParams { return controls.EdgeParams{Region: "eu-west-1"} }

// wafControls are every control that applies to this component's resources. The policy walk
// (key policies here) is proven breakable where role policies exist (infra/controls).
func wafControls(withWalk bool) []controls.Control {
	var cs []controls.Control
	for _, c := range [][]controls.Control{controls.WAF(params()), controls.KMS(), controls.Logs(), controls.Tags()} {
		cs = append(cs, c...)
	}
	if withWalk {
		cs = append(cs, controls.PolicyWalk()...)
	}
	return cs
}

// TestWAFSecurity runs every control, each as a subtest named by its id. The us-east-1 log
// group's ARN is put in its region first: the mock builds every ARN in eu-west-1.
func TestWAFSecurity(t *testing.T) {
	m, _ := run(t, nil)
	controls.Require(t, controls.InProviderRegions(m, "eu-west-1"), wafControls(true))
}

// TestWAFControlsCanFail removes or corrupts each enforced property in a copy of the recorded
// resources and requires its control to fail.
func TestWAFControlsCanFail(t *testing.T) {
	m, _ := run(t, nil)
	controls.Breakable(t, controls.InProviderRegions(m, "eu-west-1"), wafControls(false))
}

// TestLogsControlNeedsRealRegion shows why the security test corrects ARNs: with the mock's
// single-region ARN, the us-east-1 key (correctly) does not admit the log group.
func TestLogsControlNeedsRealRegion(t *testing.T) {
	m, _ := run(t, nil)
	logs := controls.Logs()[0]
	require.ErrorContains(t, logs.Check(m), "does not let CloudWatch Logs use it")
	require.NoError(t, logs.Check(controls.InProviderRegions(m, "eu-west-1")))
}

func TestWAFWiring(t *testing.T) {
	m, w := run(t, nil)

	t.Run("association targets Args.AlbArn and the REGIONAL ACL", func(t *testing.T) {
		assoc := m.One(t, controls.TWebACLAssociation)
		assert.Equal(t, testAlbArn, w.AssociationResource)
		webACL, _ := assoc.Str("webAclArn")
		assert.Equal(t, w.RegionalARN, webACL)
		regional := m.Named(t, controls.TWebACL, "waf-regional")
		assert.Equal(t, "REGIONAL", mustStr(regional, "scope"))
		assert.Empty(t, regional.Provider, "REGIONAL ACL on the default provider (stack region)")
	})

	t.Run("CloudfrontAclArn is the CLOUDFRONT ACL's ARN in us-east-1", func(t *testing.T) {
		cf := m.Named(t, controls.TWebACL, "waf-cloudfront")
		arn, _ := cf.Output("arn")
		assert.Equal(t, arn.StringValue(), w.CloudfrontARN)
		assert.True(t, strings.HasPrefix(w.CloudfrontARN, "arn:aws:wafv2:us-east-1:123456789012:global/webacl/"), w.CloudfrontARN)
		assert.Equal(t, testPrefix+"-cloudfront", w.CloudfrontName)
	})

	t.Run("CLOUDFRONT-scope resources use the us-east-1 provider", func(t *testing.T) {
		prov := m.One(t, controls.TAWSProvider)
		assert.Equal(t, "us-east-1", mustStr(prov, "region"))
		for _, n := range []struct{ token, name string }{
			{controls.TWebACL, "waf-cloudfront"},
			{controls.TWebACLLogging, "waf-cloudfront-logging"},
			{controls.TLogGroup, "waf-cloudfront-logs"},
			{controls.TKMSKey, "waf-cloudfront-logs-key"},
			{"aws:kms/alias:Alias", "waf-cloudfront-logs-key-alias"},
		} {
			r := m.Named(t, n.token, n.name)
			assert.Equal(t, w.ProviderRef, r.Provider, "%s %s", n.token, n.name)
			assert.Equal(t, "us-east-1", controls.ResourceRegion(m, r, "eu-west-1"))
		}
		for _, n := range []string{"waf-regional", "waf-alb"} {
			r, ok := m.Find(controls.TWebACL, n)
			if !ok {
				r = m.Named(t, controls.TWebACLAssociation, n)
			}
			assert.Empty(t, r.Provider, n)
		}
	})

	t.Run("log groups are aws-waf-logs-* encrypted with a key in their region", func(t *testing.T) {
		for _, scope := range []string{"regional", "cloudfront"} {
			g := m.Named(t, controls.TLogGroup, "waf-"+scope+"-logs")
			assert.Equal(t, LogGroupPrefix+testPrefix+"-"+scope, mustStr(g, "name"))
			assert.Equal(t, 365, mustInt(g, "retentionInDays"))
			key := infratest.ByOutput(m, controls.TKMSKey, "arn", mustStr(g, "kmsKeyId"))
			require.Len(t, key, 1)
			assert.Equal(t, g.Provider, key[0].Provider, "key and group through the same provider")
			doc, err := key[0].Policy("policy")
			require.NoError(t, err)
			region := map[string]string{"regional": "eu-west-1", "cloudfront": "us-east-1"}[scope]
			assert.Contains(t, mustJSON(t, doc), `"logs.`+region+`.amazonaws.com"`)
			assert.Contains(t, mustJSON(t, doc), `arn:aws:logs:`+region+`:123456789012:log-group:aws-waf-logs-`+testPrefix+"-"+scope+"*")
		}
	})
}

func TestRateRule(t *testing.T) {
	rate := func(m *infratest.Mocks, acl string) infratest.Resource {
		r := m.Named(t, controls.TWebACL, acl)
		v, ok := r.Get("rules[0].statement.rateBasedStatement")
		require.True(t, ok, "rule 0 of %s is the rate rule", acl)
		return infratest.Resource{Inputs: v.ObjectValue()}
	}
	m, _ := run(t, nil)
	for _, acl := range []string{"waf-regional", "waf-cloudfront"} {
		r := rate(m, acl)
		assert.Equal(t, DefaultRateLimit, mustInt(r, "limit"), acl)
		assert.Equal(t, DefaultRateWindowSeconds, mustInt(r, "evaluationWindowSec"), acl)
	}
	assert.Equal(t, "IP", mustStr(rate(m, "waf-cloudfront"), "aggregateKeyType"))
	regional := rate(m, "waf-regional")
	assert.Equal(t, "FORWARDED_IP", mustStr(regional, "aggregateKeyType"))
	assert.Equal(t, "X-Forwarded-For", mustStr(regional, "forwardedIpConfig.headerName"))
	assert.Equal(t, "NO_MATCH", mustStr(regional, "forwardedIpConfig.fallbackBehavior"))

	m, _ = run(t, func(a *Args) { a.RateLimit, a.RateWindowSeconds = 300, 60 })
	for _, acl := range []string{"waf-regional", "waf-cloudfront"} {
		assert.Equal(t, 300, mustInt(rate(m, acl), "limit"))
		assert.Equal(t, 60, mustInt(rate(m, acl), "evaluationWindowSec"))
	}
}

// TestManagedGroupsWithinBudget: the groups' confirmed WCUs leave room under the 1,500 WCU
// base price for the rate rule.
func TestManagedGroupsWithinBudget(t *testing.T) {
	total := 0
	for _, g := range ManagedGroups {
		total += g.WCU
	}
	assert.Equal(t, 1125, total)
	assert.LessOrEqual(t, total, 1200)
}

func TestInvalidArgsCreateNothing(t *testing.T) {
	cases := map[string]struct {
		edit func(*Args)
		want string
	}{
		"no ALB":          {func(a *Args) { a.ALBARN = nil }, "AlbArn is required"},
		"no provider":     {func(a *Args) { a.UsEast1 = nil }, "UsEast1"},
		"no prefix":       {func(a *Args) { a.NamePrefix = "" }, "NamePrefix"},
		"rate too low":    {func(a *Args) { a.RateLimit = 5 }, "RateLimit 5"},
		"bad window":      {func(a *Args) { a.RateWindowSeconds = 30 }, "RateWindowSeconds 30"},
		"no retention":    {func(a *Args) { a.LogRetentionDays = 0 }, "LogRetentionDays"},
		"deletion window": {func(a *Args) { a.KMSDeletionWindowDays = 3 }, "KMSDeletionWindowDays 3"},
		"no account":      {func(a *Args) { a.Account = awsenv.Account{} }, "Account"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				p, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
				if err != nil {
					return err
				}
				a, err := awsenv.Lookup(ctx)
				if err != nil {
					return err
				}
				args := testArgs(a, p)
				c.edit(args)
				_, err = New(ctx, "waf", args)
				return err
			})
			require.ErrorContains(t, err, c.want)
			assert.Equal(t, map[string]int{controls.TAWSProvider: 1}, m.CountByType(), "nothing but the test's provider is created")
		})
	}
	_, err := infratest.RunErr(func(ctx *pulumi.Context) error { _, err := New(ctx, "waf", nil); return err })
	require.ErrorContains(t, err, "args are required")
}

func mustStr(r infratest.Resource, path string) string {
	s, _ := r.Str(path)
	return s
}

func mustInt(r infratest.Resource, path string) int {
	n, _ := r.Int(path)
	return n
}

func mustJSON(t *testing.T, d interface{ JSON() (string, error) }) string {
	t.Helper()
	s, err := d.JSON()
	require.NoError(t, err)
	return s
}
