package controls

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"chessplatform/infra/infratest"
)

// Regions of resources created through a second provider (CloudFront's us-east-1).

// CloudFrontRegion is where CLOUDFRONT-scope WAF resources, CloudFront's log delivery and its
// metrics live.
const CloudFrontRegion = "us-east-1"

// EdgeParams are the values the rules of the edge and observability components (WAF,
// CloudFront, alarms) compare against.
type EdgeParams struct {
	// Region is the stack's region: resources on the default provider live there.
	Region string
}

// ResourceRegion is the region r is created in: the explicit region of the AWS provider it was
// created through, or defaultRegion on the default provider.
func ResourceRegion(rec infratest.Recorded, r infratest.Resource, defaultRegion string) string {
	if r.Provider == "" {
		return defaultRegion
	}
	i := strings.LastIndex(r.Provider, "::")
	if i < 0 {
		return defaultRegion
	}
	p, ok := rec.ByID(r.Provider[i+2:])
	if !ok || p.Type != TAWSProvider {
		return defaultRegion
	}
	if region, ok := p.Str("region"); ok && region != "" {
		return region
	}
	return defaultRegion
}

// InProviderRegions returns a copy of rec in which the ARN of every resource created through a
// provider for another region names that region, in its "arn" output and wherever another
// resource refers to it (inputs and outputs, inside policy documents too). The mock builds every
// ARN in its own region (defaultRegion); AWS would not, and checks that compare an ARN with a
// regional pattern (a key policy's log-group condition) need the real one.
func InProviderRegions(rec infratest.Recorded, defaultRegion string) infratest.Set {
	moved := map[string]string{}
	for _, r := range rec.Resources() {
		region := ResourceRegion(rec, r, defaultRegion)
		arn, ok := r.Output("arn")
		if !ok || !arn.IsString() || region == defaultRegion {
			continue
		}
		parts := strings.SplitN(arn.StringValue(), ":", 6)
		if len(parts) == 6 && parts[3] == defaultRegion {
			parts[3] = region
			moved[arn.StringValue()] = strings.Join(parts, ":")
		}
	}
	var out infratest.Set
	for _, r := range rec.Resources() {
		if len(moved) > 0 {
			r.Inputs = replaceAll(r.Inputs, moved)
			r.Outputs = replaceAll(r.Outputs, moved)
		}
		out = append(out, r)
	}
	return out
}

// replaceAll copies m with every occurrence of each old string replaced, secrets kept secret.
func replaceAll(m resource.PropertyMap, repl map[string]string) resource.PropertyMap {
	out := make(resource.PropertyMap, len(m))
	for k, v := range m {
		out[k] = replaceValue(v, repl)
	}
	return out
}

func replaceValue(v resource.PropertyValue, repl map[string]string) resource.PropertyValue {
	switch {
	case v.IsString():
		s := v.StringValue()
		for old, n := range repl {
			s = strings.ReplaceAll(s, old, n)
		}
		return resource.NewStringProperty(s)
	case v.IsArray():
		items := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			items[i] = replaceValue(e, repl)
		}
		return resource.NewArrayProperty(items)
	case v.IsObject():
		return resource.NewObjectProperty(replaceAll(v.ObjectValue(), repl))
	case v.IsSecret():
		return resource.MakeSecret(replaceValue(v.SecretValue().Element, repl))
	}
	return v
}
