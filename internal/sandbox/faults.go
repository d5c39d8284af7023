package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// FaultKind selects what an injected fault does.
type FaultKind int

const (
	// RateLimitStorm answers 429 with X-RateLimit-Remaining 0 and
	// X-RateLimit-Reset from Fault.Reset, whatever the real budget.
	RateLimitStorm FaultKind = iota + 1
	// ServerError answers Fault.Status (500 when zero).
	ServerError
	// Latency delays the request by Fault.Delay, then serves it normally.
	Latency
	// Drop closes the connection without a response; over RoundTripper it is
	// a connection-reset error.
	Drop
)

func (k FaultKind) name() string {
	switch k {
	case RateLimitStorm:
		return "rate_limit_storm"
	case ServerError:
		return "server_error"
	case Latency:
		return "latency"
	case Drop:
		return "drop"
	}
	return ""
}

func (k FaultKind) String() string {
	if n := k.name(); n != "" {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// MarshalText writes the kind's name, so the control endpoint speaks JSON
// like {"kind":"latency"}.
func (k FaultKind) MarshalText() ([]byte, error) {
	n := k.name()
	if n == "" {
		return nil, fmt.Errorf("unknown fault kind %d", int(k))
	}
	return []byte(n), nil
}

// UnmarshalText accepts a kind's name (rate_limit_storm, server_error,
// latency, drop), case-insensitively, with or without underscores.
func (k *FaultKind) UnmarshalText(b []byte) error {
	want := strings.ReplaceAll(strings.ToLower(string(b)), "_", "")
	for _, kind := range []FaultKind{RateLimitStorm, ServerError, Latency, Drop} {
		if strings.ReplaceAll(kind.name(), "_", "") == want {
			*k = kind
			return nil
		}
	}
	return fmt.Errorf("unknown fault kind %q (want rate_limit_storm, server_error, latency or drop)", b)
}

// Fault is an injected failure for tests and benchmarks.
type Fault struct {
	Kind      FaultKind     `json:"kind"`
	Operation string        `json:"operation,omitempty"` // operationId, or "" for all
	Count     int           `json:"count,omitempty"`     // how many requests it affects; 0 = until cleared
	Status    int           `json:"status,omitempty"`    // ServerError: 500/502/503/504
	Delay     time.Duration `json:"delay,omitempty"`     // Latency
	Reset     time.Duration `json:"reset,omitempty"`     // RateLimitStorm: the X-RateLimit-Reset it reports
}

// UnmarshalJSON also accepts durations as strings ("250ms"), which is what a
// person types into curl; numbers are nanoseconds like encoding/json's default.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var aux struct {
		plain
		Delay json.RawMessage `json:"delay,omitempty"`
		Reset json.RawMessage `json:"reset,omitempty"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*f = Fault(aux.plain)
	var err error
	if f.Delay, err = parseJSONDuration(aux.Delay); err != nil {
		return fmt.Errorf("fault delay: %w", err)
	}
	if f.Reset, err = parseJSONDuration(aux.Reset); err != nil {
		return fmt.Errorf("fault reset: %w", err)
	}
	return nil
}

func parseJSONDuration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return time.ParseDuration(s)
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("want a duration string or nanoseconds, got %s", raw)
	}
	return time.Duration(n), nil
}

func (f Fault) validate() error {
	switch f.Kind {
	case RateLimitStorm, Latency, Drop:
	case ServerError:
		if f.Status != 0 && (f.Status < 500 || f.Status > 599) {
			return fmt.Errorf("server_error fault status %d is not a 5xx", f.Status)
		}
	default:
		return fmt.Errorf("unknown fault kind %d", int(f.Kind))
	}
	if f.Count < 0 {
		return fmt.Errorf("fault count %d is negative", f.Count)
	}
	return nil
}

// faultSet holds the active faults in injection order.
type faultSet struct {
	mu     sync.Mutex
	active []*activeFault
}

type activeFault struct {
	Fault
	left int // requests left; ignored when Count is 0
}

func (fs *faultSet) add(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.active = append(fs.active, &activeFault{Fault: f, left: f.Count})
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.active = nil
}

func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.active))
	for _, a := range fs.active {
		f := a.Fault
		if f.Count > 0 {
			f.Count = a.left
		}
		out = append(out, f)
	}
	return out
}

// take consumes the faults that apply to one request to operation opID: the
// summed delay of matching Latency faults and the first matching terminal
// fault (storm, server error or drop), if any.
func (fs *faultSet) take(opID string) (delay time.Duration, terminal *Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.active) == 0 {
		return 0, nil
	}
	kept := fs.active[:0]
	for _, a := range fs.active {
		applies := a.Operation == "" || a.Operation == opID
		if applies && a.Kind == Latency {
			delay += a.Delay
			a.left--
		} else if applies && terminal == nil {
			f := a.Fault
			terminal = &f
			a.left--
		}
		if a.Count == 0 || a.left > 0 {
			kept = append(kept, a)
		}
	}
	clear(fs.active[len(kept):])
	fs.active = kept
	return delay, terminal
}

// InjectFault adds a fault; it applies to requests that reach an operation
// (after authentication and rate limiting).
func (s *Sandbox) InjectFault(f Fault) {
	s.faults.add(f)
}

// ClearFaults removes every injected fault.
func (s *Sandbox) ClearFaults() {
	s.faults.clear()
}
