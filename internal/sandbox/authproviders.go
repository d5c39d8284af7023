package sandbox

import (
	"encoding/json"
	"net/http"
	"time"
)

// SSO providers and third-party auth integrations are kept as JSON objects:
// their shapes are wide and the sandbox only stores and returns them.

func newSSOProvider(id string, domains []string, metadataURL string, now time.Time) map[string]any {
	p := map[string]any{
		"id":         id,
		"created_at": rfc3339(now),
		"updated_at": rfc3339(now),
		"saml": map[string]any{
			"id":             stableUUID("saml/" + id),
			"entity_id":      "https://idp.example.com/saml/" + id[:8],
			"metadata_url":   metadataURL,
			"name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		},
	}
	setSSODomains(p, domains, now)
	return p
}

func setSSODomains(p map[string]any, domains []string, now time.Time) {
	list := make([]any, 0, len(domains))
	for _, d := range domains {
		list = append(list, map[string]any{
			"id": stableUUID(p["id"].(string) + "/domain/" + d), "domain": d,
			"created_at": rfc3339(now), "updated_at": rfc3339(now),
		})
	}
	p["domains"] = list
}

type ssoProviderBody struct {
	Type             string         `json:"type"`
	MetadataURL      *string        `json:"metadata_url"`
	MetadataXML      *string        `json:"metadata_xml"`
	Domains          []string       `json:"domains"`
	AttributeMapping map[string]any `json:"attribute_mapping"`
	NameIDFormat     *string        `json:"name_id_format"`
}

func (b ssoProviderBody) applyTo(p map[string]any, now time.Time) {
	saml := p["saml"].(map[string]any)
	if b.MetadataURL != nil {
		saml["metadata_url"] = *b.MetadataURL
	}
	if b.MetadataXML != nil {
		saml["metadata_xml"] = *b.MetadataXML
	}
	if b.AttributeMapping != nil {
		saml["attribute_mapping"] = b.AttributeMapping
	}
	if b.NameIDFormat != nil {
		saml["name_id_format"] = *b.NameIDFormat
	}
	if b.Domains != nil {
		setSSODomains(p, b.Domains, now)
	}
	p["updated_at"] = rfc3339(now)
}

func (s *Sandbox) listSSOProviders(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	items := make([]any, 0, len(p.ssoProviders))
	for _, sp := range p.ssoProviders {
		items = append(items, cloneJSON(sp))
	}
	return reply{body: map[string]any{"items": items}}, nil
}

func (s *Sandbox) createSSOProvider(c *call) (reply, error) {
	var body ssoProviderBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	sp := newSSOProvider(s.st.newID("sso"), nil, "", c.now)
	body.applyTo(sp, c.now)
	p.ssoProviders = append(p.ssoProviders, sp)
	return reply{status: http.StatusCreated, body: cloneJSON(sp)}, nil
}

func (s *Sandbox) requireSSOProvider(c *call) (*project, int, error) {
	p, err := s.requireProject(c)
	if err != nil {
		return nil, 0, err
	}
	for i, sp := range p.ssoProviders {
		if sp["id"] == c.params["provider_id"] {
			return p, i, nil
		}
	}
	return nil, 0, errNotFound("SSO provider not found: %s", c.params["provider_id"])
}

func (s *Sandbox) getSSOProvider(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireSSOProvider(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: cloneJSON(p.ssoProviders[i])}, nil
}

func (s *Sandbox) updateSSOProvider(c *call) (reply, error) {
	var body ssoProviderBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireSSOProvider(c)
	if err != nil {
		return reply{}, err
	}
	body.applyTo(p.ssoProviders[i], c.now)
	return reply{body: cloneJSON(p.ssoProviders[i])}, nil
}

func (s *Sandbox) deleteSSOProvider(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireSSOProvider(c)
	if err != nil {
		return reply{}, err
	}
	sp := p.ssoProviders[i]
	p.ssoProviders = append(p.ssoProviders[:i], p.ssoProviders[i+1:]...)
	return reply{body: sp}, nil
}

func newThirdPartyAuth(id, issuer, jwksURL string, now time.Time) map[string]any {
	t := map[string]any{
		"id":          id,
		"type":        "custom",
		"inserted_at": rfc3339(now),
		"updated_at":  rfc3339(now),
		"resolved_at": rfc3339(now),
		"resolved_jwks": map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "kid": id[:8], "alg": "RS256", "use": "sig", "e": "AQAB", "n": "sandbox-" + fakeHex(id, 16),
		}}},
	}
	switch {
	case issuer != "":
		t["oidc_issuer_url"] = issuer
		if len(issuer) > len("https://securetoken.google.com/") && issuer[:31] == "https://securetoken.google.com/" {
			t["type"] = "firebase"
		}
	case jwksURL != "":
		t["jwks_url"] = jwksURL
	}
	return t
}

func (s *Sandbox) listThirdPartyAuth(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	out := make([]any, 0, len(p.thirdParty))
	for _, t := range p.thirdParty {
		out = append(out, cloneJSON(t))
	}
	return reply{body: out}, nil
}

func (s *Sandbox) createThirdPartyAuth(c *call) (reply, error) {
	var body struct {
		CustomJwks    any    `json:"custom_jwks"`
		JwksURL       string `json:"jwks_url"`
		OidcIssuerURL string `json:"oidc_issuer_url"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	if body.JwksURL == "" && body.OidcIssuerURL == "" && body.CustomJwks == nil {
		return reply{}, errBadRequest("One of oidc_issuer_url, jwks_url or custom_jwks is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	t := newThirdPartyAuth(s.st.newID("tpa"), body.OidcIssuerURL, body.JwksURL, c.now)
	if body.CustomJwks != nil {
		t["custom_jwks"] = body.CustomJwks
	}
	p.thirdParty = append(p.thirdParty, t)
	return reply{status: http.StatusCreated, body: cloneJSON(t)}, nil
}

func (s *Sandbox) requireThirdPartyAuth(c *call) (*project, int, error) {
	p, err := s.requireProject(c)
	if err != nil {
		return nil, 0, err
	}
	for i, t := range p.thirdParty {
		if t["id"] == c.params["tpa_id"] {
			return p, i, nil
		}
	}
	return nil, 0, errNotFound("Third-party auth integration not found: %s", c.params["tpa_id"])
}

func (s *Sandbox) getThirdPartyAuth(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireThirdPartyAuth(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: cloneJSON(p.thirdParty[i])}, nil
}

func (s *Sandbox) deleteThirdPartyAuth(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i, err := s.requireThirdPartyAuth(c)
	if err != nil {
		return reply{}, err
	}
	t := p.thirdParty[i]
	p.thirdParty = append(p.thirdParty[:i], p.thirdParty[i+1:]...)
	return reply{body: t}, nil
}
