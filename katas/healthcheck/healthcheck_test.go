package healthcheck_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/healthcheck"
)

// errDB is what the seed's db.Ping() returns when the database is down.
var errDB = errors.New("db unreachable")

// errCache is the error of a cache that is still warming up.
var errCache = errors.New("cache cold")

// pass and failDB are check Funcs.
func pass(context.Context) error   { return nil }
func failDB(context.Context) error { return errDB }

// notImplemented is the stub's panic value: it is never recovered, so an
// untouched stub grades "not started".
const notImplemented = "not implemented"

// errName names an error by the sentinel it is (or matches).
func errName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case err == errDB:
		return `errDB ("db unreachable")`
	case err == errCache:
		return `errCache ("cache cold")`
	case err == healthcheck.ErrTimeout:
		return "ErrTimeout"
	case err == healthcheck.ErrDraining:
		return "ErrDraining"
	case errors.Is(err, healthcheck.ErrInvalidConfig):
		return fmt.Sprintf("an error matching ErrInvalidConfig (%q)", err.Error())
	case errors.Is(err, healthcheck.ErrInvalidCheck):
		return fmt.Sprintf("an error matching ErrInvalidCheck (%q)", err.Error())
	case errors.Is(err, healthcheck.ErrDuplicateCheck):
		return fmt.Sprintf("an error matching ErrDuplicateCheck (%q)", err.Error())
	case errors.Is(err, healthcheck.ErrTimeout):
		return fmt.Sprintf("an error matching ErrTimeout (%q)", err.Error())
	case err == context.DeadlineExceeded:
		return "context.DeadlineExceeded"
	case err == context.Canceled:
		return "context.Canceled"
	}
	return fmt.Sprintf("error %q", err.Error())
}

// reportString prints a Report field by field, errors by name.
func reportString(r healthcheck.Report) string {
	parts := make([]string, len(r.Results))
	for i, res := range r.Results {
		parts[i] = fmt.Sprintf("{Name: %q, Status: %q, Err: %s}", res.Name, res.Status, errName(res.Err))
	}
	return fmt.Sprintf("Report{Status: %q, Results: [%s]}", r.Status, strings.Join(parts, ", "))
}

// newChecker calls New and stops the test if it fails.
func newChecker(t *testing.T, cfg healthcheck.Config) *healthcheck.Checker {
	t.Helper()
	var c *healthcheck.Checker
	var err error
	if v := catch(func() { c, err = healthcheck.New(cfg) }); v != nil {
		t.Fatalf("New(Config{CacheTTL: %v}) panicked: %v", cfg.CacheTTL, v)
	}
	if err != nil || c == nil {
		t.Fatalf("New(Config{CacheTTL: %v}) = (%v, %s), want a Checker and nil", cfg.CacheTTL, c, errName(err))
	}
	return c
}

// add calls Add and stops the test if it fails; what describes the check.
func add(t *testing.T, c *healthcheck.Checker, ch healthcheck.Check, what string) {
	t.Helper()
	var err error
	if v := catch(func() { err = c.Add(ch) }); v != nil {
		t.Fatalf("Add(%s) panicked: %v", what, v)
	}
	if err != nil {
		t.Fatalf("Add(%s) = %s, want nil", what, errName(err))
	}
}

// catch runs f and returns the value it panicked with, if any; the stub's
// panic goes through.
func catch(f func()) (v any) {
	defer func() {
		if v = recover(); v == notImplemented {
			panic(v)
		}
	}()
	f()
	return nil
}

// evaluate calls c.Evaluate and returns what it returned, as a string if it
// panicked (pnc is then non-empty).
func evaluate(c *healthcheck.Checker, ctx context.Context, kind healthcheck.Kind) (rep healthcheck.Report, err error, pnc string) {
	if v := catch(func() { rep, err = c.Evaluate(ctx, kind) }); v != nil {
		return healthcheck.Report{}, nil, fmt.Sprintf("a panic: %v", v)
	}
	return rep, err, ""
}

// response is what one request got.
type response struct {
	code   int
	header http.Header
	body   string
	panic  any // non-nil if ServeHTTP panicked
}

func (r response) String() string {
	if r.panic != nil {
		return fmt.Sprintf("a panic: %v", r.panic)
	}
	return fmt.Sprintf("%d %q", r.code, r.body)
}

// serve runs one request through c.ServeHTTP with a new recorder. ctx may be
// nil. A panic is returned in the response, except the stub's.
func serve(c *healthcheck.Checker, ctx context.Context, method, target string) response {
	req := httptest.NewRequest(method, target, nil)
	if ctx != nil {
		req = req.WithContext(ctx)
	}
	rec := httptest.NewRecorder()
	if v := catch(func() { c.ServeHTTP(rec, req) }); v != nil {
		return response{panic: v}
	}
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// wantResponse checks a response's status code and body; call names the
// set-up and the request.
func wantResponse(t *testing.T, call string, got response, code int, body string) bool {
	t.Helper()
	if got.panic != nil || got.code != code || got.body != body {
		t.Errorf("%s: got %s, want %d %q", call, got, code, body)
		return false
	}
	return true
}

// Rules 1 and 2: New refuses a negative CacheTTL; Add refuses bad names,
// the reserved name "shutdown", a nil Func, a negative Timeout and unknown
// Kind bits with ErrInvalidCheck, and a name taken by any check, whatever
// its Kind, with ErrDuplicateCheck.
func TestAddValidation(t *testing.T) {
	katatest.Guard(t)
	if c, err := healthcheck.New(healthcheck.Config{CacheTTL: -1}); c != nil || !errors.Is(err, healthcheck.ErrInvalidConfig) {
		t.Errorf("New(Config{CacheTTL: -1ns}) = (%v, %s), want (nil, ErrInvalidConfig)", c, errName(err))
	}
	c := newChecker(t, healthcheck.Config{})
	cases := []struct {
		what string
		ch   healthcheck.Check
		want error
	}{
		{`Check{Name: "", Func: pass}`, healthcheck.Check{Name: "", Func: pass}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "shutdown", Func: pass}`, healthcheck.Check{Name: "shutdown", Func: pass}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "a/b", Func: pass}`, healthcheck.Check{Name: "a/b", Func: pass}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db cluster", Func: pass}`, healthcheck.Check{Name: "db cluster", Func: pass}, healthcheck.ErrInvalidCheck},
		{`Check{Name: 64 × "a", Func: pass}`, healthcheck.Check{Name: strings.Repeat("a", 64), Func: pass}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db", Func: nil}`, healthcheck.Check{Name: "db"}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db", Func: pass, Timeout: -1ns}`, healthcheck.Check{Name: "db", Func: pass, Timeout: -1}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db", Func: pass, Kind: 4}`, healthcheck.Check{Name: "db", Func: pass, Kind: 4}, healthcheck.ErrInvalidCheck},
		{`Check{Name: "db", Func: pass, Kind: Liveness}`, healthcheck.Check{Name: "db", Func: pass, Kind: healthcheck.Liveness}, nil},
		{`Check{Name: "db", Func: pass, Kind: Readiness} (a second "db", of another kind)`, healthcheck.Check{Name: "db", Func: pass, Kind: healthcheck.Readiness}, healthcheck.ErrDuplicateCheck},
		{`Check{Name: "db", Func: pass, Kind: Liveness} (the same again)`, healthcheck.Check{Name: "db", Func: pass, Kind: healthcheck.Liveness}, healthcheck.ErrDuplicateCheck},
		{`Check{Name: "Cache-2_eu.west", Func: pass}`, healthcheck.Check{Name: "Cache-2_eu.west", Func: pass}, nil},
		{`Check{Name: 63 × "a", Func: pass, Kind: Readiness | Liveness}`, healthcheck.Check{Name: strings.Repeat("a", 63), Func: pass, Kind: healthcheck.Readiness | healthcheck.Liveness}, nil},
	}
	sofar := "c, _ := New(Config{})"
	for _, tc := range cases {
		var err error
		if v := catch(func() { err = c.Add(tc.ch) }); v != nil {
			t.Errorf("%s; c.Add(%s) panicked: %v", sofar, tc.what, v)
		} else if !errors.Is(err, tc.want) {
			want := "nil"
			if tc.want != nil {
				want = "an error matching " + map[error]string{healthcheck.ErrInvalidCheck: "ErrInvalidCheck", healthcheck.ErrDuplicateCheck: "ErrDuplicateCheck"}[tc.want]
			}
			t.Errorf("%s; c.Add(%s) = %s, want %s", sofar, tc.what, errName(err), want)
		}
		sofar += fmt.Sprintf("; c.Add(%s)", tc.what)
	}
}

// Rules 10 and 13: a passing /livez answers 200 with the plain body "ok"
// and the two headers.
func TestLivezPlainOK(t *testing.T) {
	katatest.Guard(t)
	c := newChecker(t, healthcheck.Config{})
	add(t, c, healthcheck.Check{Name: "goroutines", Func: pass, Kind: healthcheck.Liveness}, `Check{Name: "goroutines", Func: pass, Kind: Liveness}`)
	const call = `New(Config{}); Add(Check{Name: "goroutines", Func: pass, Kind: Liveness}); GET /livez`
	got := serve(c, nil, http.MethodGet, "/livez")
	if !wantResponse(t, call, got, http.StatusOK, "ok") {
		return
	}
	for _, h := range [][2]string{{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}} {
		if v := got.header.Get(h[0]); v != h[1] {
			t.Errorf("%s: header %s is %q, want %q", call, h[0], v, h[1])
		}
	}
}

// Rules 7, 11 and 13: a failing critical check makes /readyz answer 503
// with one line per result, in name order ("shutdown" included), and the
// summary line; /readyz/db shows db's result alone.
func TestReadyzFailIs503Verbose(t *testing.T) {
	katatest.Guard(t)
	c := newChecker(t, healthcheck.Config{})
	add(t, c, healthcheck.Check{Name: "db", Func: failDB}, `Check{Name: "db", Func: returns errDB}`)
	add(t, c, healthcheck.Check{Name: "cache", Func: pass}, `Check{Name: "cache", Func: pass}`)
	const setup = `New(Config{}); Add(Check{Name: "db", Func: returns errors.New("db unreachable")}); Add(Check{Name: "cache", Func: pass})`
	wantResponse(t, setup+"; GET /readyz", serve(c, nil, http.MethodGet, "/readyz"), http.StatusServiceUnavailable,
		"[+]cache ok\n[-]db failed: db unreachable\n[+]shutdown ok\nreadyz check failed\n")
	wantResponse(t, setup+"; GET /readyz/db", serve(c, nil, http.MethodGet, "/readyz/db"), http.StatusServiceUnavailable,
		"[-]db failed: db unreachable\nreadyz check failed\n")
	wantResponse(t, setup+"; GET /readyz/cache", serve(c, nil, http.MethodGet, "/readyz/cache"), http.StatusOK, "ok")
	wantResponse(t, setup+"; GET /readyz/cache?verbose", serve(c, nil, http.MethodGet, "/readyz/cache?verbose"), http.StatusOK,
		"[+]cache ok\nreadyz check passed\n")
}

// Rules 7, 11 and 13: a failing NonCritical check is a warning: the
// endpoint answers 200, shows "[!]name warn: error" and passes.
func TestNonCriticalIsWarn200(t *testing.T) {
	katatest.Guard(t)
	c := newChecker(t, healthcheck.Config{})
	add(t, c, healthcheck.Check{Name: "cache", Func: func(context.Context) error { return errCache }, NonCritical: true},
		`Check{Name: "cache", Func: returns errCache, NonCritical: true}`)
	add(t, c, healthcheck.Check{Name: "db", Func: pass}, `Check{Name: "db", Func: pass}`)
	const setup = `New(Config{}); Add(Check{Name: "cache", Func: returns errors.New("cache cold"), NonCritical: true}); Add(Check{Name: "db", Func: pass})`
	wantResponse(t, setup+"; GET /readyz", serve(c, nil, http.MethodGet, "/readyz"), http.StatusOK,
		"[!]cache warn: cache cold\n[+]db ok\n[+]shutdown ok\nreadyz check passed\n")
}

// Rules 3 and 7: Evaluate returns the report of one kind: its checks'
// results sorted by name (readiness with "shutdown"), and the worst status.
// A check belongs only to the endpoints of its Kind bits.
func TestEvaluateReport(t *testing.T) {
	katatest.Guard(t)
	c := newChecker(t, healthcheck.Config{})
	add(t, c, healthcheck.Check{Name: "queue", Func: pass, Kind: healthcheck.Readiness | healthcheck.Liveness}, `Check{Name: "queue", Func: pass, Kind: Readiness | Liveness}`)
	add(t, c, healthcheck.Check{Name: "db", Func: failDB}, `Check{Name: "db", Func: returns errDB}`)
	add(t, c, healthcheck.Check{Name: "deadlock", Func: pass, Kind: healthcheck.Liveness}, `Check{Name: "deadlock", Func: pass, Kind: Liveness}`)
	const setup = `New(Config{}); Add(Check{Name: "queue", Func: pass, Kind: Readiness | Liveness}); Add(Check{Name: "db", Func: returns errDB}); Add(Check{Name: "deadlock", Func: pass, Kind: Liveness})`
	cases := []struct {
		kind string
		k    healthcheck.Kind
		want healthcheck.Report
	}{
		{"Readiness", healthcheck.Readiness, healthcheck.Report{Status: healthcheck.StatusFail, Results: []healthcheck.Result{
			{Name: "db", Status: healthcheck.StatusFail, Err: errDB},
			{Name: "queue", Status: healthcheck.StatusPass},
			{Name: "shutdown", Status: healthcheck.StatusPass},
		}}},
		{"Liveness", healthcheck.Liveness, healthcheck.Report{Status: healthcheck.StatusPass, Results: []healthcheck.Result{
			{Name: "deadlock", Status: healthcheck.StatusPass},
			{Name: "queue", Status: healthcheck.StatusPass},
		}}},
	}
	for _, tc := range cases {
		got, err, pnc := evaluate(c, context.Background(), tc.k)
		if pnc != "" {
			t.Errorf("%s; Evaluate(ctx, %s): %s, want (%s, nil)", setup, tc.kind, pnc, reportString(tc.want))
		} else if err != nil || reportString(got) != reportString(tc.want) {
			t.Errorf("%s; Evaluate(ctx, %s) = (%s, %s), want (%s, nil)", setup, tc.kind, reportString(got), errName(err), reportString(tc.want))
		}
	}
}

// Rule 9: after Drain, /readyz fails through the built-in "shutdown" check
// while /livez stays 200.
func TestDrainFailsReadinessOnly(t *testing.T) {
	katatest.Guard(t)
	c := newChecker(t, healthcheck.Config{})
	add(t, c, healthcheck.Check{Name: "db", Func: pass, Kind: healthcheck.Readiness | healthcheck.Liveness}, `Check{Name: "db", Func: pass, Kind: Readiness | Liveness}`)
	const setup = `New(Config{}); Add(Check{Name: "db", Func: pass, Kind: Readiness | Liveness})`
	if !wantResponse(t, setup+"; GET /readyz", serve(c, nil, http.MethodGet, "/readyz"), http.StatusOK, "ok") {
		return
	}
	if v := catch(c.Drain); v != nil {
		t.Fatalf("%s; GET /readyz; Drain() panicked: %v", setup, v)
	}
	wantResponse(t, setup+"; GET /readyz; Drain(); GET /readyz", serve(c, nil, http.MethodGet, "/readyz"), http.StatusServiceUnavailable,
		"[+]db ok\n[-]shutdown failed: healthcheck: shutting down\nreadyz check failed\n")
	wantResponse(t, setup+"; GET /readyz; Drain(); GET /livez", serve(c, nil, http.MethodGet, "/livez"), http.StatusOK, "ok")
}

// Rule 4: the checks of an evaluation run concurrently, so it takes as long
// as its slowest check, not the sum.
func TestChecksRunConcurrently(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(5 * time.Second) // lets every check return, whatever happened
		c := newChecker(t, healthcheck.Config{})
		for _, d := range []time.Duration{300 * time.Millisecond, 500 * time.Millisecond, 800 * time.Millisecond} {
			name := fmt.Sprintf("dep-%v", d)
			add(t, c, healthcheck.Check{Name: name, Kind: healthcheck.Liveness, Func: func(context.Context) error {
				time.Sleep(d)
				return nil
			}}, fmt.Sprintf(`Check{Name: %q, Func: sleeps %v, Kind: Liveness}`, name, d))
		}
		const call = "New(Config{}); three Liveness checks that sleep 300ms, 500ms and 800ms (Timeout 1s); Evaluate(ctx, Liveness)"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		rep, err, pnc := evaluate(c, ctx, healthcheck.Liveness)
		took := time.Since(start)
		if pnc != "" {
			t.Errorf("%s: %s", call, pnc)
			return
		}
		if err != nil || rep.Status != healthcheck.StatusPass {
			t.Errorf("%s = (%s, %s) after %v, want a passing report and nil", call, reportString(rep), errName(err), took)
			return
		}
		if took != 800*time.Millisecond {
			t.Errorf("%s returned after %v, want exactly 800ms: the checks run concurrently, so an evaluation takes as long as the slowest", call, took)
		}
	})
}

// Rule 5: a check that ignores its ctx and hangs times out at exactly its
// Timeout, with ErrTimeout as its result; the evaluation does not wait for
// the Func.
func TestHungCheckTimesOut(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release) // lets the hung Func return before the bubble ends
		c := newChecker(t, healthcheck.Config{})
		add(t, c, healthcheck.Check{Name: "db", Timeout: 500 * time.Millisecond, Func: func(context.Context) error {
			<-release // ignores ctx
			return nil
		}}, `Check{Name: "db", Func: hangs and ignores ctx, Timeout: 500ms}`)
		const call = `New(Config{}); Add(Check{Name: "db", Func: hangs and ignores ctx, Timeout: 500ms}); Evaluate(ctx with a 10s timeout, Readiness)`
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		rep, err, pnc := evaluate(c, ctx, healthcheck.Readiness)
		took := time.Since(start)
		if pnc != "" {
			t.Errorf("%s: %s", call, pnc)
			return
		}
		if err != nil {
			t.Errorf("%s = (%s, %s) after %v, want db's result ErrTimeout after 500ms: does the evaluation wait for the Func instead of its deadline?", call, reportString(rep), errName(err), took)
			return
		}
		want := healthcheck.Report{Status: healthcheck.StatusFail, Results: []healthcheck.Result{
			{Name: "db", Status: healthcheck.StatusFail, Err: healthcheck.ErrTimeout},
			{Name: "shutdown", Status: healthcheck.StatusPass},
		}}
		if len(rep.Results) != 2 || !errors.Is(rep.Results[0].Err, healthcheck.ErrTimeout) || rep.Results[0].Name != "db" ||
			rep.Results[0].Status != healthcheck.StatusFail || rep.Status != healthcheck.StatusFail || rep.Results[1] != want.Results[1] {
			t.Errorf("%s = %s, want %s", call, reportString(rep), reportString(want))
		}
		if took != 500*time.Millisecond {
			t.Errorf("%s returned after %v, want exactly 500ms (db's Timeout)", call, took)
		}
	})
}

// lockHeld is the watchdogs' explanation.
const lockHeld = "virtual time stopped: is the Checker's lock held while a check runs or while a request waits for its report?"

// Rule 8: concurrent requests share one evaluation (single flight), and a
// finished report is reused for CacheTTL counted from its finish. Run it
// with -race: 50 requests arrive at once.
func TestCacheAndSingleFlight(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 3*time.Second, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Minute) // lets every check return, whatever happened
		var calls atomic.Int64
		c := newChecker(t, healthcheck.Config{CacheTTL: 5 * time.Second})
		add(t, c, healthcheck.Check{Name: "db", Timeout: 3 * time.Second, Func: func(context.Context) error {
			calls.Add(1)
			time.Sleep(2 * time.Second)
			return nil
		}}, `Check{Name: "db", Func: sleeps 2s, Timeout: 3s}`)
		const setup = `New(Config{CacheTTL: 5s}); Add(Check{Name: "db", Func: sleeps 2s, Timeout: 3s})`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()

		type answer struct {
			resp response
			at   time.Duration
		}
		answers := make(chan answer, 50)
		for range 50 {
			go func() {
				resp := serve(c, ctx, http.MethodGet, "/readyz")
				answers <- answer{resp, time.Since(start)}
			}()
		}
		for range 50 {
			a := <-answers
			if !wantResponse(t, setup+"; 50 concurrent GET /readyz at 0s", a.resp, http.StatusOK, "ok") {
				return
			}
			if a.at != 2*time.Second {
				t.Errorf("%s; 50 concurrent GET /readyz at 0s: one answered at %v, want at 2s (when db's run returns)", setup, a.at)
				return
			}
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("%s; 50 concurrent GET /readyz at 0s: db's Func ran %d times, want 1 (requests share the evaluation in flight)", setup, n)
			return
		}

		sofar := setup + "; 50 concurrent GET /readyz at 0s (finished at 2s)"
		for _, at := range []time.Duration{3 * time.Second, 6 * time.Second} {
			time.Sleep(at - time.Since(start))
			resp := serve(c, ctx, http.MethodGet, "/readyz")
			sofar += fmt.Sprintf("; GET /readyz at %v", at)
			if !wantResponse(t, sofar, resp, http.StatusOK, "ok") {
				return
			}
			if took := time.Since(start) - at; took != 0 || calls.Load() != 1 {
				t.Errorf("%s: answered after %v with db's Func run %d times in all, want at once with 1 run (the report is cached for 5s from its finish at 2s)", sofar, took, calls.Load())
				return
			}
		}
		time.Sleep(8*time.Second - time.Since(start))
		resp := serve(c, ctx, http.MethodGet, "/readyz")
		sofar += "; GET /readyz at 8s"
		if !wantResponse(t, sofar, resp, http.StatusOK, "ok") {
			return
		}
		if took := time.Since(start) - 8*time.Second; took != 2*time.Second || calls.Load() != 2 {
			t.Errorf("%s: answered after %v with db's Func run %d times in all, want after 2s with 2 runs (the cache expired at 7s: a new evaluation runs db again)", sofar, took, calls.Load())
		}
	})
}

// The benchmarks: three passing checks, a new recorder per request.

func benchChecker(b *testing.B, ttl time.Duration) *healthcheck.Checker {
	b.Helper()
	c, err := healthcheck.New(healthcheck.Config{CacheTTL: ttl})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"db", "cache", "queue"} {
		if err := c.Add(healthcheck.Check{Name: name, Func: pass}); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

func benchServe(b *testing.B, c *healthcheck.Checker, target string) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %q, want 200", target, rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkReadyzCached measures a probe answered from the cache.
func BenchmarkReadyzCached(b *testing.B) {
	benchServe(b, benchChecker(b, time.Hour), "/readyz")
}

// BenchmarkReadyzVerbose measures a cached probe with the full body.
func BenchmarkReadyzVerbose(b *testing.B) {
	benchServe(b, benchChecker(b, time.Hour), "/readyz?verbose")
}

// BenchmarkReadyzUncached measures a probe that runs the three checks.
func BenchmarkReadyzUncached(b *testing.B) {
	benchServe(b, benchChecker(b, 0), "/readyz")
}

// BenchmarkEvaluateCached measures Evaluate answered from the cache.
func BenchmarkEvaluateCached(b *testing.B) {
	c := benchChecker(b, time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if rep, err := c.Evaluate(ctx, healthcheck.Readiness); err != nil || rep.Status != healthcheck.StatusPass {
			b.Fatalf("Evaluate(ctx, Readiness) = (%s, %s), want a passing report", reportString(rep), errName(err))
		}
	}
}
