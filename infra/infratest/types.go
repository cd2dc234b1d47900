package infratest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// env is the simulated account a filler builds ids and ARNs in.
type env struct {
	account, region, partition string
	azs                        []string
}

func (e env) arn(service, res string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", e.partition, service, e.region, e.account, res)
}

func (e env) globalARN(service, res string) string {
	return fmt.Sprintf("arn:%s:%s::%s:%s", e.partition, service, e.account, res)
}

// filler returns the id and the outputs a provider would compute for a resource; the inputs are
// copied to the outputs first, so fillers only add computed fields.
type filler func(e env, name string, in resource.PropertyMap) (id string, out map[string]any, err error)

// resourceTypes is the allow-list of resource types the program may register. Extend it when a
// component starts using a new type.
var resourceTypes = map[string]filler{
	// KMS
	"aws:kms/key:Key": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		id := uuid("kms", name)
		return id, map[string]any{"keyId": id, "arn": e.arn("kms", "key/"+id)}, nil
	},
	"aws:kms/alias:Alias": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		alias := str(in, "name")
		if alias == "" {
			return "", nil, fmt.Errorf("alias without a name")
		}
		return alias, map[string]any{"arn": e.arn("kms", alias), "targetKeyArn": e.arn("kms", "key/"+str(in, "targetKeyId"))}, nil
	},

	// EC2 / VPC
	"aws:ec2/vpc:Vpc": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		id := ec2ID("vpc", name)
		return id, map[string]any{
			"arn":                    e.arn("ec2", "vpc/"+id),
			"defaultSecurityGroupId": ec2ID("sg", name+"/default"),
			"defaultNetworkAclId":    ec2ID("acl", name+"/default"),
			"mainRouteTableId":       ec2ID("rtb", name+"/main"),
			"ownerId":                e.account,
		}, nil
	},
	"aws:ec2/subnet:Subnet":                   ec2Typed("subnet", "subnet"),
	"aws:ec2/internetGateway:InternetGateway": ec2Typed("igw", "internet-gateway"),
	"aws:ec2/routeTable:RouteTable":           ec2Typed("rtb", "route-table"),
	"aws:ec2/securityGroup:SecurityGroup":     withAutoName(ec2Typed("sg", "security-group"), "name"),
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		id := ec2ID("sg", str(in, "vpcId")+"/default")
		return id, map[string]any{"arn": e.arn("ec2", "security-group/"+id), "name": "default"}, nil
	},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": sgRule,
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":   sgRule,
	"aws:ec2/eip:Eip": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		id := ec2ID("eipalloc", name)
		h := hash(name)
		return id, map[string]any{"allocationId": id, "publicIp": fmt.Sprintf("198.51.100.%d", int(h[0])%250+1), "arn": e.arn("ec2", "elastic-ip/"+id)}, nil
	},
	"aws:ec2/natGateway:NatGateway": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		id := ec2ID("nat", name)
		return id, map[string]any{"networkInterfaceId": ec2ID("eni", name)}, nil
	},
	"aws:ec2/route:Route": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		return "r-" + str(in, "routeTableId") + "-" + fmt.Sprint(hash(name)[0]), nil, nil
	},
	"aws:ec2/routeTableAssociation:RouteTableAssociation": ec2Typed("rtbassoc", ""),
	"aws:ec2/vpcEndpoint:VpcEndpoint": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		id := ec2ID("vpce", name)
		out := map[string]any{"arn": e.arn("ec2", "vpc-endpoint/"+id), "state": "available"}
		if str(in, "vpcEndpointType") == "Interface" {
			out["dnsEntries"] = []any{map[string]any{"dnsName": id + "." + str(in, "serviceName") + ".vpce.amazonaws.com", "hostedZoneId": "Z7HUB22UULQXV"}}
		} else {
			out["prefixListId"] = ec2ID("pl", name)
		}
		return id, out, nil
	},
	"aws:ec2/flowLog:FlowLog": ec2Typed("fl", "vpc-flow-log"),

	// CloudWatch Logs
	"aws:cloudwatch/logGroup:LogGroup": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			n = autoName(name)
		}
		return n, map[string]any{"name": n, "arn": e.arn("logs", "log-group:"+n)}, nil
	},

	// IAM
	"aws:iam/role:Role": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			n = autoName(name)
		}
		return n, map[string]any{"name": n, "arn": e.globalARN("iam", "role/"+n), "uniqueId": "AROA" + strings.ToUpper(hexOf(name, 17))}, nil
	},
	"aws:iam/rolePolicy:RolePolicy": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			n = autoName(name)
		}
		return str(in, "role") + ":" + n, map[string]any{"name": n}, nil
	},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		return str(in, "role") + "-" + hexOf(name, 26), nil, nil
	},

	// RDS
	"aws:rds/subnetGroup:SubnetGroup":       named(lowerAutoName, func(e env, n string) string { return e.arn("rds", "subgrp:"+n) }),
	"aws:rds/parameterGroup:ParameterGroup": named(lowerAutoName, func(e env, n string) string { return e.arn("rds", "pg:"+n) }),
	"aws:rds/instance:Instance": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		ident := str(in, "identifier")
		if ident == "" {
			ident = lowerAutoName(name)
		}
		port := 5432
		if v, ok := in["port"]; ok && v.IsNumber() {
			port = int(v.NumberValue())
		}
		addr := fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", ident, hexOf(name, 12), e.region)
		resID := "db-" + strings.ToUpper(hexOf(name, 26))
		out := map[string]any{
			"identifier": ident,
			"address":    addr,
			"endpoint":   fmt.Sprintf("%s:%d", addr, port),
			"port":       port,
			"arn":        e.arn("rds", "db:"+ident),
			"resourceId": resID,
		}
		if v, ok := in["manageMasterUserPassword"]; ok && v.IsBool() && v.BoolValue() {
			out["masterUserSecrets"] = []any{map[string]any{
				"secretArn":    e.arn("secretsmanager", "secret:rds!db-"+uuid("rds-secret", name)+"-"+hexOf(name, 6)),
				"kmsKeyId":     str(in, "masterUserSecretKmsKeyId"),
				"secretStatus": "active",
			}}
		}
		return resID, out, nil
	},

	// ElastiCache
	"aws:elasticache/subnetGroup:SubnetGroup":       named(lowerAutoName, func(e env, n string) string { return e.arn("elasticache", "subnetgroup:"+n) }),
	"aws:elasticache/parameterGroup:ParameterGroup": named(lowerAutoName, func(e env, n string) string { return e.arn("elasticache", "parametergroup:"+n) }),
	"aws:elasticache/replicationGroup:ReplicationGroup": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		id := str(in, "replicationGroupId")
		if id == "" {
			id = lowerAutoName(name)
		}
		region := strings.ReplaceAll(e.region, "-", "")
		suffix := hexOf(name, 6) + "." + region + ".cache.amazonaws.com"
		port := 6379
		if v, ok := in["port"]; ok && v.IsNumber() {
			port = int(v.NumberValue())
		}
		return id, map[string]any{
			"replicationGroupId":     id,
			"arn":                    e.arn("elasticache", "replicationgroup:"+id),
			"primaryEndpointAddress": "master." + id + "." + suffix,
			"readerEndpointAddress":  "replica." + id + "." + suffix,
			"port":                   port,
		}, nil
	},

	// Secrets Manager
	"aws:secretsmanager/secret:Secret": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			n = autoName(name)
		}
		arn := e.arn("secretsmanager", "secret:"+n+"-"+hexOf(name, 6))
		return arn, map[string]any{"name": n, "arn": arn}, nil
	},
	"aws:secretsmanager/secretVersion:SecretVersion": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		v := uuid("secret-version", name)
		return str(in, "secretId") + "|" + v, map[string]any{"versionId": v, "arn": str(in, "secretId"), "versionStages": []any{"AWSCURRENT"}}, nil
	},

	// Edge and observability (waf, cdn, observability). A second AWS provider (us-east-1 for
	// CLOUDFRONT-scope resources) is a resource too; its region stays in its inputs, which is how
	// tests find the region of a resource created through it (Resource.Provider).
	"pulumi:providers:aws": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		if str(in, "region") == "" {
			return "", nil, fmt.Errorf("aws provider without an explicit region")
		}
		return uuid("provider", name), nil, nil
	},
	"aws:wafv2/webAcl:WebAcl": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n, scope := str(in, "name"), str(in, "scope")
		if n == "" || (scope != "REGIONAL" && scope != "CLOUDFRONT") {
			return "", nil, fmt.Errorf("web ACL needs a name and scope REGIONAL or CLOUDFRONT (got %q)", scope)
		}
		id := uuid("webacl", name)
		arn := e.arn("wafv2", "regional/webacl/"+n+"/"+id)
		if scope == "CLOUDFRONT" { // CLOUDFRONT-scope ACLs live in us-east-1 under "global"
			arn = fmt.Sprintf("arn:%s:wafv2:us-east-1:%s:global/webacl/%s/%s", e.partition, e.account, n, id)
		}
		return id, map[string]any{"arn": arn, "capacity": 0, "lockToken": uuid("lock", name)}, nil
	},
	"aws:wafv2/webAclAssociation:WebAclAssociation": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		acl, res := str(in, "webAclArn"), str(in, "resourceArn")
		if acl == "" || res == "" {
			return "", nil, fmt.Errorf("association needs webAclArn and resourceArn")
		}
		return acl + "," + res, nil, nil
	},
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		acl := str(in, "resourceArn")
		if acl == "" {
			return "", nil, fmt.Errorf("logging configuration without a resourceArn")
		}
		return "logging:" + acl, nil, nil
	},
	"aws:s3/bucketLoggingV2:BucketLoggingV2": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		return edgeBucketChild("logging", name, in)
	},
	"aws:s3/bucketObjectv2:BucketObjectv2": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		b, key := str(in, "bucket"), str(in, "key")
		if b == "" || key == "" {
			return "", nil, fmt.Errorf("object needs bucket and key")
		}
		return b + "/" + key, map[string]any{"arn": "arn:" + e.partition + ":s3:::" + b + "/" + key, "versionId": hexOf("version/"+name, 32), "etag": hexOf("etag/"+name, 32)}, nil
	},
	"aws:cloudfront/distribution:Distribution": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		id := "E" + strings.ToUpper(hexOf("distribution/"+name, 13))
		return id, map[string]any{
			"arn":             e.globalARN("cloudfront", "distribution/"+id),
			"domainName":      "d" + hexOf("dist-domain/"+name, 13) + ".cloudfront.net",
			"hostedZoneId":    "Z2FDTNDATAQYW2",
			"status":          "Deployed",
			"etag":            "E" + strings.ToUpper(hexOf("dist-etag/"+name, 12)),
			"callerReference": uuid("caller", name),
		}, nil
	},
	"aws:cloudfront/originAccessControl:OriginAccessControl": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		return "E" + strings.ToUpper(hexOf("oac/"+name, 13)), map[string]any{"etag": "E" + strings.ToUpper(hexOf("oac-etag/"+name, 12))}, nil
	},
	"aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		return uuid("rhp", name), map[string]any{"etag": "E" + strings.ToUpper(hexOf("rhp-etag/"+name, 12))}, nil
	},
	"aws:cloudwatch/logDeliverySource:LogDeliverySource": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			return "", nil, fmt.Errorf("delivery source without a name")
		}
		return n, map[string]any{"arn": e.arn("logs", "delivery-source:"+n), "service": "cloudfront"}, nil
	},
	"aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			return "", nil, fmt.Errorf("delivery destination without a name")
		}
		return n, map[string]any{"arn": e.arn("logs", "delivery-destination:"+n), "deliveryDestinationType": "S3"}, nil
	},
	"aws:cloudwatch/logDelivery:LogDelivery": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		if str(in, "deliverySourceName") == "" || str(in, "deliveryDestinationArn") == "" {
			return "", nil, fmt.Errorf("delivery needs deliverySourceName and deliveryDestinationArn")
		}
		id := hexOf("delivery/"+name, 16)
		return id, map[string]any{"arn": e.arn("logs", "delivery:"+id)}, nil
	},
	"aws:sns/topic:Topic": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			n = autoName(name)
		}
		arn := e.arn("sns", n)
		return arn, map[string]any{"name": n, "arn": arn, "owner": e.account}, nil
	},
	"aws:sns/topicPolicy:TopicPolicy": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		arn := str(in, "arn")
		if arn == "" {
			return "", nil, fmt.Errorf("topic policy without a topic arn")
		}
		return "policy:" + arn, map[string]any{"owner": e.account}, nil
	},
	"aws:sns/topicSubscription:TopicSubscription": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		topic := str(in, "topic")
		if topic == "" || str(in, "protocol") == "" {
			return "", nil, fmt.Errorf("subscription needs topic and protocol")
		}
		arn := topic + ":" + uuid("subscription", name)
		return arn, map[string]any{"arn": arn, "pendingConfirmation": str(in, "protocol") == "email"}, nil
	},
	"aws:cloudtrail/trail:Trail": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			return "", nil, fmt.Errorf("trail without a name")
		}
		arn := e.arn("cloudtrail", "trail/"+n)
		return arn, map[string]any{"arn": arn, "homeRegion": e.region}, nil
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			n = autoName(name)
		}
		return n, map[string]any{"name": n, "arn": e.arn("cloudwatch", "alarm:"+n)}, nil
	},
	"aws:cloudwatch/dashboard:Dashboard": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "dashboardName")
		if n == "" {
			return "", nil, fmt.Errorf("dashboard without a dashboardName")
		}
		return n, map[string]any{"dashboardArn": e.globalARN("cloudwatch", "dashboard/"+n)}, nil
	},
}

// KnownTypes lists the resource types the harness accepts, sorted.
func KnownTypes() []string {
	out := make([]string, 0, len(resourceTypes))
	for t := range resourceTypes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func sgRule(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
	id := ec2ID("sgr", name)
	return id, map[string]any{"securityGroupRuleId": id, "arn": e.arn("ec2", "security-group-rule/"+id)}, nil
}

// ec2Typed fills an EC2-style id ("vpc-0abc...") and, when arnType is set, the ARN.
func ec2Typed(prefix, arnType string) filler {
	return func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		id := ec2ID(prefix, name)
		out := map[string]any{}
		if arnType != "" {
			out["arn"] = e.arn("ec2", arnType+"/"+id)
		}
		return id, out, nil
	}
}

// withAutoName sets key to a Pulumi-style auto-name when the input leaves it out.
func withAutoName(f filler, key string) filler {
	return func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		id, out, err := f(e, name, in)
		if err == nil && str(in, key) == "" {
			out[key] = autoName(name)
		}
		return id, out, err
	}
}

// named is for resources whose id is their (auto-)name.
func named(auto func(string) string, arn func(env, string) string) filler {
	return func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := str(in, "name")
		if n == "" {
			n = auto(name)
		}
		return n, map[string]any{"name": n, "arn": arn(e, n)}, nil
	}
}

// str reads a string input, unwrapping secrets; "" when absent or not a string.
func str(in resource.PropertyMap, key string) string {
	v, ok := in[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return ""
	}
	return v.StringValue()
}

func hash(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// hexOf is a deterministic lowercase hex string of length n derived from s.
func hexOf(s string, n int) string {
	h := hash(s)
	x := hex.EncodeToString(h[:])
	for len(x) < n {
		h = hash(x)
		x += hex.EncodeToString(h[:])
	}
	return x[:n]
}

func ec2ID(prefix, name string) string { return prefix + "-0" + hexOf(prefix+"/"+name, 16) }

func uuid(kind, name string) string {
	x := hexOf(kind+"/"+name, 32)
	return x[:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}

// autoName mimics Pulumi auto-naming: the logical name plus a 7-character random suffix.
func autoName(name string) string { return name + "-" + hexOf("auto/"+name, 7) }

func lowerAutoName(name string) string { return strings.ToLower(autoName(name)) }

// edgeBucketChild is an S3 bucket sub-resource of the edge components, unique per kind and name.
func edgeBucketChild(kind, name string, in resource.PropertyMap) (string, map[string]any, error) {
	b := str(in, "bucket")
	if b == "" {
		return "", nil, fmt.Errorf("bucket %s without a bucket", kind)
	}
	return kind + ":" + b + "/" + hexOf(name, 6), nil, nil
}
