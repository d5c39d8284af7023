package sandbox

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

type secretEntry struct {
	value     string
	updatedAt time.Time
}

// reservedSecrets are the secrets every project's functions get; the API
// lists them but refuses to let callers set SUPABASE_* names.
func reservedSecrets(p *project) map[string]string {
	return map[string]string{
		"SUPABASE_URL":              "https://" + p.ref + ".supabase.co",
		"SUPABASE_ANON_KEY":         fakeJWT(p.ref, "anon"),
		"SUPABASE_SERVICE_ROLE_KEY": fakeJWT(p.ref, "service_role"),
		"SUPABASE_DB_URL":           "postgresql://postgres:sandbox@" + p.host() + ":5432/postgres",
	}
}

type secretResponse struct {
	Name      string `json:"name"`
	UpdatedAt string `json:"updated_at,omitempty"`
	Value     string `json:"value"`
}

// listSecrets answers names with a SHA-256 digest as `value`, as the API does.
func (s *Sandbox) listSecrets(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	out := []secretResponse{}
	for name, v := range reservedSecrets(p) {
		out = append(out, secretResponse{Name: name, Value: secretDigest(v)})
	}
	for name, e := range p.secrets {
		out = append(out, secretResponse{Name: name, Value: secretDigest(e.value), UpdatedAt: rfc3339(e.updatedAt)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return reply{body: out}, nil
}

func (s *Sandbox) createSecrets(c *call) (reply, error) {
	var body []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	for _, sec := range body {
		p.secrets[sec.Name] = secretEntry{value: sec.Value, updatedAt: c.now}
	}
	return reply{status: http.StatusCreated}, nil
}

func (s *Sandbox) deleteSecrets(c *call) (reply, error) {
	var names []string
	if err := json.Unmarshal(c.body, &names); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	for _, n := range names {
		delete(p.secrets, n)
	}
	return reply{}, nil
}
