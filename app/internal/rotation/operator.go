package rotation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// operatorSecretLen is the length of a new operator credential: the length the stack generates
// (infra/ecsservices OperatorSecretLength); the web app refuses fewer than operatorSecretMin.
const (
	operatorSecretLen = 88
	operatorSecretMin = 32
)

// operatorSecret rotates the web app's operator credential (app/web/src/lib/server/operator.ts):
// a fresh alphanumeric value, nothing to set (only the web tasks read it, at start), and a
// redeployment of the web service in finishSecret. Browser sign-ins end with the rotation: their
// cookie MAC is keyed from the secret (docs/infra.md, "Operator secret").
type operatorSecret struct{ r *Rotator }

func (o operatorSecret) next(string) (string, error) {
	return alphanumeric(o.r.rand(), operatorSecretLen)
}

func (operatorSecret) set(context.Context, Event, *secretsmanager.DescribeSecretOutput) error {
	return nil
}

// test checks that the web app would accept the pending value: at least operatorSecretMin
// characters, letters and digits only (no quoting problem in a Bearer header).
func (o operatorSecret) test(ctx context.Context, ev Event) error {
	v, err := o.r.value(ctx, ev.SecretID, ev.Token, stagePending)
	if err != nil {
		return err
	}
	if len(v) < operatorSecretMin {
		return fmt.Errorf("pending operator secret has %d characters; the web app needs at least %d", len(v), operatorSecretMin)
	}
	if strings.Trim(v, redisAlphabet) != "" {
		return errors.New("pending operator secret has characters other than letters and digits")
	}
	return nil
}
