package jobstore

import (
	"time"

	"github.com/supaops/supaops/internal/principal"
)

// Kinds of job.
const (
	// KindBackup checks that a project's newest physical backup is recent and
	// creates a restore point where PITR is on.
	KindBackup = "backup"
	// KindAdvisors runs the security and performance advisors and alerts on findings.
	KindAdvisors = "advisors"
	// KindLogSweep queries a log source for rows matching a condition since the last run.
	KindLogSweep = "log_sweep"
	// KindAction calls one registry action, through the same pipeline as everyone else.
	KindAction = "action"
)

// Kinds lists the kinds of job.
func Kinds() []string { return []string{KindBackup, KindAdvisors, KindLogSweep, KindAction} }

// Concurrency says what happens when a run is due while the previous one is
// still running.
type Concurrency string

const (
	// ConcurrencyForbid skips the new run (the default: jobs call a
	// rate-limited API, and two backups of one project help nobody).
	ConcurrencyForbid Concurrency = "forbid"
	// ConcurrencyReplace cancels the running run and starts the new one.
	ConcurrencyReplace Concurrency = "replace"
	// ConcurrencyAllow lets runs overlap.
	ConcurrencyAllow Concurrency = "allow"
)

// Missed says what happens to runs that were due while supaops was down.
type Missed string

const (
	// MissedSkip drops them; the next run is the next slot.
	MissedSkip Missed = "skip"
	// MissedRunOnce runs the latest missed slot once, if it is no older than
	// the starting deadline (the default, as a Kubernetes CronJob does).
	MissedRunOnce Missed = "run-once"
)

// Defaults and limits of a job.
const (
	DefaultTimeout = 10 * time.Minute
	MaxTimeout     = 24 * time.Hour
	MinTimeout     = 10 * time.Second
	DefaultHistory = 20
	MaxHistory     = 1000
	// MaxStartingDeadline: a slot missed for longer than a week reports on a
	// state nobody is waiting for; the outage is the news.
	MaxStartingDeadline = 7 * 24 * time.Hour
	// MinStartingDeadline: a scheduler wakes a little late; a shorter deadline
	// would count an ordinary run as missed.
	MinStartingDeadline = time.Minute
	// defaultDeadlineCap caps the default starting deadline (one interval).
	defaultDeadlineCap = 24 * time.Hour
	// MinEvery is the shortest @every: jobs call a rate-limited API.
	MinEvery = time.Minute
	// DefaultTimezone is the zone of a job that names none.
	DefaultTimezone = "UTC"
	// OrgPrefix marks a projects entry meaning every project of an
	// organization, resolved at each run.
	OrgPrefix = "org:"
)

// Spec is one scheduled job. Parse returns specs with every default filled
// in; a spec built in Go should go through WithDefaults and then Validate.
// Its JSON encoding (MarshalJSON) is canonical: equal specs encode to equal
// bytes, and Digest hashes them.
type Spec struct {
	// Name is ^[a-z0-9][a-z0-9-]{0,62}$; the job calls as principal job:<name>.
	Name string
	// Schedule is a 5-field cron expression or a descriptor (@daily,
	// @every 90m). A CRON_TZ= prefix is moved into Timezone by Parse and
	// WithDefaults, so that each schedule has one spelling.
	Schedule string
	// Timezone is the IANA zone the schedule is read in; UTC by default.
	Timezone string
	// Kind is one of Kinds().
	Kind string
	// Projects are project refs, or org:<slug> for every project of an
	// organization, resolved at each run. Empty only for a KindAction job
	// whose args name the project (ref).
	Projects []string
	// Notify lists where results go; empty means nowhere.
	Notify      []Target
	Concurrency Concurrency
	Missed      Missed
	// StartingDeadline is how late a missed run may still start; zero when
	// Missed is MissedSkip.
	StartingDeadline time.Duration
	// Jitter is the largest random delay before a run.
	Jitter  time.Duration
	Timeout time.Duration
	// History is how many runs are kept.
	History int
	Paused  bool
	// Budget caps the job's API calls per window, on top of the share of
	// the rate budget all jobs have; zero means no cap of its own.
	Budget Budget

	// The parameters of the job's kind: exactly the one for Kind is set.
	// Typed rather than raw JSON so that a job kind receives checked,
	// defaulted values and the canonical encoding does not depend on how
	// the file spelt them.
	Backup   *BackupParams
	Advisors *AdvisorsParams
	LogSweep *LogSweepParams
	Action   *ActionParams

	// Line is where the job was defined in its file (0 when built in Go). It
	// is not part of the encoding or digest: moving a job is not a change.
	Line int
}

// Principal is who the job calls as: job:<name>.
func (s Spec) Principal() string { return principal.KindJob + ":" + s.Name }

// Target is one place a job's results go.
type Target struct {
	// Kind is TargetSlack, TargetWebhook or TargetLog.
	Kind string
	// Value is a Slack channel id (C… or G…), an https URL, or empty for log.
	Value string
}

// Kinds of notification target.
const (
	TargetSlack   = "slack"
	TargetWebhook = "webhook"
	TargetLog     = "log"
)

// BackupParams are the parameters of a KindBackup job.
type BackupParams struct {
	// RestorePoint creates a restore point on projects with PITR on.
	RestorePoint bool
	// MaxAge is how young the newest completed physical backup must be.
	MaxAge time.Duration
}

// Advisor types, and the levels of their findings from the least severe.
const (
	AdvisorSecurity    = "security"
	AdvisorPerformance = "performance"
	LevelInfo          = "INFO"
	LevelWarn          = "WARN"
	LevelError         = "ERROR"
)

// AdvisorsParams are the parameters of a KindAdvisors job.
type AdvisorsParams struct {
	// Types are the advisors to run: AdvisorSecurity, AdvisorPerformance.
	Types []string
	// Level is the least severe finding that alerts: LevelError, LevelWarn or LevelInfo.
	Level string
}

// LogSweepParams are the parameters of a KindLogSweep job.
type LogSweepParams struct {
	// Source is the log source (edge_logs, postgres_logs, ...).
	Source string
	// Where is the SQL condition a row must meet to be reported.
	Where string
	// Lag keeps the sweep this far behind now: logs reach the API late.
	Lag time.Duration
	// Window is the longest span one query covers (the API allows 24h).
	Window time.Duration
	// Start is where the first sweep begins; zero means when the job first runs.
	Start time.Time
	// Samples is how many matching rows an alert shows.
	Samples int
}

// ActionParams are the parameters of a KindAction job.
type ActionParams struct {
	// Action is a registry action name.
	Action string
	// Args are the action's arguments. Values are what encoding/json decodes
	// with UseNumber: string, bool, nil, json.Number, []any, map[string]any.
	Args map[string]any
}

// Defaults of the kinds' parameters.
const (
	DefaultBackupMaxAge = 26 * time.Hour
	DefaultAdvisorLevel = LevelWarn
	DefaultLogSource    = "edge_logs"
	DefaultLogLag       = 2 * time.Minute
	DefaultLogWindow    = time.Hour
	DefaultLogSamples   = 5
	MaxLogWindow        = 24 * time.Hour // the logs endpoint's limit
	MaxLogLag           = time.Hour
	MaxLogSamples       = 20
	MinBackupMaxAge     = time.Hour
	MaxBackupMaxAge     = 31 * 24 * time.Hour
)

// LogSources lists the log sources a sweep can read: the sources of the
// Management API's logs endpoint.
func LogSources() []string {
	return []string{
		"edge_logs", "postgres_logs", "postgrest_logs", "auth_logs", "auth_audit_logs",
		"storage_logs", "realtime_logs", "function_edge_logs", "function_logs",
		"supavisor_logs", "pgbouncer_logs", "pg_upgrade_logs",
	}
}

// AdvisorTypes lists the advisors.
func AdvisorTypes() []string { return []string{AdvisorSecurity, AdvisorPerformance} }

// AdvisorLevels lists the levels from the most severe.
func AdvisorLevels() []string { return []string{LevelError, LevelWarn, LevelInfo} }
