package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// upgrade is a Postgres major-version upgrade: its progress walks through the
// API's stages over the transition delay while the project is UPGRADING.
type upgrade struct {
	trackingID    string
	targetVersion string
	initiatedAt   time.Time
	progress      timeline
}

// upgradeProgress lists the API's upgrade stages in order.
func upgradeProgress() []string {
	return []string{
		"0_requested", "1_started", "2_launched_upgraded_instance", "3_detached_volume_from_upgraded_instance",
		"4_attached_volume_to_original_instance", "5_initiated_data_upgrade", "6_completed_data_upgrade",
		"7_detached_volume_from_original_instance", "8_attached_volume_to_upgraded_instance", "9_completed_upgrade",
		"10_completed_post_physical_backup",
	}
}

func (s *Sandbox) upgradePostgres(c *call) (reply, error) {
	var body struct {
		TargetVersion  string `json:"target_version"`
		ReleaseChannel string `json:"release_channel"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.startBusy(c, statusUpgrading)
	if err != nil {
		return reply{}, err
	}
	u := &upgrade{
		trackingID:    s.st.newID("upgrade"),
		targetVersion: body.TargetVersion,
		initiatedAt:   c.now,
		progress:      steps(c.now, s.delay, upgradeProgress()...),
	}
	p.upgrades[u.trackingID] = u
	p.lastUpgrade = u.trackingID
	if major, _, _ := strings.Cut(body.TargetVersion, "."); major != "" {
		p.engine = major
		p.dbVersion = body.TargetVersion
	}
	if body.ReleaseChannel != "" {
		p.releaseChannel = body.ReleaseChannel
	}
	return reply{status: http.StatusCreated, body: map[string]string{"tracking_id": u.trackingID}}, nil
}

// upgradeStatus answers the tracked (or latest) upgrade; null when the
// project never upgraded.
func (s *Sandbox) upgradeStatus(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	id := c.query.Get("tracking_id")
	if id == "" {
		id = p.lastUpgrade
	}
	u, ok := p.upgrades[id]
	if !ok {
		if c.query.Get("tracking_id") != "" {
			return reply{}, errNotFound("Upgrade not found: %s", id)
		}
		return reply{body: map[string]any{"databaseUpgradeStatus": nil}}, nil
	}
	progress := u.progress.at(c.now)
	status := 1 // in progress
	latest := u.initiatedAt
	for _, st := range u.progress {
		if !c.now.Before(st.at) {
			latest = st.at
		}
	}
	if progress == upgradeProgress()[len(upgradeProgress())-1] {
		status = 2 // done
	}
	target, _ := strconv.ParseFloat(strings.SplitN(u.targetVersion, ".", 2)[0], 64)
	return reply{body: map[string]any{"databaseUpgradeStatus": map[string]any{
		"initiated_at":     rfc3339(u.initiatedAt),
		"latest_status_at": rfc3339(latest),
		"progress":         progress,
		"status":           status,
		"target_version":   target,
	}}}, nil
}
