package sandbox

import (
	"fmt"
	"sort"
	"time"
)

// state is everything the sandbox remembers. It is guarded by Sandbox.mu;
// handlers take the lock for their whole read-modify-write.
type state struct {
	orgs      []*organization
	orgBySlug map[string]*organization
	projects  map[string]*project // by ref; preview branches are projects too
	branches  map[string]*branch  // by id
	runs      map[string]*actionRun

	// docs are config objects and generic resources, keyed by the path of
	// the GET that reads them, so a GET/PATCH/PUT trio shares one document.
	docs map[string]any

	seq           int // feeds deterministic refs and ids
	nextProjectID int
	lastBackupID  int // the highest backup id given out
	logSeq        int // orders appended log rows and names their ids
}

func newState() *state {
	return &state{
		orgBySlug:     make(map[string]*organization),
		projects:      make(map[string]*project),
		branches:      make(map[string]*branch),
		runs:          make(map[string]*actionRun),
		docs:          make(map[string]any),
		nextProjectID: 1000,
	}
}

type organization struct {
	id        string
	slug      string
	name      string
	plan      string
	createdAt time.Time
	members   []orgMember
}

type orgMember struct {
	userID, userName, email, role string
	mfa                           bool
}

// timeline is a status that changes by itself: each step takes effect at its
// time. Reading it against the sandbox's clock applies transitions lazily, which keeps
// the sandbox free of goroutines and makes testing/synctest's fake clock
// drive it.
type timeline []timedStatus

type timedStatus struct {
	at     time.Time
	status string
}

// steady is a status that does not change.
func steady(status string) timeline { return timeline{{status: status}} }

// transition is `during` from now and `after` once d has passed.
func transition(now time.Time, d time.Duration, during, after string) timeline {
	return timeline{{at: now, status: during}, {at: now.Add(d), status: after}}
}

// steps spreads statuses evenly over d, starting now.
func steps(now time.Time, d time.Duration, statuses ...string) timeline {
	t := make(timeline, len(statuses))
	for i, st := range statuses {
		var at time.Time
		if i > 0 {
			at = now.Add(d * time.Duration(i) / time.Duration(len(statuses)-1))
		} else {
			at = now
		}
		t[i] = timedStatus{at: at, status: st}
	}
	return t
}

func (t timeline) at(now time.Time) string {
	cur := ""
	for _, s := range t {
		if now.Before(s.at) {
			break
		}
		cur = s.status
	}
	if cur == "" && len(t) > 0 {
		cur = t[0].status
	}
	return cur
}

// newRef returns a fresh, deterministic 20-letter project ref.
func (st *state) newRef(prefix string) string {
	for {
		st.seq++
		ref := padRef(fmt.Sprintf("%s%s", prefix, lettersOf(st.seq)))
		if _, taken := st.projects[ref]; !taken {
			return ref
		}
	}
}

// newID returns a fresh deterministic UUID for a kind of object.
func (st *state) newID(kind string) string {
	st.seq++
	return stableUUID(fmt.Sprintf("%s/%d", kind, st.seq))
}

// lettersOf writes n in base 26 with letters, so refs stay ^[a-z]+$.
func lettersOf(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('a' + n%26)}, b...)
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}

// padRef pads or cuts s to the 20 lowercase letters of a project ref.
func padRef(s string) string {
	const n = 20
	for len(s) < n {
		s += "x"
	}
	return s[:n]
}

func (st *state) sortedProjects(filter func(*project) bool) []*project {
	out := make([]*project, 0, len(st.projects))
	for _, p := range st.projects {
		if filter == nil || filter(p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].createdAt.Equal(out[j].createdAt) {
			return out[i].createdAt.Before(out[j].createdAt)
		}
		return out[i].ref < out[j].ref
	})
	return out
}

// epoch is the fixed time the seed and synthesized bodies are dated from.
func epoch() time.Time {
	return time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func rfc3339ms(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
