package controls

// Resource type tokens the rules read, by service.
const (
	TAWSProvider = "pulumi:providers:aws"

	TKMSKey = "aws:kms/key:Key"

	TVpc           = "aws:ec2/vpc:Vpc"
	TSubnet        = "aws:ec2/subnet:Subnet"
	TRoute         = "aws:ec2/route:Route"
	TRouteTable    = "aws:ec2/routeTable:RouteTable"
	TRouteAssoc    = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	TNat           = "aws:ec2/natGateway:NatGateway"
	TSecurityGroup = "aws:ec2/securityGroup:SecurityGroup"
	TDefaultSG     = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	TIngress       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	TEgress        = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	TEndpoint      = "aws:ec2/vpcEndpoint:VpcEndpoint"
	TFlowLog       = "aws:ec2/flowLog:FlowLog"

	TLogGroup               = "aws:cloudwatch/logGroup:LogGroup"
	TLogDeliverySource      = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
	TLogDeliveryDestination = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
	TLogDelivery            = "aws:cloudwatch/logDelivery:LogDelivery"
	TMetricAlarm            = "aws:cloudwatch/metricAlarm:MetricAlarm"
	TDashboard              = "aws:cloudwatch/dashboard:Dashboard"

	TRole           = "aws:iam/role:Role"
	TRolePolicy     = "aws:iam/rolePolicy:RolePolicy"
	TRoleAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	TIAMPolicy      = "aws:iam/policy:Policy"

	TRDSInstance      = "aws:rds/instance:Instance"
	TRDSSubnetGroup   = "aws:rds/subnetGroup:SubnetGroup"
	TRDSParams        = "aws:rds/parameterGroup:ParameterGroup"
	TCacheGroup       = "aws:elasticache/replicationGroup:ReplicationGroup"
	TCacheSubnetGroup = "aws:elasticache/subnetGroup:SubnetGroup"
	TCacheParams      = "aws:elasticache/parameterGroup:ParameterGroup"

	TSecret         = "aws:secretsmanager/secret:Secret"
	TSecretVersion  = "aws:secretsmanager/secretVersion:SecretVersion"
	TSecretRotation = "aws:secretsmanager/secretRotation:SecretRotation"

	TCluster       = "aws:ecs/cluster:Cluster"
	TTaskDef       = "aws:ecs/taskDefinition:TaskDefinition"
	TService       = "aws:ecs/service:Service"
	TScalingTarget = "aws:appautoscaling/target:Target"
	TScalingPolicy = "aws:appautoscaling/policy:Policy"
	TRepo          = "aws:ecr/repository:Repository"
	TRepoLifecycle = "aws:ecr/lifecyclePolicy:LifecyclePolicy"

	TLoadBalancer = "aws:lb/loadBalancer:LoadBalancer"
	TTargetGroup  = "aws:lb/targetGroup:TargetGroup"
	TListener     = "aws:lb/listener:Listener"
	TListenerRule = "aws:lb/listenerRule:ListenerRule"
	TCertificate  = "aws:acm/certificate:Certificate"

	TBucket          = "aws:s3/bucketV2:BucketV2"
	TBucketPAB       = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	TBucketOwnership = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	TBucketSSE       = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	TBucketVersion   = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	TBucketLifecycle = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	TBucketPolicy    = "aws:s3/bucketPolicy:BucketPolicy"
	TS3BucketLogging = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	TS3Object        = "aws:s3/bucketObjectv2:BucketObjectv2"

	TFunction    = "aws:lambda/function:Function"
	TPermission  = "aws:lambda/permission:Permission"
	TApi         = "aws:apigatewayv2/api:Api"
	TAuthorizer  = "aws:apigatewayv2/authorizer:Authorizer"
	TIntegration = "aws:apigatewayv2/integration:Integration"
	TApiRoute    = "aws:apigatewayv2/route:Route"
	TRouteResp   = "aws:apigatewayv2/routeResponse:RouteResponse"
	TStage       = "aws:apigatewayv2/stage:Stage"
	TDeployment  = "aws:apigatewayv2/deployment:Deployment"
	TVpcLink     = "aws:apigateway/vpcLink:VpcLink"
	TApiAccount  = "aws:apigateway/account:Account"

	TWebACL                = "aws:wafv2/webAcl:WebAcl"
	TWebACLAssociation     = "aws:wafv2/webAclAssociation:WebAclAssociation"
	TWebACLLogging         = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
	TDistribution          = "aws:cloudfront/distribution:Distribution"
	TOriginAccessControl   = "aws:cloudfront/originAccessControl:OriginAccessControl"
	TResponseHeadersPolicy = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"

	TTopic             = "aws:sns/topic:Topic"
	TTopicPolicy       = "aws:sns/topicPolicy:TopicPolicy"
	TTopicSubscription = "aws:sns/topicSubscription:TopicSubscription"
	TTrail             = "aws:cloudtrail/trail:Trail"
)

// untaggable are the types without a tags argument, exempt from TAG.1 (tags.go).
var untaggable = []string{
	TAWSProvider, TRoute, TRouteAssoc, TRolePolicy, TRoleAttachment, "aws:kms/alias:Alias",
	TSecretVersion, TSecretRotation, TRepoLifecycle, TScalingPolicy,
	"aws:acm/certificateValidation:CertificateValidation", "aws:route53/record:Record",
	TBucketPAB, TBucketOwnership, TBucketSSE, TBucketVersion, TBucketLifecycle, TBucketPolicy, TS3BucketLogging,
	TPermission, TAuthorizer, TIntegration, TApiRoute, TRouteResp, TDeployment, TApiAccount,
	TWebACLAssociation, TWebACLLogging, TOriginAccessControl, TResponseHeadersPolicy,
	TTopicPolicy, TTopicSubscription, TDashboard,
}
