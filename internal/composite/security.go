package composite

import (
	"context"

	"github.com/supaops/supaops/internal/tools"
)

// authFields are the auth settings security_overview reports: password
// rules, MFA, sign-up, sessions. Never a secret: they are booleans and
// numbers, picked by name.
var authFields = []string{
	"disable_signup", "external_anonymous_users_enabled", "external_email_enabled",
	"password_min_length", "password_required_characters", "password_hibp_enabled",
	"security_update_password_require_reauthentication", "security_captcha_enabled",
	"mfa_totp_enroll_enabled", "mfa_totp_verify_enabled", "mfa_phone_enroll_enabled", "mfa_phone_verify_enabled",
	"mfa_web_authn_enroll_enabled", "mfa_web_authn_verify_enabled", "mfa_max_enrolled_factors",
	"sessions_timebox", "sessions_inactivity_timeout", "sessions_single_per_user", "jwt_exp",
}

// Lint is an advisor's finding, shortened.
type Lint struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Level       string `json:"level"`
	Detail      string `json:"detail,omitempty"`
	Remediation string `json:"remediation,omitempty"`
}

func securityOverview(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	ref, _ := args["ref"].(string)
	in := map[string]any{"ref": ref}
	var advisors struct {
		Lints []Lint `json:"lints"`
	}
	if err := call(ctx, c, "advisors_security_list", in, &advisors); err != nil {
		return nil, err
	}
	var network map[string]any
	if err := call(ctx, c, "network_restrictions_get", in, &network); err != nil {
		return nil, err
	}
	var ssl struct {
		CurrentConfig struct {
			Database bool `json:"database"`
		} `json:"currentConfig"`
		AppliedSuccessfully bool `json:"appliedSuccessfully"`
	}
	if err := call(ctx, c, "ssl_enforcement_get", in, &ssl); err != nil {
		return nil, err
	}
	var authCfg map[string]any
	if err := call(ctx, c, "auth_config_get", in, &authCfg); err != nil {
		return nil, err
	}
	auth := map[string]any{}
	for _, f := range authFields {
		if v, ok := authCfg[f]; ok {
			auth[f] = v
		}
	}
	levels := map[string]int{}
	for _, l := range advisors.Lints {
		levels[l.Level]++
	}
	if advisors.Lints == nil {
		advisors.Lints = []Lint{}
	}
	var findings []string
	if !ssl.CurrentConfig.Database {
		findings = append(findings, "SSL is not enforced on database connections")
	}
	if cfg, _ := network["config"].(map[string]any); networkOpen(cfg) {
		findings = append(findings, "the database accepts connections from any address (no network restrictions)")
	}
	if n, ok := tools.IntValue(authCfg["password_min_length"]); ok && n < 8 {
		findings = append(findings, "passwords may be shorter than 8 characters")
	}
	if b, ok := authCfg["password_hibp_enabled"].(bool); ok && !b {
		findings = append(findings, "leaked-password protection (HaveIBeenPwned) is off")
	}
	if !mfaOn(authCfg) {
		findings = append(findings, "no MFA factor can be enrolled")
	}
	return map[string]any{
		"advisors":             map[string]any{"lints": advisors.Lints, "by_level": levels},
		"network_restrictions": network,
		"ssl_enforced":         ssl.CurrentConfig.Database,
		"auth":                 auth,
		"findings":             findings,
	}, nil
}

// networkOpen reports an allow-list that lets every address in.
func networkOpen(cfg map[string]any) bool {
	if cfg == nil {
		return true
	}
	for _, key := range []string{"dbAllowedCidrs", "dbAllowedCidrsV6"} {
		list, _ := cfg[key].([]any)
		for _, c := range list {
			if s, _ := c.(string); s == "0.0.0.0/0" || s == "::/0" {
				return true
			}
		}
	}
	return false
}

func mfaOn(cfg map[string]any) bool {
	for _, f := range []string{"mfa_totp_enroll_enabled", "mfa_phone_enroll_enabled", "mfa_web_authn_enroll_enabled"} {
		if b, _ := cfg[f].(bool); b {
			return true
		}
	}
	return false
}
