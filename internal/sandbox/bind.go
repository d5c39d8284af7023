package sandbox

import (
	"fmt"
)

// handwritten maps operationIds to the handlers that keep real state. Every
// other operation gets the generic, schema-driven behaviour (generic.go).
func (s *Sandbox) handwritten() map[string]handlerFunc {
	return map[string]handlerFunc{
		// Organizations.
		"v1-list-all-organizations":            s.listOrgs,
		"v1-create-an-organization":            s.createOrg,
		"v1-get-an-organization":               s.getOrg,
		"v1-list-organization-members":         s.listOrgMembers,
		"v1-get-organization-entitlements":     s.getEntitlements,
		"v1-get-all-projects-for-organization": s.listOrgProjects,

		// Projects and their lifecycle.
		"v1-list-all-projects":               s.listProjects,
		"v1-create-a-project":                s.createProject,
		"v1-get-project":                     s.getProject,
		"v1-update-a-project":                s.updateProject,
		"v1-delete-a-project":                s.deleteProject,
		"v1-get-services-health":             s.projectHealth,
		"v1-pause-a-project":                 s.pauseProject,
		"v1-restore-a-project":               s.restoreProject,
		"v1-cancel-a-project-restoration":    s.cancelRestore,
		"v1-upgrade-postgres-version":        s.upgradePostgres,
		"v1-get-postgres-upgrade-status":     s.upgradeStatus,
		"v1-modify-database-disk":            s.modifyDisk,
		"v1-update-postgres-config":          s.updatePostgresConfig,
		"v1-run-a-query":                     s.runQuery(false),
		"v1-read-only-query":                 s.runQuery(true),
		"v1-create-login-role":               s.createLoginRole,
		"v1-exchange-oauth-token":            s.exchangeOAuthToken,
		"v1-get-performance-advisors":        s.performanceAdvisors,
		"v1-get-security-advisors":           s.securityAdvisors,
		"v1-get-project-logs":                s.projectLogs,
		"v1-get-project-usage-api-count":     s.usageAPICounts,
		"v1-get-project-usage-request-count": s.usageRequestCount,

		// Branches and their workflow runs.
		"v1-list-all-branches":         s.listBranches,
		"v1-create-a-branch":           s.createBranch,
		"v1-get-a-branch":              s.getBranchByName,
		"v1-get-a-branch-config":       s.getBranchConfig,
		"v1-update-a-branch-config":    s.updateBranch,
		"v1-delete-a-branch":           s.deleteBranchHandler,
		"v1-restore-a-branch":          s.restoreBranch,
		"v1-push-a-branch":             s.branchAction("push"),
		"v1-merge-a-branch":            s.branchAction("merge"),
		"v1-reset-a-branch":            s.branchAction("reset"),
		"v1-diff-a-branch":             s.diffBranch,
		"v1-disable-preview-branching": s.disableBranching,
		"v1-list-action-runs":          s.listActionRuns,
		"v1-count-action-runs":         s.countActionRuns,
		"v1-get-action-run":            s.getActionRun,
		"v1-get-action-run-logs":       s.getActionRunLogs,
		"v1-update-action-run-status":  s.updateActionRunStatus,

		// Edge functions.
		"v1-list-all-functions":    s.listFunctions,
		"v1-create-a-function":     s.createFunction,
		"v1-deploy-a-function":     s.deployFunction,
		"v1-get-a-function":        s.getFunction,
		"v1-get-a-function-body":   s.getFunctionBody,
		"v1-update-a-function":     s.updateFunction,
		"v1-delete-a-function":     s.deleteFunction,
		"v1-bulk-update-functions": s.bulkUpdateFunctions,
		"v1-list-all-secrets":      s.listSecrets,
		"v1-bulk-create-secrets":   s.createSecrets,
		"v1-bulk-delete-secrets":   s.deleteSecrets,

		// API keys and JWT signing keys.
		"v1-get-project-api-keys":           s.listAPIKeys,
		"v1-create-project-api-key":         s.createAPIKey,
		"v1-get-project-api-key":            s.getAPIKey,
		"v1-update-project-api-key":         s.updateAPIKey,
		"v1-delete-project-api-key":         s.deleteAPIKey,
		"v1-get-project-legacy-api-keys":    s.getLegacyKeys,
		"v1-update-project-legacy-api-keys": s.setLegacyKeys,
		"v1-get-project-signing-keys":       s.listSigningKeys,
		"v1-create-project-signing-key":     s.createSigningKey,
		"v1-get-legacy-signing-key":         s.getLegacySigningKey,
		"v1-create-legacy-signing-key":      s.createLegacySigningKey,
		"v1-get-project-signing-key":        s.getSigningKey,
		"v1-update-project-signing-key":     s.updateSigningKey,
		"v1-remove-project-signing-key":     s.deleteSigningKey,

		// Auth providers.
		"v1-list-all-sso-provider":          s.listSSOProviders,
		"v1-create-a-sso-provider":          s.createSSOProvider,
		"v1-get-a-sso-provider":             s.getSSOProvider,
		"v1-update-a-sso-provider":          s.updateSSOProvider,
		"v1-delete-a-sso-provider":          s.deleteSSOProvider,
		"v1-list-project-tpa-integrations":  s.listThirdPartyAuth,
		"v1-create-project-tpa-integration": s.createThirdPartyAuth,
		"v1-get-project-tpa-integration":    s.getThirdPartyAuth,
		"v1-delete-project-tpa-integration": s.deleteThirdPartyAuth,

		// Backups.
		"v1-list-all-backups":        s.listBackups,
		"v1-restore-pitr-backup":     s.restorePITR,
		"v1-restore-physical-backup": s.restorePhysicalBackup,
		"v1-undo":                    s.undoToRestorePoint,
		"v1-create-restore-point":    s.createRestorePoint,
		"v1-get-restore-point":       s.getRestorePoint,

		// Migrations.
		"v1-list-migration-history": s.listMigrations,
		"v1-apply-a-migration":      s.applyMigration,
		"v1-upsert-a-migration":     s.upsertMigration,
		"v1-get-a-migration":        s.getMigration,
		"v1-patch-a-migration":      s.patchMigration,
		"v1-rollback-migrations":    s.rollbackMigrations,

		// Config objects whose write differs from their read (config.go).
		"v1-update-ssl-enforcement-config":       s.updateSSLEnforcement,
		"v1-update-network-restrictions":         s.applyNetworkRestrictions,
		"v1-patch-network-restrictions":          s.patchNetworkRestrictions,
		"v1-update-pooler-config":                s.updatePooler,
		"v1-update-jit-access":                   s.updateJitAccess,
		"v1-disable-readonly-mode-temporarily":   s.disableReadonlyTemporarily,
		"v1-update-hostname-config":              s.customHostnameStep("2_initiated"),
		"v1-verify-dns-config":                   s.customHostnameStep("3_challenge_verified"),
		"v1-activate-custom-hostname":            s.customHostnameStep("5_services_reconfigured"),
		"v1-delete-hostname-config":              s.deleteCustomHostname,
		"v1-activate-vanity-subdomain-config":    s.activateVanitySubdomain,
		"v1-deactivate-vanity-subdomain-config":  s.deactivateVanitySubdomain,
		"v1-check-vanity-subdomain-availability": s.checkVanitySubdomain,
	}
}

// boundHandler is an operation's handler in one sandbox.
type boundHandler struct {
	fn          handlerFunc
	handwritten bool
}

// bindHandlers gives every operation its handler. A hand-written handler for
// an operationId the spec lacks is a bug caught here, at New.
func (s *Sandbox) bindHandlers() error {
	hw := s.handwritten()
	for id := range hw {
		if _, ok := s.api.byID[id]; !ok {
			return fmt.Errorf("hand-written handler for unknown operation %q", id)
		}
	}
	s.handlers = make([]boundHandler, len(s.api.ops))
	for _, op := range s.api.ops {
		if h, ok := hw[op.id]; ok {
			s.handlers[op.index] = boundHandler{fn: h, handwritten: true}
			continue
		}
		s.handlers[op.index] = boundHandler{fn: s.genericHandler(op)}
	}
	return nil
}

// dispatch runs op's handler. Generic handlers do not look up state, so the
// project or organization the path names is checked here for them.
func (s *Sandbox) dispatch(c *call) (reply, error) {
	h := s.handlers[c.op.index]
	if !h.handwritten {
		if err := s.checkScope(c); err != nil {
			return reply{}, err
		}
	}
	return h.fn(c)
}

func (s *Sandbox) checkScope(c *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := c.params["ref"]; ok {
		if _, exists := s.st.projects[ref]; !exists {
			return errNotFound("Project not found: %s", ref)
		}
	}
	if slug, ok := c.params["slug"]; ok {
		if _, exists := s.st.orgBySlug[slug]; !exists {
			return errNotFound("Organization not found: %s", slug)
		}
	}
	return nil
}
