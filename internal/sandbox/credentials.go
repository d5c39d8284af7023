package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// createLoginRole answers a temporary database role with its password (a
// secret, always present).
func (s *Sandbox) createLoginRole(c *call) (reply, error) {
	var body struct {
		ReadOnly bool `json:"read_only"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	_, err := s.requireProject(c)
	s.mu.Unlock()
	if err != nil {
		return reply{}, err
	}
	role := "cli_login_postgres"
	if body.ReadOnly {
		role = "cli_login_read_only"
	}
	password, _ := secretValueFor("password")
	return reply{status: http.StatusCreated, body: map[string]any{
		"role": role, "password": password, "ttl_seconds": 3600,
	}}, nil
}

// exchangeOAuthToken answers the OAuth token endpoint (form-encoded) with
// fake access and refresh tokens.
func (s *Sandbox) exchangeOAuthToken(c *call) (reply, error) {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	switch form.Get("grant_type") {
	case "authorization_code":
		if form.Get("code") == "" {
			return reply{}, errBadRequest("Invalid request body: field \"code\" is required for grant_type authorization_code")
		}
	case "refresh_token":
		if form.Get("refresh_token") == "" {
			return reply{}, errBadRequest("Invalid request body: field \"refresh_token\" is required for grant_type refresh_token")
		}
	default:
		return reply{}, errBadRequest("Invalid request body: field \"grant_type\" is required")
	}
	access, _ := secretValueFor("access_token")
	refresh, _ := secretValueFor("refresh_token")
	return reply{status: http.StatusCreated, body: map[string]any{
		"access_token": access, "refresh_token": refresh, "expires_in": 86400, "token_type": "Bearer",
	}}, nil
}
