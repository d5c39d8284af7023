package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"
)

type backupEntry struct {
	id         int
	insertedAt time.Time
	status     string
	physical   bool
}

// Backup is one backup of a project, as a test adds it and backups_list
// reports it.
type Backup struct {
	ID         int       `json:"id"`          // 0 = the next free id
	InsertedAt time.Time `json:"inserted_at"` // zero = the sandbox clock's now
	// Status is COMPLETED ("" = COMPLETED), FAILED, PENDING, REMOVED,
	// ARCHIVED or CANCELLED.
	Status string `json:"status"`
	// Logical marks a logical (pg_dump) backup, as projects without WAL-G
	// have; the default is physical, like every backup of a WAL-G project.
	Logical bool `json:"logical,omitempty"`
}

// backupStatuses are the spec's backup statuses.
var backupStatuses = []string{"COMPLETED", "FAILED", "PENDING", "REMOVED", "ARCHIVED", "CANCELLED"}

func (b backupEntry) public() Backup {
	return Backup{ID: b.id, InsertedAt: b.insertedAt, Status: b.status, Logical: !b.physical}
}

// restorePoint is PENDING until completedAt, then its outcome (AVAILABLE, or
// FAILED). Seeded points have a zero completedAt: available whatever the
// clock says, even inside a synctest bubble whose clock starts in 2000.
type restorePoint struct {
	name        string
	requestedAt time.Time
	completedAt time.Time
	completedOn time.Time // reported completion time
	outcome     string    // "" = AVAILABLE
}

type restorePointResponse struct {
	CompletedOn *string `json:"completed_on"`
	Name        string  `json:"name"`
	Status      string  `json:"status"`
}

func (rp *restorePoint) status(now time.Time) string {
	switch {
	case now.Before(rp.completedAt):
		return "PENDING"
	case rp.outcome != "":
		return rp.outcome
	}
	return "AVAILABLE"
}

func (rp *restorePoint) response(now time.Time) restorePointResponse {
	r := restorePointResponse{Name: rp.name, Status: rp.status(now)}
	if r.Status == "AVAILABLE" {
		done := rfc3339(rp.completedOn)
		r.CompletedOn = &done
	}
	return r
}

type backupResponse struct {
	ID               int    `json:"id"`
	InsertedAt       string `json:"inserted_at"`
	IsPhysicalBackup bool   `json:"is_physical_backup"`
	Status           string `json:"status"`
}

// listBackups answers the project's backups oldest first; the physical
// backup range spans its completed physical backups.
func (s *Sandbox) listBackups(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	list := []backupResponse{}
	physical := map[string]any{}
	var earliest, latest time.Time
	for _, b := range p.backups {
		list = append(list, backupResponse{ID: b.id, InsertedAt: rfc3339(b.insertedAt), IsPhysicalBackup: b.physical, Status: b.status})
		if !b.physical || b.status != "COMPLETED" {
			continue
		}
		if earliest.IsZero() || b.insertedAt.Before(earliest) {
			earliest = b.insertedAt
		}
		if latest.IsZero() || b.insertedAt.After(latest) {
			latest = b.insertedAt
		}
	}
	if !earliest.IsZero() {
		physical["earliest_physical_backup_date_unix"] = earliest.Unix()
		physical["latest_physical_backup_date_unix"] = latest.Unix()
	}
	return reply{body: map[string]any{
		"backups":              list,
		"physical_backup_data": physical,
		"pitr_enabled":         p.pitr,
		"region":               p.region,
		// PITR runs on WAL-G; every project here archives WAL.
		"walg_enabled": true,
	}}, nil
}

// Backups returns a project's backups, oldest first.
func (s *Sandbox) Backups(ref string) ([]Backup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return nil, err
	}
	out := make([]Backup, len(p.backups))
	for i, b := range p.backups {
		out[i] = b.public()
	}
	return out, nil
}

// SetPITR turns point-in-time recovery on or off for a project, as the
// pitr_enabled of backups_list reports it.
func (s *Sandbox) SetPITR(ref string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return err
	}
	p.pitr = enabled
	return nil
}

// AddBackup adds a backup to a project and returns it with its defaults
// filled (see Backup). Backups are listed by time, so one added with an
// older InsertedAt is not the newest.
func (s *Sandbox) AddBackup(ref string, b Backup) (Backup, error) {
	if b.Status == "" {
		b.Status = "COMPLETED"
	}
	if !slices.Contains(backupStatuses, b.Status) {
		return Backup{}, fmt.Errorf("sandbox: backup status %q is not one of %v", b.Status, backupStatuses)
	}
	if b.ID < 0 {
		return Backup{}, fmt.Errorf("sandbox: backup id %d is negative", b.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return Backup{}, err
	}
	if b.ID == 0 {
		s.st.lastBackupID++
		b.ID = s.st.lastBackupID
	} else {
		for _, e := range p.backups {
			if e.id == b.ID {
				return Backup{}, fmt.Errorf("sandbox: project %s already has backup %d", ref, b.ID)
			}
		}
		s.st.lastBackupID = max(s.st.lastBackupID, b.ID)
	}
	if b.InsertedAt.IsZero() {
		b.InsertedAt = s.now()
	}
	// The API reports seconds; keeping only those makes what a test added
	// and what it reads back equal.
	b.InsertedAt = b.InsertedAt.UTC().Truncate(time.Second)
	// A fresh slice: replies are built under the lock, but keep the state
	// append-only for whoever holds the old one.
	next := append(slices.Clone(p.backups), backupEntry{id: b.ID, insertedAt: b.InsertedAt, status: b.Status, physical: !b.Logical})
	sort.SliceStable(next, func(i, j int) bool { return next[i].insertedAt.Before(next[j].insertedAt) })
	p.backups = next
	return b, nil
}

// FailNewestBackup marks a project's newest backup FAILED and returns it;
// a project without backups is an error wrapping ErrNotFound.
func (s *Sandbox) FailNewestBackup(ref string) (Backup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return Backup{}, err
	}
	if len(p.backups) == 0 {
		return Backup{}, fmt.Errorf("sandbox: project %s has no backups: %w", ref, ErrNotFound)
	}
	next := slices.Clone(p.backups)
	newest := &next[len(next)-1]
	newest.status = "FAILED"
	p.backups = next
	return newest.public(), nil
}

// SetRestorePointOutcome sets how restore points created from now on end
// once TransitionDelay has passed: "AVAILABLE" (the default) or "FAILED".
func (s *Sandbox) SetRestorePointOutcome(ref, status string) error {
	if status != "AVAILABLE" && status != "FAILED" {
		return fmt.Errorf("sandbox: restore point outcome %q: want AVAILABLE or FAILED", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return err
	}
	p.restorePointOutcome = status
	return nil
}

// FailRestorePoint makes an existing restore point FAILED at once, whether
// it was PENDING or AVAILABLE.
func (s *Sandbox) FailRestorePoint(ref, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return err
	}
	rp, ok := p.restorePoints[name]
	if !ok {
		return fmt.Errorf("sandbox: project %s has no restore point %q: %w", ref, name, ErrNotFound)
	}
	rp.outcome = "FAILED"
	if now := s.now(); now.Before(rp.completedAt) {
		rp.completedAt = now
	}
	return nil
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
	if st := rp.status(c.now); st != "AVAILABLE" {
		return reply{}, errBadRequest("Restore point %q is %s, not AVAILABLE", body.Name, st)
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
	if p.restorePointOutcome == "FAILED" {
		rp.outcome = "FAILED"
	}
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
