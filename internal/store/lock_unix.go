//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// lockedFile opens the store file and flocks it, shared for reading or
// exclusive for writing, waiting until deadline at most. bbolt then gets this
// very file (Options.OpenFile): its own non-blocking flock on the same open
// file is a no-op, so bbolt never polls.
//
// The wait is a blocking flock rather than bbolt's 50 ms polling: the kernel
// wakes a waiter the moment the holder unlocks, so a process appending in a
// loop cannot starve the others by relocking in the gap between two polls.
// A blocked flock cannot be cancelled, so a waiter that gives up leaves a
// goroutine behind until the holder lets go; abandoned counts them, and past
// maxAbandoned (a holder stuck for good) waiters poll instead, leaking nothing.
func lockedFile(ctx context.Context, path string, flag int, exclusive bool, deadline time.Time, abandoned *atomic.Int32) (*os.File, error) {
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	err = flock(f, how|syscall.LOCK_NB)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("locking: %w", err)
	}

	if abandoned.Load() >= maxAbandoned {
		if err := pollLock(ctx, f, how, deadline); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	locked := make(chan lockResult, 1)
	go func() { locked <- lockResult{flock(f, how)} }()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case res := <-locked:
		if res.err != nil {
			f.Close()
			return nil, fmt.Errorf("locking: %w", res.err)
		}
		return f, nil
	case <-timer.C:
		abandon(f, locked, abandoned)
		return nil, ErrBusy
	case <-ctx.Done():
		abandon(f, locked, abandoned)
		return nil, ctx.Err()
	}
}

// maxAbandoned bounds the goroutines left blocked in flock by waiters that
// gave up.
const maxAbandoned = 4

// pollInterval is how often pollLock retries.
const pollInterval = 5 * time.Millisecond

// abandon closes the file of a waiter that gave up once its blocked flock
// returns: locked or not, closing it is all that is left to do.
func abandon(f *os.File, locked <-chan lockResult, abandoned *atomic.Int32) {
	abandoned.Add(1)
	go func() {
		defer abandoned.Add(-1)
		<-locked
		f.Close()
	}()
}

// lockResult is the outcome of a blocking flock.
type lockResult struct{ err error }

func pollLock(ctx context.Context, f *os.File, how int, deadline time.Time) error {
	for {
		err := flock(f, how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("locking: %w", err)
		}
		wait := min(pollInterval, time.Until(deadline))
		if wait <= 0 {
			return ErrBusy
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func flock(f *os.File, how int) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lockErr error
	// Control keeps the descriptor from being closed under the call.
	if err := conn.Control(func(fd uintptr) {
		for {
			lockErr = syscall.Flock(int(fd), how)
			if !errors.Is(lockErr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	return lockErr
}
