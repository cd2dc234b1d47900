// Package infratest is the shared Pulumi mock harness of the infrastructure tests.
//
// Mocks records every registered resource (type, name, id, inputs, outputs and options), answers
// the invokes the program uses and fails on any resource type or invoke token it does not know,
// so a loop over an unmocked lookup can never pass vacuously. Outputs get realistic ids, ARNs and
// endpoints per type (types.go). Tests run a program with Run, pass config with WithConfig,
// await outputs with Await inside the program and query the recorded resources afterwards.
//
// To support a new resource type or invoke, add it to resourceTypes (types.go) or invokes
// (invokes.go); nothing else changes.
package infratest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"

	"chessplatform/infra/config"
)

// Project is the project name every test runs under (the config namespace).
const Project = config.Project

// ComponentPrefix is the type-token package of our own component resources. Any other
// non-custom resource fails unless it is a known remote component (remote.go): mocks never see
// a remote component's children, so each one allowed is a deliberate choice.
const ComponentPrefix = "chess:"

// Resource is one registered resource as the mock saw it.
type Resource struct {
	Type string
	Name string
	// URN is the resource's URN as the engine would compute it (urn.go).
	URN    string
	ID     string
	Custom bool
	// Remote is true for a multi-language (remote) component, e.g. awsx:ecr:Image.
	Remote  bool
	Inputs  resource.PropertyMap
	Outputs resource.PropertyMap
	// Parent is the parent's URN ("" for the stack root).
	Parent                  string
	Provider                string
	Protect                 bool
	RetainOnDelete          bool
	DeleteBeforeReplace     bool
	IgnoreChanges           []string
	AdditionalSecretOutputs []string
	Dependencies            []string
	// Aliases are the alias specs the program passed (pulumi.Aliases); AliasURNs resolves them
	// as the engine does, with the ones inherited from the parent.
	Aliases []*pulumirpc.Alias
}

// Call is one invoke as the mock saw it.
type Call struct {
	Token string
	Args  resource.PropertyMap
}

// Mocks implements pulumi.MockResourceMonitor. Exported fields set the simulated account; change
// them before Run. Safe for concurrent use by the Pulumi runtime.
type Mocks struct {
	AccountID string
	Region    string
	Partition string
	AZs       []string

	mu        sync.Mutex
	preview   bool // the current run is a dry run (remote components answer as in a preview)
	resources []Resource
	calls     []Call
	byID      map[string]int
}

// NewMocks returns mocks for account 123456789012 in eu-west-1 with three AZs.
func NewMocks() *Mocks {
	return &Mocks{
		AccountID: "123456789012",
		Region:    "eu-west-1",
		Partition: "aws",
		AZs:       []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
		byID:      map[string]int{},
	}
}

// NewResource records the registration and returns realistic outputs, or an error for a type
// the harness does not know.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: args.Inputs,
	}
	if req := args.RegisterRPC; req != nil {
		r.Parent = req.GetParent()
		r.Remote = req.GetRemote()
		r.Provider = req.GetProvider()
		r.Protect = req.GetProtect()
		r.RetainOnDelete = req.GetRetainOnDelete()
		r.DeleteBeforeReplace = req.GetDeleteBeforeReplace()
		r.IgnoreChanges = req.GetIgnoreChanges()
		r.AdditionalSecretOutputs = req.GetAdditionalSecretOutputs()
		r.Dependencies = req.GetDependencies()
		r.Aliases = req.GetAliases()
		r.URN = childURN(req.GetParent(), args.TypeToken, args.Name)
	}

	var extra map[string]any
	switch {
	case !args.Custom && strings.HasPrefix(args.TypeToken, ComponentPrefix):
		r.ID = ""
	case !args.Custom:
		fill, ok := remoteComponents[args.TypeToken]
		if !ok || !r.Remote {
			return "", nil, fmt.Errorf("infratest: component %q (%s) is not ours: remote components hide their children from mocks; add a known one to remoteComponents in infra/infratest/remote.go", args.TypeToken, args.Name)
		}
		m.mu.Lock()
		preview := m.preview
		m.mu.Unlock()
		out, err := fill(m.env(), args.Name, args.Inputs, preview)
		if err != nil {
			return "", nil, fmt.Errorf("infratest: %s %s: %w", args.TypeToken, args.Name, err)
		}
		r.ID, extra = "", out
	default:
		fill, ok := resourceTypes[args.TypeToken]
		if !ok {
			return "", nil, fmt.Errorf("infratest: unmocked resource type %q (%s); add it to resourceTypes in infra/infratest/types.go", args.TypeToken, args.Name)
		}
		id, out, err := fill(m.env(), args.Name, args.Inputs)
		if err != nil {
			return "", nil, fmt.Errorf("infratest: %s %s: %w", args.TypeToken, args.Name, err)
		}
		r.ID, extra = id, out
	}

	outputs := args.Inputs.Copy()
	for k, v := range resource.NewPropertyMapFromMap(extra) {
		outputs[k] = v
	}
	r.Outputs = outputs

	m.mu.Lock()
	defer m.mu.Unlock()
	if r.ID != "" {
		if prev, dup := m.byID[r.ID]; dup {
			return "", nil, fmt.Errorf("infratest: id %q of %s %s already used by %s %s", r.ID, r.Type, r.Name, m.resources[prev].Type, m.resources[prev].Name)
		}
		m.byID[r.ID] = len(m.resources)
	}
	m.resources = append(m.resources, r)
	return r.ID, outputs, nil
}

// Call answers a known invoke or fails.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, Call{Token: args.Token, Args: args.Args})
	m.mu.Unlock()
	fn, ok := invokes[args.Token]
	if !ok {
		return nil, fmt.Errorf("infratest: unmocked invoke %q; add it to invokes in infra/infratest/invokes.go", args.Token)
	}
	out, err := fn(m.env(), args.Args)
	if err != nil {
		return nil, fmt.Errorf("infratest: invoke %s: %w", args.Token, err)
	}
	return resource.NewPropertyMapFromMap(out), nil
}

func (m *Mocks) env() env {
	return env{account: m.AccountID, region: m.Region, partition: m.Partition, azs: m.AZs}
}

// Resources returns every recorded resource in registration order.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...)
}

// Calls returns every recorded invoke in call order.
func (m *Mocks) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// ByType returns the resources of one type token, e.g. "aws:rds/instance:Instance".
func (m *Mocks) ByType(token string) []Resource {
	var out []Resource
	for _, r := range m.Resources() {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// One returns the only resource of a type and fails the test unless there is exactly one.
func (m *Mocks) One(t testing.TB, token string) Resource {
	t.Helper()
	rs := m.ByType(token)
	require.Len(t, rs, 1, "want exactly one %s", token)
	return rs[0]
}

// Find returns the resource with a type and logical name.
func (m *Mocks) Find(token, name string) (Resource, bool) {
	for _, r := range m.Resources() {
		if r.Type == token && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// Named returns the resource with a type and logical name or fails the test.
func (m *Mocks) Named(t testing.TB, token, name string) Resource {
	t.Helper()
	r, ok := m.Find(token, name)
	require.True(t, ok, "no %s named %q", token, name)
	return r
}

// ByID returns the resource the mock gave this id.
func (m *Mocks) ByID(id string) (Resource, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.byID[id]
	if !ok {
		return Resource{}, false
	}
	return m.resources[i], true
}

// CountByType counts custom resources per type token.
func (m *Mocks) CountByType() map[string]int {
	out := map[string]int{}
	for _, r := range m.Resources() {
		if r.Custom {
			out[r.Type]++
		}
	}
	return out
}

// CountTable formats counts as an aligned table sorted by type, with a total line.
func CountTable(counts map[string]int) string {
	types := make([]string, 0, len(counts))
	width, total := 0, 0
	for t, n := range counts {
		types = append(types, t)
		width = max(width, len(t))
		total += n
	}
	sort.Strings(types)
	var b strings.Builder
	for _, t := range types {
		fmt.Fprintf(&b, "%-*s %4d\n", width, t, counts[t])
	}
	fmt.Fprintf(&b, "%-*s %4d\n", width, "total", total)
	return b.String()
}

// Run runs body under fresh mocks (project Project, stack "test" unless WithStack) and fails
// the test on any error.
func Run(t testing.TB, body pulumi.RunFunc, opts ...pulumi.RunOption) *Mocks {
	t.Helper()
	m := NewMocks()
	m.Run(t, body, opts...)
	return m
}

// RunErr runs body under fresh mocks and returns the mocks and the program's error.
func RunErr(body pulumi.RunFunc, opts ...pulumi.RunOption) (*Mocks, error) {
	m := NewMocks()
	return m, m.RunErr(body, opts...)
}

// Run runs body under these mocks and fails the test on any error.
func (m *Mocks) Run(t testing.TB, body pulumi.RunFunc, opts ...pulumi.RunOption) {
	t.Helper()
	require.NoError(t, m.RunErr(body, opts...))
}

// RunErr runs body under these mocks and returns its error.
func (m *Mocks) RunErr(body pulumi.RunFunc, opts ...pulumi.RunOption) error {
	if body == nil {
		return errors.New("infratest: nil program")
	}
	// The options tell whether this is a dry run; remote components answer accordingly.
	var probe pulumi.RunInfo
	for _, o := range opts {
		o(&probe)
	}
	m.mu.Lock()
	m.preview = probe.DryRun
	m.mu.Unlock()
	all := append([]pulumi.RunOption{pulumi.WithMocks(Project, "test", m)}, opts...)
	return pulumi.RunErr(body, all...)
}

// WithStack sets the stack name (default "test").
func WithStack(stack string) pulumi.RunOption {
	return func(ri *pulumi.RunInfo) { ri.Stack = stack }
}

// WithConfig adds stack config. Keys without a namespace get the project's ("azCount" becomes
// "chess-platform:azCount"); secretKeys name keys to treat as secrets. Later calls add to
// earlier ones.
func WithConfig(cfg map[string]string, secretKeys ...string) pulumi.RunOption {
	full := func(k string) string {
		if strings.Contains(k, ":") {
			return k
		}
		return Project + ":" + k
	}
	return func(ri *pulumi.RunInfo) {
		if ri.Config == nil {
			ri.Config = map[string]string{}
		}
		for k, v := range cfg {
			ri.Config[full(k)] = v
		}
		for _, k := range secretKeys {
			ri.ConfigSecretKeys = append(ri.ConfigSecretKeys, full(k))
		}
	}
}

// DryRun simulates a preview: outputs the mocks do not set are unknown.
func DryRun() pulumi.RunOption {
	return func(ri *pulumi.RunInfo) { ri.DryRun = true }
}
