package store

import (
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
)

// Buckets, one per feature. Each is created by a migration, so a feature can
// rely on its bucket existing in any store it is handed.
const (
	// BucketMeta holds the application marker, the schema version, secret
	// keys, and small per-feature records (such as the audit chain's head).
	BucketMeta          = "meta"
	BucketAudit         = "audit"
	BucketApprovals     = "approvals"
	BucketConfirmations = "confirmations"
	// BucketBindings holds scopes bound to places (a Slack channel bound to
	// a project).
	BucketBindings = "bindings"
	// BucketOnce holds keys of requests already taken (a surface's retries
	// and redeliveries), until they expire.
	BucketOnce = "once"
	// BucketPending holds calls a surface keeps while they wait for a
	// person (a Slack confirmation or approval), until they are run or expire.
	BucketPending = "pending"
	// Scheduled jobs: their specs, their runs (keyed by job and scheduled
	// time), what each job remembers between runs (cursors, fingerprints),
	// and the alerts waiting to be delivered.
	BucketJobs     = "jobs"
	BucketJobRuns  = "job_runs"
	BucketJobState = "job_state"
	BucketOutbox   = "outbox"
	// BucketJobActive indexes the runs still requested or running, so that
	// a scheduler's tick reads a handful of keys, not every run's history.
	BucketJobActive = "job_active"
)

// SchemaVersion is the schema this supaops writes: the number of migrations.
const SchemaVersion = 3

const (
	appKey     = "app"
	appMarker  = "supaops"
	schemaKey  = "schema"
	secretsKey = "secret:" // prefix of SecretKey entries
)

// migration moves the store from its index in migrations() to the next
// version. It runs in the write transaction that records the new version, so
// a crash leaves the store at one version or the other, never between.
type migration func(tx *bbolt.Tx) error

func migrations() []migration {
	return []migration{
		createBuckets(BucketAudit, BucketApprovals, BucketConfirmations),                        // 0 → 1
		createBuckets(BucketBindings, BucketOnce, BucketPending),                                // 1 → 2
		createBuckets(BucketJobs, BucketJobRuns, BucketJobState, BucketOutbox, BucketJobActive), // 2 → 3
	}
}

func createBuckets(names ...string) migration {
	return func(tx *bbolt.Tx) error {
		for _, name := range names {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		return nil
	}
}

// initialize marks a new, empty database as a supaops store at version 0.
// A database that has buckets but no marker is someone else's and is refused.
func initialize(tx *bbolt.Tx) error {
	if tx.Bucket([]byte(BucketMeta)) != nil {
		return nil
	}
	if hasBuckets(tx) {
		return ErrNotSupaops
	}
	meta, err := tx.CreateBucket([]byte(BucketMeta))
	if err != nil {
		return fmt.Errorf("creating bucket %s: %w", BucketMeta, err)
	}
	if err := meta.Put([]byte(appKey), []byte(appMarker)); err != nil {
		return fmt.Errorf("writing the application marker: %w", err)
	}
	return putVersion(tx, 0)
}

func hasBuckets(tx *bbolt.Tx) bool {
	k, _ := tx.Cursor().First()
	return k != nil
}

// readVersion returns the schema version after checking the marker.
func readVersion(tx *bbolt.Tx) (uint64, error) {
	meta := tx.Bucket([]byte(BucketMeta))
	if meta == nil || string(meta.Get([]byte(appKey))) != appMarker {
		return 0, ErrNotSupaops
	}
	v, err := strconv.ParseUint(string(meta.Get([]byte(schemaKey))), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: unreadable schema version", ErrCorrupt)
	}
	return v, nil
}

func putVersion(tx *bbolt.Tx, v uint64) error {
	if err := tx.Bucket([]byte(BucketMeta)).Put([]byte(schemaKey), []byte(strconv.FormatUint(v, 10))); err != nil {
		return fmt.Errorf("writing the schema version: %w", err)
	}
	return nil
}

// checkSchema refuses a transaction on a file that is not at this supaops's
// schema. Every transaction checks, because another, newer supaops process
// may migrate the file while this one runs.
func checkSchema(tx *bbolt.Tx) error {
	v, err := readVersion(tx)
	switch {
	case err != nil:
		return err
	case v > SchemaVersion:
		return fmt.Errorf("%w (schema %d; this one knows up to %d): upgrade this supaops", ErrNewerSchema, v, SchemaVersion)
	case v < SchemaVersion:
		return fmt.Errorf("store schema %d is older than %d: it was replaced since it was opened", v, SchemaVersion)
	}
	return nil
}
