package consent

import (
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// load reads the record called id from bucket into v.
func load(b *bbolt.Bucket, id string, v any) error {
	data := b.Get([]byte(id))
	if data == nil {
		return fmt.Errorf("%w: %s", ErrUnknown, id)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("reading %s: %w", id, err)
	}
	return nil
}

func save(b *bbolt.Bucket, id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", id, err)
	}
	return b.Put([]byte(id), data)
}

// checkBinding refuses a call that is not the one consented to. Principals,
// actions and projects are named (they are not secret); arguments are not.
func checkBinding(consented, call Binding) error {
	switch {
	case consented.Principal != call.Principal:
		return fmt.Errorf("%w: given to %s, used by %s", ErrOtherPrincipal, consented.Principal, call.Principal)
	case consented.Action != call.Action:
		return fmt.Errorf("%w: given for %s, used for %s", ErrOtherAction, consented.Action, call.Action)
	case consented.Project != call.Project:
		return fmt.Errorf("%w: given for project %q, used for %q", ErrOtherProject, consented.Project, call.Project)
	case consented.ArgsHash != call.ArgsHash:
		return fmt.Errorf("%w: ask again with these arguments", ErrArgsChanged)
	}
	return nil
}

// expiry is the end of a consent's life, to the second, as its token says.
func expiry(now time.Time, ttl time.Duration) (time.Time, error) {
	if ttl <= 0 {
		return time.Time{}, fmt.Errorf("consent needs a positive time to live, not %s", ttl)
	}
	return now.Add(ttl).Truncate(time.Second).UTC(), nil
}

func expiredError(at time.Time) error {
	return fmt.Errorf("%w at %s", ErrExpired, at.Format(time.RFC3339))
}
