package infratest

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Resource types of the services and API components (ecs-services, apigw-websocket). They live
// in their own table, merged into resourceTypes at init, so the edge and observability
// components can extend types.go at the same time; a type declared twice panics at init.
var serviceTypes = map[string]filler{
	// ECS
	"aws:ecs/cluster:Cluster": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := nameOr(in, name)
		arn := e.arn("ecs", "cluster/"+n)
		return arn, map[string]any{"name": n, "arn": arn}, nil
	},
	"aws:ecs/taskDefinition:TaskDefinition": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		family := str(in, "family")
		if family == "" {
			return "", nil, fmt.Errorf("task definition without a family")
		}
		base := e.arn("ecs", "task-definition/"+family)
		return family, map[string]any{"arn": base + ":1", "arnWithoutRevision": base, "revision": 1}, nil
	},
	"aws:ecs/service:Service": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := nameOr(in, name)
		cluster := str(in, "cluster")
		clusterName := cluster[strings.LastIndex(cluster, "/")+1:]
		arn := e.arn("ecs", "service/"+clusterName+"/"+n)
		return arn, map[string]any{"name": n, "arn": arn}, nil
	},

	// ECR
	"aws:ecr/repository:Repository": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := nameOr(in, name)
		return n, map[string]any{
			"name":          n,
			"arn":           e.arn("ecr", "repository/"+n),
			"registryId":    e.account,
			"repositoryUrl": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", e.account, e.region, n),
		}, nil
	},
	"aws:ecr/lifecyclePolicy:LifecyclePolicy": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		repo := str(in, "repository")
		if repo == "" {
			return "", nil, fmt.Errorf("lifecycle policy without a repository")
		}
		// The provider's id is the repository name; suffixed here because the harness wants
		// ids unique across types.
		return repo + "#lifecycle", map[string]any{"registryId": e.account}, nil
	},

	// Elastic Load Balancing v2
	"aws:lb/loadBalancer:LoadBalancer": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := nameOr(in, name)
		kind := "app"
		if str(in, "loadBalancerType") == "network" {
			kind = "net"
		}
		suffix := kind + "/" + n + "/" + hexOf("lb/"+name, 16)
		arn := e.arn("elasticloadbalancing", "loadbalancer/"+suffix)
		scheme := ""
		if v, ok := in["internal"]; ok && v.IsBool() && v.BoolValue() {
			scheme = "internal-"
		}
		return arn, map[string]any{
			"name":      n,
			"arn":       arn,
			"arnSuffix": suffix,
			"dnsName":   fmt.Sprintf("%s%s-%s.elb.%s.amazonaws.com", scheme, n, hexOf("dns/"+name, 10), e.region),
			"zoneId":    "Z32O12XQLNTSW2",
		}, nil
	},
	"aws:lb/targetGroup:TargetGroup": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := nameOr(in, name)
		suffix := "targetgroup/" + n + "/" + hexOf("tg/"+name, 16)
		arn := e.arn("elasticloadbalancing", suffix)
		return arn, map[string]any{"name": n, "arn": arn, "arnSuffix": suffix}, nil
	},
	"aws:lb/listener:Listener": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		lb := str(in, "loadBalancerArn")
		i := strings.Index(lb, ":loadbalancer/")
		if i < 0 {
			return "", nil, fmt.Errorf("listener without a load balancer ARN")
		}
		arn := strings.Replace(lb, ":loadbalancer/", ":listener/", 1) + "/" + hexOf("listener/"+name, 16)
		return arn, map[string]any{"arn": arn}, nil
	},
	"aws:lb/listenerRule:ListenerRule": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		l := str(in, "listenerArn")
		if !strings.Contains(l, ":listener/") {
			return "", nil, fmt.Errorf("rule without a listener ARN")
		}
		arn := strings.Replace(l, ":listener/", ":listener-rule/", 1) + "/" + hexOf("rule/"+name, 16)
		return arn, map[string]any{"arn": arn}, nil
	},

	// Application Auto Scaling
	"aws:appautoscaling/target:Target": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		id := str(in, "resourceId")
		if id == "" {
			return "", nil, fmt.Errorf("scalable target without a resourceId")
		}
		return id, map[string]any{"arn": e.arn("application-autoscaling", "scalable-target/"+hexOf(name, 20))}, nil
	},
	"aws:appautoscaling/policy:Policy": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := nameOr(in, name)
		return n, map[string]any{"name": n, "arn": e.arn("autoscaling", "scalingPolicy:"+uuid("policy", name)+":resource/ecs/"+n)}, nil
	},

	// ACM and Route 53
	"aws:acm/certificate:Certificate": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		domain := str(in, "domainName")
		if domain == "" {
			return "", nil, fmt.Errorf("certificate without a domainName")
		}
		arn := e.arn("acm", "certificate/"+uuid("cert", name))
		// ACM asks for one record per name, the same in every Region of the account.
		var dvos []any
		for _, d := range append([]string{domain}, strs(in, "subjectAlternativeNames")...) {
			dvos = append(dvos, map[string]any{
				"domainName":          d,
				"resourceRecordName":  "_" + hexOf("rr/"+e.account+"/"+d, 32) + "." + d + ".",
				"resourceRecordType":  "CNAME",
				"resourceRecordValue": "_" + hexOf("rv/"+e.account+"/"+d, 32) + ".acm-validations.aws.",
			})
		}
		return arn, map[string]any{"arn": arn, "status": "PENDING_VALIDATION", "domainValidationOptions": dvos}, nil
	},
	"aws:acm/certificateValidation:CertificateValidation": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		arn := str(in, "certificateArn")
		if arn == "" {
			return "", nil, fmt.Errorf("validation without a certificateArn")
		}
		return "validated-" + hexOf(name, 8), map[string]any{"certificateArn": arn}, nil
	},
	"aws:route53/record:Record": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		rn, zone, typ := str(in, "name"), str(in, "zoneId"), str(in, "type")
		if rn == "" || zone == "" || typ == "" {
			return "", nil, fmt.Errorf("record needs name, zoneId and type")
		}
		return zone + "_" + rn + "_" + typ, map[string]any{"fqdn": strings.TrimSuffix(rn, ".")}, nil
	},

	// S3 (the ALB access-log bucket)
	"aws:s3/bucketV2:BucketV2": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		b := str(in, "bucket")
		if b == "" {
			b = lowerAutoName(name)
		}
		return b, map[string]any{
			"bucket":                   b,
			"arn":                      "arn:" + e.partition + ":s3:::" + b,
			"bucketDomainName":         b + ".s3.amazonaws.com",
			"bucketRegionalDomainName": b + ".s3." + e.region + ".amazonaws.com",
			"region":                   e.region,
		}, nil
	},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     bucketChild("pab"),
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     bucketChild("ownership"),
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": bucketChild("sse"),
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               bucketChild("versioning"),
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       bucketChild("lifecycle"),
	"aws:s3/bucketPolicy:BucketPolicy":                                                           bucketChild("policy"),

	// Lambda
	"aws:lambda/function:Function": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		n := nameOr(in, name)
		arn := e.arn("lambda", "function:"+n)
		return n, map[string]any{
			"name":         n,
			"arn":          arn,
			"qualifiedArn": arn + ":$LATEST",
			"version":      "$LATEST",
			"invokeArn":    fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", e.partition, e.region, arn),
		}, nil
	},
	"aws:lambda/permission:Permission": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		sid := str(in, "statementId")
		if sid == "" {
			sid = autoName(name)
		}
		return sid, map[string]any{"statementId": sid}, nil
	},

	// API Gateway v2 (WebSocket API) and v1 (VPC link, account settings)
	"aws:apigatewayv2/api:Api": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		id := hexOf("api/"+name, 10)
		scheme := "https"
		if str(in, "protocolType") == "WEBSOCKET" {
			scheme = "wss"
		}
		return id, map[string]any{
			"arn":          fmt.Sprintf("arn:%s:apigateway:%s::/apis/%s", e.partition, e.region, id),
			"executionArn": e.arn("execute-api", id),
			"apiEndpoint":  fmt.Sprintf("%s://%s.execute-api.%s.amazonaws.com", scheme, id, e.region),
		}, nil
	},
	"aws:apigatewayv2/authorizer:Authorizer":   apiChild("auth"),
	"aws:apigatewayv2/integration:Integration": apiChild("integ"),
	"aws:apigatewayv2/route:Route":             apiChild("route"),
	"aws:apigatewayv2/routeResponse:RouteResponse": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		if str(in, "apiId") == "" || str(in, "routeId") == "" {
			return "", nil, fmt.Errorf("route response needs apiId and routeId")
		}
		return hexOf("rresp/"+name, 7), nil, nil
	},
	"aws:apigatewayv2/deployment:Deployment": apiChild("dep"),
	"aws:apigatewayv2/stage:Stage": func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		api, stage := str(in, "apiId"), str(in, "name")
		if api == "" || stage == "" {
			return "", nil, fmt.Errorf("stage needs apiId and name")
		}
		return stage, map[string]any{
			"arn":          fmt.Sprintf("arn:%s:apigateway:%s::/apis/%s/stages/%s", e.partition, e.region, api, stage),
			"executionArn": e.arn("execute-api", api+"/"+stage),
			"invokeUrl":    fmt.Sprintf("wss://%s.execute-api.%s.amazonaws.com/%s", api, e.region, stage),
		}, nil
	},
	"aws:apigateway/vpcLink:VpcLink": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		id := hexOf("vpclink/"+name, 6)
		return id, map[string]any{"arn": fmt.Sprintf("arn:%s:apigateway:%s::/vpclinks/%s", e.partition, e.region, id)}, nil
	},
	"aws:apigateway/account:Account": func(e env, name string, _ resource.PropertyMap) (string, map[string]any, error) {
		return "api-gateway-account", map[string]any{"throttleSettings": []any{map[string]any{"burstLimit": 5000, "rateLimit": 10000}}}, nil
	},
}

// serviceInvokes are the data sources of the services components.
var serviceInvokes = map[string]invoke{
	// The Elastic Load Balancing account that writes access logs in Regions opened before
	// August 2022 (eu-west-1's is 156460612806).
	"aws:elb/getServiceAccount:getServiceAccount": func(e env, _ resource.PropertyMap) (map[string]any, error) {
		ids := map[string]string{"eu-west-1": "156460612806", "us-east-1": "127311923021", "eu-central-1": "054676820928"}
		id, ok := ids[e.region]
		if !ok {
			return nil, fmt.Errorf("no ELB account for region %s in the mock", e.region)
		}
		return map[string]any{"id": id, "arn": fmt.Sprintf("arn:%s:iam::%s:root", e.partition, id)}, nil
	},
}

func init() {
	for t, f := range serviceTypes {
		if _, dup := resourceTypes[t]; dup {
			panic("infratest: resource type " + t + " is declared twice")
		}
		resourceTypes[t] = f
	}
	for t, f := range serviceInvokes {
		if _, dup := invokes[t]; dup {
			panic("infratest: invoke " + t + " is declared twice")
		}
		invokes[t] = f
	}
}

// nameOr is the name input or a Pulumi-style auto-name.
func nameOr(in resource.PropertyMap, name string) string {
	if n := str(in, "name"); n != "" {
		return n
	}
	return autoName(name)
}

// strs reads a list of strings input, unwrapping secrets.
func strs(in resource.PropertyMap, key string) []string {
	v, ok := in[resource.PropertyKey(key)]
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		for e.IsSecret() {
			e = e.SecretValue().Element
		}
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// bucketChild is an S3 bucket sub-resource; the provider's id is the bucket name, suffixed
// with the kind here because the harness wants ids unique across types.
func bucketChild(kind string) filler {
	return func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		b := str(in, "bucket")
		if b == "" {
			return "", nil, fmt.Errorf("bucket %s without a bucket", kind)
		}
		return b + "#" + kind, nil, nil
	}
}

// apiChild is an API Gateway v2 sub-resource with a short random id.
func apiChild(kind string) filler {
	return func(e env, name string, in resource.PropertyMap) (string, map[string]any, error) {
		if str(in, "apiId") == "" {
			return "", nil, fmt.Errorf("%s without an apiId", kind)
		}
		return hexOf(kind+"/"+name, 7), nil, nil
	}
}
