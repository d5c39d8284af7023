package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ErrNotFound is wrapped by the errors of the steering methods (SetLints,
// AddBackup, AppendLogs...) when the project, lint, backup or restore point
// they name does not exist; the control endpoint answers those 404.
var ErrNotFound = errors.New("not found")

// projectByRef finds a project for the steering methods; the caller holds
// s.mu.
func (s *Sandbox) projectByRef(ref string) (*project, error) {
	p, ok := s.st.projects[ref]
	if !ok {
		return nil, fmt.Errorf("sandbox: project %q: %w", ref, ErrNotFound)
	}
	return p, nil
}

// maxControlBody bounds a control request; log rows are the largest.
const maxControlBody = 8 << 20

// controlPrefix is where the binaries (which cannot call InjectFault) steer
// the sandbox over HTTP. It lives outside /v1 so it never collides with the
// API and is neither rate limited nor counted.
const controlPrefix = "/_sandbox/"

func (s *Sandbox) serveControl(w http.ResponseWriter, r *http.Request) {
	// With a configured token the control plane is as protected as the API;
	// without one it stays open for curl on a laptop.
	if s.opts.Token != "" && bearerToken(r) != s.opts.Token {
		writeMessage(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	switch r.URL.Path {
	case controlPrefix + "faults":
		switch r.Method {
		case http.MethodGet:
			writeControlJSON(w, http.StatusOK, s.faults.list())
		case http.MethodPost:
			s.postFaults(w, r)
		case http.MethodDelete:
			s.ClearFaults()
			w.WriteHeader(http.StatusNoContent)
		default:
			writeMessage(w, http.StatusMethodNotAllowed, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
		}
	case controlPrefix + "requests":
		if r.Method != http.MethodGet {
			writeMessage(w, http.StatusMethodNotAllowed, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
			return
		}
		writeControlJSON(w, http.StatusOK, s.requestCountsSnapshot())
	case controlPrefix + "seed":
		if r.Method != http.MethodGet {
			writeMessage(w, http.StatusMethodNotAllowed, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
			return
		}
		writeControlJSON(w, http.StatusOK, s.Seed())
	default:
		// The escaped path, so a cache key or name holding "/" stays one segment.
		if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), controlPrefix+"projects/"); ok {
			s.serveProjectControl(w, r, rest)
			return
		}
		writeMessage(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
	}
}

// postFaults accepts a JSON list of faults (or a single fault object).
func (s *Sandbox) postFaults(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "reading the fault list: "+err.Error())
		return
	}
	var faults []Fault
	if err := json.Unmarshal(b, &faults); err != nil {
		var one Fault
		if err1 := json.Unmarshal(b, &one); err1 != nil {
			writeMessage(w, http.StatusBadRequest, "decoding the fault list: "+err.Error())
			return
		}
		faults = []Fault{one}
	}
	for i, f := range faults {
		if err := f.validate(); err != nil {
			writeMessage(w, http.StatusBadRequest, "fault "+strconv.Itoa(i)+": "+err.Error())
			return
		}
		if f.Operation != "" {
			if _, ok := s.api.byID[f.Operation]; !ok {
				writeMessage(w, http.StatusBadRequest, fmt.Sprintf("fault %d: unknown operation %q", i, f.Operation))
				return
			}
		}
	}
	for _, f := range faults {
		s.InjectFault(f)
	}
	writeControlJSON(w, http.StatusCreated, s.faults.list())
}

func writeControlJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "encoding: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// serveProjectControl serves /_sandbox/projects/{ref}/...: the advisors,
// backups, restore points and logs of one project (see the package doc).
func (s *Sandbox) serveProjectControl(w http.ResponseWriter, r *http.Request, rest string) {
	segs := strings.Split(rest, "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			writeMessage(w, http.StatusBadRequest, fmt.Sprintf("path segment %q: %v", seg, err))
			return
		}
		segs[i] = u
	}
	ref := segs[0]
	route := strings.Join(segs[1:], "/")
	var (
		status = http.StatusOK
		body   any
		err    error
	)
	switch {
	case len(segs) == 3 && segs[1] == "advisors":
		kind := AdvisorKind(segs[2])
		switch r.Method {
		case http.MethodGet:
			body, err = s.Lints(ref, kind)
		case http.MethodPut:
			var lints []Lint
			if lints, err = decodeLints(r); err == nil {
				if err = s.SetLints(ref, kind, lints); err == nil {
					body, err = s.Lints(ref, kind)
				}
			}
		case http.MethodPost:
			var lints []Lint
			if lints, err = decodeLints(r); err == nil {
				if err = s.AddLints(ref, kind, lints...); err == nil {
					status = http.StatusCreated
					body, err = s.Lints(ref, kind)
				}
			}
		default:
			status = http.StatusMethodNotAllowed
		}
	case len(segs) == 4 && segs[1] == "advisors" && r.Method == http.MethodDelete:
		if err = s.RemoveLint(ref, AdvisorKind(segs[2]), segs[3]); err == nil {
			status = http.StatusNoContent
		}
	case route == "backups":
		switch r.Method {
		case http.MethodGet:
			body, err = s.Backups(ref)
		case http.MethodPost:
			var b Backup
			if err = decodeControlBody(r, &b); err == nil {
				if body, err = s.AddBackup(ref, b); err == nil {
					status = http.StatusCreated
				}
			}
		default:
			status = http.StatusMethodNotAllowed
		}
	case route == "backups/fail-newest":
		if r.Method != http.MethodPost {
			status = http.StatusMethodNotAllowed
			break
		}
		body, err = s.FailNewestBackup(ref)
	case route == "backups/pitr":
		if r.Method != http.MethodPut {
			status = http.StatusMethodNotAllowed
			break
		}
		var in struct {
			Enabled *bool `json:"enabled"`
		}
		if err = decodeControlBody(r, &in); err == nil {
			if in.Enabled == nil {
				err = errors.New(`want {"enabled": true} or {"enabled": false}`)
			} else if err = s.SetPITR(ref, *in.Enabled); err == nil {
				body = map[string]bool{"enabled": *in.Enabled}
			}
		}
	case route == "restore-points/outcome":
		if r.Method != http.MethodPut {
			status = http.StatusMethodNotAllowed
			break
		}
		var in struct {
			Status string `json:"status"`
		}
		if err = decodeControlBody(r, &in); err == nil {
			if err = s.SetRestorePointOutcome(ref, in.Status); err == nil {
				body = in
			}
		}
	case len(segs) == 4 && segs[1] == "restore-points" && segs[3] == "fail":
		if r.Method != http.MethodPost {
			status = http.StatusMethodNotAllowed
			break
		}
		if err = s.FailRestorePoint(ref, segs[2]); err == nil {
			status = http.StatusNoContent
		}
	case route == "logs":
		switch r.Method {
		case http.MethodGet:
			body, err = s.Logs(ref)
		case http.MethodPost:
			var rows []LogRow
			if rows, err = decodeLogRows(r); err == nil {
				if err = s.AppendLogs(ref, rows...); err == nil {
					status = http.StatusCreated
					body = map[string]int{"appended": len(rows)}
				}
			}
		case http.MethodDelete:
			if err = s.ClearLogs(ref); err == nil {
				status = http.StatusNoContent
			}
		default:
			status = http.StatusMethodNotAllowed
		}
	default:
		status = http.StatusNotFound
	}
	switch {
	case err != nil && errors.Is(err, ErrNotFound):
		writeMessage(w, http.StatusNotFound, err.Error())
	case err != nil:
		writeMessage(w, http.StatusBadRequest, err.Error())
	case status == http.StatusNotFound, status == http.StatusMethodNotAllowed:
		writeMessage(w, status, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
	case status == http.StatusNoContent:
		w.WriteHeader(status)
	default:
		writeControlJSON(w, status, body)
	}
}

func readControlBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if len(b) > maxControlBody {
		return nil, fmt.Errorf("the body is over %d bytes", maxControlBody)
	}
	return b, nil
}

func decodeControlBody(r *http.Request, v any) error {
	b, err := readControlBody(r)
	if err != nil {
		return err
	}
	return decodeStrict(b, v)
}

// decodeStrict refuses unknown keys: a misspelt one would otherwise be
// silently ignored and the test would steer something else.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding the body: %w", err)
	}
	if dec.More() {
		return errors.New("decoding the body: more than one JSON value")
	}
	return nil
}

// decodeOneOrList decodes a JSON list of T, or a single T.
func decodeOneOrList[T any](b []byte) ([]T, error) {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		var list []T
		return list, decodeStrict(t, &list)
	}
	var one T
	if err := decodeStrict(b, &one); err != nil {
		return nil, err
	}
	return []T{one}, nil
}

// decodeLints accepts a list of lints, one lint, or the advisors' answer
// {"lints": [...]}, so a real answer can be replayed.
func decodeLints(r *http.Request) ([]Lint, error) {
	b, err := readControlBody(r)
	if err != nil {
		return nil, err
	}
	var wrapped map[string]json.RawMessage
	if json.Unmarshal(b, &wrapped) == nil && len(wrapped) == 1 && wrapped["lints"] != nil {
		b = wrapped["lints"]
	}
	return decodeOneOrList[Lint](b)
}

// decodeLogRows accepts a list of rows or one row.
func decodeLogRows(r *http.Request) ([]LogRow, error) {
	b, err := readControlBody(r)
	if err != nil {
		return nil, err
	}
	return decodeOneOrList[LogRow](b)
}
