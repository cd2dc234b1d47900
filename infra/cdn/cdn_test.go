package cdn

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/awsenv"
	"chessplatform/infra/component"
	"chessplatform/infra/controls"
	"chessplatform/infra/iampolicy"
	"chessplatform/infra/infratest"
	"chessplatform/infra/waf"
)

const (
	testPrefix = "chess-platform-test"
	testCert   = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
	testOrigin = "origin.chess.example.com"
	testAlb    = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/chess-platform-test/50dc6c495c0c9188"
)

var testSecret = strings.Repeat("s3cr3t-", 8)

// wired are awaited outputs and references the tests compare with the recorded resources.
type wired struct {
	DistributionARN, DistributionID, DomainName, SiteURL, AssetsBucket string
	WebACLARN                                                          string // the CLOUDFRONT ACL's ARN from the waf component
	ProviderRef                                                        string
	OriginHeader                                                       infratest.Awaited[string]
}

// run builds the waf component (for a real CLOUDFRONT ACL) and the CDN on top of it.
func run(t *testing.T, edit func(*Args)) (*infratest.Mocks, *CDN, wired) {
	t.Helper()
	var w wired
	var c *CDN
	m := infratest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		c, w, err = build(ctx, edit)
		return err
	})
	return m, c, w
}

func build(ctx *pulumi.Context, edit func(*Args)) (*CDN, wired, error) {
	var w wired
	a, err := awsenv.Lookup(ctx)
	if err != nil {
		return nil, w, err
	}
	p, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
	if err != nil {
		return nil, w, err
	}
	fw, err := waf.New(ctx, "waf", &waf.Args{Common: component.Common{Account: a, NamePrefix: testPrefix, LogRetentionDays: 365, KMSDeletionWindowDays: 30, Tags: tags("waf")}, ALBARN: pulumi.String(testAlb), UsEast1: p})
	if err != nil {
		return nil, w, err
	}
	args := &Args{
		Common:             component.Common{Account: a, NamePrefix: testPrefix, LogRetentionDays: 365, KMSDeletionWindowDays: 30, Tags: tags("cdn")},
		UsEast1:            p,
		OriginDomainName:   pulumi.String(testOrigin),
		OriginVerifySecret: pulumi.ToSecret(pulumi.String(testSecret)).(pulumi.StringOutput),
		WebACLARN:          fw.CloudfrontACLARN,
		Aliases:            []string{"chess.example.com"},
		CertificateARN:     pulumi.String(testCert),
		StaticDir:          filepath.Join("testdata", "static"),
	}
	if edit != nil {
		edit(args)
	}
	c, err := New(ctx, "cdn", args)
	if err != nil {
		return nil, w, err
	}
	for _, x := range []struct {
		dst *string
		out pulumi.Output
	}{
		{&w.DistributionARN, c.DistributionARN}, {&w.DistributionID, c.DistributionID}, {&w.DomainName, c.DomainName},
		{&w.SiteURL, c.SiteURL}, {&w.AssetsBucket, c.AssetsBucketName}, {&w.WebACLARN, fw.CloudfrontACLARN},
		{&w.ProviderRef, p.URN()},
	} {
		if *x.dst, err = infratest.Await[string](ctx, x.out); err != nil {
			return nil, w, err
		}
	}
	id, err := infratest.Await[string](ctx, p.ID())
	if err != nil {
		return nil, w, err
	}
	w.ProviderRef += "::" + id
	w.OriginHeader, err = infratest.AwaitResult[string](ctx, c.Distribution.Origins.Index(pulumi.Int(1)).CustomHeaders().Index(pulumi.Int(0)).Value())
	return c, w, err
}

func tags(component string) map[string]string {
	return map[string]string{"Project": "chess-platform", "Stack": "test", "Component": component}
}

func params() controls.EdgeParams { return controls.EdgeParams{Region: "eu-west-1"} }

// cdnControls apply to the CDN's resources (the waf component's are tested in infra/waf).
func cdnControls(withWalk bool) []controls.Control {
	var cs []controls.Control
	for _, c := range [][]controls.Control{controls.CloudFront(params()), controls.S3(), controls.KMS(), controls.Tags()} {
		cs = append(cs, c...)
	}
	if withWalk {
		cs = append(cs, controls.PolicyWalk()...)
	}
	return cs
}

func TestCDNSecurity(t *testing.T) {
	m, _, _ := run(t, nil)
	controls.Require(t, controls.InProviderRegions(m, "eu-west-1"), cdnControls(true))
}

func TestCDNControlsCanFail(t *testing.T) {
	m, _, _ := run(t, nil)
	controls.Breakable(t, controls.InProviderRegions(m, "eu-west-1"), cdnControls(false))
}

// TestDefaultCertificateWaiver: without a certificate the distribution serves *.cloudfront.net
// on CloudFront's certificate; exactly the viewer-TLS control fails, and only with the waiver.
func TestDefaultCertificateWaiver(t *testing.T) {
	noCert := func(a *Args) { a.Aliases, a.CertificateARN, a.AllowDefaultCertificate = nil, nil, true }
	m, _, w := run(t, noCert)
	var failed []string
	for _, c := range cdnControls(true) {
		if c.Check(controls.InProviderRegions(m, "eu-west-1")) != nil {
			failed = append(failed, c.ID)
		}
	}
	assert.Equal(t, []string{controls.CloudFrontTLSID}, failed)
	assert.Equal(t, "https://"+w.DomainName, w.SiteURL)
	d := m.One(t, controls.TDistribution)
	v, _ := d.Bool("viewerCertificate.cloudfrontDefaultCertificate")
	assert.True(t, v)
	assert.Equal(t, 0, d.Len("aliases"))

	_, err := infratest.RunErr(func(ctx *pulumi.Context) error {
		_, _, err := build(ctx, func(a *Args) { a.Aliases, a.CertificateARN = nil, nil })
		return err
	})
	require.ErrorContains(t, err, "set AllowDefaultCertificate")
}

func TestCDNWiring(t *testing.T) {
	m, c, w := run(t, nil)
	d := m.One(t, controls.TDistribution)

	t.Run("webAclId is the CLOUDFRONT ACL's ARN", func(t *testing.T) {
		id, _ := d.Str("webAclId")
		assert.Equal(t, w.WebACLARN, id)
		acl := infratest.ByOutput(m, controls.TWebACL, "arn", id)
		require.Len(t, acl, 1)
		assert.Equal(t, "CLOUDFRONT", str(acl[0], "scope"))
	})

	t.Run("assets bucket policy and key are limited to this distribution's ARN", func(t *testing.T) {
		assert.True(t, strings.HasPrefix(w.DistributionARN, "arn:aws:cloudfront::123456789012:distribution/"+w.DistributionID))
		bucket := m.Named(t, "aws:s3/bucketV2:BucketV2", "cdn-assets")
		assert.Equal(t, w.AssetsBucket, bucket.ID)
		policy := m.Named(t, "aws:s3/bucketPolicy:BucketPolicy", "cdn-assets-policy")
		doc, err := policy.Policy("policy")
		require.NoError(t, err)
		read := statement(t, doc, "AllowCloudFrontOACRead")
		assert.Equal(t, iampolicy.List{w.DistributionARN}, read.Condition["StringEquals"]["AWS:SourceArn"])
		assert.Equal(t, iampolicy.List{"arn:aws:s3:::" + w.AssetsBucket + "/*"}, read.Resource)
		assert.Equal(t, iampolicy.List{"s3:GetObject"}, read.Action)

		key := m.Named(t, controls.TKMSKey, "cdn-assets-key")
		kdoc, err := key.Policy("policy")
		require.NoError(t, err)
		dec := statement(t, kdoc, "AllowCloudFrontOACDecrypt")
		assert.Equal(t, iampolicy.List{w.DistributionARN}, dec.Condition["StringEquals"]["AWS:SourceArn"])
		assert.Equal(t, iampolicy.List{"kms:Decrypt"}, dec.Action)
		sse := m.Named(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "cdn-assets-encryption")
		arn, _ := key.Output("arn")
		assert.Equal(t, arn.StringValue(), str(sse, "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId"))
	})

	t.Run("the ALB origin gets the secret verify header", func(t *testing.T) {
		assert.True(t, d.IsSecret("origins"), "origins (with the header) are secret in state")
		assert.True(t, w.OriginHeader.Secret, "the header output stays secret")
		assert.Equal(t, testSecret, w.OriginHeader.Value)
		alb := origin(t, d, ALBOriginID)
		assert.Equal(t, testOrigin, str(alb, "domainName"))
		assert.Equal(t, OriginVerifyHeader, str(alb, "customHeaders[0].name"))
		assert.Equal(t, "https-only", str(alb, "customOriginConfig.originProtocolPolicy"))
	})

	t.Run("access logs: v2 delivery in us-east-1 to the log bucket", func(t *testing.T) {
		src := m.One(t, controls.TLogDeliverySource)
		assert.Equal(t, w.DistributionARN, str(src, "resourceArn"))
		assert.Equal(t, "ACCESS_LOGS", str(src, "logType"))
		for _, token := range []string{controls.TLogDeliverySource, controls.TLogDeliveryDestination, controls.TLogDelivery} {
			assert.Equal(t, w.ProviderRef, m.One(t, token).Provider, token)
		}
		logs := m.Named(t, "aws:s3/bucketV2:BucketV2", "cdn-logs")
		dest := m.One(t, controls.TLogDeliveryDestination)
		assert.Equal(t, "arn:aws:s3:::"+logs.ID+"/"+AccessLogsPrefix, str(dest, "deliveryDestinationConfiguration.destinationResourceArn"))
		doc, err := m.Named(t, "aws:s3/bucketPolicy:BucketPolicy", "cdn-logs-policy").Policy("policy")
		require.NoError(t, err)
		write := statement(t, doc, "AWSLogDeliveryWrite")
		assert.Equal(t, iampolicy.List{"arn:aws:s3:::" + logs.ID + "/" + AccessLogsPrefix + "/*"}, write.Resource)
		assert.Equal(t, iampolicy.List{"arn:aws:logs:us-east-1:123456789012:delivery-source:*"}, write.Condition["ArnLike"]["aws:SourceArn"])
		access := statement(t, doc, "AllowS3ServerAccessLogs")
		assert.Equal(t, iampolicy.List{"arn:aws:s3:::" + w.AssetsBucket}, access.Condition["ArnLike"]["aws:SourceArn"])
	})

	t.Run("site URL uses the first alias", func(t *testing.T) {
		assert.Equal(t, "https://chess.example.com", w.SiteURL)
		assert.Equal(t, []string{"chess.example.com"}, d.Strings("aliases"))
		assert.Equal(t, testCert, str(d, "viewerCertificate.acmCertificateArn"))
		assert.NotEmpty(t, c.Uploaded)
	})
}

// TestBehaviours routes request paths the way CloudFront matches path patterns (first ordered
// behaviour that matches, else the default) and checks where each lands.
func TestBehaviours(t *testing.T) {
	m, _, _ := run(t, nil)
	d := m.One(t, controls.TDistribution)
	cases := []struct {
		path          string
		static        bool
		cache, origin string
	}{
		{"/_next/static/chunks/main-4f2a9c.js", true, CachingOptimizedPolicyID, ""},
		{"/_next/static/css/0e5d3a.css", true, CachingOptimizedPolicyID, ""},
		{"/static/logo.svg", true, CachingOptimizedPolicyID, ""},
		{"/", false, CachingDisabledPolicyID, AllViewerPolicyID},
		{"/ws", false, CachingDisabledPolicyID, AllViewerPolicyID},
		{"/api/game/42", false, CachingDisabledPolicyID, AllViewerPolicyID},
		{"/api/config", false, CachingDisabledPolicyID, AllViewerPolicyID},
		{"/_next/image", false, CachingDisabledPolicyID, AllViewerPolicyID},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			b := behaviourFor(t, d, c.path)
			assert.Equal(t, "redirect-to-https", str(b, "viewerProtocolPolicy"))
			assert.Equal(t, c.cache, str(b, "cachePolicyId"))
			assert.Equal(t, c.origin, str(b, "originRequestPolicyId"))
			assert.NotEmpty(t, str(b, "responseHeadersPolicyId"))
			if c.static {
				assert.Equal(t, StaticGroupID, str(b, "targetOriginId"))
				return
			}
			assert.Equal(t, ALBOriginID, str(b, "targetOriginId"))
			assert.ElementsMatch(t, []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}, b.Strings("allowedMethods"))
		})
	}

	t.Run("static group: S3 first, the ALB on 403/404/5xx", func(t *testing.T) {
		g, ok := d.Get("originGroups[0]")
		require.True(t, ok)
		group := infratest.Resource{Inputs: g.ObjectValue()}
		assert.Equal(t, StaticGroupID, str(group, "originId"))
		assert.Equal(t, AssetsOriginID, str(group, "members[0].originId"))
		assert.Equal(t, ALBOriginID, str(group, "members[1].originId"))
		codes, _ := group.Get("failoverCriteria.statusCodes")
		var got []int
		for _, v := range codes.ArrayValue() {
			got = append(got, int(v.NumberValue()))
		}
		assert.Equal(t, []int{403, 404, 500, 502, 503, 504}, got)
		s3 := origin(t, d, AssetsOriginID)
		assert.Equal(t, m.One(t, controls.TOriginAccessControl).ID, str(s3, "originAccessControlId"))
	})
}

func TestUpload(t *testing.T) {
	m, c, w := run(t, nil)
	want := map[string]string{
		"_next/static/Xb9cBuildId42/_buildManifest.js": "text/javascript; charset=utf-8",
		"_next/static/Xb9cBuildId42/_ssgManifest.js":   "text/javascript; charset=utf-8",
		"_next/static/chunks/app/page-9c1d77.js":       "text/javascript; charset=utf-8",
		"_next/static/chunks/main-4f2a9c.js":           "text/javascript; charset=utf-8",
		"_next/static/chunks/main-4f2a9c.js.map":       "application/json; charset=utf-8",
		"_next/static/css/0e5d3a.css":                  "text/css; charset=utf-8",
		"_next/static/media/blob.7f0e.bin":             "application/octet-stream",
		"_next/static/media/board.7a9b.svg":            "image/svg+xml",
		"_next/static/media/inter-latin.2f3a.woff2":    "font/woff2",
	}
	objects := m.ByType(controls.TS3Object)
	require.Len(t, objects, len(want))
	sse := m.Named(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "cdn-assets-encryption")
	for _, o := range objects {
		key := str(o, "key")
		assert.Equal(t, want[key], str(o, "contentType"), key)
		assert.Equal(t, ImmutableCacheControl, str(o, "cacheControl"), key)
		assert.Equal(t, w.AssetsBucket, str(o, "bucket"), key)
		src, ok := o.Get("source")
		require.True(t, ok, key)
		require.True(t, src.IsAsset(), key)
		assert.Equal(t, filepath.Join("testdata", "static", strings.TrimPrefix(key, StaticPrefix)), src.AssetValue().Path, key)
		assert.True(t, slices.ContainsFunc(o.Dependencies, func(u string) bool { return strings.HasSuffix(u, "::"+sse.Name) }),
			"%s waits for the bucket's encryption (dependencies %v)", key, o.Dependencies)
	}
	assert.Equal(t, slices.Sorted(maps.Keys(want)), c.Uploaded)
}

func TestNoStaticDir(t *testing.T) {
	for name, dir := range map[string]string{"empty": "", "missing": filepath.Join(t.TempDir(), "no-build")} {
		t.Run(name, func(t *testing.T) {
			m, c, _ := run(t, func(a *Args) { a.StaticDir = dir })
			assert.Empty(t, m.ByType(controls.TS3Object))
			assert.Empty(t, c.Uploaded)
		})
	}
}

func TestStaticFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "chunks"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "chunks", "a.js"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(dir, "chunks", "link.js")))
	files, err := staticFiles(dir)
	require.NoError(t, err)
	require.Len(t, files, 1, "symlinks are not followed out of the build")
	assert.Equal(t, "_next/static/chunks/a.js", files[0].Key)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "chunks", "bad name.js"), []byte("x"), 0o644))
	_, err = staticFiles(dir)
	require.ErrorContains(t, err, "bad name.js")

	_, err = staticFiles(filepath.Join(dir, "chunks", "a.js"))
	require.ErrorContains(t, err, "is not a directory")
}

func TestContentType(t *testing.T) {
	for file, want := range map[string]string{
		"a.js": "text/javascript; charset=utf-8", "A.CSS": "text/css; charset=utf-8", "f.woff2": "font/woff2",
		"i.png": "image/png", "x.json": "application/json; charset=utf-8", "m.wasm": "application/wasm",
		"noext": "application/octet-stream", "x.exe": "application/octet-stream",
	} {
		assert.Equal(t, want, ContentType(file), file)
	}
}

func TestInvalidArgsCreateNothing(t *testing.T) {
	cases := map[string]struct {
		edit func(*Args)
		want string
	}{
		"no origin":        {func(a *Args) { a.OriginDomainName = nil }, "OriginDomainName"},
		"no secret":        {func(a *Args) { a.OriginVerifySecret = nil }, "OriginVerifySecret"},
		"no web ACL":       {func(a *Args) { a.WebACLARN = nil }, "WebAclArn"},
		"no provider":      {func(a *Args) { a.UsEast1 = nil }, "UsEast1"},
		"aliases no cert":  {func(a *Args) { a.CertificateARN = nil; a.AllowDefaultCertificate = true }, "need CertificateArn"},
		"waiver with cert": {func(a *Args) { a.AllowDefaultCertificate = true }, "remove the waiver"},
		"bad alias":        {func(a *Args) { a.Aliases = []string{"https://x"} }, "not a host name"},
		"price class":      {func(a *Args) { a.PriceClass = "PriceClass_Cheap" }, "PriceClass"},
		"retention":        {func(a *Args) { a.LogRetentionDays = 0 }, "LogRetentionDays"},
		"deletion window":  {func(a *Args) { a.KMSDeletionWindowDays = 31 }, "KMSDeletionWindowDays 31"},
		"static not a dir": {func(a *Args) { a.StaticDir = filepath.Join("testdata", "static", "css", "0e5d3a.css") }, "is not a directory"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := infratest.RunErr(func(ctx *pulumi.Context) error {
				_, _, err := build(ctx, c.edit)
				return err
			})
			require.ErrorContains(t, err, c.want)
			for typ := range m.CountByType() {
				assert.False(t, strings.HasPrefix(typ, "aws:cloudfront/") || strings.HasPrefix(typ, "aws:s3/"), "created %s", typ)
			}
		})
	}
}

func behaviourFor(t *testing.T, d infratest.Resource, path string) infratest.Resource {
	t.Helper()
	for i := 0; i < d.Len("orderedCacheBehaviors"); i++ {
		v, _ := d.Get("orderedCacheBehaviors[" + strconv.Itoa(i) + "]")
		b := infratest.Resource{Inputs: v.ObjectValue()}
		if matchPattern(str(b, "pathPattern"), path) {
			return b
		}
	}
	v, ok := d.Get("defaultCacheBehavior")
	require.True(t, ok)
	return infratest.Resource{Inputs: v.ObjectValue()}
}

// matchPattern is CloudFront's path pattern: * matches any characters (including /), ? one.
func matchPattern(pattern, path string) bool {
	if pattern == "" {
		return path == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(path); i++ {
			if matchPattern(pattern[1:], path[i:]) {
				return true
			}
		}
		return false
	case '?':
		return path != "" && matchPattern(pattern[1:], path[1:])
	}
	return path != "" && path[0] == pattern[0] && matchPattern(pattern[1:], path[1:])
}

func origin(t *testing.T, d infratest.Resource, id string) infratest.Resource {
	t.Helper()
	for i := 0; i < d.Len("origins"); i++ {
		v, _ := d.Get("origins[" + strconv.Itoa(i) + "]")
		o := infratest.Resource{Inputs: v.ObjectValue()}
		if str(o, "originId") == id {
			return o
		}
	}
	t.Fatalf("no origin %s", id)
	return infratest.Resource{}
}

func statement(t *testing.T, doc iampolicy.Document, sid string) iampolicy.Statement {
	t.Helper()
	for _, s := range doc.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("no statement %s", sid)
	return iampolicy.Statement{}
}

func str(r infratest.Resource, path string) string {
	s, _ := r.Str(path)
	return s
}
