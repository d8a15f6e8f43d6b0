// Package healthcheck serves the health endpoints that Kubernetes probes:
// /livez and /readyz, in the format of k8s.io/apiserver's healthz package
// (a plain "ok", or one "[+]name ok" line per check with ?verbose, per-check
// subpaths, ?exclude=name).
//
// A Checker holds named checks. Each belongs to readiness, liveness or both,
// has its own timeout, and is critical (its failure fails the endpoint) or
// not (its failure is a warning). Readiness always includes the built-in
// check "shutdown", which fails from the moment Drain is called.
//
// An evaluation runs the checks of one kind once, concurrently, each with
// its own deadline, and makes one Report. Requests for a kind share its
// evaluation while it runs and reuse its report for CacheTTL after it
// finished. No caller can cancel an evaluation, and a check whose Func is
// still running is never started a second time.
//
// Read katas/healthcheck/README.md for the numbered rules, and implement the
// API below. Every body panics "not implemented" until you do.
package healthcheck

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// The errors of the package. Match them with errors.Is: Add and New may wrap
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
	// that does not still costs only one goroutine (rule 6).
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
	// yours
}

// New returns a Checker with no checks, or a nil Checker and an error
// matching ErrInvalidConfig if cfg.CacheTTL is negative.
func New(cfg Config) (*Checker, error) {
	panic("not implemented")
}

// Add adds a check. It returns an error matching ErrInvalidCheck for a bad
// name (or "shutdown"), a nil Func, a negative Timeout or unknown Kind
// bits, and ErrDuplicateCheck for a name already taken; then it adds
// nothing. Requests that start after Add returns use new evaluations.
func (c *Checker) Add(ch Check) error {
	panic("not implemented")
}

// Drain starts graceful shutdown: from now on every readiness report,
// cached ones included, has "shutdown" failing with ErrDraining. Liveness
// is unaffected. It cannot be undone; calling it again does nothing.
func (c *Checker) Drain() {
	panic("not implemented")
}

// Evaluate returns the report of kind, which must be Readiness or Liveness
// (anything else panics): the running evaluation's, a cached one's, or a
// new one's. If ctx is done first it returns the zero Report and
// ctx.Err(); the evaluation goes on and is cached as usual. A ctx already
// done starts nothing.
func (c *Checker) Evaluate(ctx context.Context, kind Kind) (Report, error) {
	panic("not implemented")
}

// ServeHTTP serves /livez, /readyz, /livez/<name> and /readyz/<name> for
// GET and HEAD: 200 when the shown status is pass or warn, 503 when it is
// fail; the body is "ok", or with ?verbose (or when not passing) one line
// per result and a summary. ?exclude=<name> (repeatable) leaves a result
// out of the status on /livez and /readyz. Other paths get 404, other
// methods 405. A request whose ctx ends before its report is ready gets
// nothing written. Mount it at "/".
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	panic("not implemented")
}
