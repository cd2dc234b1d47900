package infratest

import (
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "urn:pulumi:dev::chess-platform::pulumi:pulumi:Stack::chess-platform-dev"

func spec(s *pulumirpc.Alias_Spec) *pulumirpc.Alias {
	return &pulumirpc.Alias{Alias: &pulumirpc.Alias_Spec_{Spec: s}}
}

// renamed is a component renamed from "old" (token chess:a:Old) to "new" (chess:a:New), with
// a child named after it, a child that is not, and a child moved in from elsewhere by URN.
func renamed() []Resource {
	comp := Resource{Type: "chess:a:New", Name: "new", Parent: root,
		Aliases: []*pulumirpc.Alias{spec(&pulumirpc.Alias_Spec{Name: "old", Type: "chess:a:Old"})}}
	comp.URN = childURN(root, comp.Type, comp.Name)
	child := func(typ, name string, aliases ...*pulumirpc.Alias) Resource {
		return Resource{Type: typ, Name: name, Parent: comp.URN, URN: childURN(comp.URN, typ, name), Aliases: aliases}
	}
	return []Resource{
		comp,
		child("aws:s3/bucketV2:BucketV2", "new-logs"),
		child("aws:kms/key:Key", "shared-key"),
		child("aws:cloudwatch/logGroup:LogGroup", "new-log",
			&pulumirpc.Alias{Alias: &pulumirpc.Alias_Urn{Urn: "urn:pulumi:dev::chess-platform::chess:b:B$aws:cloudwatch/logGroup:LogGroup::b-log"}}),
	}
}

// TestAliasURNs: aliases resolve as the engine resolves them: a spec's defaults, inheritance
// from the parent's aliases, and the parent-name substitution in a child's name.
func TestAliasURNs(t *testing.T) {
	rs := renamed()
	got, err := AliasURNs(rs)
	require.NoError(t, err)
	const p = "urn:pulumi:dev::chess-platform::"
	assert.Equal(t, []string{p + "chess:a:Old::old"}, got[rs[0].URN])
	assert.Equal(t, []string{p + "chess:a:Old$aws:s3/bucketV2:BucketV2::old-logs"}, got[rs[1].URN])
	assert.Equal(t, []string{p + "chess:a:Old$aws:kms/key:Key::shared-key"}, got[rs[2].URN])
	assert.Contains(t, got[rs[3].URN], p+"chess:b:B$aws:cloudwatch/logGroup:LogGroup::b-log")
	assert.Contains(t, got[rs[3].URN], p+"chess:a:Old$aws:cloudwatch/logGroup:LogGroup::old-log")
}

// TestMoves: an old URN is kept, moved (an alias of exactly one resource) or lost; an alias
// claimed twice is an error.
func TestMoves(t *testing.T) {
	const p = "urn:pulumi:dev::chess-platform::"
	rs := renamed()
	moved, lost, err := Moves([]string{
		p + "chess:a:Old::old",
		p + "chess:b:B$aws:cloudwatch/logGroup:LogGroup::b-log",
		rs[2].URN,
		p + "chess:a:Old$aws:s3/bucketV2:BucketV2::gone",
	}, rs)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		p + "chess:a:Old::old":                                  rs[0].URN,
		p + "chess:b:B$aws:cloudwatch/logGroup:LogGroup::b-log": rs[3].URN,
	}, moved)
	assert.Equal(t, []string{p + "chess:a:Old$aws:s3/bucketV2:BucketV2::gone"}, lost)

	twice := append(renamed(), Resource{Type: "aws:cloudwatch/logGroup:LogGroup", Name: "other", Parent: root,
		URN:     childURN(root, "aws:cloudwatch/logGroup:LogGroup", "other"),
		Aliases: []*pulumirpc.Alias{{Alias: &pulumirpc.Alias_Urn{Urn: p + "chess:b:B$aws:cloudwatch/logGroup:LogGroup::b-log"}}}})
	_, _, err = Moves(nil, twice)
	assert.ErrorContains(t, err, "claimed by")
}
