// Package controls holds the security controls the infrastructure tests enforce on recorded
// resources. Each control is named after its checklist id (FSBP / Checkov, see
// shared/reference/aws.md §2, or a design rule) and checks EXPLICIT settings in the recorded
// inputs: a property the program leaves to a provider default fails, because the mock cannot see
// provider defaults and neither can a reviewer.
//
// Component tests run their component's list; the whole-foundation test runs Foundation for dev
// and prod. Props name the properties a control enforces; Breakable deletes each of them (and
// sets its insecure value) in a copy of the recorded resources and requires the check to fail,
// which proves the control cannot pass vacuously.
package controls

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/infratest"
)

// Resource type tokens used by the foundation.
const (
	TKMSKey           = "aws:kms/key:Key"
	TVpc              = "aws:ec2/vpc:Vpc"
	TSubnet           = "aws:ec2/subnet:Subnet"
	TRoute            = "aws:ec2/route:Route"
	TRouteTable       = "aws:ec2/routeTable:RouteTable"
	TRouteAssoc       = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	TNat              = "aws:ec2/natGateway:NatGateway"
	TSecurityGroup    = "aws:ec2/securityGroup:SecurityGroup"
	TDefaultSG        = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	TIngress          = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	TEgress           = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	TEndpoint         = "aws:ec2/vpcEndpoint:VpcEndpoint"
	TFlowLog          = "aws:ec2/flowLog:FlowLog"
	TLogGroup         = "aws:cloudwatch/logGroup:LogGroup"
	TRole             = "aws:iam/role:Role"
	TRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	TRDSInstance      = "aws:rds/instance:Instance"
	TRDSSubnetGroup   = "aws:rds/subnetGroup:SubnetGroup"
	TRDSParams        = "aws:rds/parameterGroup:ParameterGroup"
	TCacheGroup       = "aws:elasticache/replicationGroup:ReplicationGroup"
	TCacheSubnetGroup = "aws:elasticache/subnetGroup:SubnetGroup"
	TCacheParams      = "aws:elasticache/parameterGroup:ParameterGroup"
	TSecret           = "aws:secretsmanager/secret:Secret"
	TSecretVersion    = "aws:secretsmanager/secretVersion:SecretVersion"
)

// Control is one enforced security control.
type Control struct {
	// ID is the control id and title, e.g. "RDS.3 storage encrypted with CMK"; test cases and
	// config waivers use it verbatim.
	ID string
	// Check returns an error naming every offending resource, or nil.
	Check func(infratest.Recorded) error
	// Props are the properties the control enforces (see Breakable).
	Props []Prop
	// Breaks are named mutations the control must fail on, for what Props cannot reach:
	// fields inside JSON documents (container definitions) or relations between resources.
	Breaks []Break
}

// Break is one named mutation of a copy of the recorded resources.
type Break struct {
	Name  string
	Apply func(infratest.Set) infratest.Set
}

// Prop is one enforced top-level input of a resource type, with an insecure value to try.
type Prop struct {
	Type string
	Key  string
	Bad  any // nil: only removal is tried; AbsentIsSecure(v): only v is tried
}

// absentIsSecure wraps the Bad value of a property whose secure state is its absence.
type absentIsSecure struct{ v any }

// AbsentIsSecure marks a property whose secure state is absence (e.g. a literal password):
// Breakable only tries setting it to v.
func AbsentIsSecure(v any) any { return absentIsSecure{v} }

// Require runs each control as a subtest named by its ID, failing on any violation.
func Require(t *testing.T, rec infratest.Recorded, cs []Control) {
	t.Helper()
	for _, c := range cs {
		t.Run(c.ID, func(t *testing.T) {
			require.NoError(t, c.Check(rec))
		})
	}
}

// Breakable proves each control fails when one of its properties is removed or set to its
// insecure value in a copy of rec.
func Breakable(t *testing.T, rec infratest.Set, cs []Control) {
	t.Helper()
	for _, c := range cs {
		for _, p := range c.Props {
			require.NotEmpty(t, rec.ByType(p.Type), "%s: no %s recorded to break", c.ID, p.Type)
			bad, onlyBad := p.Bad.(absentIsSecure)
			if onlyBad {
				p.Bad = bad.v
			} else {
				t.Run(c.ID+"/without "+p.Key, func(t *testing.T) {
					require.Error(t, c.Check(rec.WithInput(p.Type, p.Key, nil)), "removing %s.%s must fail %s", p.Type, p.Key, c.ID)
				})
			}
			if p.Bad != nil {
				v := resource.NewPropertyValue(p.Bad)
				t.Run(fmt.Sprintf("%s/%s=%v", c.ID, p.Key, p.Bad), func(t *testing.T) {
					require.Error(t, c.Check(rec.WithInput(p.Type, p.Key, &v)), "setting %s.%s=%v must fail %s", p.Type, p.Key, p.Bad, c.ID)
				})
			}
		}
		for _, br := range c.Breaks {
			t.Run(c.ID+"/"+br.Name, func(t *testing.T) {
				require.Error(t, c.Check(br.Apply(copySet(rec))), "%s must fail %s", br.Name, c.ID)
			})
		}
	}
}

// copySet deep-copies the inputs and outputs of every resource.
func copySet(rec infratest.Set) infratest.Set {
	out := make(infratest.Set, len(rec))
	for i, r := range rec {
		r.Inputs, r.Outputs = r.Inputs.Copy(), r.Outputs.Copy()
		out[i] = r
	}
	return out
}

// IDs lists the ids of cs.
func IDs(cs []Control) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// --- helpers shared by the control files ---

func label(r infratest.Resource) string { return r.Type + " " + r.Name }

// each applies fn to every resource of a type and requires at least atLeast of them.
func each(rec infratest.Recorded, token string, atLeast int, fn func(infratest.Resource) error) error {
	rs := rec.ByType(token)
	if len(rs) < atLeast {
		return fmt.Errorf("want at least %d %s, found %d", atLeast, token, len(rs))
	}
	var errs []error
	for _, r := range rs {
		if err := fn(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label(r), err))
		}
	}
	return errors.Join(errs...)
}

func isBool(r infratest.Resource, path string, want bool) error {
	v, ok := r.Bool(path)
	if !ok {
		return fmt.Errorf("%s is not set explicitly (want %v)", path, want)
	}
	if v != want {
		return fmt.Errorf("%s is %v, want %v", path, v, want)
	}
	return nil
}

func isStr(r infratest.Resource, path, want string) error {
	v, ok := r.Str(path)
	if !ok {
		return fmt.Errorf("%s is not set explicitly (want %q)", path, want)
	}
	if v != want {
		return fmt.Errorf("%s is %q, want %q", path, v, want)
	}
	return nil
}

func intBetween(r infratest.Resource, path string, lo, hi int) error {
	v, ok := r.Int(path)
	if !ok {
		return fmt.Errorf("%s is not set explicitly (want %d to %d)", path, lo, hi)
	}
	if v < lo || v > hi {
		return fmt.Errorf("%s is %d, want %d to %d", path, v, lo, hi)
	}
	return nil
}

func nonEmpty(r infratest.Resource, path string) (string, error) {
	v, ok := r.Str(path)
	if !ok || v == "" {
		return "", fmt.Errorf("%s is not set", path)
	}
	return v, nil
}

// cmk requires the input at path to be the ARN of a customer managed key the stack creates
// (not an alias, not an AWS managed key).
func cmk(rec infratest.Recorded, r infratest.Resource, path string) error {
	arn, err := nonEmpty(r, path)
	if err != nil {
		return fmt.Errorf("%w (want a customer managed KMS key ARN)", err)
	}
	if len(infratest.ByOutput(rec, TKMSKey, "arn", arn)) != 1 {
		return fmt.Errorf("%s %q is not the ARN of a KMS key created by the stack", path, arn)
	}
	return nil
}

// keyOwner is the type of the component that owns the CMK named at path.
func keyOwner(rec infratest.Recorded, r infratest.Resource, path string) string {
	arn, _ := r.Str(path)
	keys := infratest.ByOutput(rec, TKMSKey, "arn", arn)
	if len(keys) != 1 {
		return ""
	}
	return keys[0].ParentType()
}

// subnetIDsByTier maps each tier tag (public, private, isolated) to its subnet ids.
func subnetIDsByTier(rec infratest.Recorded) map[string][]string {
	out := map[string][]string{}
	for _, s := range rec.ByType(TSubnet) {
		tier := s.Tags()["Tier"]
		out[tier] = append(out[tier], s.ID)
	}
	return out
}

// inIsolatedSubnets requires the subnet group named by path on r to exist and list only
// isolated subnets, in at least two AZs.
func inIsolatedSubnets(rec infratest.Recorded, r infratest.Resource, path, groupType string) error {
	name, err := nonEmpty(r, path)
	if err != nil {
		return err
	}
	groups := infratest.ByOutput(rec, groupType, "name", name)
	if len(groups) != 1 {
		return fmt.Errorf("%s %q is not a subnet group created by the stack", path, name)
	}
	ids := groups[0].Strings("subnetIds")
	if len(ids) < 2 {
		return fmt.Errorf("subnet group %s has %d subnets, want at least 2 AZs", name, len(ids))
	}
	isolated := subnetIDsByTier(rec)["isolated"]
	for _, id := range ids {
		if !slices.Contains(isolated, id) {
			return fmt.Errorf("subnet group %s includes %s, which is not an isolated subnet", name, id)
		}
	}
	return nil
}

// parameters reads a parameter group's name=value pairs.
func parameters(r infratest.Resource) map[string]string {
	out := map[string]string{}
	for i := 0; i < r.Len("parameters"); i++ {
		n, _ := r.Str(fmt.Sprintf("parameters[%d].name", i))
		v, _ := r.Str(fmt.Sprintf("parameters[%d].value", i))
		out[n] = v
	}
	return out
}

// groupKey is the role of a security group, from its logical name "<component>-<key>-sg".
func groupKey(r infratest.Resource) string {
	n := strings.TrimSuffix(r.Name, "-sg")
	return n[strings.LastIndex(n, "-")+1:]
}
