package ecsservices_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/controls"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/infratest"
)

// dependsOn reports whether r declared a dependency on d (dependencies are URNs, which end in
// "<type>::<name>").
func dependsOn(r, d infratest.Resource) bool {
	for _, u := range r.Dependencies {
		if strings.HasSuffix(u, d.Type+"::"+d.Name) {
			return true
		}
	}
	return false
}

// forwardsTo lists the listeners and listener rules with an action that forwards to tgArn.
func forwardsTo(m *infratest.Mocks, tgArn string) []infratest.Resource {
	var out []infratest.Resource
	for _, c := range []struct{ typ, key string }{{controls.TListenerRule, "actions"}, {controls.TListener, "defaultActions"}} {
		for _, r := range m.ByType(c.typ) {
			for i := 0; i < r.Len(c.key); i++ {
				if a, _ := r.Str(c.key + "[" + itoa(i) + "].targetGroupArn"); a == tgArn {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// TestServicesWaitForTheirListenerRules: every ECS service depends on each listener rule or
// listener that forwards to a target group it registers with, so CreateService never runs
// before the target group is attached to its load balancer. In up and preview mode.
func TestServicesWaitForTheirListenerRules(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"up", nil}, {"preview", []pulumi.RunOption{infratest.DryRun()}}} {
		t.Run(mode.name, func(t *testing.T) {
			m, _, err := run(t, args(), mode.opts...)
			require.NoError(t, err)
			tgByArn := map[string]infratest.Resource{}
			for _, tg := range m.ByType(controls.TTargetGroup) {
				arn, _ := tg.Output("arn")
				tgByArn[arn.StringValue()] = tg
			}
			want := map[string]int{"services-web": 1, "services-backend": 2}
			for _, svc := range m.ByType(controls.TService) {
				n := svc.Len("loadBalancers")
				require.Equal(t, want[svc.Name], n, "%s target groups", svc.Name)
				for i := 0; i < n; i++ {
					arn, ok := svc.Str("loadBalancers[" + itoa(i) + "].targetGroupArn")
					if mode.name == "preview" && !ok {
						continue // unknown at preview: the ARN is computed
					}
					tg, ok := tgByArn[arn]
					require.True(t, ok, "%s registers with an unknown target group %q", svc.Name, arn)
					attached := forwardsTo(m, arn)
					require.NotEmpty(t, attached, "nothing forwards to %s", tg.Name)
					for _, a := range attached {
						assert.True(t, dependsOn(svc, a), "%s does not depend on %s %s, which attaches %s", svc.Name, a.Type, a.Name, tg.Name)
					}
				}
			}
			// The web service waits for the web rule, the backend for its three rules and the
			// NLB listener; neither waits for the other's.
			web := m.Named(t, controls.TService, "services-web")
			backend := m.Named(t, controls.TService, "services-backend")
			assert.True(t, dependsOn(web, m.Named(t, controls.TListenerRule, "services-web")))
			for _, r := range []string{"services-backend-1", "services-backend-2", "services-backend-3"} {
				assert.True(t, dependsOn(backend, m.Named(t, controls.TListenerRule, r)), r)
			}
			assert.True(t, dependsOn(backend, m.Named(t, controls.TListener, "services-nlb-tcp")))
		})
	}
}

// TestServicesWaitForSteadyState: both services make `pulumi up` wait for a steady state, and
// keep the circuit breaker with rollback.
func TestServicesWaitForSteadyState(t *testing.T) {
	for _, bootstrap := range []bool{false, true} {
		a := args()
		if bootstrap {
			a.Images = ecsservices.Images{}
		}
		m, _, err := run(t, a)
		require.NoError(t, err)
		svcs := m.ByType(controls.TService)
		require.Len(t, svcs, 2)
		for _, s := range svcs {
			w, ok := s.Bool("waitForSteadyState")
			assert.True(t, ok && w, "%s waits for a steady state (bootstrap %v)", s.Name, bootstrap)
			cb, _ := s.Bool("deploymentCircuitBreaker.enable")
			rb, _ := s.Bool("deploymentCircuitBreaker.rollback")
			assert.True(t, cb && rb, s.Name)
		}
	}
}

// rolledBack answers like the AWS provider after a circuit-breaker rollback: the service names
// another task definition revision than the one the program asked for.
type rolledBack struct{ *infratest.Mocks }

func (r rolledBack) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, out, err := r.Mocks.NewResource(a)
	if err == nil && a.TypeToken == controls.TService && a.Name == "services-backend" {
		if td, ok := out["taskDefinition"]; ok && td.IsString() {
			out = out.Copy()
			out["taskDefinition"] = resource.NewStringProperty(strings.TrimSuffix(td.StringValue(), ":1") + ":0")
		}
	}
	return id, out, err
}

// TestRolledBackDeploymentFailsUp: when the service settles on another revision than the one
// requested (the circuit breaker rolled back a crash-looping one), the program fails and says
// which service; when it runs the requested one, it succeeds.
func TestRolledBackDeploymentFailsUp(t *testing.T) {
	m := infratest.NewMocks()
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := ecsservices.New(ctx, "services", args())
		return err
	}, pulumi.WithMocks(infratest.Project, "test", rolledBack{m}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the backend service runs")
	assert.Contains(t, err.Error(), "rolled back")
	assert.NotContains(t, err.Error(), "the web service runs")

	require.NoError(t, ecsservices.CheckDeployed("web", "arn:td/web:3", "arn:td/web:3"))
	err = ecsservices.CheckDeployed("web", "arn:td/web:3", "arn:td/web:2")
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "arn:td/web:2") && !errors.Is(err, nil))
}
