package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

type apiKey struct {
	id          string
	name        string
	keyType     string // legacy, publishable, secret
	description string
	value       string // the full key
	jwtTemplate map[string]any
	createdAt   time.Time
	updatedAt   time.Time
}

// seedProjectKeys gives a project the keys every project has: legacy anon and
// service_role JWTs, a default publishable key and a default secret key, and
// the matching JWT signing keys.
func seedProjectKeys(st *state, p *project) {
	t := p.createdAt
	p.apiKeys = []*apiKey{
		{id: "anon", name: "anon", keyType: "legacy", description: "Legacy anon API key", value: fakeJWT(p.ref, "anon"), createdAt: t, updatedAt: t},
		{id: "service_role", name: "service_role", keyType: "legacy", description: "Legacy service_role API key", value: fakeJWT(p.ref, "service_role"), createdAt: t, updatedAt: t},
		{id: st.newID("apikey"), name: "default", keyType: "publishable", value: "sb_publishable_sandbox" + fakeHex(p.ref+"/publishable", 10), createdAt: t, updatedAt: t},
		{id: st.newID("apikey"), name: "default", keyType: "secret", value: "sb_secret_sandbox" + fakeHex(p.ref+"/secret", 10), createdAt: t, updatedAt: t},
	}
	p.signingKeys = []*signingKey{
		{id: st.newID("signingkey"), algorithm: "HS256", status: "previously_used", legacy: true, createdAt: t, updatedAt: t},
		{id: st.newID("signingkey"), algorithm: "ES256", status: "in_use", createdAt: t, updatedAt: t},
	}
}

// apiKeyResponse is ApiKeyResponse.
type apiKeyResponse struct {
	APIKey            string         `json:"api_key"`
	Description       *string        `json:"description"`
	Hash              string         `json:"hash"`
	ID                string         `json:"id"`
	InsertedAt        string         `json:"inserted_at"`
	Name              string         `json:"name"`
	Prefix            *string        `json:"prefix"`
	SecretJwtTemplate map[string]any `json:"secret_jwt_template"`
	Type              string         `json:"type"`
	UpdatedAt         string         `json:"updated_at"`
}

// response renders a key. Secret keys are masked unless reveal is set, as in
// the API; the masked form stays non-empty so redaction can be tested.
func (k *apiKey) response(reveal bool) apiKeyResponse {
	value := k.value
	if k.keyType == "secret" && !reveal {
		value = value[:min(len(value), 14)] + "••••••••••••"
	}
	r := apiKeyResponse{
		APIKey:            value,
		Hash:              secretDigest(k.value)[:32],
		ID:                k.id,
		InsertedAt:        rfc3339(k.createdAt),
		Name:              k.name,
		SecretJwtTemplate: k.jwtTemplate,
		Type:              k.keyType,
		UpdatedAt:         rfc3339(k.updatedAt),
	}
	if k.description != "" {
		d := k.description
		r.Description = &d
	}
	if i := strings.Index(k.value, "_sandbox"); i > 0 && k.keyType != "legacy" {
		prefix := k.value[:i+1]
		r.Prefix = &prefix
	}
	return r
}

func reveal(c *call) bool { return c.query.Get("reveal") == "true" }

func (s *Sandbox) listAPIKeys(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	out := []apiKeyResponse{}
	for _, k := range p.apiKeys {
		if k.keyType == "legacy" && !p.legacyKeys {
			continue
		}
		out = append(out, k.response(reveal(c)))
	}
	return reply{body: out}, nil
}

func (s *Sandbox) requireAPIKey(c *call) (*project, int, error) {
	p, err := s.requireProject(c)
	if err != nil {
		return nil, 0, err
	}
	for i, k := range p.apiKeys {
		if k.id == c.params["id"] {
			return p, i, nil
		}
	}
	return nil, 0, errNotFound("API key not found: %s", c.params["id"])
}

func (s *Sandbox) getAPIKey(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireAPIKey(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: p.apiKeys[i].response(reveal(c))}, nil
}

type apiKeyBody struct {
	Name              *string        `json:"name"`
	Type              string         `json:"type"`
	Description       *string        `json:"description"`
	SecretJwtTemplate map[string]any `json:"secret_jwt_template"`
}

func (s *Sandbox) createAPIKey(c *call) (reply, error) {
	var body apiKeyBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	name := ""
	if body.Name != nil {
		name = *body.Name
	}
	for _, k := range p.apiKeys {
		if k.name == name && k.keyType == body.Type {
			return reply{}, errConflict("A %s API key named %q already exists", body.Type, name)
		}
	}
	k := &apiKey{id: s.st.newID("apikey"), name: name, keyType: body.Type, jwtTemplate: body.SecretJwtTemplate, createdAt: c.now, updatedAt: c.now}
	if body.Description != nil {
		k.description = *body.Description
	}
	k.value = "sb_" + body.Type + "_sandbox" + fakeHex(p.ref+"/"+k.id, 10)
	p.apiKeys = append(p.apiKeys, k)
	return reply{status: http.StatusCreated, body: k.response(reveal(c))}, nil
}

func (s *Sandbox) updateAPIKey(c *call) (reply, error) {
	var body apiKeyBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireAPIKey(c)
	if err != nil {
		return reply{}, err
	}
	k := p.apiKeys[i]
	if k.keyType == "legacy" {
		return reply{}, errBadRequest("Legacy API key %q cannot be updated", k.name)
	}
	if body.Name != nil {
		k.name = *body.Name
	}
	if body.Description != nil {
		k.description = *body.Description
	}
	if body.SecretJwtTemplate != nil {
		k.jwtTemplate = body.SecretJwtTemplate
	}
	k.updatedAt = c.now
	return reply{body: k.response(reveal(c))}, nil
}

func (s *Sandbox) deleteAPIKey(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireAPIKey(c)
	if err != nil {
		return reply{}, err
	}
	k := p.apiKeys[i]
	if k.keyType == "legacy" {
		return reply{}, errBadRequest("Legacy API key %q cannot be deleted; disable legacy keys instead", k.name)
	}
	p.apiKeys = append(p.apiKeys[:i], p.apiKeys[i+1:]...)
	return reply{body: k.response(reveal(c))}, nil
}

func (s *Sandbox) getLegacyKeys(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: map[string]bool{"enabled": p.legacyKeys}}, nil
}

func (s *Sandbox) setLegacyKeys(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	p.legacyKeys = c.query.Get("enabled") == "true"
	return reply{body: map[string]bool{"enabled": p.legacyKeys}}, nil
}
