package client_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/sandbox"
)

// statusLog records, in the order the sandbox answered them, the status and
// X-RateLimit-Remaining of every answer.
type statusLog struct {
	mu      sync.Mutex
	answers []answer
}

type answer struct {
	status    int
	remaining int
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// wrap serves h and logs its answers. It serves one request at a time, so
// that the log's order is the order the sandbox counted them in.
func (l *statusLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		l.mu.Lock()
		defer l.mu.Unlock()
		h.ServeHTTP(rec, r)
		remaining, _ := strconv.Atoi(rec.Header().Get("X-RateLimit-Remaining"))
		l.answers = append(l.answers, answer{status: rec.status, remaining: remaining})
	})
}

// Four processes share one token (four Callers, each with its own
// connections, as four supaops processes would be) against one sandbox over
// HTTP, all calling as fast as they can for several of its windows. Each
// follows the limit the sandbox advertises, and together they keep to it by
// its X-RateLimit-Remaining and X-RateLimit-Reset: every call succeeds, and
// once the first window has shown each process the others, (almost) no
// request is answered 429.
func TestProcessesSharingATokenKeepToTheServersBudget(t *testing.T) {
	t.Parallel()
	const (
		processes = 4
		callers   = 3 // concurrent calls per process
		budget    = 20
		window    = 2 * time.Second
		windows   = 4 // how long they call
		// In the first window no process knows of the others until the
		// server's count shows them: the budget may run out with every
		// call in flight, and each then gets one 429 at most (a 429 holds
		// its process until the reset).
		max429sFirst = processes * callers
		// After it, at most one a window: two processes that each think
		// the window's last request is theirs (see serverView). Without
		// the server's count, each process overruns every window.
		max429sLater = windows - 1
	)
	sb, err := sandbox.New(sandbox.Options{Budget: budget, Window: window})
	if err != nil {
		t.Fatal(err)
	}
	var log statusLog
	srv := httptest.NewServer(log.wrap(sb))
	t.Cleanup(srv.Close)
	refs := sb.Seed().ProjectRefs

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		calls  [processes]int
		failed []error
	)
	stop := time.Now().Add(windows * window)
	for p := range processes {
		c, err := client.New(client.Config{
			BaseURL: srv.URL, Token: "sbp_shared_token",
			// A ceiling well above the sandbox's budget: the budget
			// followed is the one the sandbox advertises.
			Limits: client.Limits{Global: client.Budget{Requests: 1000, Window: window}},
			Retry:  client.RetryPolicy{MaxRateLimitWait: time.Minute},
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range callers {
			// A project each: identical GETs in flight would be collapsed.
			path := srv.URL + "/v1/projects/" + refs[i%len(refs)]
			wg.Go(func() {
				for time.Now().Before(stop) {
					req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
					if err != nil {
						t.Error(err)
						return
					}
					_, err = c.Do(req)
					mu.Lock()
					if err != nil {
						failed = append(failed, err)
					} else {
						calls[p]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()

	ok, first429s, later429s, perWindow := 0, 0, 0, []int{}
	for _, a := range log.answers {
		switch a.status {
		case http.StatusOK:
			ok++
			if a.remaining == budget-1 { // the first request of a window
				perWindow = append(perWindow, 0)
			}
			perWindow[len(perWindow)-1]++
		case http.StatusTooManyRequests:
			// The first request of a window is never refused.
			if len(perWindow) == 1 {
				first429s++
			} else {
				later429s++
			}
		default:
			t.Errorf("the sandbox answered %d", a.status)
		}
	}
	t.Logf("calls per process %v; the sandbox answered 200 to %d in %d windows (per window: %v), 429 to %d in the first window and %d after",
		calls, ok, len(perWindow), perWindow, first429s, later429s)
	if len(failed) > 0 {
		t.Errorf("%d calls failed, the first: %v", len(failed), failed[0])
	}
	if first429s > max429sFirst || later429s > max429sLater {
		t.Errorf("the sandbox answered 429 (over its budget of %d per %s) %d times in the first window and %d after, want at most %d and %d",
			budget, window, first429s, later429s, max429sFirst, max429sLater)
	}
	// Keeping to the budget must not mean leaving most of it unused.
	if ok < (windows-1)*budget/2 {
		t.Errorf("only %d calls in %d windows of %d: the processes left most of the budget unused", ok, windows, budget)
	}
	for p, n := range calls {
		if n == 0 {
			t.Errorf("process %d made no call", p)
		}
	}
}
