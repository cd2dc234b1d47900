package stack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/apigwwebsocket"
	"chessplatform/infra/cdn"
	"chessplatform/infra/dns"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/elasticache"
	"chessplatform/infra/rds"
	"chessplatform/infra/rotation"
	"chessplatform/infra/waf"
)

// move is a resource whose URN changed when its owner, name or type token changed: its type
// and logical name now, and the type chain (parents' types, then its own, "$"-joined) and
// logical name it had. docs/infra.md ("Renames and aliases") lists them.
type move struct {
	typ, name     string
	oldChain, old string
}

// Names and tokens of the first deployments (issue 15 renamed them).
const (
	oldServices     = "services"
	oldServicesType = "chess:ecsservices:Services"
)

// moves are the resources whose URN changed since they were first deployed. A renamed
// component carries one alias, which its children inherit (the engine also substitutes the
// old component name in children named "<component>-..."); resources that moved to another
// component, or whose names do not follow their parent's, are listed one by one.
func moves(prefix string) []move {
	const (
		logGroup   = "aws:cloudwatch/logGroup:LogGroup"
		cert       = "aws:acm/certificate:Certificate"
		validation = "aws:acm/certificateValidation:CertificateValidation"
		record     = "aws:route53/record:Record"
	)
	out := []move{
		// Components renamed to one name across package, token, logical name and tag.
		{typ: rds.Type, name: RDSName, oldChain: "chess:rds:Database", old: "database"},
		{typ: elasticache.Type, name: ElastiCacheName, oldChain: "chess:elasticache:Cache", old: "cache"},
		{typ: apigwwebsocket.Type, name: APIName, oldChain: "chess:apigwws:WebSocketApi", old: "websocket"},
		{typ: ecsservices.Type, name: ServicesName, oldChain: oldServicesType, old: oldServices},
		{typ: rotation.Type, name: RotationName, oldChain: "chess:rotation:Rotation", old: "secret-rotation"},
		{typ: waf.Type, name: WAFName, oldChain: "chess:waf:Waf", old: "waf"},
		{typ: cdn.Type, name: CDNName, oldChain: "chess:cdn:Cdn", old: "cdn"},
		// The site component became the dns package (dns-cdn-cert was site-cdn-cert).
		{typ: dns.Type, name: DNSName, oldChain: "chess:site:Site", old: "site"},
		// The ALB certificate, its validation records and the origin record moved from
		// ecs-services to dns.
		{typ: cert, name: DNSName + "-alb-cert", oldChain: oldServicesType + "$" + cert, old: oldServices + "-cert"},
		{typ: validation, name: DNSName + "-alb-cert", oldChain: oldServicesType + "$" + validation, old: oldServices + "-cert"},
		{typ: record, name: DNSName + "-alb-cert-validation-0", oldChain: oldServicesType + "$" + record, old: oldServices + "-cert-validation-0"},
		{typ: record, name: DNSName + "-alb-cert-validation-1", oldChain: oldServicesType + "$" + record, old: oldServices + "-cert-validation-1"},
		{typ: record, name: DNSName + "-origin", oldChain: oldServicesType + "$" + record, old: oldServices + "-origin"},
	}
	// The API's and the rotation function's log groups moved from observability to their
	// components.
	fromObservability := "chess:observability:Observability$" + logGroup
	for _, m := range []struct{ name, group string }{
		{APIName + "-authorizer-logs", "lambda-ws-authorizer"},
		{APIName + "-access-logs", "apigw-access"},
		{RotationName + "-logs", "lambda-secret-rotator"},
	} {
		out = append(out, move{typ: logGroup, name: m.name, oldChain: fromObservability, old: ObservabilityName + "-log-" + prefix + "-" + m.group})
	}
	// The containers' log groups moved from observability to ecs-services.
	for _, c := range ecsservices.Containers {
		out = append(out, move{
			typ: logGroup, name: ServicesName + "-log-" + c,
			oldChain: "chess:observability:Observability$" + logGroup,
			old:      ObservabilityName + "-log-" + prefix + "-ecs-" + c,
		})
	}
	return out
}

// movesTransformation adds to each moved resource an alias to its URN before the move, so the
// engine updates it in place instead of replacing it (TestNoURNLost).
func movesTransformation(ctx *pulumi.Context, ms []move) pulumi.ResourceTransformation {
	head := "urn:pulumi:" + ctx.Stack() + "::" + ctx.Project() + "::"
	return func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		for _, m := range ms {
			if args.Type == m.typ && args.Name == m.name {
				opts := append(append([]pulumi.ResourceOption{}, args.Opts...),
					pulumi.Aliases([]pulumi.Alias{{URN: pulumi.URN(head + m.oldChain + "::" + m.old)}}))
				return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: opts}
			}
		}
		return nil
	}
}
