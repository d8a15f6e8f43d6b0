//go:build microkata_hidden

package healthcheck_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/healthcheck"
)

// Every failure message names the calls that led to it (with the virtual
// time since the bubble started where time matters), what came back and
// what was expected: a learner sees only the test's name, category and
// message. Bodies are printed quoted, errors by the sentinel they are.

var (
	hErrDB    = errors.New("db unreachable")
	hErrCache = errors.New("cache cold")
)

func hPass(context.Context) error   { return nil }
func hFailDB(context.Context) error { return hErrDB }
func hWarn(context.Context) error   { return hErrCache }

// hSleep returns a Func that sleeps d (ignoring ctx) and returns nil.
func hSleep(d time.Duration) func(context.Context) error {
	return func(context.Context) error {
		time.Sleep(d)
		return nil
	}
}

// hHang returns a Func that ignores its ctx and returns nil once release
// is closed.
func hHang(release chan struct{}) func(context.Context) error {
	return func(context.Context) error {
		<-release
		return nil
	}
}

// hNotImplemented is the stub's panic: never recovered, so an untouched stub
// grades "not started".
const hNotImplemented = "not implemented"

// hErrName names an error by the sentinel it is or matches.
func hErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case err == hErrDB:
		return `errors.New("db unreachable") itself`
	case err == hErrCache:
		return `errors.New("cache cold") itself`
	case err == healthcheck.ErrTimeout:
		return "ErrTimeout"
	case err == healthcheck.ErrDraining:
		return "ErrDraining"
	case err == context.Canceled:
		return "context.Canceled"
	case err == context.DeadlineExceeded:
		return "context.DeadlineExceeded"
	}
	for _, s := range []struct {
		err  error
		name string
	}{
		{healthcheck.ErrInvalidConfig, "ErrInvalidConfig"},
		{healthcheck.ErrInvalidCheck, "ErrInvalidCheck"},
		{healthcheck.ErrDuplicateCheck, "ErrDuplicateCheck"},
		{healthcheck.ErrTimeout, "ErrTimeout"},
		{healthcheck.ErrPanic, "ErrPanic"},
		{healthcheck.ErrDraining, "ErrDraining"},
		{context.Canceled, "context.Canceled"},
		{context.DeadlineExceeded, "context.DeadlineExceeded"},
		{hErrDB, `errors.New("db unreachable")`},
	} {
		if errors.Is(err, s.err) {
			return fmt.Sprintf("an error matching %s (%q)", s.name, err.Error())
		}
	}
	return fmt.Sprintf("error %q", err.Error())
}

// hKind names a Kind.
func hKind(k healthcheck.Kind) string {
	switch k {
	case healthcheck.Readiness:
		return "Readiness"
	case healthcheck.Liveness:
		return "Liveness"
	case healthcheck.Readiness | healthcheck.Liveness:
		return "Readiness | Liveness"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// hResult prints one Result.
func hResult(r healthcheck.Result) string {
	return fmt.Sprintf("{Name: %q, Status: %q, Err: %s}", r.Name, r.Status, hErrName(r.Err))
}

// hReport prints a Report field by field.
func hReport(r healthcheck.Report) string {
	parts := make([]string, len(r.Results))
	for i, res := range r.Results {
		parts[i] = hResult(res)
	}
	return fmt.Sprintf("Report{Status: %q, Results: [%s]}", r.Status, strings.Join(parts, ", "))
}

// hNew calls New and stops the test if it fails.
func hNew(t *testing.T, cfg healthcheck.Config) *healthcheck.Checker {
	t.Helper()
	c, err := healthcheck.New(cfg)
	if err != nil || c == nil {
		t.Fatalf("New(Config{CacheTTL: %v}) = (%v, %s), want a Checker and nil", cfg.CacheTTL, c, hErrName(err))
	}
	return c
}

// hAdd calls Add and stops the test if it fails; what describes the check.
func hAdd(t *testing.T, c *healthcheck.Checker, ch healthcheck.Check, what string) {
	t.Helper()
	if err := c.Add(ch); err != nil {
		t.Fatalf("Add(%s) = %s, want nil", what, hErrName(err))
	}
}

// hCounter wraps a Func to count its calls and how many run at once.
type hCounter struct {
	calls, running, peak atomic.Int64
}

func (k *hCounter) wrap(f func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		k.calls.Add(1)
		n := k.running.Add(1)
		defer k.running.Add(-1)
		for {
			p := k.peak.Load()
			if n <= p || k.peak.CompareAndSwap(p, n) {
				break
			}
		}
		return f(ctx)
	}
}

// hRec is a ResponseWriter that counts the calls of WriteHeader and Write.
type hRec struct {
	header http.Header
	code   int
	body   bytes.Buffer
	calls  int
}

func (r *hRec) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

func (r *hRec) WriteHeader(code int) {
	r.calls++
	if r.code == 0 {
		r.code = code
	}
}

func (r *hRec) Write(p []byte) (int, error) {
	r.calls++
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(p)
}

// hResp is what one request got.
type hResp struct {
	code   int
	header http.Header
	body   string
	calls  int // of WriteHeader and Write
	panic  any
}

func (r hResp) String() string {
	switch {
	case r.panic != nil:
		return fmt.Sprintf("a panic: %v", r.panic)
	case r.calls == 0:
		return "nothing written"
	}
	return fmt.Sprintf("%d %q", r.code, r.body)
}

// hServe runs one request through c.ServeHTTP. ctx may be nil.
func hServe(c *healthcheck.Checker, ctx context.Context, method, target string) (resp hResp) {
	req := httptest.NewRequest(method, target, nil)
	if ctx != nil {
		req = req.WithContext(ctx)
	}
	rec := &hRec{}
	defer func() {
		if v := recover(); v != nil {
			if v == hNotImplemented {
				panic(v)
			}
			resp = hResp{panic: v}
		}
	}()
	c.ServeHTTP(rec, req)
	return hResp{code: rec.code, header: rec.header, body: rec.body.String(), calls: rec.calls}
}

// hWant checks a response's status code and body.
func hWant(t *testing.T, call string, got hResp, code int, body string) bool {
	t.Helper()
	if got.panic != nil || got.calls == 0 || got.code != code || got.body != body {
		t.Errorf("%s: got %s, want %d %q", call, got, code, body)
		return false
	}
	return true
}

// hEval calls Evaluate, returning a panic's value instead of panicking
// (except the stub's).
func hEval(c *healthcheck.Checker, ctx context.Context, kind healthcheck.Kind) (rep healthcheck.Report, err error, pnc any) {
	defer func() {
		if v := recover(); v != nil {
			if v == hNotImplemented {
				panic(v)
			}
			pnc = v
		}
	}()
	rep, err = c.Evaluate(ctx, kind)
	return rep, err, nil
}

// hEvalString prints what Evaluate returned.
func hEvalString(rep healthcheck.Report, err error, pnc any) string {
	if pnc != nil {
		return fmt.Sprintf("a panic: %v", pnc)
	}
	return fmt.Sprintf("(%s, %s)", hReport(rep), hErrName(err))
}

// hAnswer is a response and the virtual time since the bubble's start at
// which it came.
type hAnswer struct {
	resp hResp
	at   time.Duration
}

// hGo starts a request in a new goroutine; its answer comes on the channel.
func hGo(c *healthcheck.Checker, ctx context.Context, method, target string, start time.Time) chan hAnswer {
	ch := make(chan hAnswer, 1)
	go func() {
		resp := hServe(c, ctx, method, target)
		ch <- hAnswer{resp, time.Since(start)}
	}()
	return ch
}

// hRecv waits for an answer at most limit of virtual time.
func hRecv(ch chan hAnswer, limit time.Duration) (hAnswer, bool) {
	select {
	case a := <-ch:
		return a, true
	case <-time.After(limit):
		return hAnswer{}, false
	}
}

// hUntil sleeps until d after start.
func hUntil(start time.Time, d time.Duration) {
	time.Sleep(d - time.Since(start))
}

// TestHiddenAddOrderAndDefaults: Add checks in the contract's order (a bad
// field wins over a taken name), adds nothing when it fails, and applies
// the defaults Timeout 0 → 1s and Kind 0 → Readiness; CacheTTL 0 is valid
// (rules 1, 2, 3).
//
// Category: config
func TestHiddenAddOrderAndDefaults(t *testing.T) {
	katatest.Guard(t)
	for _, ttl := range []time.Duration{-time.Nanosecond, -time.Hour} {
		if c, err := healthcheck.New(healthcheck.Config{CacheTTL: ttl}); c != nil || !errors.Is(err, healthcheck.ErrInvalidConfig) {
			t.Errorf("New(Config{CacheTTL: %v}) = (%v, %s), want (nil, an error matching ErrInvalidConfig)", ttl, c, hErrName(err))
		}
	}
	c := hNew(t, healthcheck.Config{})
	hAdd(t, c, healthcheck.Check{Name: "db", Func: hPass}, `Check{Name: "db", Func: pass}`)
	const setup = `c, _ := New(Config{}); c.Add(Check{Name: "db", Func: pass})`
	bad := []struct {
		what string
		ch   healthcheck.Check
		want error
	}{
		{`Check{Name: "db", Func: nil}`, healthcheck.Check{Name: "db"}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db", Func: pass, Timeout: -1s}`, healthcheck.Check{Name: "db", Func: hPass, Timeout: -time.Second}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db", Func: pass, Kind: 7}`, healthcheck.Check{Name: "db", Func: hPass, Kind: 7}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db", Func: pass, Kind: 128}`, healthcheck.Check{Name: "db", Func: hPass, Kind: 128}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "shutdown", Func: nil}`, healthcheck.Check{Name: "shutdown"}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "dé", Func: pass}`, healthcheck.Check{Name: "dé", Func: hPass}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db\n", Func: pass}`, healthcheck.Check{Name: "db\n", Func: hPass}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "a?b", Func: pass}`, healthcheck.Check{Name: "a?b", Func: hPass}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "new", Func: nil}`, healthcheck.Check{Name: "new"}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "new", Func: pass, Timeout: -1ns, Kind: Liveness}`, healthcheck.Check{Name: "new", Func: hPass, Timeout: -1, Kind: healthcheck.Liveness}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "new", Func: pass, Kind: 6}`, healthcheck.Check{Name: "new", Func: hPass, Kind: 6}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db", Func: pass, Kind: Liveness}`, healthcheck.Check{Name: "db", Func: hPass, Kind: healthcheck.Liveness}, healthcheck.ErrDuplicateCheck},
	}
	for _, tc := range bad {
		if err := c.Add(tc.ch); !errors.Is(err, tc.want) {
			name := "ErrInvalidCheck"
			if tc.want == healthcheck.ErrDuplicateCheck {
				name = "ErrDuplicateCheck"
			}
			t.Errorf("%s; c.Add(%s) = %s, want an error matching %s", setup, tc.what, hErrName(err), name)
		}
	}
	sofar := setup + "; the refused Adds above (three of them named \"new\")"
	if got := hServe(c, nil, http.MethodGet, "/readyz?verbose"); !hWant(t, sofar+"; GET /readyz?verbose", got, http.StatusOK, "[+]db ok\n[+]shutdown ok\nreadyz check passed\n") {
		return
	}
	if got := hServe(c, nil, http.MethodGet, "/livez?verbose"); !hWant(t, sofar+"; GET /livez?verbose (db is Readiness: Kind 0 means Readiness; a refused Add adds nothing)", got, http.StatusOK, "livez check passed\n") {
		return
	}
	hAdd(t, c, healthcheck.Check{Name: "new", Func: hPass, Kind: healthcheck.Liveness}, sofar+`; c.Add(Check{Name: "new", Func: pass, Kind: Liveness}) (refused before: it added nothing)`)
	hWant(t, sofar+`; c.Add(Check{Name: "new", Func: pass, Kind: Liveness}); GET /livez?verbose`, hServe(c, nil, http.MethodGet, "/livez?verbose"), http.StatusOK, "[+]new ok\nlivez check passed\n")

	// Timeout 0 is DefaultTimeout (1s): the Func's ctx deadline is 1s after
	// the evaluation starts.
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour)                                      // lets every check return, whatever happened
		bg, stop := context.WithTimeout(context.Background(), time.Hour) // bounds every wait
		defer stop()
		c := hNew(t, healthcheck.Config{})
		var deadline time.Time
		var ok bool
		hAdd(t, c, healthcheck.Check{Name: "db", Func: func(ctx context.Context) error {
			deadline, ok = ctx.Deadline()
			return nil
		}}, `Check{Name: "db", Func: records ctx.Deadline()}`)
		start := time.Now()
		rep, err, pnc := hEval(c, bg, healthcheck.Readiness)
		const call = `New(Config{}); Add(Check{Name: "db", Func: records ctx.Deadline()}); Evaluate(ctx, Readiness) at 0s`
		if pnc != nil || err != nil || rep.Status != healthcheck.StatusPass {
			t.Errorf("%s = %s, want a passing report", call, hEvalString(rep, err, pnc))
			return
		}
		if !ok || deadline.Sub(start) != time.Second {
			t.Errorf("%s: the Func's ctx.Deadline() = (%v after the start, %v), want (1s, true): Timeout 0 means DefaultTimeout", call, deadline.Sub(start), ok)
		}
	})
}

// TestHiddenDeadlineExact: with the default Timeout (1s), a Func returning
// nil 1ns before its deadline passes; one returning nil exactly at the
// deadline, or returning ctx.Err() when its ctx ends, gets ErrTimeout
// itself, decided at the deadline. Each case runs in 50 fresh bubbles: the
// Func and the deadline wake at the same instant (rules 4, 5).
//
// Category: timing
func TestHiddenDeadlineExact(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		name, what string
		f          func(context.Context) error
		want       error // compared with ==
		took       time.Duration
	}{
		{"nil 1ns before the deadline", "returns nil after 999.999999ms", func(context.Context) error {
			time.Sleep(time.Second - time.Nanosecond)
			return nil
		}, nil, time.Second - time.Nanosecond},
		{"error 1ns before the deadline", `returns errors.New("db unreachable") after 999.999999ms`, func(context.Context) error {
			time.Sleep(time.Second - time.Nanosecond)
			return hErrDB
		}, hErrDB, time.Second - time.Nanosecond},
		{"nil at the deadline", "returns nil after exactly 1s", func(context.Context) error {
			time.Sleep(time.Second)
			return nil
		}, healthcheck.ErrTimeout, time.Second},
		{"ctx.Err at the deadline", "waits for ctx.Done() and returns ctx.Err()", func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}, healthcheck.ErrTimeout, time.Second},
		{"nil after the deadline", "returns nil after 1.5s", func(context.Context) error {
			time.Sleep(1500 * time.Millisecond)
			return nil
		}, healthcheck.ErrTimeout, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 50 {
				failed := false
				synctest.Test(t, func(t *testing.T) {
					defer time.Sleep(time.Hour) // lets every check return, whatever happened
					c := hNew(t, healthcheck.Config{})
					hAdd(t, c, healthcheck.Check{Name: "db", Func: tc.f, Kind: healthcheck.Liveness}, `Check{Name: "db", Kind: Liveness}`)
					call := fmt.Sprintf(`New(Config{}); Add(Check{Name: "db", Func: %s, Kind: Liveness}) (Timeout 0: 1s); Evaluate(ctx, Liveness) at 0s (bubble %d of 50)`, tc.what, i+1)
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					start := time.Now()
					rep, err, pnc := hEval(c, ctx, healthcheck.Liveness)
					took := time.Since(start)
					if pnc != nil || err != nil || len(rep.Results) != 1 {
						t.Errorf("%s = %s after %v, want a report with db's result", call, hEvalString(rep, err, pnc), took)
						failed = true
						return
					}
					if got := rep.Results[0].Err; got != tc.want {
						why := "a return strictly before the deadline is the result"
						if tc.want == healthcheck.ErrTimeout {
							why = "a Func that has not returned strictly before its deadline gets ErrTimeout itself, whatever it returns then"
						}
						t.Errorf("%s: db's Err is %s, want %s (%s)", call, hErrName(got), hErrName(tc.want), why)
						failed = true
					}
					if took != tc.took {
						t.Errorf("%s returned after %v, want exactly %v (an evaluation ends when its last result is decided)", call, took, tc.took)
						failed = true
					}
				})
				if failed {
					return
				}
			}
		})
	}
}

// TestHiddenPanicRecovered: a panicking Func is a failed result matching
// ErrPanic whose text names the value; NonCritical makes it a warning; the
// next evaluation runs the Func again (rules 5, 6, 7).
//
// Category: behaviour
func TestHiddenPanicRecovered(t *testing.T) {
	katatest.Guard(t)
	var boom, dbPanic, soft hCounter
	c := hNew(t, healthcheck.Config{})
	hAdd(t, c, healthcheck.Check{Name: "boom", Func: boom.wrap(func(context.Context) error { panic("boom") })}, `Check{Name: "boom", Func: panics "boom"}`)
	hAdd(t, c, healthcheck.Check{Name: "db", Func: dbPanic.wrap(func(context.Context) error { panic(hErrDB) })}, `Check{Name: "db", Func: panics errors.New("db unreachable")}`)
	hAdd(t, c, healthcheck.Check{Name: "soft", NonCritical: true, Func: soft.wrap(func(context.Context) error { panic(42) })}, `Check{Name: "soft", Func: panics 42, NonCritical: true}`)
	const setup = `New(Config{}); Add(Check{Name: "boom", Func: panics "boom"}); Add(Check{Name: "db", Func: panics errors.New("db unreachable")}); Add(Check{Name: "soft", Func: panics 42, NonCritical: true})`

	rep, err, pnc := hEval(c, context.Background(), healthcheck.Readiness)
	call := setup + "; Evaluate(ctx, Readiness)"
	if pnc != nil || err != nil || len(rep.Results) != 4 {
		t.Fatalf("%s = %s, want a report of boom, db, shutdown and soft (a panicking Func is a result, not a crash)", call, hEvalString(rep, err, pnc))
	}
	wants := []struct {
		name   string
		status healthcheck.Status
		text   string
	}{
		{"boom", healthcheck.StatusFail, "healthcheck: check panicked: boom"},
		{"db", healthcheck.StatusFail, "healthcheck: check panicked: db unreachable"},
		{"shutdown", healthcheck.StatusPass, ""},
		{"soft", healthcheck.StatusWarn, "healthcheck: check panicked: 42"},
	}
	for i, w := range wants {
		got := rep.Results[i]
		ok := got.Name == w.name && got.Status == w.status
		if w.text == "" {
			ok = ok && got.Err == nil
		} else {
			ok = ok && errors.Is(got.Err, healthcheck.ErrPanic) && got.Err.Error() == w.text
		}
		if !ok {
			want := fmt.Sprintf(`{Name: %q, Status: %q, Err: an error matching ErrPanic with the text %q}`, w.name, w.status, w.text)
			if w.text == "" {
				want = fmt.Sprintf(`{Name: %q, Status: %q, Err: nil}`, w.name, w.status)
			}
			t.Errorf("%s: Results[%d] = %s, want %s", call, i, hResult(got), want)
		}
	}
	if rep.Status != healthcheck.StatusFail {
		t.Errorf("%s: Status %q, want \"fail\"", call, rep.Status)
	}
	hWant(t, call+"; GET /readyz", hServe(c, nil, http.MethodGet, "/readyz"), http.StatusServiceUnavailable,
		"[-]boom failed: healthcheck: check panicked: boom\n[-]db failed: healthcheck: check panicked: db unreachable\n[+]shutdown ok\n[!]soft warn: healthcheck: check panicked: 42\nreadyz check failed\n")
	for _, k := range []struct {
		name string
		n    *hCounter
	}{{"boom", &boom}, {"db", &dbPanic}, {"soft", &soft}} {
		if got := k.n.calls.Load(); got != 2 {
			t.Errorf("%s; GET /readyz (CacheTTL 0): %s's Func ran %d times, want 2 (a run that panicked has returned: the next evaluation runs it again)", call, k.name, got)
		}
	}
}

// TestHiddenHungCheckCostsOneGoroutine: a Func that ignores its ctx and
// blocks is called once, however many evaluations come: one at 500ms
// shares its run and gets ErrTimeout at 1s with the first; 100 more over
// 100s (ten of them at once) get ErrTimeout at once. Once it returns, the
// next evaluation runs it again (rule 6).
//
// Category: behaviour
func TestHiddenHungCheckCostsOneGoroutine(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		defer free()
		var n hCounter
		var later atomic.Bool
		c := hNew(t, healthcheck.Config{})
		hAdd(t, c, healthcheck.Check{Name: "db", Func: n.wrap(func(context.Context) error {
			if !later.Swap(true) {
				<-release
			}
			return nil
		})}, `Check{Name: "db", Func: the first call ignores ctx and blocks}`)
		const setup = `New(Config{}); Add(Check{Name: "db", Func: the first call ignores ctx and blocks until released, later calls return nil}) (Timeout 1s)`
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()

		type out struct {
			rep healthcheck.Report
			err error
			pnc any
			at  time.Duration
		}
		eval := func() chan out {
			ch := make(chan out, 1)
			go func() {
				rep, err, pnc := hEval(c, ctx, healthcheck.Readiness)
				ch <- out{rep, err, pnc, time.Since(start)}
			}()
			return ch
		}
		timedOut := func(o out) bool {
			return o.pnc == nil && o.err == nil && len(o.rep.Results) == 2 && o.rep.Results[0].Name == "db" && o.rep.Results[0].Err == healthcheck.ErrTimeout
		}
		a := eval()
		hUntil(start, 500*time.Millisecond)
		b := eval()
		for i, ch := range []chan out{a, b} {
			o := <-ch
			call := setup + "; Evaluate(ctx, Readiness) at 0s and at 500ms"
			if !timedOut(o) || o.at != time.Second {
				t.Fatalf("%s: call %d returned %s at %v, want db's result ErrTimeout at 1s for both (the call at 500ms shares the run still going)", call, i+1, hEvalString(o.rep, o.err, o.pnc), o.at)
			}
		}
		sofar := setup + "; Evaluate at 0s and 500ms (db timed out at 1s)"
		for i := 1; i <= 100; i++ {
			at := time.Duration(i) * time.Second
			if i == 50 {
				at += time.Second / 2 // the ten concurrent ones
				hUntil(start, at)
				chans := make([]chan out, 10)
				for j := range chans {
					chans[j] = eval()
				}
				for _, ch := range chans {
					if o := <-ch; !timedOut(o) || o.at != at {
						t.Fatalf("%s; 10 concurrent Evaluate(ctx, Readiness) at %v: one returned %s at %v, want db's result ErrTimeout at once (the Func is still running: its timed-out run is shared)", sofar, at, hEvalString(o.rep, o.err, o.pnc), o.at)
					}
				}
				continue
			}
			hUntil(start, at)
			o := <-eval()
			if !timedOut(o) || o.at != at {
				t.Fatalf("%s; Evaluate(ctx, Readiness) at %v returned %s at %v, want db's result ErrTimeout at once (the Func is still running: it is not started again)", sofar, at, hEvalString(o.rep, o.err, o.pnc), o.at)
			}
		}
		sofar += "; 100 more evaluations from 1s to 100s, ten of them at once at 50.5s"
		if calls, peak := n.calls.Load(), n.peak.Load(); calls != 1 || peak != 1 {
			t.Fatalf("%s: db's Func was called %d times, at most %d at once; want 1 call (one goroutine per hung check)", sofar, calls, peak)
		}
		free()
		synctest.Wait() // the Func returns
		o := <-eval()
		sofar += "; the Func returns; Evaluate(ctx, Readiness)"
		if o.pnc != nil || o.err != nil || o.rep.Status != healthcheck.StatusPass {
			t.Errorf("%s = %s, want a passing report (the Func returned: the next evaluation runs it again, and it now returns nil)", sofar, hEvalString(o.rep, o.err, o.pnc))
		}
		if calls := n.calls.Load(); calls != 2 {
			t.Errorf("%s: db's Func was called %d times in all, want 2", sofar, calls)
		}
	})
}

// TestHiddenCallerCannotCancelRuns: the first caller's ctx ends at 100ms:
// it gets the zero Report and DeadlineExceeded at 100ms, while the check's
// ctx stays alive (deadline 3s after the start, not cancelled) and the
// evaluation goes on; a second caller shares it, and the report is cached
// for a third (rules 4, 8).
//
// Category: behaviour
func TestHiddenCallerCannotCancelRuns(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour)                                      // lets every check return, whatever happened
		bg, stop := context.WithTimeout(context.Background(), time.Hour) // bounds every wait
		defer stop()
		var n hCounter
		var ctxErr error
		var deadline time.Time
		c := hNew(t, healthcheck.Config{CacheTTL: time.Minute})
		hAdd(t, c, healthcheck.Check{Name: "db", Timeout: 3 * time.Second, Func: n.wrap(func(ctx context.Context) error {
			deadline, _ = ctx.Deadline()
			select {
			case <-time.After(2 * time.Second):
				ctxErr = ctx.Err()
				return nil
			case <-ctx.Done():
				ctxErr = ctx.Err()
				return ctx.Err()
			}
		})}, `Check{Name: "db", Func: returns nil after 2s or ctx.Err() when ctx ends, Timeout: 3s}`)
		const setup = `New(Config{CacheTTL: 1m}); Add(Check{Name: "db", Func: returns nil after 2s, or ctx.Err() if its ctx ends first, Timeout: 3s})`
		start := time.Now()
		ctx1, cancel1 := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel1()
		rep, err, pnc := hEval(c, ctx1, healthcheck.Readiness)
		call := setup + "; Evaluate(ctx that ends at 100ms, Readiness) at 0s"
		if pnc != nil || err != context.DeadlineExceeded || rep.Status != "" || rep.Results != nil || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("%s = %s at %v, want (Report{}, context.DeadlineExceeded) at 100ms", call, hEvalString(rep, err, pnc), time.Since(start))
		}
		rep, err, pnc = hEval(c, bg, healthcheck.Readiness)
		call += "; Evaluate(ctx, Readiness) at 100ms"
		if pnc != nil || err != nil || rep.Status != healthcheck.StatusPass || time.Since(start) != 2*time.Second {
			t.Fatalf("%s = %s at %v, want a passing report at 2s: the first caller's ctx must not reach the check, and the second caller shares the evaluation", call, hEvalString(rep, err, pnc), time.Since(start))
		}
		if ctxErr != nil || deadline.Sub(start) != 3*time.Second {
			t.Errorf("%s: db's ctx had deadline %v after the start and Err() %s when the Func returned at 2s, want 3s and nil (only its own deadline ends it)", call, deadline.Sub(start), hErrName(ctxErr))
		}
		hUntil(start, 3*time.Second)
		rep, err, pnc = hEval(c, bg, healthcheck.Readiness)
		call += "; Evaluate(ctx, Readiness) at 3s"
		if pnc != nil || err != nil || rep.Status != healthcheck.StatusPass || time.Since(start) != 3*time.Second {
			t.Errorf("%s = %s at %v, want the cached passing report at once", call, hEvalString(rep, err, pnc), time.Since(start))
		}
		if calls := n.calls.Load(); calls != 1 {
			t.Errorf("%s: db's Func ran %d times, want 1", call, calls)
		}
	})
}

// TestHiddenReportOwnedByCaller: overwriting and reordering the Results of
// a report Evaluate returned changes neither the next Evaluate nor the
// HTTP body, for both kinds, while the report is cached (rule 8).
//
// Category: behaviour
func TestHiddenReportOwnedByCaller(t *testing.T) {
	katatest.Guard(t)
	c := hNew(t, healthcheck.Config{CacheTTL: time.Minute})
	both := healthcheck.Readiness | healthcheck.Liveness
	hAdd(t, c, healthcheck.Check{Name: "cache", Func: hWarn, NonCritical: true, Kind: both}, `Check{Name: "cache", Func: returns errCache, NonCritical: true, Kind: Readiness | Liveness}`)
	hAdd(t, c, healthcheck.Check{Name: "db", Func: hPass, Kind: both}, `Check{Name: "db", Func: pass, Kind: Readiness | Liveness}`)
	hAdd(t, c, healthcheck.Check{Name: "queue", Func: hPass, Kind: both}, `Check{Name: "queue", Func: pass, Kind: Readiness | Liveness}`)
	const setup = `New(Config{CacheTTL: 1m}); Add(Check{Name: "cache", Func: returns errors.New("cache cold"), NonCritical: true, Kind: Readiness | Liveness}); Add(Check{Name: "db", Func: pass, Kind: Readiness | Liveness}); Add(Check{Name: "queue", Func: pass, Kind: Readiness | Liveness})`
	for _, tc := range []struct {
		kind     healthcheck.Kind
		path     string
		body     string
		resCount int
	}{
		{healthcheck.Readiness, "/readyz?verbose", "[!]cache warn: cache cold\n[+]db ok\n[+]queue ok\n[+]shutdown ok\nreadyz check passed\n", 4},
		{healthcheck.Liveness, "/livez?verbose", "[!]cache warn: cache cold\n[+]db ok\n[+]queue ok\nlivez check passed\n", 3},
	} {
		rep1, err, pnc := hEval(c, context.Background(), tc.kind)
		call := fmt.Sprintf("%s; r1 := Evaluate(ctx, %s)", setup, hKind(tc.kind))
		if pnc != nil || err != nil || len(rep1.Results) != tc.resCount {
			t.Errorf("%s = %s, want a report of %d results", call, hEvalString(rep1, err, pnc), tc.resCount)
			continue
		}
		want := hReport(rep1)
		rep1.Results[0] = healthcheck.Result{Name: "zzz", Status: healthcheck.StatusFail, Err: hErrDB}
		slices.Reverse(rep1.Results)
		rep1.Results[0].Status = healthcheck.StatusFail
		call += `; r1.Results[0] = Result{Name: "zzz", Status: "fail"}; slices.Reverse(r1.Results); r1.Results[0].Status = "fail"`
		rep2, err, pnc := hEval(c, context.Background(), tc.kind)
		if pnc != nil || err != nil || hReport(rep2) != want {
			t.Errorf("%s; Evaluate(ctx, %s) = %s, want %s (the cached report as first returned: each caller gets its own Results)", call, hKind(tc.kind), hEvalString(rep2, err, pnc), want)
		}
		hWant(t, call+"; GET "+tc.path, hServe(c, nil, http.MethodGet, tc.path), http.StatusOK, tc.body)
	}
}

// TestHiddenDrainHitsCachedReport: with a report cached, Drain makes
// /readyz fail at once without a new run; ?exclude=shutdown and /readyz/db
// still pass, /readyz/shutdown fails; a second Drain changes nothing;
// liveness stays green, and checks still run once the cache expires
// (rules 9, 12).
//
// Category: behaviour
func TestHiddenDrainHitsCachedReport(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour)                                      // lets every check return, whatever happened
		bg, stop := context.WithTimeout(context.Background(), time.Hour) // bounds every wait
		defer stop()
		var db, loop hCounter
		c := hNew(t, healthcheck.Config{CacheTTL: time.Minute})
		hAdd(t, c, healthcheck.Check{Name: "db", Func: db.wrap(hPass)}, `Check{Name: "db", Func: pass}`)
		hAdd(t, c, healthcheck.Check{Name: "loop", Func: loop.wrap(hPass), Kind: healthcheck.Liveness}, `Check{Name: "loop", Func: pass, Kind: Liveness}`)
		start := time.Now()
		sofar := `New(Config{CacheTTL: 1m}); Add(Check{Name: "db", Func: pass}); Add(Check{Name: "loop", Func: pass, Kind: Liveness}); GET /readyz at 0s`
		if !hWant(t, sofar, hServe(c, bg, http.MethodGet, "/readyz"), http.StatusOK, "ok") {
			return
		}
		hUntil(start, 10*time.Second)
		c.Drain()
		sofar += "; Drain() at 10s"
		const drained = "[+]db ok\n[-]shutdown failed: healthcheck: shutting down\nreadyz check failed\n"
		steps := []struct {
			target string
			code   int
			body   string
		}{
			{"/readyz", http.StatusServiceUnavailable, drained},
			{"/readyz?verbose", http.StatusServiceUnavailable, drained},
			{"/readyz?exclude=shutdown", http.StatusOK, "ok"},
			{"/readyz?exclude=shutdown&verbose", http.StatusOK, "[+]db ok\n[+]shutdown excluded: ok\nreadyz check passed\n"},
			{"/readyz/db", http.StatusOK, "ok"},
			{"/readyz/shutdown", http.StatusServiceUnavailable, "[-]shutdown failed: healthcheck: shutting down\nreadyz check failed\n"},
		}
		for _, s := range steps {
			if !hWant(t, sofar+"; GET "+s.target, hServe(c, bg, http.MethodGet, s.target), s.code, s.body) {
				return
			}
		}
		rep, err, pnc := hEval(c, bg, healthcheck.Readiness)
		want := healthcheck.Report{Status: healthcheck.StatusFail, Results: []healthcheck.Result{
			{Name: "db", Status: healthcheck.StatusPass},
			{Name: "shutdown", Status: healthcheck.StatusFail, Err: healthcheck.ErrDraining},
		}}
		if pnc != nil || err != nil || hReport(rep) != hReport(want) {
			t.Errorf("%s; Evaluate(ctx, Readiness) = %s, want (%s, nil)", sofar, hEvalString(rep, err, pnc), hReport(want))
		}
		if n := db.calls.Load(); n != 1 || time.Since(start) != 10*time.Second {
			t.Errorf("%s; GETs and Evaluate at 10s: db ran %d times, want 1 (Drain changes the cached report: no new run)", sofar, n)
		}
		c.Drain()
		sofar += "; Drain() again"
		hWant(t, sofar+"; GET /readyz", hServe(c, bg, http.MethodGet, "/readyz"), http.StatusServiceUnavailable, drained)
		hWant(t, sofar+"; GET /livez", hServe(c, bg, http.MethodGet, "/livez"), http.StatusOK, "ok")
		hWant(t, sofar+"; GET /livez?verbose", hServe(c, bg, http.MethodGet, "/livez?verbose"), http.StatusOK, "[+]loop ok\nlivez check passed\n")
		if n := loop.calls.Load(); n != 1 {
			t.Errorf("%s; GET /livez: loop ran %d times, want 1 (liveness checks still run after Drain)", sofar, n)
		}
		hUntil(start, 2*time.Minute)
		sofar += "; GET /readyz at 2m0s (the cache expired)"
		hWant(t, sofar, hServe(c, bg, http.MethodGet, "/readyz"), http.StatusServiceUnavailable, drained)
		if n := db.calls.Load(); n != 2 {
			t.Errorf("%s: db ran %d times in all, want 2 (readiness checks still run after Drain)", sofar, n)
		}
	})
}

// TestHiddenExclude: excluded results are listed as excluded and left out
// of the shown status; unknown names, empty values and repeats change
// nothing; excluded checks still run (rules 12, 13).
//
// Category: behaviour
func TestHiddenExclude(t *testing.T) {
	katatest.Guard(t)
	var db, cache, queue hCounter
	c := hNew(t, healthcheck.Config{})
	both := healthcheck.Readiness | healthcheck.Liveness
	hAdd(t, c, healthcheck.Check{Name: "db", Func: db.wrap(hFailDB), Kind: both}, `Check{Name: "db", Func: returns errDB, Kind: Readiness | Liveness}`)
	hAdd(t, c, healthcheck.Check{Name: "cache", Func: cache.wrap(hWarn), NonCritical: true, Kind: both}, `Check{Name: "cache", Func: returns errCache, NonCritical: true, Kind: Readiness | Liveness}`)
	hAdd(t, c, healthcheck.Check{Name: "queue", Func: queue.wrap(hPass), Kind: both}, `Check{Name: "queue", Func: pass, Kind: Readiness | Liveness}`)
	const setup = `New(Config{}); Add(Check{Name: "db", Func: returns errors.New("db unreachable"), Kind: Readiness | Liveness}); Add(Check{Name: "cache", Func: returns errors.New("cache cold"), NonCritical: true, Kind: Readiness | Liveness}); Add(Check{Name: "queue", Func: pass, Kind: Readiness | Liveness})`
	cases := []struct {
		target string
		code   int
		body   string
	}{
		{"/readyz?exclude=db&exclude=cache&exclude=nope&exclude=&exclude=db", http.StatusOK, "ok"},
		{"/readyz?exclude=db&exclude=cache&exclude=nope&exclude=&exclude=db&verbose", http.StatusOK,
			"[+]cache excluded: ok\n[+]db excluded: ok\n[+]queue ok\n[+]shutdown ok\nreadyz check passed\n"},
		{"/readyz?exclude=db", http.StatusOK,
			"[!]cache warn: cache cold\n[+]db excluded: ok\n[+]queue ok\n[+]shutdown ok\nreadyz check passed\n"},
		{"/readyz?exclude=cache&exclude=cache", http.StatusServiceUnavailable,
			"[+]cache excluded: ok\n[-]db failed: db unreachable\n[+]queue ok\n[+]shutdown ok\nreadyz check failed\n"},
		{"/readyz?exclude=db,cache", http.StatusServiceUnavailable,
			"[!]cache warn: cache cold\n[-]db failed: db unreachable\n[+]queue ok\n[+]shutdown ok\nreadyz check failed\n"},
		{"/livez?exclude=db&exclude=queue&exclude=shutdown", http.StatusOK,
			"[!]cache warn: cache cold\n[+]db excluded: ok\n[+]queue excluded: ok\nlivez check passed\n"},
		{"/livez?exclude=db&exclude=cache&exclude=queue", http.StatusOK, "ok"},
	}
	for i, tc := range cases {
		if !hWant(t, setup+"; GET "+tc.target, hServe(c, nil, http.MethodGet, tc.target), tc.code, tc.body) {
			continue
		}
		for _, k := range []struct {
			name string
			n    *hCounter
		}{{"db", &db}, {"cache", &cache}, {"queue", &queue}} {
			if got := k.n.calls.Load(); got != int64(i+1) {
				t.Errorf("%s; GET %s: %s's Func ran %d times after %d requests, want %d (CacheTTL 0: every request runs every check, excluded or not)", setup, tc.target, k.name, got, i+1, i+1)
			}
		}
	}
}

// TestHiddenPerCheckPaths: /<kind>/<name> shows one result of the kind's
// whole evaluation in the usual format, ignores exclude, and is 404 for a
// check of the other kind; with a cache, /readyz/db runs every readiness
// check and /readyz then reuses that report (rules 8, 10, 11, 12, 13).
//
// Category: behaviour
func TestHiddenPerCheckPaths(t *testing.T) {
	katatest.Guard(t)
	var db, cache, queue, loop hCounter
	c := hNew(t, healthcheck.Config{CacheTTL: time.Minute})
	hAdd(t, c, healthcheck.Check{Name: "db", Func: db.wrap(hFailDB)}, `Check{Name: "db", Func: returns errDB}`)
	hAdd(t, c, healthcheck.Check{Name: "cache", Func: cache.wrap(hWarn), NonCritical: true}, `Check{Name: "cache", Func: returns errCache, NonCritical: true}`)
	hAdd(t, c, healthcheck.Check{Name: "queue", Func: queue.wrap(hPass)}, `Check{Name: "queue", Func: pass}`)
	hAdd(t, c, healthcheck.Check{Name: "loop", Func: loop.wrap(hPass), Kind: healthcheck.Liveness}, `Check{Name: "loop", Func: pass, Kind: Liveness}`)
	const setup = `New(Config{CacheTTL: 1m}); Add(Check{Name: "db", Func: returns errors.New("db unreachable")}); Add(Check{Name: "cache", Func: returns errors.New("cache cold"), NonCritical: true}); Add(Check{Name: "queue", Func: pass}); Add(Check{Name: "loop", Func: pass, Kind: Liveness})`

	got := hServe(c, nil, http.MethodGet, "/readyz/queue")
	if !hWant(t, setup+"; GET /readyz/queue", got, http.StatusOK, "ok") {
		return
	}
	for _, k := range []struct {
		name string
		n    *hCounter
		want int64
	}{{"db", &db, 1}, {"cache", &cache, 1}, {"queue", &queue, 1}, {"loop", &loop, 0}} {
		if n := k.n.calls.Load(); n != k.want {
			t.Errorf("%s; GET /readyz/queue: %s's Func ran %d times, want %d (a subpath shows one result of the kind's whole evaluation)", setup, k.name, n, k.want)
		}
	}
	sofar := setup + "; GET /readyz/queue"
	cases := []struct {
		target string
		code   int
		body   string
	}{
		{"/readyz", http.StatusServiceUnavailable, "[!]cache warn: cache cold\n[-]db failed: db unreachable\n[+]queue ok\n[+]shutdown ok\nreadyz check failed\n"},
		{"/readyz/db", http.StatusServiceUnavailable, "[-]db failed: db unreachable\nreadyz check failed\n"},
		{"/readyz/db?verbose", http.StatusServiceUnavailable, "[-]db failed: db unreachable\nreadyz check failed\n"},
		{"/readyz/db?exclude=db", http.StatusServiceUnavailable, "[-]db failed: db unreachable\nreadyz check failed\n"},
		{"/readyz/cache", http.StatusOK, "[!]cache warn: cache cold\nreadyz check passed\n"},
		{"/readyz/queue?verbose", http.StatusOK, "[+]queue ok\nreadyz check passed\n"},
		{"/readyz/queue?verbose=false", http.StatusOK, "[+]queue ok\nreadyz check passed\n"},
		{"/readyz/queue?exclude=queue&verbose", http.StatusOK, "[+]queue ok\nreadyz check passed\n"},
		{"/readyz/shutdown", http.StatusOK, "ok"},
		{"/readyz/shutdown?verbose", http.StatusOK, "[+]shutdown ok\nreadyz check passed\n"},
		{"/livez/loop?verbose=", http.StatusOK, "[+]loop ok\nlivez check passed\n"},
		{"/livez/db", http.StatusNotFound, "404 page not found\n"},
		{"/livez/shutdown", http.StatusNotFound, "404 page not found\n"},
		{"/readyz/loop", http.StatusNotFound, "404 page not found\n"},
	}
	for _, tc := range cases {
		hWant(t, sofar+"; GET "+tc.target, hServe(c, nil, http.MethodGet, tc.target), tc.code, tc.body)
	}
	for _, k := range []struct {
		name string
		n    *hCounter
	}{{"db", &db}, {"cache", &cache}, {"queue", &queue}, {"loop", &loop}} {
		if n := k.n.calls.Load(); n != 1 {
			t.Errorf("%s; the GETs above: %s's Func ran %d times in all, want 1 (all within CacheTTL: /readyz and every subpath reuse the first report)", sofar, k.name, n)
		}
	}
}

// TestHiddenRoutingAndMethods: other paths are 404 and other methods on a
// served path 405 with "Allow: GET, HEAD", and neither runs a check; HEAD
// gets the GET status and headers and no body (rule 10).
//
// Category: behaviour
func TestHiddenRoutingAndMethods(t *testing.T) {
	katatest.Guard(t)
	var db hCounter
	c := hNew(t, healthcheck.Config{})
	hAdd(t, c, healthcheck.Check{Name: "db", Func: db.wrap(hFailDB), Kind: healthcheck.Readiness | healthcheck.Liveness}, `Check{Name: "db", Func: returns errDB, Kind: Readiness | Liveness}`)
	const setup = `New(Config{}); Add(Check{Name: "db", Func: returns errors.New("db unreachable"), Kind: Readiness | Liveness})`
	for _, path := range []string{"/", "/livez/", "/readyz/", "/readyz/db/x", "/livezz", "/readyzz", "/healthz", "/readyz/nope", "/livez/db/", "/x/readyz", "/readyz//db"} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			hWant(t, fmt.Sprintf("%s; %s %s", setup, m, path), hServe(c, nil, m, path), http.StatusNotFound, "404 page not found\n")
		}
	}
	for _, path := range []string{"/livez", "/readyz", "/readyz/db", "/readyz/shutdown", "/livez/db"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodPatch} {
			call := fmt.Sprintf("%s; %s %s", setup, m, path)
			got := hServe(c, nil, m, path)
			if got.panic != nil || got.code != http.StatusMethodNotAllowed || got.header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s: got %s with header Allow %q, want 405 with Allow \"GET, HEAD\"", call, got, got.header.Get("Allow"))
			}
		}
	}
	if n := db.calls.Load(); n != 0 {
		t.Errorf("%s; the 404 and 405 requests above: db's Func ran %d times, want 0 (they start nothing)", setup, n)
	}
	for _, target := range []string{"/readyz", "/livez?verbose", "/readyz/db", "/readyz/shutdown", "/livez?exclude=db"} {
		g := hServe(c, nil, http.MethodGet, target)
		h := hServe(c, nil, http.MethodHead, target)
		call := fmt.Sprintf("%s; GET %s then HEAD %s", setup, target, target)
		if h.panic != nil || h.calls == 0 || h.code != g.code || h.body != "" {
			t.Errorf("%s: HEAD got %s, want %d with an empty body (GET got %s)", call, h, g.code, g)
			continue
		}
		for _, key := range []string{"Content-Type", "X-Content-Type-Options", "Content-Length"} {
			if h.header.Get(key) != g.header.Get(key) {
				t.Errorf("%s: HEAD has header %s %q, GET has %q; want the GET's headers", call, key, h.header.Get(key), g.header.Get(key))
			}
		}
	}
}

// TestHiddenStatusTable: a result is pass, warn (NonCritical) or fail; a
// report is fail if any result fails, else warn if any warns, else pass
// (also with no checks); 503 only for fail (rules 3, 7, 11, 13).
//
// Category: behaviour
func TestHiddenStatusTable(t *testing.T) {
	katatest.Guard(t)
	type chk struct {
		critical, ok bool
	}
	cases := []struct {
		checks []chk
		want   healthcheck.Status
	}{
		{nil, healthcheck.StatusPass},
		{[]chk{{true, true}}, healthcheck.StatusPass},
		{[]chk{{false, true}}, healthcheck.StatusPass},
		{[]chk{{true, false}}, healthcheck.StatusFail},
		{[]chk{{false, false}}, healthcheck.StatusWarn},
		{[]chk{{false, false}, {true, true}}, healthcheck.StatusWarn},
		{[]chk{{true, true}, {false, false}, {false, true}}, healthcheck.StatusWarn},
		{[]chk{{false, false}, {true, false}}, healthcheck.StatusFail},
		{[]chk{{true, false}, {false, false}, {true, true}}, healthcheck.StatusFail},
		{[]chk{{false, false}, {false, false}}, healthcheck.StatusWarn},
	}
	for _, tc := range cases {
		c := hNew(t, healthcheck.Config{})
		setup := "New(Config{})"
		var lines []string
		for i, k := range tc.checks {
			name := fmt.Sprintf("c%d", i)
			f, what := hPass, "pass"
			if !k.ok {
				f, what = hFailDB, `returns errors.New("db unreachable")`
			}
			desc := fmt.Sprintf("Check{Name: %q, Func: %s, NonCritical: %v, Kind: Liveness}", name, what, !k.critical)
			hAdd(t, c, healthcheck.Check{Name: name, Func: f, NonCritical: !k.critical, Kind: healthcheck.Liveness}, desc)
			setup += "; Add(" + desc + ")"
			switch {
			case k.ok:
				lines = append(lines, "[+]"+name+" ok\n")
			case k.critical:
				lines = append(lines, "[-]"+name+" failed: db unreachable\n")
			default:
				lines = append(lines, "[!]"+name+" warn: db unreachable\n")
			}
		}
		rep, err, pnc := hEval(c, context.Background(), healthcheck.Liveness)
		if pnc != nil || err != nil || rep.Status != tc.want || len(rep.Results) != len(tc.checks) {
			t.Errorf("%s; Evaluate(ctx, Liveness) = %s, want Status %q and %d results", setup, hEvalString(rep, err, pnc), tc.want, len(tc.checks))
			continue
		}
		code, body := http.StatusOK, "ok"
		if tc.want != healthcheck.StatusPass {
			summary := "livez check passed\n"
			if tc.want == healthcheck.StatusFail {
				code, summary = http.StatusServiceUnavailable, "livez check failed\n"
			}
			body = strings.Join(lines, "") + summary
		}
		hWant(t, setup+"; GET /livez", hServe(c, nil, http.MethodGet, "/livez"), code, body)
	}
	c := hNew(t, healthcheck.Config{})
	const setup = "New(Config{}) with no checks"
	rep, err, pnc := hEval(c, context.Background(), healthcheck.Readiness)
	want := healthcheck.Report{Status: healthcheck.StatusPass, Results: []healthcheck.Result{{Name: "shutdown", Status: healthcheck.StatusPass}}}
	if pnc != nil || err != nil || hReport(rep) != hReport(want) {
		t.Errorf("%s; Evaluate(ctx, Readiness) = %s, want (%s, nil)", setup, hEvalString(rep, err, pnc), hReport(want))
	}
	hWant(t, setup+"; GET /readyz?verbose", hServe(c, nil, http.MethodGet, "/readyz?verbose"), http.StatusOK, "[+]shutdown ok\nreadyz check passed\n")
	hWant(t, setup+"; GET /livez?verbose", hServe(c, nil, http.MethodGet, "/livez?verbose"), http.StatusOK, "livez check passed\n")
	hWant(t, setup+"; GET /livez", hServe(c, nil, http.MethodGet, "/livez"), http.StatusOK, "ok")
}

// TestHiddenResultsInByteOrder: results are sorted by name in byte order
// (digits, then upper case, then '_', then lower case), whatever the order
// of Add, with "shutdown" in its place (rule 7).
//
// Category: behaviour
func TestHiddenResultsInByteOrder(t *testing.T) {
	katatest.Guard(t)
	c := hNew(t, healthcheck.Config{})
	setup := "New(Config{})"
	for _, name := range []string{"z", "a", "_x", "B", "t", "9", "-y", "sh", "Shutdown"} {
		hAdd(t, c, healthcheck.Check{Name: name, Func: hPass}, fmt.Sprintf("Check{Name: %q, Func: pass}", name))
		setup += fmt.Sprintf("; Add(Check{Name: %q, Func: pass})", name)
	}
	rep, err, pnc := hEval(c, context.Background(), healthcheck.Readiness)
	names := make([]string, len(rep.Results))
	for i, r := range rep.Results {
		names[i] = fmt.Sprintf("%q", r.Name)
	}
	want := `"-y" "9" "B" "Shutdown" "_x" "a" "sh" "shutdown" "t" "z"`
	if pnc != nil || err != nil || strings.Join(names, " ") != want {
		t.Errorf("%s; Evaluate(ctx, Readiness) = %s: result names %s, want %s", setup, hEvalString(rep, err, pnc), strings.Join(names, " "), want)
	}
	hWant(t, setup+"; GET /readyz?verbose", hServe(c, nil, http.MethodGet, "/readyz?verbose"), http.StatusOK,
		"[+]-y ok\n[+]9 ok\n[+]B ok\n[+]Shutdown ok\n[+]_x ok\n[+]a ok\n[+]sh ok\n[+]shutdown ok\n[+]t ok\n[+]z ok\nreadyz check passed\n")
}

// TestHiddenRequestCtxDone: a GET or HEAD whose ctx is already done writes
// nothing and starts nothing, with or without a cached report; Evaluate
// likewise returns the zero Report and context.Canceled; a GET whose ctx
// ends at 1s while the check runs writes nothing, and the evaluation goes
// on and is cached (rules 8, 10).
//
// Category: timing
func TestHiddenRequestCtxDone(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour)                                      // lets every check return, whatever happened
		bg, stop := context.WithTimeout(context.Background(), time.Hour) // bounds every wait
		defer stop()
		var db hCounter
		c := hNew(t, healthcheck.Config{CacheTTL: 5 * time.Second})
		hAdd(t, c, healthcheck.Check{Name: "db", Timeout: 3 * time.Second, Func: db.wrap(hSleep(2 * time.Second))}, `Check{Name: "db", Func: sleeps 2s, Timeout: 3s}`)
		start := time.Now()
		done, cancel := context.WithCancel(context.Background())
		cancel()
		sofar := `New(Config{CacheTTL: 5s}); Add(Check{Name: "db", Func: sleeps 2s, Timeout: 3s})`
		cancelled := func(when string) bool {
			ok := true
			for _, req := range []struct{ m, target string }{{http.MethodGet, "/readyz"}, {http.MethodHead, "/readyz"}, {http.MethodGet, "/readyz/db?verbose"}} {
				if got := hServe(c, done, req.m, req.target); got.panic != nil || got.calls != 0 {
					t.Errorf("%s; %s %s with a cancelled ctx %s: got %s (%d calls of WriteHeader and Write), want nothing written", sofar, req.m, req.target, when, got, got.calls)
					ok = false
				}
			}
			if rep, err, pnc := hEval(c, done, healthcheck.Readiness); pnc != nil || err != context.Canceled || rep.Status != "" || rep.Results != nil {
				t.Errorf("%s; Evaluate(cancelled ctx, Readiness) %s = %s, want (Report{}, context.Canceled)", sofar, when, hEvalString(rep, err, pnc))
				ok = false
			}
			return ok
		}
		if !cancelled("at 0s, before any report") {
			return
		}
		synctest.Wait()
		if n := db.calls.Load(); n != 0 {
			t.Errorf("%s; GET, HEAD and Evaluate with a cancelled ctx at 0s: db ran %d times, want 0 (a done ctx starts nothing)", sofar, n)
			return
		}
		sofar += "; GET, HEAD and Evaluate with a cancelled ctx at 0s"

		ctx1, cancel1 := context.WithTimeout(context.Background(), time.Second)
		defer cancel1()
		a, ok := hRecv(hGo(c, ctx1, http.MethodGet, "/readyz", start), time.Minute)
		sofar += "; GET /readyz at 0s with a ctx that ends at 1s"
		if !ok || a.at != time.Second || a.resp.panic != nil || a.resp.calls != 0 {
			t.Errorf("%s: got %s at %v, want nothing written, at 1s (when its ctx ends)", sofar, a.resp, a.at)
			return
		}
		hUntil(start, 3*time.Second)
		sofar += " (nothing written)"
		if !cancelled("at 3s, with the report of 2s cached") {
			return
		}
		sofar += "; requests with a cancelled ctx at 3s"
		got := hServe(c, bg, http.MethodGet, "/readyz")
		if !hWant(t, sofar+"; GET /readyz at 3s", got, http.StatusOK, "ok") {
			return
		}
		if n := db.calls.Load(); n != 1 || time.Since(start) != 3*time.Second {
			t.Errorf("%s; GET /readyz at 3s: answered at %v with db run %d times in all, want at once with 1 run (the evaluation went on when the first caller left, and was cached)", sofar, time.Since(start), n)
			return
		}
		hUntil(start, 10*time.Second)
		sofar += "; GET /readyz at 3s"
		if !cancelled("at 10s, after the cache expired") {
			return
		}
		synctest.Wait()
		if n := db.calls.Load(); n != 1 {
			t.Errorf("%s; GET, HEAD and Evaluate with a cancelled ctx at 10s: db ran %d times in all, want 1 (a done ctx starts nothing)", sofar, n)
		}
	})
}

// TestHiddenEvaluateBadKindPanics: Evaluate with a kind other than exactly
// Readiness or Liveness panics (rule 8).
//
// Category: config
func TestHiddenEvaluateBadKindPanics(t *testing.T) {
	katatest.Guard(t)
	c := hNew(t, healthcheck.Config{})
	hAdd(t, c, healthcheck.Check{Name: "db", Func: hPass, Kind: healthcheck.Readiness | healthcheck.Liveness}, `Check{Name: "db", Func: pass, Kind: Readiness | Liveness}`)
	for _, k := range []healthcheck.Kind{0, healthcheck.Readiness | healthcheck.Liveness, 4, 255} {
		rep, err, pnc := hEval(c, context.Background(), k)
		if pnc == nil {
			t.Errorf(`New(Config{}); Add(Check{Name: "db", Func: pass, Kind: Readiness | Liveness}); Evaluate(ctx, %s) = %s, want a panic (only Readiness or Liveness)`, hKind(k), hEvalString(rep, err, pnc))
		}
	}
}

// TestHiddenNoGoroutineLeft: outside any bubble, checks that honour their
// ctx and time out after 10ms leave no goroutine once Evaluate and the
// requests have returned (rules 4, 14).
//
// Category: concurrency
func TestHiddenNoGoroutineLeft(t *testing.T) {
	katatest.Guard(t)
	ignore := goleak.IgnoreCurrent()
	c := hNew(t, healthcheck.Config{})
	slow := func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}
	both := healthcheck.Readiness | healthcheck.Liveness
	for _, name := range []string{"db", "cache", "queue"} {
		hAdd(t, c, healthcheck.Check{Name: name, Func: slow, Timeout: 10 * time.Millisecond, Kind: both}, name)
	}
	hAdd(t, c, healthcheck.Check{Name: "fast", Func: hPass, Kind: both}, "fast")
	const setup = `New(Config{}); three checks (db, cache, queue) that wait for ctx.Done() and return ctx.Err(), Timeout 10ms, and a passing one, all Readiness | Liveness`
	for _, k := range []healthcheck.Kind{healthcheck.Readiness, healthcheck.Liveness} {
		rep, err, pnc := hEval(c, context.Background(), k)
		if pnc != nil || err != nil || rep.Status != healthcheck.StatusFail {
			t.Fatalf("%s; Evaluate(ctx, %s) = %s, want a failing report (three checks time out)", setup, hKind(k), hEvalString(rep, err, pnc))
		}
	}
	got := hServe(c, nil, http.MethodGet, "/readyz")
	if got.code != http.StatusServiceUnavailable {
		t.Fatalf("%s; Evaluate(ctx, Readiness); Evaluate(ctx, Liveness); GET /readyz: got %s, want 503", setup, got)
	}
	if err := goleak.Find(ignore); err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n\n")
		t.Errorf("%s; Evaluate(ctx, Readiness); Evaluate(ctx, Liveness); GET /readyz: goroutines are left after every Func returned and every evaluation finished: %s", setup, first)
	}
}

// TestHiddenConcurrentProbes: 32 goroutines send GET and HEAD requests
// (plain, verbose, exclude, subpaths) to both endpoints and call Evaluate
// while others Add checks and Drain: no data race (run with -race), and
// every answer is well formed (rule 14).
//
// Category: concurrency
func TestHiddenConcurrentProbes(t *testing.T) {
	katatest.Guard(t)
	for _, ttl := range []time.Duration{0, time.Millisecond} {
		c := hNew(t, healthcheck.Config{CacheTTL: ttl})
		both := healthcheck.Readiness | healthcheck.Liveness
		hAdd(t, c, healthcheck.Check{Name: "db", Func: hFailDB, Kind: both}, "db")
		hAdd(t, c, healthcheck.Check{Name: "cache", Func: hWarn, NonCritical: true}, "cache")
		hAdd(t, c, healthcheck.Check{Name: "queue", Func: hPass, Kind: healthcheck.Liveness}, "queue")
		setup := fmt.Sprintf(`New(Config{CacheTTL: %v}); Add(Check{Name: "db", Func: returns errDB, Kind: Readiness | Liveness}); Add(Check{Name: "cache", Func: returns errCache, NonCritical: true}); Add(Check{Name: "queue", Func: pass, Kind: Liveness}); 32 goroutines of requests, Add and Drain`, ttl)
		line := regexp.MustCompile(`^(\[\+\][-\w.]+ ok|\[\+\][-\w.]+ excluded: ok|\[!\][-\w.]+ warn: .+|\[-\][-\w.]+ failed: .+)$`)
		targets := []string{"/readyz", "/livez", "/readyz?verbose", "/livez?verbose", "/readyz?exclude=db", "/livez?exclude=db&verbose", "/readyz/db", "/livez/db?verbose", "/readyz/shutdown", "/readyz/cache"}
		var bad atomic.Value
		report := func(s string) { bad.CompareAndSwap(nil, s) }
		katatest.Hammer(32, 25, func(g, i int) {
			switch {
			case g == 0 && i%10 == 0:
				name := fmt.Sprintf("added-%d", i)
				if err := c.Add(healthcheck.Check{Name: name, Func: hPass, Kind: both}); err != nil {
					report(fmt.Sprintf("Add(Check{Name: %q, ...}) = %s", name, hErrName(err)))
				}
				return
			case g == 1 && i == 12:
				c.Drain()
				return
			case g == 2:
				kind := []healthcheck.Kind{healthcheck.Readiness, healthcheck.Liveness}[i%2]
				rep, err, pnc := hEval(c, context.Background(), kind)
				if pnc != nil || err != nil || rep.Status != healthcheck.StatusFail || !slices.IsSortedFunc(rep.Results, func(a, b healthcheck.Result) int { return strings.Compare(a.Name, b.Name) }) {
					report(fmt.Sprintf("Evaluate(ctx, %s) = %s, want a failing report (db fails) sorted by name", hKind(kind), hEvalString(rep, err, pnc)))
				}
				return
			}
			target := targets[(g+i)%len(targets)]
			method := http.MethodGet
			if (g+i)%3 == 0 {
				method = http.MethodHead
			}
			got := hServe(c, nil, method, target)
			word := "readyz"
			if strings.HasPrefix(target, "/livez") {
				word = "livez"
			}
			ok := got.panic == nil && (got.code == http.StatusOK || got.code == http.StatusServiceUnavailable)
			switch {
			case !ok:
			case method == http.MethodHead:
				ok = got.body == ""
			case got.body == "ok":
				ok = got.code == http.StatusOK
			default:
				lines := strings.Split(got.body, "\n")
				n := len(lines)
				ok = n >= 3 && lines[n-1] == ""
				if ok && got.code == http.StatusOK {
					ok = lines[n-2] == word+" check passed"
				} else if ok {
					ok = lines[n-2] == word+" check failed"
				}
				for _, l := range lines[:max(n-2, 0)] {
					ok = ok && line.MatchString(l)
				}
			}
			if !ok {
				report(fmt.Sprintf("%s %s got %s", method, target, got))
			}
		})
		if s := bad.Load(); s != nil {
			t.Errorf("%s: %s, want 200 or 503 with \"ok\" or well-formed lines and the summary matching the code (HEAD: no body)", setup, s)
		}
	}
}

// hLockHeld is the watchdogs' explanation.
const hLockHeld = "virtual time stopped: is the Checker's lock held while a Func runs or while a request waits for its report?"

// TestHiddenSharedRunAcrossKinds: a check of both kinds hangs; /livez at 0
// starts its run, /readyz at 300ms shares it: both answer 503 at exactly
// 1s, and the Func was called once (rules 6, 8).
//
// Category: concurrency
func TestHiddenSharedRunAcrossKinds(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 3*time.Second, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		var db hCounter
		c := hNew(t, healthcheck.Config{})
		hAdd(t, c, healthcheck.Check{Name: "db", Func: db.wrap(hHang(release)), Kind: healthcheck.Readiness | healthcheck.Liveness}, "db")
		const setup = `New(Config{}); Add(Check{Name: "db", Func: ignores ctx and hangs, Kind: Readiness | Liveness}) (Timeout 1s)`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		live := hGo(c, ctx, http.MethodGet, "/livez", start)
		hUntil(start, 300*time.Millisecond)
		ready := hGo(c, ctx, http.MethodGet, "/readyz", start)
		for _, r := range []struct {
			name string
			ch   chan hAnswer
			body string
		}{
			{"GET /livez at 0s", live, "[-]db failed: healthcheck: check timed out\nlivez check failed\n"},
			{"GET /readyz at 300ms", ready, "[-]db failed: healthcheck: check timed out\n[+]shutdown ok\nreadyz check failed\n"},
		} {
			a, ok := hRecv(r.ch, 2*time.Minute)
			call := setup + "; GET /livez at 0s; GET /readyz at 300ms: " + r.name
			if !ok || !hWant(t, call, a.resp, http.StatusServiceUnavailable, r.body) {
				return
			}
			if a.at != time.Second {
				t.Errorf("%s answered at %v, want at 1s (the readiness evaluation shares the run the liveness one started at 0s, which times out at 1s)", call, a.at)
			}
		}
		if n := db.calls.Load(); n != 1 {
			t.Errorf("%s; GET /livez at 0s; GET /readyz at 300ms: db's Func was called %d times, want 1 (one run at a time, shared by both kinds)", setup, n)
		}
	})
}

// TestHiddenKindsAreSeparate: /livez and /readyz have their own
// evaluations and caches: concurrent requests at 0s answer when their own
// checks are done, a liveness-only check never runs for /readyz, and each
// cache expires CacheTTL after its own evaluation finished (rules 3, 8).
//
// Category: concurrency
func TestHiddenKindsAreSeparate(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 3*time.Second, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every check return, whatever happened
		var r, l hCounter
		c := hNew(t, healthcheck.Config{CacheTTL: 5 * time.Second})
		hAdd(t, c, healthcheck.Check{Name: "r", Func: r.wrap(hSleep(time.Second)), Timeout: 3 * time.Second}, "r")
		hAdd(t, c, healthcheck.Check{Name: "l", Func: l.wrap(hSleep(2 * time.Second)), Timeout: 3 * time.Second, Kind: healthcheck.Liveness}, "l")
		const setup = `New(Config{CacheTTL: 5s}); Add(Check{Name: "r", Func: sleeps 1s, Timeout: 3s}); Add(Check{Name: "l", Func: sleeps 2s, Timeout: 3s, Kind: Liveness})`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		ask := func(sofar, target string, at, want time.Duration, body string) bool {
			hUntil(start, at)
			a, ok := hRecv(hGo(c, ctx, http.MethodGet, target, start), 2*time.Minute)
			call := fmt.Sprintf("%s; GET %s at %v", sofar, target, at)
			if !ok || !hWant(t, call, a.resp, http.StatusOK, body) {
				return false
			}
			if a.at != want {
				t.Errorf("%s answered at %v, want at %v", call, a.at, want)
				return false
			}
			return true
		}
		live := hGo(c, ctx, http.MethodGet, "/livez?verbose", start)
		ready := hGo(c, ctx, http.MethodGet, "/readyz?verbose", start)
		const both = setup + "; GET /livez?verbose and GET /readyz?verbose at 0s"
		for _, w := range []struct {
			name string
			ch   chan hAnswer
			at   time.Duration
			body string
		}{
			{"/readyz?verbose", ready, time.Second, "[+]r ok\n[+]shutdown ok\nreadyz check passed\n"},
			{"/livez?verbose", live, 2 * time.Second, "[+]l ok\nlivez check passed\n"},
		} {
			a, ok := hRecv(w.ch, 2*time.Minute)
			if !ok || !hWant(t, both+": GET "+w.name, a.resp, http.StatusOK, w.body) {
				return
			}
			if a.at != w.at {
				t.Errorf("%s: GET %s answered at %v, want at %v (each kind's evaluation runs its own checks only)", both, w.name, a.at, w.at)
				return
			}
		}
		if rn, ln := r.calls.Load(), l.calls.Load(); rn != 1 || ln != 1 {
			t.Errorf("%s: r ran %d times and l %d times, want once each", both, rn, ln)
			return
		}
		sofar := both + " (readiness finished at 1s, liveness at 2s)"
		if !ask(sofar, "/livez?verbose", 6*time.Second+500*time.Millisecond, 6*time.Second+500*time.Millisecond, "[+]l ok\nlivez check passed\n") {
			return
		}
		sofar += "; GET /livez?verbose at 6.5s"
		if !ask(sofar, "/readyz?verbose", 6*time.Second+500*time.Millisecond, 7*time.Second+500*time.Millisecond, "[+]r ok\n[+]shutdown ok\nreadyz check passed\n") {
			return
		}
		sofar += "; GET /readyz?verbose at 6.5s"
		if rn, ln := r.calls.Load(), l.calls.Load(); rn != 2 || ln != 1 {
			t.Errorf("%s: r ran %d times and l %d times in all, want r twice (the readiness cache expired at 6s) and l once (the liveness cache lasts until 7s)", sofar, rn, ln)
		}
	})
}

// TestHiddenAddInvalidatesCache: a request after Add never uses an
// evaluation that started before it. With a cache: the next GET runs
// every check and lists the new one. With CacheTTL 0, check a sleeping
// 2s: a GET at 0s, Add(b) at 1s, a GET at 1s: both answer at 2s, the first
// without b and the second with it, and a ran once (rules 2, 6, 8).
//
// Category: behaviour
func TestHiddenAddInvalidatesCache(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 3*time.Second, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour)                                      // lets every check return, whatever happened
		bg, stop := context.WithTimeout(context.Background(), time.Hour) // bounds every wait
		defer stop()
		var a hCounter
		c := hNew(t, healthcheck.Config{CacheTTL: time.Minute})
		hAdd(t, c, healthcheck.Check{Name: "a", Func: a.wrap(hPass)}, "a")
		start := time.Now()
		sofar := `New(Config{CacheTTL: 1m}); Add(Check{Name: "a", Func: pass}); GET /readyz?verbose at 0s`
		if !hWant(t, sofar, hServe(c, bg, http.MethodGet, "/readyz?verbose"), http.StatusOK, "[+]a ok\n[+]shutdown ok\nreadyz check passed\n") {
			return
		}
		hUntil(start, time.Second)
		hAdd(t, c, healthcheck.Check{Name: "b", Func: hFailDB}, "b")
		sofar += `; Add(Check{Name: "b", Func: returns errors.New("db unreachable")}) at 1s; GET /readyz?verbose`
		if !hWant(t, sofar, hServe(c, bg, http.MethodGet, "/readyz?verbose"), http.StatusServiceUnavailable, "[+]a ok\n[-]b failed: db unreachable\n[+]shutdown ok\nreadyz check failed\n") {
			return
		}
		if n := a.calls.Load(); n != 2 {
			t.Errorf("%s: a ran %d times in all, want 2 (after Add, a new evaluation runs every check)", sofar, n)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every check return, whatever happened
		var a hCounter
		c := hNew(t, healthcheck.Config{})
		hAdd(t, c, healthcheck.Check{Name: "a", Func: a.wrap(hSleep(2 * time.Second)), Timeout: 3 * time.Second}, "a")
		const setup = `New(Config{}); Add(Check{Name: "a", Func: sleeps 2s, Timeout: 3s}); GET /readyz?verbose at 0s; Add(Check{Name: "b", Func: pass}) at 1s; GET /readyz?verbose at 1s`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		first := hGo(c, ctx, http.MethodGet, "/readyz?verbose", start)
		hUntil(start, time.Second)
		hAdd(t, c, healthcheck.Check{Name: "b", Func: hPass}, "b")
		second := hGo(c, ctx, http.MethodGet, "/readyz?verbose", start)
		for _, w := range []struct {
			name string
			ch   chan hAnswer
			body string
		}{
			{"the GET at 0s", first, "[+]a ok\n[+]shutdown ok\nreadyz check passed\n"},
			{"the GET at 1s", second, "[+]a ok\n[+]b ok\n[+]shutdown ok\nreadyz check passed\n"},
		} {
			ans, ok := hRecv(w.ch, 2*time.Minute)
			if !ok || !hWant(t, setup+": "+w.name, ans.resp, http.StatusOK, w.body) {
				return
			}
			if ans.at != 2*time.Second {
				t.Errorf("%s: %s answered at %v, want at 2s (a's run started at 0s is shared, not started again)", setup, w.name, ans.at)
			}
		}
		if n, p := a.calls.Load(), a.peak.Load(); n != 1 || p != 1 {
			t.Errorf("%s: a's Func was called %d times (at most %d at once), want once: the evaluation after Add shares a's run still going", setup, n, p)
		}
	})
}

// TestHiddenCacheBoundary: a report finished at E (2s) is reused up to
// E + CacheTTL − 1ns and not at exactly E + CacheTTL (7s), in 20 fresh
// bubbles each; with CacheTTL 0 sequential requests each run the check
// while 10 concurrent ones share one run (rules 1, 8).
//
// Category: timing
func TestHiddenCacheBoundary(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 4*time.Second, hLockHeld)
	cases := []struct {
		at       time.Duration
		calls    int64
		answerAt time.Duration
		why      string
	}{
		{7*time.Second - time.Nanosecond, 1, 7*time.Second - time.Nanosecond, "still fresh 1ns before E + CacheTTL: reused at once"},
		{7 * time.Second, 2, 9 * time.Second, "stale at exactly E + CacheTTL (E is the finish at 2s, not the start): a new evaluation"},
	}
	for _, tc := range cases {
		for i := range 20 {
			failed := false
			synctest.Test(t, func(t *testing.T) {
				defer time.Sleep(time.Hour) // lets every check return, whatever happened
				var db hCounter
				c := hNew(t, healthcheck.Config{CacheTTL: 5 * time.Second})
				hAdd(t, c, healthcheck.Check{Name: "db", Func: db.wrap(hSleep(2 * time.Second)), Timeout: 3 * time.Second}, "db")
				sofar := fmt.Sprintf(`New(Config{CacheTTL: 5s}); Add(Check{Name: "db", Func: sleeps 2s, Timeout: 3s}); GET /readyz at 0s (answered at 2s); GET /readyz at %v (bubble %d of 20)`, tc.at, i+1)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				start := time.Now()
				if a, ok := hRecv(hGo(c, ctx, http.MethodGet, "/readyz", start), 2*time.Minute); !ok || a.at != 2*time.Second || a.resp.body != "ok" {
					t.Errorf("%s: the GET at 0s got %s at %v, want 200 \"ok\" at 2s", sofar, a.resp, a.at)
					failed = true
					return
				}
				hUntil(start, tc.at)
				a, ok := hRecv(hGo(c, ctx, http.MethodGet, "/readyz", start), 2*time.Minute)
				if !ok || !hWant(t, sofar, a.resp, http.StatusOK, "ok") {
					failed = true
					return
				}
				if n := db.calls.Load(); n != tc.calls || a.at != tc.answerAt {
					t.Errorf("%s: answered at %v with db run %d times in all, want at %v with %d (%s)", sofar, a.at, n, tc.answerAt, tc.calls, tc.why)
					failed = true
				}
			})
			if failed {
				return
			}
		}
	}
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every check return, whatever happened
		var db hCounter
		c := hNew(t, healthcheck.Config{})
		hAdd(t, c, healthcheck.Check{Name: "db", Func: db.wrap(hSleep(time.Second)), Timeout: 3 * time.Second}, "db")
		const setup = `New(Config{}); Add(Check{Name: "db", Func: sleeps 1s, Timeout: 3s})`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		for i := range 3 {
			a, ok := hRecv(hGo(c, ctx, http.MethodGet, "/readyz", start), 2*time.Minute)
			call := fmt.Sprintf("%s; %d sequential GET /readyz", setup, i+1)
			if !ok || !hWant(t, call, a.resp, http.StatusOK, "ok") {
				return
			}
			if n := db.calls.Load(); n != int64(i+1) || a.at != time.Duration(i+1)*time.Second {
				t.Errorf("%s: the last answered at %v with db run %d times, want at %v with %d runs (CacheTTL 0: a finished evaluation is never reused, even at the instant it finished)", call, a.at, n, time.Duration(i+1)*time.Second, i+1)
				return
			}
		}
		chans := make([]chan hAnswer, 10)
		for i := range chans {
			chans[i] = hGo(c, ctx, http.MethodGet, "/readyz", start)
		}
		const call = setup + "; 3 sequential GET /readyz; 10 concurrent GET /readyz at 3s"
		for _, ch := range chans {
			a, ok := hRecv(ch, 2*time.Minute)
			if !ok || !hWant(t, call, a.resp, http.StatusOK, "ok") {
				return
			}
			if a.at != 4*time.Second {
				t.Errorf("%s: one answered at %v, want at 4s", call, a.at)
				return
			}
		}
		if n := db.calls.Load(); n != 4 {
			t.Errorf("%s: db ran %d times in all, want 4 (CacheTTL 0 still shares the evaluation in flight)", call, n)
		}
	})
}

// TestHiddenFuncMayCallChecker: a readiness Func calls Evaluate for
// liveness, serves /livez, adds a check and calls Drain: nothing deadlocks,
// and the readiness report, made after Drain, has "shutdown" failing
// (rules 4, 9, 14).
//
// Category: concurrency
func TestHiddenFuncMayCallChecker(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 3*time.Second, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every check return, whatever happened
		c := hNew(t, healthcheck.Config{CacheTTL: time.Minute})
		hAdd(t, c, healthcheck.Check{Name: "loop", Func: hPass, Kind: healthcheck.Liveness}, "loop")
		var inner string
		var innerResp hResp
		var addErr error
		hAdd(t, c, healthcheck.Check{Name: "db", Func: func(ctx context.Context) error {
			rep, err, pnc := hEval(c, ctx, healthcheck.Liveness)
			inner = hEvalString(rep, err, pnc)
			innerResp = hServe(c, ctx, http.MethodGet, "/livez?verbose")
			addErr = c.Add(healthcheck.Check{Name: "late", Func: hPass, Kind: healthcheck.Liveness})
			c.Drain()
			return nil
		}}, "db")
		const setup = `New(Config{CacheTTL: 1m}); Add(Check{Name: "loop", Func: pass, Kind: Liveness}); Add(Check{Name: "db", Func: calls c.Evaluate(ctx, Liveness), GET /livez?verbose, c.Add(Check{Name: "late", Kind: Liveness}) and c.Drain(), returns nil}); Evaluate(ctx, Readiness)`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		rep, err, pnc := hEval(c, ctx, healthcheck.Readiness)
		want := healthcheck.Report{Status: healthcheck.StatusFail, Results: []healthcheck.Result{
			{Name: "db", Status: healthcheck.StatusPass},
			{Name: "shutdown", Status: healthcheck.StatusFail, Err: healthcheck.ErrDraining},
		}}
		if pnc != nil || err != nil || hReport(rep) != hReport(want) {
			t.Errorf("%s = %s, want (%s, nil): the Func may call the Checker, and the report made after its Drain has shutdown failing", setup, hEvalString(rep, err, pnc), hReport(want))
		}
		wantInner := `(Report{Status: "pass", Results: [{Name: "loop", Status: "pass", Err: nil}]}, nil)`
		if inner != wantInner {
			t.Errorf("%s: inside the Func, Evaluate(ctx, Liveness) = %s, want %s", setup, inner, wantInner)
		}
		hWant(t, setup+": inside the Func, GET /livez?verbose", innerResp, http.StatusOK, "[+]loop ok\nlivez check passed\n")
		if addErr != nil {
			t.Errorf("%s: inside the Func, Add = %s, want nil", setup, hErrName(addErr))
		}
	})
}

// TestHiddenJoinsEvaluationInFlight: a request that comes while an
// evaluation runs joins it, even when some of its checks have already
// returned: with a (1s) and b (2s), a GET at 0s and a GET and an Evaluate
// at 1.5s all answer at 2s, and a ran once (rule 8).
//
// Category: behaviour
func TestHiddenJoinsEvaluationInFlight(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 3*time.Second, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every check return, whatever happened
		var a, b hCounter
		c := hNew(t, healthcheck.Config{})
		hAdd(t, c, healthcheck.Check{Name: "a", Func: a.wrap(hSleep(time.Second)), Timeout: 3 * time.Second}, "a")
		hAdd(t, c, healthcheck.Check{Name: "b", Func: b.wrap(hSleep(2 * time.Second)), Timeout: 3 * time.Second}, "b")
		const setup = `New(Config{}); Add(Check{Name: "a", Func: sleeps 1s, Timeout: 3s}); Add(Check{Name: "b", Func: sleeps 2s, Timeout: 3s}); GET /readyz at 0s; GET /readyz and Evaluate(ctx, Readiness) at 1.5s`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		first := hGo(c, ctx, http.MethodGet, "/readyz", start)
		hUntil(start, 1500*time.Millisecond)
		second := hGo(c, ctx, http.MethodGet, "/readyz", start)
		rep, err, pnc := hEval(c, ctx, healthcheck.Readiness)
		if pnc != nil || err != nil || rep.Status != healthcheck.StatusPass || time.Since(start) != 2*time.Second {
			t.Errorf("%s: the Evaluate returned %s at %v, want a passing report at 2s (it joins the evaluation in flight)", setup, hEvalString(rep, err, pnc), time.Since(start))
		}
		for i, ch := range []chan hAnswer{first, second} {
			ans, ok := hRecv(ch, 2*time.Minute)
			if !ok || !hWant(t, fmt.Sprintf("%s: GET #%d", setup, i+1), ans.resp, http.StatusOK, "ok") {
				return
			}
			if ans.at != 2*time.Second {
				t.Errorf("%s: GET #%d answered at %v, want at 2s", setup, i+1, ans.at)
			}
		}
		if an, bn := a.calls.Load(), b.calls.Load(); an != 1 || bn != 1 {
			t.Errorf("%s: a ran %d times and b %d times, want once each (requests during an evaluation join it: a, which returned at 1s, does not run again)", setup, an, bn)
		}
	})
}
