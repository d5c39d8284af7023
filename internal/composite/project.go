package composite

import (
	"context"
	"fmt"

	"github.com/supaops/supaops/internal/tools"
)

func projectURL(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	ref, _ := args["ref"].(string)
	// The project is read first, so the URL is only given for a project
	// the caller may see (and that exists).
	var p struct {
		Ref string `json:"ref"`
	}
	if err := call(ctx, c, "project_get", map[string]any{"ref": ref}, &p); err != nil {
		return nil, err
	}
	if p.Ref == "" {
		p.Ref = ref
	}
	return map[string]any{"ref": p.Ref, "url": fmt.Sprintf("https://%s.supabase.co", p.Ref)}, nil
}

// PublishableKey is a key meant for clients (browsers, apps).
type PublishableKey struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Key  string `json:"key"`
	// Legacy: the JWT-based anon key, which Supabase is replacing with
	// publishable keys.
	Legacy bool `json:"legacy,omitempty"`
}

func publishableKeys(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	ref, _ := args["ref"].(string)
	var keys []struct {
		Name   string  `json:"name"`
		Type   *string `json:"type"`
		APIKey *string `json:"api_key"`
	}
	// reveal=false: secret keys come back masked by the API itself; only
	// publishable and anon keys are kept below anyway.
	if err := call(ctx, c, "api_keys_list", map[string]any{"ref": ref, "reveal": false}, &keys); err != nil {
		return nil, err
	}
	out := []PublishableKey{}
	for _, k := range keys {
		typ := ""
		if k.Type != nil {
			typ = *k.Type
		}
		// An allow-list, not a deny-list: a key type added later is not
		// shown until someone decides it is public.
		public := typ == "publishable" || (typ == "legacy" && k.Name == "anon")
		if !public || k.APIKey == nil {
			continue
		}
		out = append(out, PublishableKey{Name: k.Name, Type: typ, Key: *k.APIKey, Legacy: typ == "legacy"})
	}
	return map[string]any{"keys": out}, nil
}

func branchRebase(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	id, _ := args["branch_id_or_ref"].(string)
	return c.Call(ctx, "branch_push", map[string]any{"branch_id_or_ref": id})
}
