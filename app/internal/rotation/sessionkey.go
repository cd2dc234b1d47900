package rotation

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"chessplatform/app/internal/authn"
)

// sessionKeyBytes is the size of a new signing key (authn needs at least 32).
const sessionKeyBytes = 48

// sessionKeys rotates an authn.KeySet: the announced next key becomes current, the current one
// becomes previous (accepted until the rotation after this one, which is at least one token
// lifetime later: the schedule is longer than the longest TOKEN_TTL), and a new next key is
// announced. Processes that loaded the old set already accept the new current key.
type sessionKeys struct{ r *Rotator }

func (s sessionKeys) next(current string) (string, error) {
	old, err := authn.ParseKeySet(current)
	if err != nil {
		return "", fmt.Errorf("current session keys: %w", err)
	}
	fresh, err := newKey(s.r.rand())
	if err != nil {
		return "", err
	}
	ks := authn.KeySet{Current: old.Next, Next: fresh, Previous: old.Current}
	if old.Next == "" {
		// A bare key (the format before rotation): no process knows a next key yet, so this
		// rotation only announces one; the key keeps signing until the next rotation.
		ks = authn.KeySet{Current: old.Current, Next: fresh, Previous: old.Previous}
	}
	if ks.Previous == "" { // every field present and non-empty: ECS injects each one
		ks.Previous = ks.Current
	}
	b, err := json.Marshal(ks)
	return string(b), err
}

// set has nothing to do: the keys live only in the secret, which the authorizer re-reads and
// the backend's tasks load at start (finishSecret redeploys them).
func (sessionKeys) set(context.Context, Event, *secretsmanager.DescribeSecretOutput) error {
	return nil
}

// test proves the rotation cuts no session off: a process still on the current set accepts a
// token signed with the pending set, and a process on the pending set accepts one signed with
// the current set.
func (s sessionKeys) test(ctx context.Context, ev Event) error {
	curDoc, err := s.r.value(ctx, ev.SecretID, "", stageCurrent)
	if err != nil {
		return err
	}
	pendDoc, err := s.r.value(ctx, ev.SecretID, ev.Token, stagePending)
	if err != nil {
		return err
	}
	cur, err := authn.ParseKeySet(curDoc)
	if err != nil {
		return fmt.Errorf("current: %w", err)
	}
	pend, err := authn.ParseKeySet(pendDoc)
	if err != nil {
		return fmt.Errorf("pending: %w", err)
	}
	if pendDoc == curDoc {
		// Secrets Manager's test of the configuration (a schedule set without rotating now):
		// it makes a pending copy of the current value and runs testSecret alone.
		_, err := pend.Signer()
		return err
	}
	if pend.Next == "" || pend.Next == pend.Current || pend.Next == cur.Current || pend.Next == cur.Next {
		return errors.New("pending session keys must announce a fresh next key")
	}
	oldSigner, err := cur.Signer()
	if err != nil {
		return fmt.Errorf("current: %w", err)
	}
	newSigner, err := pend.Signer()
	if err != nil {
		return fmt.Errorf("pending: %w", err)
	}
	now := time.Now()
	for _, c := range []struct {
		name           string
		signer, verify *authn.Signer
	}{
		{"a token signed after the rotation, checked by a process started before it", newSigner, oldSigner},
		{"a token signed before the rotation, checked by a process started after it", oldSigner, newSigner},
	} {
		tok, err := c.signer.Sign(authn.Claims{PlayerID: "rotation-test", Name: "rotation-test", ExpiresAt: now.Add(time.Minute)})
		if err != nil {
			return fmt.Errorf("%s: signing: %w", c.name, err)
		}
		if _, err := c.verify.Verify(tok, now); err != nil {
			return fmt.Errorf("%s is refused: %w", c.name, err)
		}
	}
	return nil
}

func newKey(r io.Reader) (string, error) {
	b := make([]byte, sessionKeyBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("generating a key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (r *Rotator) rand() io.Reader {
	if r.cfg.Rand != nil {
		return r.cfg.Rand
	}
	return rand.Reader
}
