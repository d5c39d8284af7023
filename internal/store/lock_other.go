//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"context"
	"os"
	"sync/atomic"
	"time"
)

// lockedFile only opens the file on platforms without flock; bbolt then takes
// its own lock, polling until its Timeout (see openDB).
func lockedFile(ctx context.Context, path string, flag int, _ bool, _ time.Time, _ *atomic.Int32) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return os.OpenFile(path, flag, 0o600)
}
