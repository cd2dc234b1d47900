package controls

// The rules of several services that components share, gathered for their tests.

// Foundation is every control that applies to the foundation stack (network, databases, keys,
// logs, secrets, IAM and tags).
func Foundation(p NetworkParams) []Control {
	var all []Control
	for _, cs := range [][]Control{Network(p), RDS(), ElastiCache(), KMS(), Logs(), Secrets(), IAM(), Tags()} {
		all = append(all, cs...)
	}
	return all
}

// EdgeControls is every control of the edge and observability components: WAF, CloudFront, the
// S3 buckets, CloudTrail and the alarms (add IAMWalk, KMS, Logs and Tags for their keys, log
// groups, policies and tags).
func EdgeControls(p EdgeParams) []Control {
	var all []Control
	for _, cs := range [][]Control{WAF(p), CloudFront(p), S3(), CloudTrail(), Alarms(p)} {
		all = append(all, cs...)
	}
	return all
}
