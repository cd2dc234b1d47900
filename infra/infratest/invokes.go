package infratest

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// invoke answers one function call.
type invoke func(e env, args resource.PropertyMap) (map[string]any, error)

// invokes is the allow-list of functions the program may call. Extend it when a component starts
// using a new data source.
var invokes = map[string]invoke{
	"aws:index/getAvailabilityZones:getAvailabilityZones": func(e env, _ resource.PropertyMap) (map[string]any, error) {
		names := make([]any, len(e.azs))
		ids := make([]any, len(e.azs))
		for i, az := range e.azs {
			names[i] = az
			ids[i] = fmt.Sprintf("euw1-az%d", i+1)
		}
		return map[string]any{"id": e.region, "names": names, "zoneIds": ids, "groupNames": []any{e.region}}, nil
	},
	"aws:index/getCallerIdentity:getCallerIdentity": func(e env, _ resource.PropertyMap) (map[string]any, error) {
		return map[string]any{
			"id":        e.account,
			"accountId": e.account,
			"arn":       fmt.Sprintf("arn:%s:sts::%s:assumed-role/deployer/session", e.partition, e.account),
			"userId":    "AROAEXAMPLEDEPLOYER:session",
		}, nil
	},
	"aws:index/getRegion:getRegion": func(e env, _ resource.PropertyMap) (map[string]any, error) {
		return map[string]any{"id": e.region, "name": e.region, "endpoint": "ec2." + e.region + ".amazonaws.com", "description": "Europe (Ireland)"}, nil
	},
	"aws:index/getPartition:getPartition": func(e env, _ resource.PropertyMap) (map[string]any, error) {
		return map[string]any{"id": e.partition, "partition": e.partition, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}, nil
	},
	"aws:secretsmanager/getRandomPassword:getRandomPassword": randomPassword,
}

// randomPassword honours length and the exclusion flags, deterministically per argument set so
// tests are reproducible.
func randomPassword(_ env, args resource.PropertyMap) (map[string]any, error) {
	flag := func(k string) bool {
		v, ok := args[resource.PropertyKey(k)]
		return ok && v.IsBool() && v.BoolValue()
	}
	length := 32
	if v, ok := args["passwordLength"]; ok && v.IsNumber() {
		length = int(v.NumberValue())
	}
	if length < 1 || length > 4096 {
		return nil, fmt.Errorf("passwordLength %d out of range", length)
	}
	var set string
	if !flag("excludeLowercase") {
		set += "abcdefghijklmnopqrstuvwxyz"
	}
	if !flag("excludeUppercase") {
		set += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	if !flag("excludeNumbers") {
		set += "0123456789"
	}
	if !flag("excludePunctuation") {
		set += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	}
	if flag("includeSpace") {
		set += " "
	}
	if v, ok := args["excludeCharacters"]; ok && v.IsString() {
		set = strings.Map(func(r rune) rune {
			if strings.ContainsRune(v.StringValue(), r) {
				return -1
			}
			return r
		}, set)
	}
	if set == "" {
		return nil, fmt.Errorf("every character class is excluded")
	}
	seed := hash(fmt.Sprint(args.Mappable()))
	rng := rand.New(rand.NewChaCha8(seed))
	b := make([]byte, length)
	for i := range b {
		b[i] = set[rng.IntN(len(set))]
	}
	return map[string]any{"id": "random", "randomPassword": string(b)}, nil
}
