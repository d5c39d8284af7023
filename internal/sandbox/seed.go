package sandbox

import (
	"slices"
	"time"
)

// Seeded identifiers that synthesized bodies fall back to.
const (
	seedOrgSlug    = "sandbox-org"
	seedProjectRef = "sandboxprodxxxxxxxxx"
	seedUserID     = "5a4d8b1e-0c1f-4d2a-9b3e-7f6a5c4d3b2a"
)

// SeedInfo names the seeded data, so tests and newcomers can build valid
// calls without listing first.
type SeedInfo struct {
	OrgSlug  string   `json:"org_slug"`  // main organization (pro plan)
	OrgSlugs []string `json:"org_slugs"` // all organizations

	ProjectRef       string   `json:"project_ref"`        // ACTIVE_HEALTHY, branching, functions, secrets, keys, backups
	ProjectRefs      []string `json:"project_refs"`       // all top-level projects, oldest first
	PausedProjectRef string   `json:"paused_project_ref"` // INACTIVE, restorable

	DefaultBranchID   string   `json:"default_branch_id"` // "main" of ProjectRef
	BranchIDs         []string `json:"branch_ids"`
	BranchNames       []string `json:"branch_names"`
	BranchRefs        []string `json:"branch_refs"` // the branches' project refs
	PreviewBranchID   string   `json:"preview_branch_id"`
	PreviewBranchName string   `json:"preview_branch_name"`
	PreviewBranchRef  string   `json:"preview_branch_ref"`
	ActionRunIDs      []string `json:"action_run_ids"` // runs of PreviewBranchRef

	FunctionSlugs     []string `json:"function_slugs"`
	SecretNames       []string `json:"secret_names"`
	APIKeyIDs         []string `json:"api_key_ids"` // publishable and secret keys of ProjectRef
	SigningKeyIDs     []string `json:"signing_key_ids"`
	SSOProviderIDs    []string `json:"sso_provider_ids"`
	ThirdPartyAuthIDs []string `json:"third_party_auth_ids"`
	BackupIDs         []int    `json:"backup_ids"`
	RestorePointNames []string `json:"restore_point_names"`
	MigrationVersions []string `json:"migration_versions"`
	UserID            string   `json:"user_id"` // the token's user; also the seeded JIT user
}

func (si SeedInfo) clone() SeedInfo {
	out := si
	out.OrgSlugs = slices.Clone(si.OrgSlugs)
	out.ProjectRefs = slices.Clone(si.ProjectRefs)
	out.BranchIDs = slices.Clone(si.BranchIDs)
	out.BranchNames = slices.Clone(si.BranchNames)
	out.BranchRefs = slices.Clone(si.BranchRefs)
	out.ActionRunIDs = slices.Clone(si.ActionRunIDs)
	out.FunctionSlugs = slices.Clone(si.FunctionSlugs)
	out.SecretNames = slices.Clone(si.SecretNames)
	out.APIKeyIDs = slices.Clone(si.APIKeyIDs)
	out.SigningKeyIDs = slices.Clone(si.SigningKeyIDs)
	out.SSOProviderIDs = slices.Clone(si.SSOProviderIDs)
	out.ThirdPartyAuthIDs = slices.Clone(si.ThirdPartyAuthIDs)
	out.BackupIDs = slices.Clone(si.BackupIDs)
	out.RestorePointNames = slices.Clone(si.RestorePointNames)
	out.MigrationVersions = slices.Clone(si.MigrationVersions)
	return out
}

// newSeedState builds the same world every time: two organizations, four
// projects (one paused), three branches with an action run, functions,
// secrets, keys, auth providers, backups and migrations. Timestamps are fixed
// so bodies are deterministic; now only anchors the action run.
func newSeedState(now time.Time) (*state, SeedInfo) {
	st := newState()
	t0 := epoch()
	owner := orgMember{userID: seedUserID, userName: "sandbox-user", email: "sandbox@example.com", role: "Owner", mfa: true}
	for _, o := range []*organization{
		{id: seedOrgSlug, slug: seedOrgSlug, name: "Sandbox Org", plan: "pro", createdAt: t0, members: []orgMember{
			owner,
			{userID: "0b6f5c1a-2d3e-4f5a-8b7c-9d0e1f2a3b4c", userName: "dev-dana", email: "dana@example.com", role: "Developer"},
			{userID: "1c7a6d2b-3e4f-4a5b-9c8d-0e1f2a3b4c5d", userName: "read-only-rui", email: "rui@example.com", role: "Read-only"},
		}},
		{id: "sandbox-hobby", slug: "sandbox-hobby", name: "Sandbox Hobby", plan: "free", createdAt: t0, members: []orgMember{owner}},
	} {
		st.orgs = append(st.orgs, o)
		st.orgBySlug[o.slug] = o
	}

	addProject := func(ref, name, org string, created time.Time, status string) *project {
		st.nextProjectID++
		p := newProject(st.nextProjectID, ref, name, org, "us-east-1", created, steady(status))
		seedProjectKeys(st, p)
		st.projects[ref] = p
		return p
	}
	prod := addProject(seedProjectRef, "sandbox-production", seedOrgSlug, t0, statusActive)
	staging := addProject(padRef("sandboxstaging"), "sandbox-staging", seedOrgSlug, t0.Add(time.Hour), statusActive)
	paused := addProject(padRef("sandboxpaused"), "sandbox-paused", seedOrgSlug, t0.Add(2*time.Hour), statusInactive)
	hobby := addProject(padRef("sandboxhobby"), "hobby-project", "sandbox-hobby", t0.Add(3*time.Hour), statusActive)
	staging.region = "eu-central-1"

	info := SeedInfo{
		OrgSlug:          seedOrgSlug,
		OrgSlugs:         []string{seedOrgSlug, "sandbox-hobby"},
		ProjectRef:       prod.ref,
		ProjectRefs:      []string{prod.ref, staging.ref, paused.ref, hobby.ref},
		PausedProjectRef: paused.ref,
		UserID:           seedUserID,
	}

	// Branches: the default branch is the project itself; the others have
	// their own (preview) projects, which the API also serves under /v1/projects.
	for _, b := range []struct {
		name, ref, git string
		isDefault      bool
		persistent     bool
		pr             int32
	}{
		{name: "main", ref: prod.ref, git: "main", isDefault: true, persistent: true},
		{name: "develop", ref: padRef("sandboxdevelop"), git: "develop", persistent: true},
		{name: "feature-login", ref: padRef("sandboxfeaturelogin"), git: "feature/login", pr: 42},
	} {
		br := &branch{
			id: st.newID("branch"), name: b.name, projectRef: b.ref, parentRef: prod.ref, gitBranch: b.git,
			isDefault: b.isDefault, persistent: b.persistent, prNumber: b.pr,
			createdAt: t0, updatedAt: t0, status: steady("FUNCTIONS_DEPLOYED"),
		}
		if !b.isDefault {
			st.nextProjectID++
			child := newProject(st.nextProjectID, b.ref, b.name, seedOrgSlug, prod.region, t0, steady(statusActive))
			child.branchOf = prod.ref
			seedProjectKeys(st, child)
			st.projects[child.ref] = child
		}
		st.branches[br.id] = br
		info.BranchIDs = append(info.BranchIDs, br.id)
		info.BranchNames = append(info.BranchNames, br.name)
		info.BranchRefs = append(info.BranchRefs, br.projectRef)
		switch {
		case b.isDefault:
			info.DefaultBranchID = br.id
		case !b.persistent:
			info.PreviewBranchID, info.PreviewBranchName, info.PreviewBranchRef = br.id, br.name, br.projectRef
		}
	}
	preview := st.branches[info.PreviewBranchID]
	run := st.newRun(preview, "push", now.Add(-time.Minute), 0)
	info.ActionRunIDs = []string{run.id}

	for _, f := range []struct {
		slug, name string
		version    int
		verifyJWT  bool
	}{
		{slug: "hello-world", name: "hello-world", version: 3, verifyJWT: true},
		{slug: "stripe-webhook", name: "stripe-webhook", version: 1},
	} {
		fn := &function{
			id: st.newID("function"), slug: f.slug, name: f.name, version: f.version, status: "ACTIVE",
			verifyJWT: f.verifyJWT, entrypoint: "file:///src/index.ts", createdAt: t0, updatedAt: t0,
			body: []byte("// supaops sandbox: function " + f.slug + "\nDeno.serve(() => new Response(\"hello from the sandbox\"))\n"),
		}
		prod.functions[fn.slug] = fn
		info.FunctionSlugs = append(info.FunctionSlugs, fn.slug)
	}

	for _, name := range []string{"STRIPE_SECRET_KEY", "OPENAI_API_KEY"} {
		prod.secrets[name] = secretEntry{value: "sandbox-" + name, updatedAt: t0}
		info.SecretNames = append(info.SecretNames, name)
	}

	for _, k := range prod.apiKeys {
		if k.keyType != "legacy" {
			info.APIKeyIDs = append(info.APIKeyIDs, k.id)
		}
	}
	for _, k := range prod.signingKeys {
		info.SigningKeyIDs = append(info.SigningKeyIDs, k.id)
	}

	sso := newSSOProvider(st.newID("sso"), []string{"example.com"}, "https://idp.example.com/saml/metadata", t0)
	prod.ssoProviders = append(prod.ssoProviders, sso)
	info.SSOProviderIDs = []string{sso["id"].(string)}
	tpa := newThirdPartyAuth(st.newID("tpa"), "https://securetoken.google.com/sandbox-firebase", "", t0)
	prod.thirdParty = append(prod.thirdParty, tpa)
	info.ThirdPartyAuthIDs = []string{tpa["id"].(string)}

	for i := range 3 {
		// Physical, as every backup of a project with WAL-G (walg_enabled).
		b := backupEntry{id: 100 + i, insertedAt: t0.Add(time.Duration(i) * 24 * time.Hour), status: "COMPLETED", physical: true}
		prod.backups = append(prod.backups, b)
		info.BackupIDs = append(info.BackupIDs, b.id)
		st.lastBackupID = b.id
	}
	prod.restorePoints["before-launch"] = &restorePoint{name: "before-launch", requestedAt: t0, completedOn: t0.Add(time.Minute)}
	info.RestorePointNames = []string{"before-launch"}

	for _, m := range []migration{
		{version: "20250101120000", name: "create_profiles", statements: []string{"create table public.profiles (id uuid primary key, username text)"}},
		{version: "20250103090000", name: "enable_rls", statements: []string{"alter table public.profiles enable row level security"}},
	} {
		prod.migrations = append(prod.migrations, &m)
		info.MigrationVersions = append(info.MigrationVersions, m.version)
	}
	return st, info
}
