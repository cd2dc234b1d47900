package stack_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"chessplatform/infra/apigwwebsocket"
	"chessplatform/infra/ecsservices"
	"chessplatform/infra/observability"
	"chessplatform/infra/rotation"
)

// TestEachComponentOwnsItsLogGroups: every log group of the stack is created by the component
// whose resources write to it; observability creates only CloudTrail's.
func TestEachComponentOwnsItsLogGroups(t *testing.T) {
	m, cfg := deploy(t, "dev")
	prefix := cfg.Name()
	want := map[string]string{"/" + prefix + "/cloudtrail": observability.Type,
		apigwwebsocket.AuthorizerLogGroupName(prefix): apigwwebsocket.Type,
		apigwwebsocket.AccessLogGroupName(prefix):     apigwwebsocket.Type,
		rotation.LogGroupName(prefix):                 rotation.Type,
	}
	for _, name := range ecsservices.LogGroupNames(prefix) {
		want[name] = ecsservices.Type
	}
	got := map[string]string{}
	for _, lg := range m.ByType("aws:cloudwatch/logGroup:LogGroup") {
		name, ok := lg.Str("name")
		if !ok { // named by an output (API Gateway's execution logs, the flow logs): skip
			continue
		}
		owner := string(resource.URN(lg.Parent).Type())
		if _, listed := want[name]; listed || owner == observability.Type {
			got[name] = owner
		}
		assert.False(t, strings.HasPrefix(owner, "pulumi:pulumi:Stack"), "%s has no component", name)
	}
	assert.Equal(t, want, got)
}
