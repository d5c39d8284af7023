package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Secret-bearing response fields always come back non-empty so the callers'
// redaction can be tested. The values are obviously fake ("sandbox") but keep
// the shape of real ones (sbp_, sb_secret_, JWTs) where there is one.

// secretValueFor returns the fake value for a secret field name.
func secretValueFor(name string) (string, bool) {
	switch name {
	case "smtp_pass", "security_captcha_secret", "nimbus_oauth_client_secret",
		"sms_twilio_auth_token", "sms_twilio_verify_auth_token", "sms_messagebird_access_key",
		"sms_textlocal_api_key", "sms_vonage_api_key", "sms_vonage_api_secret":
		return "sandbox-secret-" + strings.ReplaceAll(name, "_", "-"), true
	case "db_pass":
		return "sandbox-db-pass-not-a-real-password", true
	case "jwt_secret":
		return "sandbox-jwt-secret-" + fakeHex("jwt_secret", 16), true
	case "root_key":
		return "sandbox" + fakeHex("root_key", 28), true
	case "password":
		return "sandbox-password-" + fakeHex("password", 8), true
	case "token":
		return "sandbox-claim-token-" + fakeHex("token", 12), true
	case "access_token":
		return "sbp_oauth_" + fakeHex("access_token", 20), true
	case "refresh_token":
		return "sandbox-refresh-token-" + fakeHex("refresh_token", 12), true
	case "api_key":
		return "sb_secret_sandbox" + fakeHex("api_key", 10), true
	case "connection_string", "connectionString":
		return "postgresql://postgres.sandbox:[YOUR-PASSWORD]@aws-0-us-east-1.pooler.supabase.invalid:6543/postgres", true
	}
	switch {
	case strings.HasPrefix(name, "external_") && strings.HasSuffix(name, "_secret"):
		return "sandbox-secret-" + strings.ReplaceAll(strings.TrimPrefix(name, "external_"), "_", "-"), true
	case strings.HasPrefix(name, "hook_") && strings.HasSuffix(name, "_secrets"):
		// Standard Webhooks secrets: "v1,whsec_<base64>".
		return "v1,whsec_" + base64.StdEncoding.EncodeToString([]byte("sandbox-"+name)), true
	}
	return "", false
}

// fakeHex is n deterministic bytes of hex derived from seed.
func fakeHex(seed string, n int) string {
	sum := sha256.Sum256([]byte("supaops-sandbox/" + seed))
	if n > len(sum) {
		n = len(sum)
	}
	return hex.EncodeToString(sum[:n])
}

// fakeJWT builds a JWT-shaped (unsigned, fake signature) legacy API key for
// a role, like the anon and service_role keys.
func fakeJWT(ref, role string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload := enc.EncodeToString([]byte(`{"iss":"supabase","ref":"` + ref + `","role":"` + role + `","iat":1736154000,"exp":2051730000,"sandbox":true}`))
	sig := enc.EncodeToString([]byte("sandbox-signature-" + fakeHex(ref+role, 8)))
	return header + "." + payload + "." + sig
}

// secretDigest is what GET /secrets returns as `value`: a SHA-256 of the
// stored value, like the real API.
func secretDigest(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}
