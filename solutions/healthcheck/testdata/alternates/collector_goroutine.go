// Alternate: a collector goroutine per evaluation waits for each run with a select on the run's return and a timer, and judges a return by the instant the Func returned (no shared decision: every waiter compares that instant with the deadline); checks are kept in registration order and sorted per evaluation; the body is written with fmt.

// Package healthcheck serves Kubernetes-style /livez and /readyz endpoints.
// This version differs from the reference in how a run's result is
// decided and who finishes an evaluation. A run records its Func's error
// and the instant it returned, then closes a channel; it never decides
// anything. Each evaluation has a collector goroutine that waits for its
// runs one after another: a run that returned strictly before its
// deadline gives its error, one that has not returned by its deadline
// gives ErrTimeout (a timer wakes the collector at the deadline, and the
// return instant settles a tie). Two evaluations that share a run judge it
// the same way, so they agree without talking to each other.
package healthcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

var (
	ErrInvalidConfig  = errors.New("healthcheck: invalid config")
	ErrInvalidCheck   = errors.New("healthcheck: invalid check")
	ErrDuplicateCheck = errors.New("healthcheck: duplicate check name")
	ErrTimeout        = errors.New("healthcheck: check timed out")
	ErrPanic          = errors.New("healthcheck: check panicked")
	ErrDraining       = errors.New("healthcheck: shutting down")
)

const (
	DefaultTimeout = time.Second
	ShutdownCheck  = "shutdown"
)

type Kind uint8

const (
	Readiness Kind = 1 << iota
	Liveness
)

type Status string

const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

type Check struct {
	Name        string
	Func        func(ctx context.Context) error
	Timeout     time.Duration
	NonCritical bool
	Kind        Kind
}

type Config struct {
	CacheTTL time.Duration
}

type Result struct {
	Name   string
	Status Status
	Err    error
}

type Report struct {
	Status  Status
	Results []Result
}

type Checker struct {
	ttl time.Duration

	mu       sync.Mutex
	draining bool
	version  int
	entries  []*entry // in registration order
	flights  map[Kind]*flight
}

// entry is an added check.
type entry struct {
	Check
	cur *call // under mu: the call whose Func has not returned
}

// call is one run of a Func. err and at are written before returned is
// closed.
type call struct {
	deadline time.Time
	returned chan struct{}
	err      error
	at       time.Time
}

// flight is one evaluation of a kind.
type flight struct {
	kind    Kind
	version int
	done    chan struct{}
	// under mu until done is closed:
	finished bool
	end      time.Time
	results  []Result
}

func New(cfg Config) (*Checker, error) {
	if cfg.CacheTTL < 0 {
		return nil, fmt.Errorf("%w: negative CacheTTL %v", ErrInvalidConfig, cfg.CacheTTL)
	}
	return &Checker{ttl: cfg.CacheTTL, flights: map[Kind]*flight{}}, nil
}

func badByte(r rune) bool {
	return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("-_.", r))
}

func (c *Checker) Add(ch Check) error {
	if ch.Name == "" || len(ch.Name) > 63 || strings.IndexFunc(ch.Name, badByte) >= 0 || ch.Name == ShutdownCheck {
		return fmt.Errorf("%w: bad name %q", ErrInvalidCheck, ch.Name)
	}
	if ch.Func == nil {
		return fmt.Errorf("%w: %q: nil Func", ErrInvalidCheck, ch.Name)
	}
	if ch.Timeout < 0 {
		return fmt.Errorf("%w: %q: negative Timeout", ErrInvalidCheck, ch.Name)
	}
	if ch.Kind > Readiness|Liveness {
		return fmt.Errorf("%w: %q: Kind %d", ErrInvalidCheck, ch.Name, ch.Kind)
	}
	if ch.Timeout == 0 {
		ch.Timeout = DefaultTimeout
	}
	if ch.Kind == 0 {
		ch.Kind = Readiness
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.Name == ch.Name {
			return fmt.Errorf("%w: %q", ErrDuplicateCheck, ch.Name)
		}
	}
	c.entries = append(c.entries, &entry{Check: ch})
	c.version++
	return nil
}

func (c *Checker) Drain() {
	c.mu.Lock()
	c.draining = true
	c.mu.Unlock()
}

func (c *Checker) isDraining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.draining
}

func (c *Checker) Evaluate(ctx context.Context, kind Kind) (Report, error) {
	if kind != Readiness && kind != Liveness {
		panic(fmt.Sprintf("healthcheck: Evaluate: bad kind %d", kind))
	}
	if ctx.Err() != nil {
		return Report{}, ctx.Err()
	}
	f := c.flightFor(kind)
	select {
	case <-f.done:
	case <-ctx.Done():
		return Report{}, ctx.Err()
	}
	res := f.withShutdown(c.isDraining())
	st := StatusPass
	for _, r := range res {
		st = worst(st, r.Status)
	}
	return Report{Status: st, Results: res}, nil
}

// flightFor returns the evaluation of kind a request starting now joins.
func (c *Checker) flightFor(kind Kind) *flight {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if f := c.flights[kind]; f != nil && f.version == c.version {
		if !f.finished || now.Before(f.end.Add(c.ttl)) {
			return f
		}
	}
	var es []*entry
	for _, e := range c.entries {
		if e.Kind&kind != 0 {
			es = append(es, e)
		}
	}
	slices.SortFunc(es, func(a, b *entry) int { return strings.Compare(a.Name, b.Name) })
	calls := make([]*call, len(es))
	for i, e := range es {
		if e.cur == nil {
			e.cur = c.launch(e, now)
		}
		calls[i] = e.cur
	}
	f := &flight{kind: kind, version: c.version, done: make(chan struct{})}
	c.flights[kind] = f
	go c.collect(f, es, calls)
	return f
}

// launch starts e's Func. Called with c.mu held.
func (c *Checker) launch(e *entry, now time.Time) *call {
	cl := &call{deadline: now.Add(e.Timeout), returned: make(chan struct{})}
	go func() {
		ctx, cancel := context.WithDeadline(context.Background(), cl.deadline)
		err := protect(ctx, e.Func)
		at := time.Now()
		cancel()
		c.mu.Lock()
		if e.cur == cl {
			e.cur = nil
		}
		c.mu.Unlock()
		cl.err, cl.at = err, at
		close(cl.returned)
	}()
	return cl
}

func protect(ctx context.Context, f func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, v)
		}
	}()
	return f(ctx)
}

// outcome waits until cl's result is known: its error if the Func returned
// strictly before the deadline, else ErrTimeout at the deadline.
func (cl *call) outcome() error {
	for {
		select {
		case <-cl.returned:
			if cl.at.Before(cl.deadline) {
				return cl.err
			}
			return ErrTimeout
		default:
		}
		wait := time.Until(cl.deadline)
		if wait <= 0 {
			return ErrTimeout
		}
		t := time.NewTimer(wait)
		select {
		case <-cl.returned:
		case <-t.C:
		}
		t.Stop()
	}
}

// collect waits for every call of f and finishes it.
func (c *Checker) collect(f *flight, es []*entry, calls []*call) {
	results := make([]Result, len(calls))
	for i, cl := range calls {
		err := cl.outcome()
		st := StatusPass
		if err != nil {
			st = StatusFail
			if es[i].NonCritical {
				st = StatusWarn
			}
		}
		results[i] = Result{Name: es[i].Name, Status: st, Err: err}
	}
	c.mu.Lock()
	f.results, f.end, f.finished = results, time.Now(), true
	c.mu.Unlock()
	close(f.done)
}

// withShutdown returns a new slice of f's results, with "shutdown" for
// readiness.
func (f *flight) withShutdown(draining bool) []Result {
	out := slices.Clone(f.results)
	if f.kind == Readiness {
		sd := Result{Name: ShutdownCheck, Status: StatusPass}
		if draining {
			sd = Result{Name: ShutdownCheck, Status: StatusFail, Err: ErrDraining}
		}
		at := 0
		for at < len(out) && out[at].Name < ShutdownCheck {
			at++
		}
		out = slices.Insert(out, at, sd)
	}
	if out == nil {
		out = []Result{}
	}
	return out
}

func worst(a, b Status) Status {
	rank := map[Status]int{StatusPass: 0, StatusWarn: 1, StatusFail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var kind Kind
	var word, name string
	p := strings.TrimPrefix(r.URL.Path, "/")
	head, rest, sub := strings.Cut(p, "/")
	switch head {
	case "livez":
		kind, word = Liveness, "livez"
	case "readyz":
		kind, word = Readiness, "readyz"
	default:
		http.NotFound(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	if sub {
		name = rest
		known := kind == Readiness && name == ShutdownCheck
		c.mu.Lock()
		for _, e := range c.entries {
			if e.Name == name && e.Kind&kind != 0 {
				known = true
			}
		}
		c.mu.Unlock()
		if !known {
			http.NotFound(w, r)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.Context().Err() != nil {
		return
	}
	f := c.flightFor(kind)
	select {
	case <-f.done:
	case <-r.Context().Done():
		return
	}
	q := r.URL.Query()
	_, verbose := q["verbose"]
	excluded := map[string]bool{}
	if !sub {
		for _, x := range q["exclude"] {
			excluded[x] = true
		}
	}
	var shown []Result
	for _, res := range f.withShutdown(c.isDraining()) {
		if !sub || res.Name == name {
			shown = append(shown, res)
		}
	}
	status := StatusPass
	var body bytes.Buffer
	for _, res := range shown {
		if excluded[res.Name] {
			fmt.Fprintf(&body, "[+]%s excluded: ok\n", res.Name)
			continue
		}
		status = worst(status, res.Status)
		switch res.Status {
		case StatusPass:
			fmt.Fprintf(&body, "[+]%s ok\n", res.Name)
		case StatusWarn:
			fmt.Fprintf(&body, "[!]%s warn: %v\n", res.Name, res.Err)
		default:
			fmt.Fprintf(&body, "[-]%s failed: %v\n", res.Name, res.Err)
		}
	}
	code, verdict := http.StatusOK, "passed"
	if status == StatusFail {
		code, verdict = http.StatusServiceUnavailable, "failed"
	}
	fmt.Fprintf(&body, "%s check %s\n", word, verdict)
	if status == StatusPass && !verbose {
		body.Reset()
		body.WriteString("ok")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(body.Bytes())
	}
}
