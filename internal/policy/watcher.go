package policy

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Watcher keeps the last good policy loaded from a file. A changed file that
// does not load is refused and logged; the previous policy stays in force.
type Watcher struct {
	path string
	opts LoadOptions
	log  zerolog.Logger

	current atomic.Pointer[Policy]

	mu      sync.Mutex // serialises loads; guards seen and lastErr
	seen    fileState  // the file as last read, whether it loaded or not
	lastErr string     // the last polling error, logged once rather than every poll
}

// fileState identifies a version of the file cheaply (stat) and exactly (hash).
type fileState struct {
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
}

// NewWatcher loads the policy file; it fails if the first load does.
func NewWatcher(path string, opts LoadOptions, log zerolog.Logger) (*Watcher, error) {
	w := &Watcher{path: path, opts: opts, log: log}
	if _, err := w.load(true); err != nil {
		return nil, err
	}
	return w, nil
}

// Current is the policy in force. It is never nil.
func (w *Watcher) Current() *Policy { return w.current.Load() }

// Reload re-reads the file now (for SIGHUP or an operator's command). On an
// error the previous policy stays and the error is logged and returned.
func (w *Watcher) Reload() error {
	_, err := w.load(true)
	if err != nil {
		w.log.Error().Err(err).Str("path", w.path).Msg("policy reload refused; the previous policy stays in force")
	}
	return err
}

// Run polls the file every interval (0 turns polling off) and reloads on each
// signal from sighup (nil for none), until ctx ends.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, sighup <-chan os.Signal) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-sighup:
			if !ok {
				sighup = nil // a closed channel would spin
				continue
			}
			_ = w.Reload() // logged by Reload
		case <-tick:
			w.poll()
		}
	}
}

// poll reloads when the file changed since it was last read, logging a
// failure once per distinct error.
func (w *Watcher) poll() {
	changed, err := w.load(false)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err != nil && err.Error() != w.lastErr:
		w.lastErr = err.Error()
		w.log.Error().Err(err).Str("path", w.path).Msg("changed policy refused; the previous policy stays in force")
	case err == nil && changed:
		w.lastErr = ""
	}
}

// load reads the file unless (without force) it is unchanged, and installs
// the policy if it compiles. It reports whether it tried a new version.
func (w *Watcher) load(force bool) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	info, err := os.Stat(w.path)
	if err != nil {
		return false, fmt.Errorf("reading policy: %w", err)
	}
	if !force && info.ModTime().Equal(w.seen.modTime) && info.Size() == w.seen.size {
		return false, nil
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		return false, fmt.Errorf("reading policy: %w", err)
	}
	st := fileState{modTime: info.ModTime(), size: info.Size(), sum: sha256.Sum256(data)}
	unchanged := st.sum == w.seen.sum
	w.seen = st
	if !force && unchanged {
		return false, nil // touched, not changed
	}
	p, err := Parse(w.path, data, w.opts)
	if err != nil {
		return true, err
	}
	w.current.Store(p)
	w.log.Info().Str("path", w.path).Str("sha256", p.Digest()[:12]).Int("rules", len(p.rules)).Msg("policy loaded")
	return true, nil
}
