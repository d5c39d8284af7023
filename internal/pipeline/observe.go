package pipeline

import (
	"errors"
	"time"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/tools"
)

// Observer is told of every call once its record is written: metrics watch
// the pipeline through it without the pipeline knowing how they are kept.
// It must be quick and must not block.
type Observer interface {
	ObserveCall(CallStats)
}

// CallStats is what an Observer learns of one call. Every field takes few
// values (no refs, no principals), so each may be a metric label.
type CallStats struct {
	// Action is the action's name, or "unknown" for a name the registry
	// does not hold (anything could be typed there).
	Action string
	// Surface is the request's surface: mcp, slack, job or cli, else "other".
	Surface string
	// Decision is the policy's effect, "" when the call was refused
	// before the policy was asked (invalid input, an unknown action).
	Decision string
	// Outcome is one of the Outcome* constants.
	Outcome  string
	Duration time.Duration
}

// What came of a call, for CallStats.Outcome.
const (
	OutcomeOK       = "ok"        // the API answered with success
	OutcomeRefused  = "refused"   // denied, or waiting for consent
	OutcomeInvalid  = "invalid"   // unknown action or bad arguments
	OutcomeAPIError = "api_error" // the API answered with an error status
	OutcomeError    = "error"     // anything else: transport, store, timeout
)

// knownSurface says whether CallStats names a surface; others are "other".
func knownSurface(s string) bool {
	switch s {
	case "mcp", "slack", "job", "cli":
		return true
	}
	return false
}

// stats sums a call up for an Observer.
func (p *Pipeline) stats(rec Record, err error) CallStats {
	s := CallStats{Action: rec.Action, Surface: rec.Surface, Decision: string(rec.Decision.Effect), Duration: rec.Duration}
	if _, ok := p.registry.Find(rec.Action); !ok {
		s.Action = "unknown"
	}
	if !knownSurface(s.Surface) {
		s.Surface = "other"
	}
	var (
		notAllowed *NotAllowedError
		apiErr     *client.APIError
		unknown    *tools.UnknownActionError
		input      *tools.InputError
	)
	switch {
	case err == nil:
		s.Outcome = OutcomeOK
	case errors.As(err, &notAllowed):
		s.Outcome = OutcomeRefused
	case errors.As(err, &apiErr):
		s.Outcome = OutcomeAPIError
	case errors.As(err, &unknown), errors.As(err, &input):
		s.Outcome = OutcomeInvalid
	default:
		s.Outcome = OutcomeError
	}
	return s
}
