package stack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/dns"
	"chessplatform/infra/ecsservices"
)

// move is a resource whose URN changed when its owner or name changed: its type and logical
// name now, and the type chain (parents' types, then its own, "$"-joined) and logical name it
// had. docs/infra.md ("Renames and aliases") lists them.
type move struct {
	typ, name     string
	oldChain, old string
}

// moves are the resources that changed owner or name since they were first deployed. Renamed
// components carry their own alias (in their package), which their children inherit; the
// resources here moved to another component or took a name not derived from their parent's.
func moves(prefix string) []move {
	const (
		logGroup   = "aws:cloudwatch/logGroup:LogGroup"
		cert       = "aws:acm/certificate:Certificate"
		validation = "aws:acm/certificateValidation:CertificateValidation"
		record     = "aws:route53/record:Record"
		services   = "chess:ecsservices:Services"
	)
	out := []move{
		// The site component became the dns package (its children follow by inheritance:
		// dns-cdn-cert was site-cdn-cert, dns-A was site-A).
		{typ: dns.Type, name: DNSName, oldChain: "chess:site:Site", old: "site"},
		// The ALB certificate, its validation records and the origin record moved from
		// ecs-services to dns.
		{typ: cert, name: DNSName + "-alb-cert", oldChain: services + "$" + cert, old: ServicesName + "-cert"},
		{typ: validation, name: DNSName + "-alb-cert", oldChain: services + "$" + validation, old: ServicesName + "-cert"},
		{typ: record, name: DNSName + "-alb-cert-validation-0", oldChain: services + "$" + record, old: ServicesName + "-cert-validation-0"},
		{typ: record, name: DNSName + "-alb-cert-validation-1", oldChain: services + "$" + record, old: ServicesName + "-cert-validation-1"},
		{typ: record, name: DNSName + "-origin", oldChain: services + "$" + record, old: ServicesName + "-origin"},
	}
	// The containers' log groups moved from observability to ecs-services (issue 15).
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
