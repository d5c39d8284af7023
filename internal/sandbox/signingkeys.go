package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
)

type signingKey struct {
	id        string
	algorithm string // EdDSA, ES256, RS256, HS256
	status    string // in_use, previously_used, revoked, standby
	legacy    bool
	createdAt time.Time
	updatedAt time.Time
}

// signingKeyResponse is SigningKeyResponse (additionalProperties: false).
type signingKeyResponse struct {
	Algorithm string         `json:"algorithm"`
	CreatedAt string         `json:"created_at"`
	ID        string         `json:"id"`
	PublicJwk map[string]any `json:"public_jwk"`
	Status    string         `json:"status"`
	UpdatedAt string         `json:"updated_at"`
}

// response renders the key with a fake public JWK; symmetric (HS256) keys
// have none.
func (k *signingKey) response() signingKeyResponse {
	r := signingKeyResponse{
		Algorithm: k.algorithm,
		CreatedAt: rfc3339(k.createdAt),
		ID:        k.id,
		Status:    k.status,
		UpdatedAt: rfc3339(k.updatedAt),
	}
	coord := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(fakeHex(k.id+s, 16))[:32]) }
	switch k.algorithm {
	case "ES256":
		r.PublicJwk = map[string]any{"kty": "EC", "crv": "P-256", "x": coord("x"), "y": coord("y"), "kid": k.id, "alg": "ES256", "use": "sig", "key_ops": []string{"verify"}, "ext": true}
	case "EdDSA":
		r.PublicJwk = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": coord("x"), "kid": k.id, "alg": "EdDSA", "use": "sig", "key_ops": []string{"verify"}, "ext": true}
	case "RS256":
		r.PublicJwk = map[string]any{"kty": "RSA", "n": coord("n") + coord("n2"), "e": "AQAB", "kid": k.id, "alg": "RS256", "use": "sig", "key_ops": []string{"verify"}, "ext": true}
	}
	return r
}

func (s *Sandbox) listSigningKeys(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	keys := []signingKeyResponse{}
	for _, k := range p.signingKeys {
		keys = append(keys, k.response())
	}
	return reply{body: map[string]any{"keys": keys}}, nil
}

func (s *Sandbox) requireSigningKey(c *call) (*project, int, error) {
	p, err := s.requireProject(c)
	if err != nil {
		return nil, 0, err
	}
	for i, k := range p.signingKeys {
		if k.id == c.params["id"] {
			return p, i, nil
		}
	}
	return nil, 0, errNotFound("Signing key not found: %s", c.params["id"])
}

func (s *Sandbox) getSigningKey(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireSigningKey(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: p.signingKeys[i].response()}, nil
}

// retireInUse marks the current in_use key previously_used, for rotation.
func retireInUse(p *project, now time.Time) {
	for _, k := range p.signingKeys {
		if k.status == "in_use" {
			k.status = "previously_used"
			k.updatedAt = now
		}
	}
}

func (s *Sandbox) createSigningKey(c *call) (reply, error) {
	var body struct {
		Algorithm string `json:"algorithm"`
		Status    string `json:"status"`
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
	status := body.Status
	if status == "" {
		status = "standby"
	}
	if status == "in_use" {
		retireInUse(p, c.now)
	}
	k := &signingKey{id: s.st.newID("signingkey"), algorithm: body.Algorithm, status: status, createdAt: c.now, updatedAt: c.now}
	p.signingKeys = append(p.signingKeys, k)
	return reply{status: http.StatusCreated, body: k.response()}, nil
}

func (s *Sandbox) legacySigningKey(p *project) *signingKey {
	for _, k := range p.signingKeys {
		if k.legacy {
			return k
		}
	}
	return nil
}

func (s *Sandbox) getLegacySigningKey(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	k := s.legacySigningKey(p)
	if k == nil {
		return reply{}, errNotFound("Project %s has no legacy signing key", p.ref)
	}
	return reply{body: k.response()}, nil
}

// createLegacySigningKey imports the legacy JWT secret as a signing key, or
// returns the one already imported.
func (s *Sandbox) createLegacySigningKey(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	k := s.legacySigningKey(p)
	if k == nil {
		k = &signingKey{id: s.st.newID("signingkey"), algorithm: "HS256", status: "in_use", legacy: true, createdAt: c.now, updatedAt: c.now}
		retireInUse(p, c.now)
		p.signingKeys = append(p.signingKeys, k)
	}
	return reply{status: http.StatusCreated, body: k.response()}, nil
}

func (s *Sandbox) updateSigningKey(c *call) (reply, error) {
	var body struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireSigningKey(c)
	if err != nil {
		return reply{}, err
	}
	k := p.signingKeys[i]
	if body.Status == "in_use" && k.status != "in_use" {
		retireInUse(p, c.now)
	}
	k.status = body.Status
	k.updatedAt = c.now
	return reply{body: k.response()}, nil
}

func (s *Sandbox) deleteSigningKey(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireSigningKey(c)
	if err != nil {
		return reply{}, err
	}
	k := p.signingKeys[i]
	if k.status == "in_use" {
		return reply{}, errBadRequest("Signing key %s is in use; rotate to another key before removing it", k.id)
	}
	p.signingKeys = append(p.signingKeys[:i], p.signingKeys[i+1:]...)
	return reply{body: k.response()}, nil
}
