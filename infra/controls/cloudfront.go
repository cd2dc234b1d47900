package controls

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"chessplatform/infra/infratest"
)

// CloudFront distributions. EDGE.* ids name design rules.

// CloudFront lists the distribution controls.
func CloudFront(p EdgeParams) []Control {
	return named(
		viewersRedirectedToHTTPS,
		viewerTLS,
		distributionHasWebACL,
		s3OriginsUseOAC,
		s3OriginsReadableByDistributionOnly,
		customOriginsHTTPSOnly,
		distributionAccessLogs.For(p),
		securityHeaders,
		originVerifyHeader,
		behavioursRouteStaticToS3,
	)
}

// CloudFrontTLSID is the viewer-TLS control; a stack served on *.cloudfront.net (no domain,
// CloudFront's default certificate) fails it and must list it as a waiver.
const CloudFrontTLSID = "CloudFront.15 viewer TLS 1.2 (TLSv1.2_2021) over SNI on an ACM certificate"

// Managed policy ids (CloudFront developer guide), restated independently of infra/cdn.
const (
	cachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	cachingDisabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewer        = "216adef6-5c7f-47e4-b989-5492eafa07d3"
)

var badBehaviour = map[string]any{"targetOriginId": "alb", "viewerProtocolPolicy": "allow-all", "allowedMethods": []any{"GET", "HEAD"}, "cachedMethods": []any{"GET", "HEAD"}}

var viewersRedirectedToHTTPS = Control{
	Name: "viewersRedirectedToHTTPS",
	ID:   "CloudFront.3 every behaviour redirects HTTP to HTTPS",
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			bs, err := behaviours(d)
			errs := []error{err}
			for _, b := range bs {
				if v, _ := b.Str("viewerProtocolPolicy"); v != "redirect-to-https" && v != "https-only" {
					errs = append(errs, fmt.Errorf("behaviour %q: viewerProtocolPolicy %q", strAt(b, "pathPattern"), v))
				}
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{
		{TDistribution, "defaultCacheBehavior", badBehaviour},
		{TDistribution, "orderedCacheBehaviors", AbsentIsSecure([]any{map[string]any{"pathPattern": "/x/*", "targetOriginId": "alb", "viewerProtocolPolicy": "allow-all"}})},
	},
}

var viewerTLS = Control{
	Name: "viewerTLS",
	ID:   CloudFrontTLSID,
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			var errs []error
			if v, _ := d.Bool("viewerCertificate.cloudfrontDefaultCertificate"); v {
				errs = append(errs, errors.New("uses CloudFront's default certificate (minimum protocol TLSv1, cannot be raised)"))
			}
			if _, err := nonEmpty(d, "viewerCertificate.acmCertificateArn"); err != nil {
				errs = append(errs, err)
			}
			errs = append(errs,
				isStr(d, "viewerCertificate.sslSupportMethod", "sni-only"),
				isStr(d, "viewerCertificate.minimumProtocolVersion", "TLSv1.2_2021"))
			return errors.Join(errs...)
		})
	},
	Props: []Prop{
		{TDistribution, "viewerCertificate", map[string]any{"cloudfrontDefaultCertificate": true}},
		{TDistribution, "viewerCertificate", map[string]any{"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/x", "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1"}},
	},
}

var distributionHasWebACL = Control{
	Name: "distributionHasWebACL",
	ID:   "CloudFront.6 the CLOUDFRONT web ACL is attached by its ARN",
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			id, err := nonEmpty(d, "webAclId")
			if err != nil {
				return err
			}
			acl, ok := oneByOutput(rec, TWebACL, "arn", id)
			if !ok {
				return fmt.Errorf("webAclId %q is not the ARN of a web ACL of the stack (WAFv2 needs the ARN, not the id)", id)
			}
			if scope, _ := acl.Str("scope"); scope != "CLOUDFRONT" {
				return fmt.Errorf("web ACL %s has scope %q, want CLOUDFRONT", acl.Name, scope)
			}
			return nil
		})
	},
	Props: []Prop{{TDistribution, "webAclId", "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"}},
}

var s3OriginsUseOAC = Control{
	Name: "s3OriginsUseOAC",
	ID:   "CloudFront.13 S3 origins use origin access control (s3, always, sigv4)",
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			var errs []error
			n := 0
			for _, o := range items(d, "origins") {
				if !isS3Domain(strAt(o, "domainName")) {
					continue
				}
				n++
				if oai, _ := o.Str("s3OriginConfig.originAccessIdentity"); oai != "" {
					errs = append(errs, fmt.Errorf("origin %s uses a legacy origin access identity", strAt(o, "originId")))
				}
				oac, ok := rec.ByID(strAt(o, "originAccessControlId"))
				if !ok || oac.Type != TOriginAccessControl {
					errs = append(errs, fmt.Errorf("origin %s has no origin access control of the stack", strAt(o, "originId")))
					continue
				}
				errs = append(errs, isStr(oac, "originAccessControlOriginType", "s3"), isStr(oac, "signingBehavior", "always"), isStr(oac, "signingProtocol", "sigv4"))
			}
			if n == 0 {
				errs = append(errs, errors.New("no S3 origin"))
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{
		{TOriginAccessControl, "signingBehavior", "never"},
		{TOriginAccessControl, "signingProtocol", nil},
		{TDistribution, "origins", []any{map[string]any{"originId": "s3", "domainName": "b.s3.eu-west-1.amazonaws.com"}}},
	},
}

var s3OriginsReadableByDistributionOnly = Control{
	Name: "s3OriginsReadableByDistributionOnly",
	ID:   "CKV2_AWS_46 S3 origins readable by this distribution only, with a key that decrypts for it only",
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			dist := outStr(d, "arn")
			var errs []error
			for _, o := range items(d, "origins") {
				domain := strAt(o, "domainName")
				if !isS3Domain(domain) {
					continue
				}
				bucket, ok := oneByOutput(rec, TBucket, "bucketRegionalDomainName", domain)
				if !ok {
					errs = append(errs, fmt.Errorf("origin %s is not a bucket of the stack", domain))
					continue
				}
				errs = append(errs, readableBy(rec, bucket, dist))
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{
		{TBucketPolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::x/*"]}]}`},
		{TKMSKey, "policy", rootOnlyKeyPolicy},
	},
}

var customOriginsHTTPSOnly = Control{
	Name: "customOriginsHTTPSOnly",
	ID:   "CloudFront.9/10 HTTPS only, TLS 1.2 only, to custom origins",
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			var errs []error
			for _, o := range items(d, "origins") {
				c, ok := sub(o, "customOriginConfig")
				if !ok {
					continue
				}
				if err := isStr(c, "originProtocolPolicy", "https-only"); err != nil {
					errs = append(errs, err)
				}
				if got := c.Strings("originSslProtocols"); !slices.Equal(got, []string{"TLSv1.2"}) {
					errs = append(errs, fmt.Errorf("origin %s allows %v, want only TLSv1.2", strAt(o, "originId"), got))
				}
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TDistribution, "origins", AbsentIsSecure([]any{map[string]any{"originId": "alb", "domainName": "origin.example.com",
		"customOriginConfig": map[string]any{"originProtocolPolicy": "match-viewer", "originSslProtocols": []any{"TLSv1", "TLSv1.2"}, "httpPort": 80, "httpsPort": 443}}})}},
}

var distributionAccessLogs = Configured[EdgeParams]{
	Name: "distributionAccessLogs",
	ID:   "CloudFront.5 access logs delivered (standard logging v2, us-east-1) to a bucket of the stack",
	Check: func(p EdgeParams, rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			for _, src := range infratest.ByOutput(rec, TLogDeliverySource, "resourceArn", outStr(d, "arn")) {
				if t, _ := src.Str("logType"); t != "ACCESS_LOGS" || ResourceRegion(rec, src, p.Region) != CloudFrontRegion {
					continue
				}
				for _, del := range infratest.ByOutput(rec, TLogDelivery, "deliverySourceName", strAt(src, "name")) {
					dest, ok := oneByOutput(rec, TLogDeliveryDestination, "arn", strAt(del, "deliveryDestinationArn"))
					if !ok {
						continue
					}
					target := strAt(dest, "deliveryDestinationConfiguration.destinationResourceArn")
					for _, b := range rec.ByType(TBucket) {
						if arn := outStr(b, "arn"); arn != "" && (target == arn || strings.HasPrefix(target, arn+"/")) {
							return nil
						}
					}
				}
			}
			return errors.New("no ACCESS_LOGS delivery from this distribution (source in us-east-1) to a bucket of the stack")
		})
	},
	Props: []Prop{
		{TLogDeliverySource, "resourceArn", "arn:aws:cloudfront::123456789012:distribution/EOTHER"},
		{TLogDelivery, "deliverySourceName", "other"},
		{TLogDeliveryDestination, "deliveryDestinationConfiguration", map[string]any{"destinationResourceArn": "arn:aws:s3:::elsewhere"}},
	},
}

var securityHeaders = Control{
	Name: "securityHeaders",
	ID:   "CKV2_AWS_32 every behaviour sends HSTS and the security headers",
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			bs, err := behaviours(d)
			errs := []error{err}
			for _, b := range bs {
				pol, ok := rec.ByID(strAt(b, "responseHeadersPolicyId"))
				if !ok || pol.Type != TResponseHeadersPolicy {
					errs = append(errs, fmt.Errorf("behaviour %q has no response headers policy of the stack", strAt(b, "pathPattern")))
					continue
				}
				errs = append(errs, headersPolicySecure(pol))
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{
		{TResponseHeadersPolicy, "securityHeadersConfig", map[string]any{"contentTypeOptions": map[string]any{"override": true}}},
		{TDistribution, "defaultCacheBehavior", badBehaviour},
	},
}

var originVerifyHeader = Control{
	Name: "originVerifyHeader",
	ID:   "EDGE.ORIGINSECRET the ALB origin carries the verify header, secret in state",
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			if !d.IsSecret("origins") {
				return errors.New("origins are not secret: the origin verify header would be stored in plain text")
			}
			for _, o := range items(d, "origins") {
				if !o.Has("customOriginConfig") {
					continue
				}
				found := false
				for _, h := range items(o, "customHeaders") {
					if strings.EqualFold(strAt(h, "name"), "X-Origin-Verify") && len(strAt(h, "value")) >= 32 {
						found = true
					}
				}
				if !found {
					return fmt.Errorf("origin %s has no X-Origin-Verify header with a value of at least 32 characters", strAt(o, "originId"))
				}
			}
			return nil
		})
	},
	Props: []Prop{{TDistribution, "origins", []any{map[string]any{"originId": "alb", "domainName": "origin.example.com",
		"customOriginConfig": map[string]any{"originProtocolPolicy": "https-only", "originSslProtocols": []any{"TLSv1.2"}},
		"customHeaders":      []any{map[string]any{"name": "X-Origin-Verify", "value": strings.Repeat("s", 40)}}}}}},
}

var behavioursRouteStaticToS3 = Control{
	Name: "behavioursRouteStaticToS3",
	ID:   "EDGE.BEHAVIOURS static paths cached from S3, everything else uncached to the ALB with all viewer values",
	Check: func(rec infratest.Recorded) error {
		return eachDistribution(rec, func(d infratest.Resource) error {
			var errs []error
			def, _ := sub(d, "defaultCacheBehavior")
			if o, _, ok := origin(d, strAt(def, "targetOriginId")); !ok || !o.Has("customOriginConfig") {
				errs = append(errs, errors.New("the default behaviour does not go to the ALB (custom origin)"))
			}
			errs = append(errs, isStr(def, "cachePolicyId", cachingDisabled), isStr(def, "originRequestPolicyId", allViewer))
			if got := def.Strings("allowedMethods"); len(got) != 7 {
				errs = append(errs, fmt.Errorf("default behaviour allows %v, want all seven methods", got))
			}
			for _, path := range []string{"/_next/static/*", "/static/*"} {
				var b *infratest.Resource
				for _, ob := range items(d, "orderedCacheBehaviors") {
					if strAt(ob, "pathPattern") == path {
						b = &ob
					}
				}
				if b == nil {
					errs = append(errs, fmt.Errorf("no behaviour for %s", path))
					continue
				}
				errs = append(errs, isStr(*b, "cachePolicyId", cachingOptimized))
				o, members, ok := origin(d, strAt(*b, "targetOriginId"))
				first := o
				if len(members) > 0 {
					first = members[0]
				}
				if !ok || !isS3Domain(strAt(first, "domainName")) {
					errs = append(errs, fmt.Errorf("%s is not served from S3 first", path))
				}
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{
		{TDistribution, "orderedCacheBehaviors", []any{}},
		{TDistribution, "defaultCacheBehavior", map[string]any{"targetOriginId": "alb", "viewerProtocolPolicy": "redirect-to-https", "cachePolicyId": cachingOptimized}},
	},
}

func eachDistribution(rec infratest.Recorded, fn func(infratest.Resource) error) error {
	return each(rec, TDistribution, 1, fn)
}

// behaviours are the default behaviour and the ordered ones; a distribution without a default
// behaviour is an error.
func behaviours(d infratest.Resource) ([]infratest.Resource, error) {
	def, ok := sub(d, "defaultCacheBehavior")
	if !ok {
		return nil, errors.New("no default cache behaviour")
	}
	return append([]infratest.Resource{def}, items(d, "orderedCacheBehaviors")...), nil
}

func isS3Domain(domain string) bool {
	return strings.Contains(domain, ".s3.") && strings.HasSuffix(domain, ".amazonaws.com")
}

// origin finds an origin or origin group by id; for a group it also returns its members.
func origin(d infratest.Resource, id string) (infratest.Resource, []infratest.Resource, bool) {
	for _, o := range items(d, "origins") {
		if strAt(o, "originId") == id {
			return o, nil, true
		}
	}
	for _, g := range items(d, "originGroups") {
		if strAt(g, "originId") != id {
			continue
		}
		var members []infratest.Resource
		for _, m := range items(g, "members") {
			if o, _, ok := origin(d, strAt(m, "originId")); ok {
				members = append(members, o)
			}
		}
		return g, members, len(members) > 0
	}
	return infratest.Resource{}, nil, false
}

// readableBy requires the bucket's policy to grant CloudFront s3:GetObject for exactly this
// distribution, nothing to the public, and the bucket's key to decrypt for the same
// distribution.
func readableBy(rec infratest.Recorded, bucket infratest.Resource, dist string) error {
	pols := bucketSettings(rec, TBucketPolicy, bucket.ID)
	if len(pols) != 1 {
		return fmt.Errorf("bucket %s: want one policy, found %d", bucket.ID, len(pols))
	}
	doc, err := pols[0].Policy("policy")
	if err != nil {
		return err
	}
	var errs []error
	grants := serviceStatements(doc, "cloudfront.")
	if len(grants) == 0 {
		errs = append(errs, fmt.Errorf("bucket %s: no statement for CloudFront", bucket.ID))
	}
	for _, s := range grants {
		if src := condition(s, "StringEquals", "AWS:SourceArn"); !slices.Equal(src, []string{dist}) {
			errs = append(errs, fmt.Errorf("bucket %s: CloudFront statement %q is limited to %v, want exactly %s", bucket.ID, s.Sid, src, dist))
		}
	}
	for _, s := range doc.Statement {
		if s.Effect == "Allow" && s.Principal != nil && (s.Principal.Wildcard || slices.Contains(s.Principal.AWS, "*")) {
			errs = append(errs, fmt.Errorf("bucket %s: statement %q allows everyone", bucket.ID, s.Sid))
		}
	}
	for _, sse := range bucketSettings(rec, TBucketSSE, bucket.ID) {
		key, ok := oneByOutput(rec, TKMSKey, "arn", strAt(sse, "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId"))
		if !ok {
			continue // the encryption control reports a bucket without a stack key
		}
		kdoc, err := key.Policy("policy")
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		ok = false
		for _, s := range serviceStatements(kdoc, "cloudfront.") {
			if slices.Contains(s.Action, "kms:Decrypt") && slices.Equal(condition(s, "StringEquals", "AWS:SourceArn"), []string{dist}) {
				ok = true
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("bucket %s: key %s does not let CloudFront decrypt for %s only", bucket.ID, key.Name, dist))
		}
	}
	return errors.Join(errs...)
}

// headersPolicySecure requires HSTS of at least a year with subdomains, nosniff, a frame policy
// and a referrer policy, each overriding the origin.
func headersPolicySecure(pol infratest.Resource) error {
	sh, ok := sub(pol, "securityHeadersConfig")
	if !ok {
		return fmt.Errorf("%s: no security headers", pol.Name)
	}
	errs := []error{
		intBetween(sh, "strictTransportSecurity.accessControlMaxAgeSec", 31536000, 1<<31-1),
		isBool(sh, "strictTransportSecurity.includeSubdomains", true),
		isBool(sh, "strictTransportSecurity.override", true),
		isBool(sh, "contentTypeOptions.override", true),
		isBool(sh, "frameOptions.override", true),
		isBool(sh, "referrerPolicy.override", true),
	}
	if f, _ := sh.Str("frameOptions.frameOption"); f != "DENY" && f != "SAMEORIGIN" {
		errs = append(errs, fmt.Errorf("frameOption %q, want DENY or SAMEORIGIN", f))
	}
	if _, err := nonEmpty(sh, "referrerPolicy.referrerPolicy"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
