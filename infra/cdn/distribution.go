package cdn

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/awsenv"
)

// distributionArgs: the ALB behind every path, the static paths on the S3-then-ALB group.
func distributionArgs(args *Args, assetsDomain pulumi.StringInput, oacID pulumi.IDOutput, headersID pulumi.IDOutput) *cloudfront.DistributionArgs {
	all := pulumi.ToStringArray([]string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"})
	read := pulumi.ToStringArray([]string{"GET", "HEAD", "OPTIONS"})
	cached := pulumi.ToStringArray([]string{"GET", "HEAD"})

	var static cloudfront.DistributionOrderedCacheBehaviorArray
	for _, p := range StaticPaths {
		static = append(static, &cloudfront.DistributionOrderedCacheBehaviorArgs{
			PathPattern:             pulumi.String(p),
			TargetOriginId:          pulumi.String(StaticGroupID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          read, // an origin group serves only GET, HEAD and OPTIONS
			CachedMethods:           cached,
			CachePolicyId:           pulumi.String(CachingOptimizedPolicyID),
			ResponseHeadersPolicyId: headersID,
			Compress:                pulumi.Bool(true),
		})
	}

	cert := &cloudfront.DistributionViewerCertificateArgs{CloudfrontDefaultCertificate: pulumi.Bool(true)}
	if args.CertificateARN != nil {
		cert = &cloudfront.DistributionViewerCertificateArgs{
			AcmCertificateArn:      args.CertificateARN,
			SslSupportMethod:       pulumi.String(SSLSupportMethod),
			MinimumProtocolVersion: pulumi.String(MinimumProtocolVersion),
		}
	}
	priceClass := args.PriceClass
	if priceClass == "" {
		priceClass = "PriceClass_100"
	}

	return &cloudfront.DistributionArgs{
		Enabled:       pulumi.Bool(true),
		Comment:       pulumi.String("chess platform " + args.NamePrefix),
		Aliases:       pulumi.ToStringArray(args.Aliases),
		HttpVersion:   pulumi.String("http2and3"),
		IsIpv6Enabled: pulumi.Bool(true),
		PriceClass:    pulumi.String(priceClass),
		WebAclId:      args.WebACLARN,
		Origins: cloudfront.DistributionOriginArray{
			&cloudfront.DistributionOriginArgs{
				OriginId:              pulumi.String(AssetsOriginID),
				DomainName:            assetsDomain,
				OriginAccessControlId: oacID,
			},
			&cloudfront.DistributionOriginArgs{
				OriginId:   pulumi.String(ALBOriginID),
				DomainName: args.OriginDomainName,
				CustomOriginConfig: &cloudfront.DistributionOriginCustomOriginConfigArgs{
					HttpPort:               pulumi.Int(80),
					HttpsPort:              pulumi.Int(443),
					OriginProtocolPolicy:   pulumi.String("https-only"),
					OriginSslProtocols:     pulumi.ToStringArray([]string{"TLSv1.2"}),
					OriginReadTimeout:      pulumi.Int(60),
					OriginKeepaliveTimeout: pulumi.Int(5),
				},
				CustomHeaders: cloudfront.DistributionOriginCustomHeaderArray{
					&cloudfront.DistributionOriginCustomHeaderArgs{
						Name:  pulumi.String(OriginVerifyHeader),
						Value: pulumi.ToSecret(args.OriginVerifySecret).(pulumi.StringOutput),
					},
				},
			},
		},
		OriginGroups: cloudfront.DistributionOriginGroupArray{
			&cloudfront.DistributionOriginGroupArgs{
				OriginId:         pulumi.String(StaticGroupID),
				FailoverCriteria: &cloudfront.DistributionOriginGroupFailoverCriteriaArgs{StatusCodes: pulumi.ToIntArray(failoverStatuses)},
				Members: cloudfront.DistributionOriginGroupMemberArray{
					&cloudfront.DistributionOriginGroupMemberArgs{OriginId: pulumi.String(AssetsOriginID)},
					&cloudfront.DistributionOriginGroupMemberArgs{OriginId: pulumi.String(ALBOriginID)},
				},
			},
		},
		DefaultCacheBehavior: &cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId:          pulumi.String(ALBOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          all,
			CachedMethods:           cached,
			CachePolicyId:           pulumi.String(CachingDisabledPolicyID),
			OriginRequestPolicyId:   pulumi.String(AllViewerPolicyID),
			ResponseHeadersPolicyId: headersID,
			Compress:                pulumi.Bool(true),
		},
		OrderedCacheBehaviors: static,
		Restrictions: &cloudfront.DistributionRestrictionsArgs{
			GeoRestriction: &cloudfront.DistributionRestrictionsGeoRestrictionArgs{RestrictionType: pulumi.String("none")},
		},
		ViewerCertificate: cert,
		Tags:              awsenv.Tags(args.Tags, args.NamePrefix+"-cdn"),
	}
}

// newSecurityHeaders is the response headers policy of every behaviour. The page CSP stays
// with the app (it carries a per-request nonce), so it is not set here; the static security
// headers match the app's own (app/web next.config.ts) and override what an origin sends, so
// files from S3 get them too.
func newSecurityHeaders(ctx *pulumi.Context, name, prefix string, opts ...pulumi.ResourceOption) (*cloudfront.ResponseHeadersPolicy, error) {
	return cloudfront.NewResponseHeadersPolicy(ctx, name+"-security-headers", &cloudfront.ResponseHeadersPolicyArgs{
		Name:    pulumi.String(prefix + "-security-headers"),
		Comment: pulumi.String("HSTS and security headers of " + prefix),
		SecurityHeadersConfig: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs{
			StrictTransportSecurity: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs{
				AccessControlMaxAgeSec: pulumi.Int(HSTSMaxAgeSeconds),
				IncludeSubdomains:      pulumi.Bool(true),
				Preload:                pulumi.Bool(true),
				Override:               pulumi.Bool(true),
			},
			ContentTypeOptions: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs{Override: pulumi.Bool(true)},
			FrameOptions: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs{
				FrameOption: pulumi.String("DENY"),
				Override:    pulumi.Bool(true),
			},
			ReferrerPolicy: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs{
				ReferrerPolicy: pulumi.String("strict-origin-when-cross-origin"),
				Override:       pulumi.Bool(true),
			},
		},
		CustomHeadersConfig: &cloudfront.ResponseHeadersPolicyCustomHeadersConfigArgs{
			Items: cloudfront.ResponseHeadersPolicyCustomHeadersConfigItemArray{
				&cloudfront.ResponseHeadersPolicyCustomHeadersConfigItemArgs{
					Header: pulumi.String("Permissions-Policy"), Value: pulumi.String("camera=(), microphone=(), geolocation=(), payment=(), usb=()"), Override: pulumi.Bool(false),
				},
				&cloudfront.ResponseHeadersPolicyCustomHeadersConfigItemArgs{
					Header: pulumi.String("Cross-Origin-Opener-Policy"), Value: pulumi.String("same-origin"), Override: pulumi.Bool(false),
				},
			},
		},
	}, opts...)
}

// HSTSMaxAgeSeconds is two years, as the app sends.
const HSTSMaxAgeSeconds = 63072000
