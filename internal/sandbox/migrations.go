package sandbox

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
)

type migration struct {
	version        string
	name           string
	statements     []string
	rollback       []string
	createdBy      string
	idempotencyKey string
}

type migrationResponse struct {
	CreatedBy      string   `json:"created_by,omitempty"`
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
	Name           string   `json:"name,omitempty"`
	Rollback       []string `json:"rollback"`
	Statements     []string `json:"statements"`
	Version        string   `json:"version"`
}

func (m *migration) response() migrationResponse {
	r := migrationResponse{
		CreatedBy: m.createdBy, IdempotencyKey: m.idempotencyKey, Name: m.name,
		Rollback: m.rollback, Statements: m.statements, Version: m.version,
	}
	if r.Rollback == nil {
		r.Rollback = []string{}
	}
	if r.Statements == nil {
		r.Statements = []string{}
	}
	return r
}

// splitSQL splits a script into statements on semicolons; good enough for
// the sandbox, which never runs them.
func splitSQL(sql string) []string {
	var out []string
	for _, st := range strings.Split(sql, ";") {
		if st = strings.TrimSpace(st); st != "" {
			out = append(out, st)
		}
	}
	return out
}

func (s *Sandbox) listMigrations(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	type item struct {
		Name    string `json:"name,omitempty"`
		Version string `json:"version"`
	}
	out := []item{}
	for _, m := range p.migrations {
		out = append(out, item{Name: m.name, Version: m.version})
	}
	return reply{body: out}, nil
}

type migrationBody struct {
	Name     *string `json:"name"`
	Query    string  `json:"query"`
	Rollback *string `json:"rollback"`
}

// nextVersion is a timestamp version like the CLI's, unique in p.
func nextVersion(p *project, now time.Time) string {
	t := now.UTC()
	for {
		v := t.Format("20060102150405")
		if findMigration(p, v) == nil {
			return v
		}
		t = t.Add(time.Second)
	}
}

func findMigration(p *project, version string) *migration {
	for _, m := range p.migrations {
		if m.version == version {
			return m
		}
	}
	return nil
}

func (s *Sandbox) saveMigration(c *call, upsert bool) (reply, error) {
	var body migrationBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	key := c.r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if key != "" {
		for _, m := range p.migrations {
			if m.idempotencyKey == key {
				return reply{}, nil // a retry of a migration already applied
			}
		}
	}
	var m *migration
	if upsert && body.Name != nil {
		for _, existing := range p.migrations {
			if existing.name == *body.Name {
				m = existing
			}
		}
	}
	if m == nil {
		m = &migration{version: nextVersion(p, c.now), createdBy: "sandbox@example.com"}
		p.migrations = append(p.migrations, m)
		sort.Slice(p.migrations, func(i, j int) bool { return p.migrations[i].version < p.migrations[j].version })
	}
	if body.Name != nil {
		m.name = *body.Name
	}
	m.statements = splitSQL(body.Query)
	if body.Rollback != nil {
		m.rollback = splitSQL(*body.Rollback)
	}
	m.idempotencyKey = key
	return reply{}, nil
}

func (s *Sandbox) applyMigration(c *call) (reply, error)  { return s.saveMigration(c, false) }
func (s *Sandbox) upsertMigration(c *call) (reply, error) { return s.saveMigration(c, true) }

func (s *Sandbox) getMigration(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	m := findMigration(p, c.params["version"])
	if m == nil {
		return reply{}, errNotFound("Migration not found: %s", c.params["version"])
	}
	return reply{body: m.response()}, nil
}

func (s *Sandbox) patchMigration(c *call) (reply, error) {
	var body migrationBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	m := findMigration(p, c.params["version"])
	if m == nil {
		return reply{}, errNotFound("Migration not found: %s", c.params["version"])
	}
	if body.Name != nil {
		m.name = *body.Name
	}
	if body.Rollback != nil {
		m.rollback = splitSQL(*body.Rollback)
	}
	return reply{}, nil
}

// rollbackMigrations forgets every migration at or after ?gte=.
func (s *Sandbox) rollbackMigrations(c *call) (reply, error) {
	gte := c.query.Get("gte")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	kept := p.migrations[:0]
	for _, m := range p.migrations {
		if m.version < gte {
			kept = append(kept, m)
		}
	}
	p.migrations = kept
	return reply{}, nil
}
