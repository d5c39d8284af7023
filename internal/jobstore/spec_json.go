package jobstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The store keeps specs as JSON. The encoding is canonical: fields in a
// fixed order, durations written the short way (26h, 7d, 90s), params as
// the kind's own object, Line left out. Equal specs so encode to equal
// bytes, and Digest can tell an unchanged re-apply from a change.

// specJSON is the wire form of a Spec.
type specJSON struct {
	Name             string          `json:"name"`
	Schedule         string          `json:"schedule"`
	Timezone         string          `json:"timezone"`
	Kind             string          `json:"kind"`
	Projects         []string        `json:"projects,omitempty"`
	Notify           []Target        `json:"notify,omitempty"`
	Concurrency      Concurrency     `json:"concurrency"`
	Missed           Missed          `json:"missed"`
	StartingDeadline jsonDuration    `json:"starting_deadline,omitempty"`
	Jitter           jsonDuration    `json:"jitter"`
	Timeout          jsonDuration    `json:"timeout"`
	History          int             `json:"history"`
	Paused           bool            `json:"paused"`
	Budget           string          `json:"budget,omitempty"`
	Params           json.RawMessage `json:"params,omitempty"`
}

type backupJSON struct {
	RestorePoint bool         `json:"restore_point"`
	MaxAge       jsonDuration `json:"max_age"`
}

type advisorsJSON struct {
	Types []string `json:"types"`
	Level string   `json:"level"`
}

type logSweepJSON struct {
	Source  string       `json:"source"`
	Where   string       `json:"where"`
	Lag     jsonDuration `json:"lag"`
	Window  jsonDuration `json:"window"`
	Start   string       `json:"start"`
	Samples int          `json:"samples"`
}

type actionJSON struct {
	Action string         `json:"action"`
	Args   map[string]any `json:"args,omitempty"`
}

// jsonDuration is a duration written as formatDuration writes it.
type jsonDuration time.Duration

func (d jsonDuration) MarshalText() ([]byte, error) {
	return []byte(formatDuration(time.Duration(d))), nil
}

func (d *jsonDuration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = jsonDuration(v)
	return nil
}

// MarshalJSON writes the canonical encoding. Only the parameters of the
// spec's kind are written; a spec carrying another kind's is refused.
func (s Spec) MarshalJSON() ([]byte, error) {
	params, err := s.paramsJSON()
	if err != nil {
		return nil, err
	}
	return json.Marshal(specJSON{
		Name: s.Name, Schedule: s.Schedule, Timezone: s.Timezone, Kind: s.Kind,
		Projects: s.Projects, Notify: s.Notify,
		Concurrency: s.Concurrency, Missed: s.Missed,
		StartingDeadline: jsonDuration(s.StartingDeadline), Jitter: jsonDuration(s.Jitter),
		Timeout: jsonDuration(s.Timeout), History: s.History, Paused: s.Paused,
		Budget: s.Budget.String(), Params: params,
	})
}

func (s Spec) paramsJSON() (json.RawMessage, error) {
	var v any
	set := 0
	if p := s.Backup; p != nil {
		set++
		v = backupJSON{RestorePoint: p.RestorePoint, MaxAge: jsonDuration(p.MaxAge)}
	}
	if p := s.Advisors; p != nil {
		set++
		v = advisorsJSON(*p)
	}
	if p := s.LogSweep; p != nil {
		set++
		start := "now"
		if !p.Start.IsZero() {
			start = p.Start.UTC().Format(time.RFC3339Nano)
		}
		v = logSweepJSON{Source: p.Source, Where: p.Where, Lag: jsonDuration(p.Lag), Window: jsonDuration(p.Window), Start: start, Samples: p.Samples}
	}
	if p := s.Action; p != nil {
		set++
		v = actionJSON(*p)
	}
	switch {
	case set == 0:
		return nil, nil
	case set > 1:
		return nil, fmt.Errorf("job %q: parameters of %d kinds set; a spec has those of its kind only", s.Name, set)
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads the encoding MarshalJSON writes, refusing unknown
// fields. It does not Validate: a stored spec stays readable when the rules
// tighten, and the caller decides.
func (s *Spec) UnmarshalJSON(data []byte) error {
	var w specJSON
	if err := strictJSON(data, &w); err != nil {
		return fmt.Errorf("job spec: %w", err)
	}
	out := Spec{
		Name: w.Name, Schedule: w.Schedule, Timezone: w.Timezone, Kind: w.Kind,
		Projects: w.Projects, Notify: w.Notify, Concurrency: w.Concurrency, Missed: w.Missed,
		StartingDeadline: time.Duration(w.StartingDeadline), Jitter: time.Duration(w.Jitter),
		Timeout: time.Duration(w.Timeout), History: w.History, Paused: w.Paused,
	}
	if w.Budget != "" {
		b, err := ParseBudget(w.Budget)
		if err != nil {
			return fmt.Errorf("job spec %q: budget: %w", w.Name, err)
		}
		out.Budget = b
	}
	if len(w.Params) > 0 && !bytes.Equal(w.Params, []byte("null")) {
		if err := out.readParamsJSON(w.Params); err != nil {
			return fmt.Errorf("job spec %q: params: %w", w.Name, err)
		}
	}
	*s = out
	return nil
}

func (s *Spec) readParamsJSON(raw json.RawMessage) error {
	switch s.Kind {
	case KindBackup:
		var p backupJSON
		if err := strictJSON(raw, &p); err != nil {
			return err
		}
		s.Backup = &BackupParams{RestorePoint: p.RestorePoint, MaxAge: time.Duration(p.MaxAge)}
	case KindAdvisors:
		var p advisorsJSON
		if err := strictJSON(raw, &p); err != nil {
			return err
		}
		s.Advisors = (*AdvisorsParams)(&p)
	case KindLogSweep:
		var p logSweepJSON
		if err := strictJSON(raw, &p); err != nil {
			return err
		}
		var start time.Time
		if p.Start != "now" {
			t, err := time.Parse(time.RFC3339Nano, p.Start)
			if err != nil {
				return fmt.Errorf("start %q: want now or an RFC 3339 time", p.Start)
			}
			start = t.UTC()
		}
		s.LogSweep = &LogSweepParams{Source: p.Source, Where: p.Where, Lag: time.Duration(p.Lag), Window: time.Duration(p.Window), Start: start, Samples: p.Samples}
	case KindAction:
		var p actionJSON
		if err := strictJSON(raw, &p); err != nil {
			return err
		}
		s.Action = (*ActionParams)(&p)
	default:
		return fmt.Errorf("kind %q takes no params this build knows", s.Kind)
	}
	return nil
}

// strictJSON decodes one JSON value, refusing unknown fields and trailing
// data, with numbers kept as json.Number.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Digest is a hash of the spec's canonical encoding: equal for an unchanged
// re-apply, different after any change of behaviour (pausing included).
// Where the job is in its file does not count.
func (s Spec) Digest() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
