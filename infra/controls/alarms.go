package controls

import (
	"errors"
	"fmt"
	"slices"

	"chessplatform/infra/infratest"
)

// SNS alarm topics and CloudWatch alarms of the observability component.

// Alarms lists the SNS topic and CloudWatch alarm controls.
func Alarms(p EdgeParams) []Control {
	return named(
		topicsEncrypted,
		topicPolicies,
		alarmsNotify.For(p),
	)
}

var topicsEncrypted = Control{
	Name: "topicsEncrypted",
	ID:   "SNS.1 alarm topics encrypted with a stack CMK that admits CloudWatch alarms",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TTopic, 1, func(t infratest.Resource) error {
			if err := cmk(rec, t, "kmsMasterKeyId"); err != nil {
				return err
			}
			key, _ := oneByOutput(rec, TKMSKey, "arn", strAt(t, "kmsMasterKeyId"))
			doc, err := key.Policy("policy")
			if err != nil {
				return err
			}
			for _, s := range serviceStatements(doc, "cloudwatch.") {
				if hasAll(s.Action, "kms:Decrypt", "kms:GenerateDataKey*") && len(condition(s, "StringEquals", "aws:SourceAccount")) == 1 {
					return nil
				}
			}
			return fmt.Errorf("key %s does not let this account's CloudWatch alarms use it", key.Name)
		})
	},
	Props: []Prop{{TTopic, "kmsMasterKeyId", "alias/aws/sns"}, {TKMSKey, "policy", rootOnlyKeyPolicy}},
}

var topicPolicies = Control{
	Name: "topicPolicies",
	ID:   "SNS.POLICY topics accept only this account's alarms, over TLS",
	Check: func(rec infratest.Recorded) error {
		return each(rec, TTopic, 1, func(t infratest.Resource) error {
			pols := infratest.ByOutput(rec, TTopicPolicy, "arn", outStr(t, "arn"))
			if len(pols) != 1 {
				return fmt.Errorf("want one topic policy, found %d", len(pols))
			}
			doc, err := pols[0].Policy("policy")
			if err != nil {
				return err
			}
			var errs []error
			cw := serviceStatements(doc, "cloudwatch.")
			if len(cw) == 0 {
				errs = append(errs, errors.New("no statement for CloudWatch alarms"))
			}
			for _, s := range cw {
				if len(condition(s, "StringEquals", "aws:SourceAccount")) != 1 || len(condition(s, "ArnLike", "aws:SourceArn")) == 0 {
					errs = append(errs, fmt.Errorf("statement %q is not limited to this account's alarms", s.Sid))
				}
			}
			tls := false
			for _, s := range doc.Statement {
				if s.Effect == "Allow" && s.Principal != nil && (s.Principal.Wildcard || slices.Contains(s.Principal.AWS, "*")) {
					errs = append(errs, fmt.Errorf("statement %q allows everyone", s.Sid))
				}
				if s.Effect == "Deny" && slices.Equal(condition(s, "Bool", "aws:SecureTransport"), []string{"false"}) {
					tls = true
				}
			}
			if !tls {
				errs = append(errs, errors.New("no statement denies publishing without TLS"))
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TTopicPolicy, "policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["sns:Publish"],"Resource":["*"]}]}`}},
}

var alarmsNotify = Configured[EdgeParams]{
	Name: "alarmsNotify",
	ID:   "CKV_AWS_319 alarms notify a stack topic in their own region on ALARM and OK, missing data handled explicitly",
	Check: func(p EdgeParams, rec infratest.Recorded) error {
		return each(rec, TMetricAlarm, 1, func(al infratest.Resource) error {
			errs := []error{isBool(al, "actionsEnabled", true)}
			if m, _ := al.Str("treatMissingData"); !slices.Contains([]string{"breaching", "notBreaching", "ignore", "missing"}, m) {
				errs = append(errs, fmt.Errorf("treatMissingData %q is not set explicitly", m))
			}
			region := ResourceRegion(rec, al, p.Region)
			for _, key := range []string{"alarmActions", "okActions"} {
				actions := al.Strings(key)
				if len(actions) == 0 {
					errs = append(errs, fmt.Errorf("no %s", key))
				}
				for _, a := range actions {
					topic, ok := oneByOutput(rec, TTopic, "arn", a)
					if !ok {
						errs = append(errs, fmt.Errorf("%s %s is not a topic of the stack", key, a))
					} else if tr := ResourceRegion(rec, topic, p.Region); tr != region {
						errs = append(errs, fmt.Errorf("%s: alarm in %s notifies a topic in %s", key, region, tr))
					}
				}
			}
			return errors.Join(errs...)
		})
	},
	Props: []Prop{{TMetricAlarm, "actionsEnabled", false}, {TMetricAlarm, "alarmActions", []any{}}, {TMetricAlarm, "okActions", nil},
		{TMetricAlarm, "treatMissingData", nil}, {TMetricAlarm, "alarmActions", []any{"arn:aws:sns:eu-west-1:123456789012:elsewhere"}}},
}
