package sandbox

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

type backupEntry struct {
	id         int
	insertedAt time.Time
	status     string
	physical   bool
}

// restorePoint is PENDING until completedAt, then AVAILABLE. Seeded points
// have a zero completedAt: available whatever the clock says, even inside a
// synctest bubble whose clock starts in 2000.
type restorePoint struct {
	name        string
	requestedAt time.Time
	completedAt time.Time
	completedOn time.Time // reported completion time
}

type restorePointResponse struct {
	CompletedOn *string `json:"completed_on"`
	Name        string  `json:"name"`
	Status      string  `json:"status"`
}

func (rp *restorePoint) response(now time.Time) restorePointResponse {
	r := restorePointResponse{Name: rp.name, Status: "PENDING"}
	if !now.Before(rp.completedAt) {
		done := rfc3339(rp.completedOn)
		r.Status, r.CompletedOn = "AVAILABLE", &done
	}
	return r
}

type backupResponse struct {
	ID               int    `json:"id"`
	InsertedAt       string `json:"inserted_at"`
	IsPhysicalBackup bool   `json:"is_physical_backup"`
	Status           string `json:"status"`
}

func (s *Sandbox) listBackups(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	list := []backupResponse{}
	physical := map[string]any{}
	for _, b := range p.backups {
		list = append(list, backupResponse{ID: b.id, InsertedAt: rfc3339(b.insertedAt), IsPhysicalBackup: b.physical, Status: b.status})
		if _, ok := physical["earliest_physical_backup_date_unix"]; !ok {
			physical["earliest_physical_backup_date_unix"] = b.insertedAt.Unix()
		}
		physical["latest_physical_backup_date_unix"] = b.insertedAt.Unix()
	}
	return reply{body: map[string]any{
		"backups":              list,
		"physical_backup_data": physical,
		"pitr_enabled":         false,
		"region":               p.region,
		"walg_enabled":         true,
	}}, nil
}

// startRestore moves a project to RESTORING and back, for PITR, physical
// backup restore and undo.
func (s *Sandbox) startRestore(c *call) error {
	_, err := s.startBusy(c, statusRestoring)
	return err
}

func (s *Sandbox) restorePITR(c *call) (reply, error) {
	var body struct {
		RecoveryTimeTargetUnix int64 `json:"recovery_time_target_unix"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	if time.Unix(body.RecoveryTimeTargetUnix, 0).After(c.now) {
		return reply{}, errBadRequest("Invalid request body: field \"recovery_time_target_unix\" is in the future")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.startRestore(c); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusCreated}, nil
}

func (s *Sandbox) restorePhysicalBackup(c *call) (reply, error) {
	var body struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	found := false
	for _, b := range p.backups {
		found = found || (b.id == body.ID && b.status == "COMPLETED")
	}
	if !found {
		return reply{}, errNotFound("Backup %d not found or not completed", body.ID)
	}
	if err := s.startRestore(c); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusCreated}, nil
}

func (s *Sandbox) undoToRestorePoint(c *call) (reply, error) {
	var body struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	rp, ok := p.restorePoints[body.Name]
	if !ok {
		return reply{}, errNotFound("Restore point %q not found", body.Name)
	}
	if rp.response(c.now).Status != "AVAILABLE" {
		return reply{}, errBadRequest("Restore point %q is still PENDING", body.Name)
	}
	if err := s.startRestore(c); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusCreated}, nil
}

func (s *Sandbox) createRestorePoint(c *call) (reply, error) {
	var body struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if _, exists := p.restorePoints[body.Name]; exists {
		return reply{}, errConflict("Restore point %q already exists", body.Name)
	}
	rp := &restorePoint{name: body.Name, requestedAt: c.now, completedAt: c.now.Add(s.delay), completedOn: c.now.Add(s.delay)}
	p.restorePoints[rp.name] = rp
	return reply{status: http.StatusCreated, body: rp.response(c.now)}, nil
}

// getRestorePoint answers the named restore point, or the latest one.
func (s *Sandbox) getRestorePoint(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if name := c.query.Get("name"); name != "" {
		rp, ok := p.restorePoints[name]
		if !ok {
			return reply{}, errNotFound("Restore point %q not found", name)
		}
		return reply{body: rp.response(c.now)}, nil
	}
	all := make([]*restorePoint, 0, len(p.restorePoints))
	for _, rp := range p.restorePoints {
		all = append(all, rp)
	}
	if len(all) == 0 {
		return reply{}, errNotFound("Project %s has no restore points", p.ref)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].requestedAt.After(all[j].requestedAt) })
	return reply{body: all[0].response(c.now)}, nil
}
