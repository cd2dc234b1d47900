package authn

import (
	"encoding/json"
	"fmt"
	"strings"
)

// KeySet is the session-key secret's document: Current signs; Next (the key the next rotation
// makes current) and Previous (the key the last rotation retired) are accepted too. Every
// process therefore accepts the tokens of a process started after the next rotation, and
// of one started before the last: a rotation cuts no session off. All fields are strings, and
// always present, so that ECS can inject each one (`<secret>:current::`; a missing key stops
// the task). Before the first rotation Previous repeats Current.
type KeySet struct {
	Current  string `json:"current"`
	Next     string `json:"next"`
	Previous string `json:"previous"`
}

// ParseKeySet reads a bare encoded key (Current only) or a KeySet document. "previous" may
// also be a list of keys (the earlier format).
func ParseKeySet(s string) (KeySet, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") {
		if _, err := ParseKey(s); err != nil {
			return KeySet{}, err
		}
		return KeySet{Current: s}, nil
	}
	var doc struct {
		Current  string          `json:"current"`
		Next     string          `json:"next"`
		Previous json.RawMessage `json:"previous"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return KeySet{}, fmt.Errorf("want {\"current\": key, \"next\": key, \"previous\": key}: %w", err)
	}
	ks := KeySet{Current: doc.Current, Next: doc.Next}
	if len(doc.Previous) > 0 && string(doc.Previous) != "null" {
		var one string
		var many []string
		switch {
		case json.Unmarshal(doc.Previous, &one) == nil:
			ks.Previous = one
		case json.Unmarshal(doc.Previous, &many) == nil:
			ks.Previous = strings.Join(many, ",")
		default:
			return KeySet{}, fmt.Errorf("previous: want a key or a list of keys")
		}
	}
	if _, _, err := ks.Keys(); err != nil {
		return KeySet{}, err
	}
	return ks, nil
}

// Keys decodes the signing key and the other accepted keys (Next, then each of Previous,
// which may list several separated by commas).
func (ks KeySet) Keys() (current []byte, accepted [][]byte, err error) {
	current, err = ParseKey(ks.Current)
	if err != nil {
		return nil, nil, fmt.Errorf("current: %w", err)
	}
	if ks.Next != "" {
		k, err := ParseKey(ks.Next)
		if err != nil {
			return nil, nil, fmt.Errorf("next: %w", err)
		}
		accepted = append(accepted, k)
	}
	for i, p := range strings.Split(ks.Previous, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, err := ParseKey(p)
		if err != nil {
			return nil, nil, fmt.Errorf("previous %d: %w", i+1, err)
		}
		accepted = append(accepted, k)
	}
	return current, accepted, nil
}

// Signer returns a Signer that signs with Current and accepts every key of the set.
func (ks KeySet) Signer() (*Signer, error) {
	cur, acc, err := ks.Keys()
	if err != nil {
		return nil, err
	}
	return NewSigner(cur, acc...)
}
