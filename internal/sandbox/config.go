package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Config objects (auth, postgrest, storage, realtime, postgres, pgsodium,
// jit-access, backup schedule, ...) are documents stored per project at the
// path of their GET: the generic GET/PATCH/PUT handlers already make a later
// GET show a change. The handlers here cover the configs whose write lives
// on another path or has another shape than the read.

// docPath is the path of the GET reading a project's document.
func docPath(ref, suffix string) string { return "/v1/projects/" + ref + "/" + suffix }

func (s *Sandbox) opByID(id string) *operation { return s.api.byID[id] }

// bodyMap decodes a JSON object body.
func bodyMap(c *call) (map[string]any, error) {
	v, err := decodeJSONBody(c.body)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// updateSSLEnforcement stores the requested config as the current one.
func (s *Sandbox) updateSSLEnforcement(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	doc := map[string]any{"currentConfig": body["requestedConfig"], "appliedSuccessfully": true}
	s.mu.Lock()
	defer s.mu.Unlock()
	read := s.opByID("v1-get-ssl-enforcement-config")
	stored := s.storeDoc(c, docPath(c.params["ref"], "ssl-enforcement"), read, doc, false)
	return s.docReply(c, c.op, stored), nil
}

// applyNetworkRestrictions (POST .../apply) replaces the allowed CIDRs.
func (s *Sandbox) applyNetworkRestrictions(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	read := s.opByID("v1-get-network-restrictions")
	key := docPath(c.params["ref"], "network-restrictions")
	prev, _ := s.loadDoc(c, key, read).(map[string]any)
	cfg := map[string]any{"dbAllowedCidrs": listOrEmpty(body["dbAllowedCidrs"]), "dbAllowedCidrsV6": listOrEmpty(body["dbAllowedCidrsV6"])}
	doc := map[string]any{
		"entitlement": "allowed", "config": cfg, "old_config": prev["config"], "status": "applied",
		"applied_at": rfc3339(c.now), "updated_at": rfc3339(c.now),
	}
	stored := s.storeDoc(c, key, read, doc, false)
	return s.docReply(c, c.op, stored), nil
}

// patchNetworkRestrictions adds and removes CIDRs and answers the V2 shape,
// where every CIDR is {address, type}.
func (s *Sandbox) patchNetworkRestrictions(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	read := s.opByID("v1-get-network-restrictions")
	key := docPath(c.params["ref"], "network-restrictions")
	prev, _ := s.loadDoc(c, key, read).(map[string]any)
	prevCfg, _ := prev["config"].(map[string]any)
	v4, v6 := stringList(prevCfg["dbAllowedCidrs"]), stringList(prevCfg["dbAllowedCidrsV6"])
	if add, ok := body["add"].(map[string]any); ok {
		v4 = union(v4, stringList(add["dbAllowedCidrs"]))
		v6 = union(v6, stringList(add["dbAllowedCidrsV6"]))
	}
	if rm, ok := body["remove"].(map[string]any); ok {
		v4 = without(v4, stringList(rm["dbAllowedCidrs"]))
		v6 = without(v6, stringList(rm["dbAllowedCidrsV6"]))
	}
	doc := map[string]any{
		"entitlement": "allowed", "config": map[string]any{"dbAllowedCidrs": anyList(v4), "dbAllowedCidrsV6": anyList(v6)},
		"old_config": prevCfg, "status": "applied", "applied_at": rfc3339(c.now), "updated_at": rfc3339(c.now),
	}
	stored := s.storeDoc(c, key, read, doc, false).(map[string]any)
	v2 := func(v4, v6 []string) map[string]any {
		list := []any{}
		for _, a := range v4 {
			list = append(list, map[string]any{"address": a, "type": "v4"})
		}
		for _, a := range v6 {
			list = append(list, map[string]any{"address": a, "type": "v6"})
		}
		return map[string]any{"dbAllowedCidrs": list}
	}
	out := map[string]any{
		"entitlement": stored["entitlement"], "status": stored["status"],
		"applied_at": stored["applied_at"], "updated_at": stored["updated_at"],
		"config":     v2(v4, v6),
		"old_config": v2(stringList(prevCfg["dbAllowedCidrs"]), stringList(prevCfg["dbAllowedCidrsV6"])),
	}
	return s.docReply(c, c.op, out), nil
}

// updatePooler merges into the primary database's pooler entry; the GET
// answers a list with one entry per database.
func (s *Sandbox) updatePooler(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	read := s.opByID("v1-get-pooler-config")
	key := docPath(c.params["ref"], "config/database/pooler")
	list, _ := s.loadDoc(c, key, read).([]any)
	if len(list) == 0 {
		list = []any{map[string]any{}}
	}
	list = cloneJSON(list).([]any)
	list[0] = mergeJSON(list[0], body)
	stored := s.storeDoc(c, key, read, list, false).([]any)
	return s.docReply(c, c.op, stored[0]), nil
}

// updatePostgresConfig replaces the config; restart_database restarts it.
func (s *Sandbox) updatePostgresConfig(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	restart, _ := body["restart_database"].(bool)
	delete(body, "restart_database")
	s.mu.Lock()
	defer s.mu.Unlock()
	if restart {
		if _, err := s.startBusy(c, statusRestart); err != nil {
			return reply{}, err
		}
	}
	stored := s.storeDoc(c, c.r.URL.Path, c.op.readOp, body, false)
	return s.docReply(c, c.op, stored), nil
}

// updateJitAccess stores a user's roles (the body says roles, the GET
// user_roles).
func (s *Sandbox) updateJitAccess(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	doc := map[string]any{"user_id": body["user_id"], "user_roles": body["roles"]}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored := s.storeDoc(c, c.r.URL.Path, c.op.readOp, doc, false)
	return s.docReply(c, c.op, stored), nil
}

// modifyDisk stores the new disk attributes and resizes the project.
func (s *Sandbox) modifyDisk(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.startBusy(c, statusResizing); err != nil {
		return reply{}, err
	}
	doc := map[string]any{"attributes": body["attributes"], "last_modified_at": rfc3339(c.now)}
	s.storeDoc(c, c.r.URL.Path, c.op.readOp, doc, false)
	return reply{status: http.StatusCreated}, nil
}

// disableReadonlyTemporarily lifts read-only mode for 15 minutes.
func (s *Sandbox) disableReadonlyTemporarily(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := map[string]any{"enabled": false, "override_enabled": true, "override_active_until": rfc3339(c.now.Add(15 * time.Minute))}
	s.storeDoc(c, docPath(c.params["ref"], "readonly"), s.opByID("v1-get-readonly-mode-status"), doc, false)
	return reply{status: http.StatusCreated}, nil
}

// Custom hostname: initialize -> reverify -> activate, each a status step.
func (s *Sandbox) customHostnameStep(status string) handlerFunc {
	return func(c *call) (reply, error) {
		body, err := bodyMap(c)
		if err != nil {
			return reply{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		read := s.opByID("v1-get-hostname-config")
		key := docPath(c.params["ref"], "custom-hostname")
		doc, _ := cloneJSON(s.loadDoc(c, key, read)).(map[string]any)
		host, _ := body["custom_hostname"].(string)
		if host == "" {
			host, _ = doc["custom_hostname"].(string)
		}
		if status != "2_initiated" && doc["status"] == "1_not_started" {
			return reply{}, errBadRequest("Custom hostname is not initialized; call custom-hostname/initialize first")
		}
		doc["custom_hostname"] = host
		doc["status"] = status
		if data, ok := doc["data"].(map[string]any); ok {
			if result, ok := data["result"].(map[string]any); ok {
				result["hostname"] = host
				result["custom_origin_server"] = c.params["ref"] + ".supabase.co"
				result["status"] = map[bool]string{true: "active", false: "pending"}[status == "5_services_reconfigured"]
			}
			data["success"] = true
		}
		stored := s.storeDoc(c, key, read, doc, false)
		return s.docReply(c, c.op, stored), nil
	}
}

func (s *Sandbox) deleteCustomHostname(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := map[string]any{"status": "1_not_started", "custom_hostname": ""}
	s.storeDoc(c, docPath(c.params["ref"], "custom-hostname"), s.opByID("v1-get-hostname-config"), doc, true)
	return reply{}, nil
}

func (s *Sandbox) activateVanitySubdomain(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	sub, _ := body["vanity_subdomain"].(string)
	domain := strings.ToLower(sub) + ".supabase.co"
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := map[string]any{"status": "active", "custom_domain": domain}
	s.storeDoc(c, docPath(c.params["ref"], "vanity-subdomain"), s.opByID("v1-get-vanity-subdomain-config"), doc, false)
	return reply{status: http.StatusCreated, body: map[string]any{"custom_domain": domain}}, nil
}

func (s *Sandbox) deactivateVanitySubdomain(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storeDoc(c, docPath(c.params["ref"], "vanity-subdomain"), s.opByID("v1-get-vanity-subdomain-config"), map[string]any{"status": "not-used"}, false)
	return reply{}, nil
}

// checkVanitySubdomain says a subdomain is available unless another project
// already activated it.
func (s *Sandbox) checkVanitySubdomain(c *call) (reply, error) {
	body, err := bodyMap(c)
	if err != nil {
		return reply{}, err
	}
	sub, _ := body["vanity_subdomain"].(string)
	want := strings.ToLower(sub) + ".supabase.co"
	s.mu.Lock()
	defer s.mu.Unlock()
	available := true
	for k, d := range s.st.docs {
		if doc, ok := d.(map[string]any); ok && strings.HasSuffix(k, "/vanity-subdomain") && doc["status"] == "active" && doc["custom_domain"] == want {
			available = false
		}
	}
	return reply{status: http.StatusCreated, body: map[string]any{"available": available}}, nil
}

func listOrEmpty(v any) any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{}
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func anyList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func union(a, b []string) []string {
	seen := make(map[string]bool, len(a))
	out := append([]string(nil), a...)
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func without(a, drop []string) []string {
	gone := make(map[string]bool, len(drop))
	for _, s := range drop {
		gone[s] = true
	}
	out := []string{}
	for _, s := range a {
		if !gone[s] {
			out = append(out, s)
		}
	}
	return out
}

// configDefaults are realistic starting values for config documents, merged
// over the synthesized ones (which only know types: every integer would be
// 1). Keyed by the reading operationId. Built per sandbox, never shared.
func configDefaults() map[string]any {
	return map[string]any{
		"v1-get-auth-service-config": map[string]any{
			"site_url": "http://localhost:3000", "uri_allow_list": "http://localhost:3000/**", "jwt_exp": 3600,
			"disable_signup": false, "external_email_enabled": true, "external_phone_enabled": false,
			"mailer_autoconfirm": false, "mailer_otp_exp": 3600, "password_min_length": 6,
			"mfa_max_enrolled_factors": 10, "rate_limit_email_sent": 2, "sessions_timebox": 0,
			"smtp_host": "smtp.example.com", "smtp_port": "587", "smtp_user": "sandbox", "smtp_admin_email": "noreply@example.com",
		},
		"v1-get-postgrest-service-config": map[string]any{
			"db_schema": "public,graphql_public", "db_extra_search_path": "public,extensions", "max_rows": 1000, "db_pool": nil,
		},
		"v1-get-postgres-config": map[string]any{
			"max_connections": 60, "shared_buffers": "128MB", "work_mem": "2184kB", "maintenance_work_mem": "32MB",
			"effective_cache_size": "384MB", "statement_timeout": "2min", "session_replication_role": "origin",
		},
		"v1-get-pooler-config": []any{map[string]any{
			"database_type": "PRIMARY", "db_port": 6543, "default_pool_size": 15, "max_client_conn": 200, "pool_mode": "transaction",
		}},
		"v1-get-project-pgbouncer-config": map[string]any{
			"default_pool_size": 15, "max_client_conn": 200, "pool_mode": "transaction", "reserve_pool_size": 0,
			"query_wait_timeout": 120, "server_idle_timeout": 600, "server_lifetime": 3600, "ignore_startup_parameters": "extra_float_digits",
		},
		"v1-get-realtime-config": map[string]any{
			"connection_pool": 2, "max_bytes_per_second": 100000, "max_channels_per_client": 100, "max_concurrent_users": 200,
			"max_events_per_second": 100, "max_joins_per_second": 100, "max_payload_size_in_kb": 100,
			"max_presence_events_per_second": 100, "presence_enabled": true, "private_only": false, "suspend": false,
		},
		"v1-get-storage-config":         map[string]any{"fileSizeLimit": 52428800},
		"v1-get-database-disk":          map[string]any{"attributes": map[string]any{"type": "gp3", "iops": 3000, "size_gb": 8, "throughput_mibps": 125}},
		"v1-get-ssl-enforcement-config": map[string]any{"currentConfig": map[string]any{"database": false}, "appliedSuccessfully": true},
		"v1-get-network-restrictions":   map[string]any{"entitlement": "allowed", "status": "applied"},
		// The compute sizes with their hourly prices (the public price list),
		// which cost_preview reads for a branch of the project.
		"v1-list-project-addons":   map[string]any{"selected_addons": []any{}, "available_addons": []any{computeAddons()}},
		"v1-get-backup-schedule":   map[string]any{"schedule_for": "04:00:00"},
		"v1-get-jit-access-config": map[string]any{"state": "disabled", "appliedSuccessfully": true},
	}
}

// computeAddons is the compute_instance add-on as the API lists it: each
// size with its hourly price.
func computeAddons() map[string]any {
	var variants []any
	for _, v := range []struct {
		size, name string
		hourly     float64
	}{
		{"micro", "Micro", 0.01344}, {"small", "Small", 0.0206}, {"medium", "Medium", 0.0822},
		{"large", "Large", 0.1517}, {"xlarge", "XL", 0.2877}, {"2xlarge", "2XL", 0.562},
		{"4xlarge", "4XL", 1.32}, {"8xlarge", "8XL", 2.562}, {"12xlarge", "12XL", 3.836}, {"16xlarge", "16XL", 5.12},
	} {
		variants = append(variants, map[string]any{
			"id": "ci_" + v.size, "name": v.name,
			"price": map[string]any{"description": fmt.Sprintf("$%g/hour", v.hourly), "type": "usage", "interval": "hourly", "amount": v.hourly},
		})
	}
	return map[string]any{"type": "compute_instance", "name": "Compute", "variants": variants}
}
