package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

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
