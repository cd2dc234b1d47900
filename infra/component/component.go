// Package component holds what the stack's components take and do alike: the arguments every
// one of them needs (Common), the validation of those, and the error context of a component.
package component

import (
	"errors"
	"fmt"

	"chessplatform/infra/awsenv"
)

// Common are the arguments every component takes; each component's Args embeds them.
type Common struct {
	// Account is the target account and region. Required.
	Account awsenv.Account
	// NamePrefix prefixes physical names, e.g. "chess-platform-dev". Required.
	NamePrefix string
	// LogRetentionDays is the retention of the component's log groups and log objects (a
	// CloudWatch Logs value). Required.
	LogRetentionDays int
	// KMSDeletionWindowDays is the deletion window of the component's keys (7 to 30). Required.
	KMSDeletionWindowDays int
	// Tags are added to every taggable child. Optional.
	Tags map[string]string
}

// Errors collects the validation errors of a component's arguments.
type Errors []error

// Require adds "<what> is required" unless ok.
func (e *Errors) Require(ok bool, what string) {
	if !ok {
		*e = append(*e, errors.New(what+" is required"))
	}
}

// Err joins the errors (nil when there are none).
func (e Errors) Err() error { return errors.Join(e...) }

// Check validates the common arguments and returns the errors, to which a component adds its
// own.
func (c Common) Check() Errors {
	var errs Errors
	errs.Require(c.Account.ID != "" && c.Account.Region != "", "Account")
	errs.Require(c.NamePrefix != "", "NamePrefix")
	errs.Require(c.LogRetentionDays > 0, "LogRetentionDays")
	if c.KMSDeletionWindowDays < 7 || c.KMSDeletionWindowDays > 30 {
		errs = append(errs, fmt.Errorf("KMSDeletionWindowDays %d must be 7 to 30", c.KMSDeletionWindowDays))
	}
	return errs
}

// Wrap returns the function that puts a component's kind and name, and what failed, in front
// of an error: "rds database: log group x: <err>".
func Wrap(kind, name string) func(what string, err error) error {
	return func(what string, err error) error { return fmt.Errorf("%s %s: %s: %w", kind, name, what, err) }
}
