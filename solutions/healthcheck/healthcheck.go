// Package healthcheck serves the health endpoints that Kubernetes probes:
// /livez and /readyz, in the format of k8s.io/apiserver's healthz package
// (a plain "ok", or one "[+]name ok" line per check with ?verbose, per-check
// subpaths, ?exclude=name).
//
// A Checker holds named checks. Each belongs to readiness, liveness or both,
// has its own timeout, and is critical (its failure fails the endpoint) or
// not (its failure is a warning). Readiness always includes the built-in
// check "shutdown", which fails from the moment Drain is called, so a
// service that is shutting down leaves its load balancer's rotation while
// its liveness stays green.
//
// An evaluation runs the checks of one kind once, concurrently, each in its
// own goroutine with its own deadline, and makes one Report. Requests for a
// kind share its evaluation while it runs and reuse its report for CacheTTL
// after it finished, so a flood of probes runs each check at most once at a
// time. No caller can cancel an evaluation: a caller whose ctx ends stops
// waiting, and the evaluation goes on for the others and for the cache.
//
// This reference keeps no goroutine of its own besides the checks' runs. A
// run's result is decided exactly once, under the Checker's mutex, by
// whichever comes first: the Func's return (strictly before the deadline:
// its error; otherwise ErrTimeout) or the run ctx's deadline
// (context.AfterFunc: ErrTimeout). Deciding a run fills its slot in every
// evaluation waiting for it; the decision that fills an evaluation's last
// slot finishes it and wakes its callers. A check whose Func ignores its ctx
// keeps its run (and one goroutine) until the Func returns; evaluations in
// the meantime take the run's result, decided or to come, and never start
// the Func again.
package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The errors of the package. Match them with errors.Is: Add and New wrap
// the first three with details.
var (
	ErrInvalidConfig  = errors.New("healthcheck: invalid config")
	ErrInvalidCheck   = errors.New("healthcheck: invalid check")
	ErrDuplicateCheck = errors.New("healthcheck: duplicate check name")
	ErrTimeout        = errors.New("healthcheck: check timed out")
	ErrPanic          = errors.New("healthcheck: check panicked")
	ErrDraining       = errors.New("healthcheck: shutting down")
)

const (
	// DefaultTimeout is the Timeout of a check that sets none: Kubernetes'
	// default probe timeoutSeconds.
	DefaultTimeout = time.Second
	// ShutdownCheck is the name of the built-in readiness check, which
	// fails with ErrDraining once Drain has been called.
	ShutdownCheck = "shutdown"
)

// Kind says which endpoints a check belongs to: Readiness, Liveness, or
// both (Readiness | Liveness).
type Kind uint8

// The two kinds.
const (
	// Readiness checks decide /readyz: may the service get traffic now?
	Readiness Kind = 1 << iota
	// Liveness checks decide /livez: should the service be restarted?
	Liveness
)

// Status is the outcome of a check or of a whole report.
type Status string

// The three statuses, as in the IETF health check response format.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Check is a named health check.
type Check struct {
	// Name is 1 to 63 ASCII letters, digits, '-', '_' or '.', unique in
	// the Checker, and not "shutdown".
	Name string
	// Func checks a dependency. It should return when ctx is done; one
	// that does not still costs only one goroutine.
	Func func(ctx context.Context) error
	// Timeout bounds each run of Func; 0 means DefaultTimeout.
	Timeout time.Duration
	// NonCritical makes a failure "warn": it is shown, but the endpoint
	// still passes.
	NonCritical bool
	// Kind is Readiness, Liveness or both; 0 means Readiness.
	Kind Kind
}

// Config configures a Checker.
type Config struct {
	// CacheTTL is how long a finished evaluation's report is reused,
	// counted from its finish; 0 means not at all (evaluations in flight
	// are shared anyway).
	CacheTTL time.Duration
}

// Result is the outcome of one check in a Report.
type Result struct {
	Name   string
	Status Status
	Err    error // nil when Status is StatusPass
}

// Report is the outcome of an evaluation.
type Report struct {
	Status  Status   // fail if any result fails, else warn if any warns, else pass
	Results []Result // sorted by Name; the caller's own copy
}

// Checker runs health checks and serves them over HTTP. The zero value is
// not usable: call New.
type Checker struct {
	ttl      time.Duration
	draining atomic.Bool

	mu    sync.Mutex
	gen   uint64            // bumped by every Add
	names map[string]*check // every check, by name
	kinds [2]kindState      // by kindIndex
}

// kindState is what a Checker keeps per kind, under its mutex.
type kindState struct {
	checks []*check    // sorted by name; replaced, never changed, by Add
	cur    *evaluation // the latest evaluation, running or finished
}

// check is an added check, with its defaults applied.
type check struct {
	Check
	run *run // under mu: the run whose Func has not returned yet, or nil
}

// run is one call of a check's Func.
type run struct {
	ch       *check
	deadline time.Time
	// Under the Checker's mutex:
	decided bool
	err     error  // the result, once decided
	waiters []slot // the evaluation slots to fill once decided
}

// slot is one result of one evaluation.
type slot struct {
	e *evaluation
	i int
}

// evaluation is one run of the checks of a kind.
type evaluation struct {
	gen        uint64
	kind       Kind
	shutdownAt int           // where "shutdown" goes among results (Readiness)
	done       chan struct{} // closed when every result is decided
	// Under the Checker's mutex until done is closed, read-only after:
	pending  int
	finished bool
	end      time.Time // when it finished
	results  []Result  // the checks' results, sorted by name, without "shutdown"
	status   Status    // of results
}

// New returns a Checker with no checks, or ErrInvalidConfig if
// cfg.CacheTTL is negative.
func New(cfg Config) (*Checker, error) {
	if cfg.CacheTTL < 0 {
		return nil, fmt.Errorf("%w: CacheTTL %v is negative", ErrInvalidConfig, cfg.CacheTTL)
	}
	return &Checker{ttl: cfg.CacheTTL, names: make(map[string]*check)}, nil
}

// validName reports whether name is 1 to 63 bytes of ASCII letters, digits,
// '-', '_' or '.'.
func validName(name string) bool {
	if len(name) == 0 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// Add adds a check. It returns an error matching ErrInvalidCheck for a bad
// name (or "shutdown"), a nil Func, a negative Timeout or unknown Kind
// bits, and ErrDuplicateCheck for a name already taken; then it adds
// nothing. Requests that start after Add returns use new evaluations.
func (c *Checker) Add(ch Check) error {
	switch {
	case !validName(ch.Name):
		return fmt.Errorf("%w: name %q is not 1 to 63 ASCII letters, digits, '-', '_' or '.'", ErrInvalidCheck, ch.Name)
	case ch.Name == ShutdownCheck:
		return fmt.Errorf("%w: name %q is the built-in readiness check's", ErrInvalidCheck, ch.Name)
	case ch.Func == nil:
		return fmt.Errorf("%w: check %q has a nil Func", ErrInvalidCheck, ch.Name)
	case ch.Timeout < 0:
		return fmt.Errorf("%w: check %q has a negative Timeout %v", ErrInvalidCheck, ch.Name, ch.Timeout)
	case ch.Kind&^(Readiness|Liveness) != 0:
		return fmt.Errorf("%w: check %q has Kind %d, want Readiness, Liveness or both", ErrInvalidCheck, ch.Name, ch.Kind)
	}
	if ch.Timeout == 0 {
		ch.Timeout = DefaultTimeout
	}
	if ch.Kind == 0 {
		ch.Kind = Readiness
	}
	nc := &check{Check: ch}

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, taken := c.names[ch.Name]; taken {
		return fmt.Errorf("%w: %q", ErrDuplicateCheck, ch.Name)
	}
	c.names[ch.Name] = nc
	for i, k := range [2]Kind{Readiness, Liveness} {
		if ch.Kind&k == 0 {
			continue
		}
		ks := &c.kinds[i]
		at, _ := slices.BinarySearchFunc(ks.checks, ch.Name, func(x *check, name string) int {
			return strings.Compare(x.Name, name)
		})
		// A new slice: running evaluations keep reading the old one.
		ks.checks = slices.Insert(slices.Clip(ks.checks), at, nc)
	}
	c.gen++
	return nil
}

// Drain starts graceful shutdown: from now on every readiness report,
// cached ones included, has "shutdown" failing with ErrDraining. Liveness
// is unaffected. It cannot be undone; calling it again does nothing.
func (c *Checker) Drain() {
	c.draining.Store(true)
}

// kindIndex returns the index of kind in c.kinds, or panics if kind is not
// exactly Readiness or Liveness.
func kindIndex(kind Kind) int {
	switch kind {
	case Readiness:
		return 0
	case Liveness:
		return 1
	}
	panic(fmt.Sprintf("healthcheck: Evaluate with Kind %d, want Readiness (1) or Liveness (2)", kind))
}

// Evaluate returns the report of kind, which must be Readiness or Liveness
// (anything else panics): the running evaluation's, a cached one's, or a
// new one's. If ctx is done first it returns the zero Report and
// ctx.Err(); the evaluation goes on and is cached as usual. A ctx already
// done starts nothing.
func (c *Checker) Evaluate(ctx context.Context, kind Kind) (Report, error) {
	idx := kindIndex(kind)
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	e := c.acquire(idx)
	select {
	case <-e.done:
	case <-ctx.Done():
		return Report{}, ctx.Err()
	}
	return e.report(c.draining.Load()), nil
}

// acquire returns the evaluation of kinds[idx] a request starting now uses:
// the current one if it still runs or its report is fresh, and it started
// after the last Add; else a new one.
func (c *Checker) acquire(idx int) *evaluation {
	c.mu.Lock()
	defer c.mu.Unlock()
	ks := &c.kinds[idx]
	if e := ks.cur; e != nil && e.gen == c.gen {
		if !e.finished || c.ttl > 0 && time.Since(e.end) < c.ttl {
			return e
		}
	}
	e := c.start(idx, time.Now())
	ks.cur = e
	return e
}

// start starts an evaluation of kinds[idx] at now. Called with c.mu held.
func (c *Checker) start(idx int, now time.Time) *evaluation {
	checks := c.kinds[idx].checks
	kind := [2]Kind{Readiness, Liveness}[idx]
	e := &evaluation{
		gen:     c.gen,
		kind:    kind,
		done:    make(chan struct{}),
		results: make([]Result, len(checks)),
	}
	if kind == Readiness {
		e.shutdownAt, _ = slices.BinarySearchFunc(checks, ShutdownCheck, func(x *check, name string) int {
			return strings.Compare(x.Name, name)
		})
	}
	for i, ch := range checks {
		e.results[i].Name = ch.Name
		r := ch.run
		if r == nil {
			r = c.startRun(ch, now)
		}
		if r.decided {
			e.fill(i, ch, r.err)
			continue
		}
		r.waiters = append(r.waiters, slot{e, i})
		e.pending++
	}
	if e.pending == 0 {
		e.finish(now)
	}
	return e
}

// startRun calls ch.Func in a new goroutine with a ctx whose deadline is
// now + ch.Timeout. Called with c.mu held.
func (c *Checker) startRun(ch *check, now time.Time) *run {
	r := &run{ch: ch, deadline: now.Add(ch.Timeout)}
	ch.run = r
	ctx, cancel := context.WithDeadline(context.Background(), r.deadline)
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.decide(r, ErrTimeout, time.Now())
	})
	go func() {
		defer cancel()
		err := call(ctx, ch.Func)
		now := time.Now()
		stop()
		c.mu.Lock()
		defer c.mu.Unlock()
		ch.run = nil // the next evaluation runs it again
		if !now.Before(r.deadline) {
			err = ErrTimeout // returned at or after the deadline: ignored
		}
		c.decide(r, err, now)
	}()
	return r
}

// call runs f, turning a panic into an error matching ErrPanic.
func call(ctx context.Context, f func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, v)
		}
	}()
	return f(ctx)
}

// decide sets r's result at now, unless it is decided already, and fills
// the slots waiting for it. Called with c.mu held.
func (c *Checker) decide(r *run, err error, now time.Time) {
	if r.decided {
		return
	}
	r.decided, r.err = true, err
	for _, s := range r.waiters {
		s.e.fill(s.i, r.ch, err)
		if s.e.pending--; s.e.pending == 0 {
			s.e.finish(now)
		}
	}
	r.waiters = nil
}

// fill sets the result of check ch in slot i. Called with c.mu held.
func (e *evaluation) fill(i int, ch *check, err error) {
	res := &e.results[i]
	res.Err = err
	switch {
	case err == nil:
		res.Status = StatusPass
	case ch.NonCritical:
		res.Status = StatusWarn
	default:
		res.Status = StatusFail
	}
}

// finish records the end of e and wakes its callers. Called with c.mu held.
func (e *evaluation) finish(now time.Time) {
	e.status = StatusPass
	for _, r := range e.results {
		e.status = worse(e.status, r.Status)
	}
	e.end, e.finished = now, true
	close(e.done)
}

// worse returns the worse of two statuses.
func worse(a, b Status) Status {
	if a == StatusFail || b == StatusFail {
		return StatusFail
	}
	if a == StatusWarn || b == StatusWarn {
		return StatusWarn
	}
	return StatusPass
}

// shutdownResult is the built-in readiness result.
func shutdownResult(draining bool) Result {
	if draining {
		return Result{Name: ShutdownCheck, Status: StatusFail, Err: ErrDraining}
	}
	return Result{Name: ShutdownCheck, Status: StatusPass}
}

// report returns a copy of e's report (done must be closed), with the
// built-in "shutdown" result for readiness.
func (e *evaluation) report(draining bool) Report {
	if e.kind != Readiness {
		return Report{Status: e.status, Results: slices.Clone(e.results)}
	}
	res := make([]Result, 0, len(e.results)+1)
	res = append(res, e.results[:e.shutdownAt]...)
	res = append(res, shutdownResult(draining))
	res = append(res, e.results[e.shutdownAt:]...)
	status := e.status
	if draining {
		status = StatusFail
	}
	return Report{Status: status, Results: res}
}

// route parses a served path: "/livez", "/readyz", "/livez/<name>" or
// "/readyz/<name>".
func route(path string) (idx int, name string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(path, "/readyz"):
		idx, rest = 0, path[len("/readyz"):]
	case strings.HasPrefix(path, "/livez"):
		idx, rest = 1, path[len("/livez"):]
	default:
		return 0, "", false
	}
	if rest == "" {
		return idx, "", true
	}
	if rest[0] != '/' || len(rest) == 1 {
		return 0, "", false
	}
	return idx, rest[1:], true
}

// has reports whether name is a check of kinds[idx] (or "shutdown" for
// readiness).
func (c *Checker) has(idx int, name string) bool {
	if idx == 0 && name == ShutdownCheck {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.names[name]
	return ok && ch.Kind&[2]Kind{Readiness, Liveness}[idx] != 0
}

// ServeHTTP serves /livez, /readyz, /livez/<name> and /readyz/<name> for
// GET and HEAD: 200 when the shown status is pass or warn, 503 when it is
// fail; the body is "ok", or with ?verbose (or when not passing) one line
// per result and a summary. ?exclude=<name> (repeatable) leaves a result
// out of the status on /livez and /readyz. Other paths get 404, other
// methods 405. A request whose ctx ends before its report is ready gets
// nothing written. Mount it at "/".
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	idx, name, ok := route(r.URL.Path)
	if !ok || name != "" && !c.has(idx, name) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	if ctx.Err() != nil {
		return
	}
	e := c.acquire(idx)
	select {
	case <-e.done:
	case <-ctx.Done():
		return
	}

	var verbose bool
	var exclude []string
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		verbose = q.Has("verbose")
		if name == "" {
			exclude = q["exclude"]
		}
	}
	results := e.shown(c.draining.Load(), name)
	shown := StatusPass
	for _, res := range results {
		if !slices.Contains(exclude, res.Name) {
			shown = worse(shown, res.Status)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if shown == StatusFail {
		w.WriteHeader(http.StatusServiceUnavailable)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	if r.Method == http.MethodHead {
		return
	}
	if shown == StatusPass && !verbose {
		w.Write([]byte("ok"))
		return
	}
	var b strings.Builder
	for _, res := range results {
		switch {
		case slices.Contains(exclude, res.Name):
			b.WriteString("[+]" + res.Name + " excluded: ok\n")
		case res.Status == StatusPass:
			b.WriteString("[+]" + res.Name + " ok\n")
		case res.Status == StatusWarn:
			b.WriteString("[!]" + res.Name + " warn: " + res.Err.Error() + "\n")
		default:
			b.WriteString("[-]" + res.Name + " failed: " + res.Err.Error() + "\n")
		}
	}
	b.WriteString([2]string{"readyz", "livez"}[idx])
	if shown == StatusFail {
		b.WriteString(" check failed\n")
	} else {
		b.WriteString(" check passed\n")
	}
	w.Write([]byte(b.String()))
}

// shown returns the results a response shows (done must be closed): the
// named one alone, or all of them in name order with "shutdown" for
// readiness. It allocates only for a readiness report of several results.
func (e *evaluation) shown(draining bool, name string) []Result {
	if name == ShutdownCheck && e.kind == Readiness {
		return []Result{shutdownResult(draining)}
	}
	if name != "" {
		i, _ := slices.BinarySearchFunc(e.results, name, func(r Result, name string) int {
			return strings.Compare(r.Name, name)
		})
		return e.results[i : i+1]
	}
	if e.kind != Readiness {
		return e.results
	}
	return e.report(draining).Results
}
