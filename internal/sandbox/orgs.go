package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/supaops/supaops/internal/client"
)

func (s *Sandbox) requireOrg(c *call) (*organization, error) {
	org, ok := s.st.orgBySlug[c.params["slug"]]
	if !ok {
		return nil, errNotFound("Organization not found: %s", c.params["slug"])
	}
	return org, nil
}

func (s *Sandbox) listOrgs(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]client.OrganizationResponseV1, 0, len(s.st.orgs))
	for _, o := range s.st.orgs {
		out = append(out, client.OrganizationResponseV1{Id: o.slug, Name: o.name, Slug: o.slug})
	}
	return reply{body: out}, nil
}

func (s *Sandbox) createOrg(c *call) (reply, error) {
	var body client.CreateOrganizationV1
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	slug := slugify(body.Name)
	for base, n := slug, 2; s.st.orgBySlug[slug] != nil; n++ {
		slug = base + "-" + lettersOf(n)
	}
	org := &organization{
		id: slug, slug: slug, name: body.Name, plan: "free", createdAt: c.now,
		members: []orgMember{{userID: seedUserID, userName: "sandbox-user", email: "sandbox@example.com", role: "Owner", mfa: true}},
	}
	s.st.orgs = append(s.st.orgs, org)
	s.st.orgBySlug[slug] = org
	return reply{status: http.StatusCreated, body: client.OrganizationResponseV1{Id: org.id, Name: org.name, Slug: org.slug}}, nil
}

// slugify makes an organization slug (^[\w-]+$) out of a display name.
func slugify(name string) string {
	slug := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "-"), "-")
	if slug == "" {
		slug = "org"
	}
	return slug
}

// orgResponse is V1OrganizationSlugResponse.
type orgResponse struct {
	AllowedReleaseChannels []string `json:"allowed_release_channels"`
	ID                     string   `json:"id"`
	Name                   string   `json:"name"`
	OptInTags              []string `json:"opt_in_tags"`
	Plan                   string   `json:"plan"`
}

func (s *Sandbox) getOrg(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org, err := s.requireOrg(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: orgResponse{
		AllowedReleaseChannels: []string{"ga", "preview"},
		ID:                     org.id,
		Name:                   org.name,
		OptInTags:              []string{"AI_SQL_GENERATOR_OPT_IN"},
		Plan:                   org.plan,
	}}, nil
}

func (s *Sandbox) listOrgMembers(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org, err := s.requireOrg(c)
	if err != nil {
		return reply{}, err
	}
	out := make([]client.V1OrganizationMemberResponse, 0, len(org.members))
	for _, m := range org.members {
		email := m.email
		out = append(out, client.V1OrganizationMemberResponse{
			Email: &email, MfaEnabled: m.mfa, RoleName: m.role, UserId: m.userID, UserName: m.userName,
		})
	}
	return reply{body: out}, nil
}

// entitlement is one item of V1ListEntitlementsResponse.
type entitlement struct {
	Config    map[string]any `json:"config"`
	Feature   entFeature     `json:"feature"`
	HasAccess bool           `json:"hasAccess"`
	Type      string         `json:"type"`
}

type entFeature struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

// getEntitlements answers a small, plan-dependent entitlement list: paid
// plans get custom domains and branching, free ones do not. Only boolean
// entitlements are listed: the spec's config oneOf has a first branch
// ({enabled}) without additionalProperties:false, so a numeric or set config
// matches two branches and can never validate.
func (s *Sandbox) getEntitlements(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org, err := s.requireOrg(c)
	if err != nil {
		return reply{}, err
	}
	paid := org.plan != "free"
	list := []entitlement{}
	for _, e := range []struct {
		key string
		on  bool
	}{
		{"custom_domain", paid},
		{"vanity_subdomain", paid},
		{"branching_persistent", paid},
		{"instances.read_replicas", paid},
		{"backup.restore_to_new_project", paid},
		{"auth.hooks", true},
		{"project_pausing", !paid},
	} {
		list = append(list, entitlement{Config: map[string]any{"enabled": e.on}, Feature: entFeature{Key: e.key, Type: "boolean"}, HasAccess: e.on, Type: "boolean"})
	}
	return reply{body: map[string]any{"entitlements": list}}, nil
}
