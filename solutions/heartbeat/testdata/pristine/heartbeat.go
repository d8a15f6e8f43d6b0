// Package heartbeat implements a heartbeat failure detector: it decides that
// a cluster member is gone when its heartbeats stop, going through a Suspect
// state first so that one late packet does not evict a healthy node.
//
// Each node is in one of three states, derived from the age of its last
// accepted heartbeat (I is Config.Interval, T is Config.Timeout, R is
// Config.Retries):
//
//	Alive ──age > T──▶ Suspect ──age > T+R·I (passive) or R failed probes (active)──▶ Dead
//	  ▲                   │                                                            │
//	  └─ heartbeat or ────┘◀───────── heartbeat with a higher seq ─────────────────────┘
//	     successful probe
//
// Passive mode (no Prober) only waits: a Suspect node is Dead once R more
// Intervals have passed. Active mode (WithProber) asks: while Run is
// running, a Suspect node is probed every Interval, each probe with a
// deadline of one Interval; the first success brings it back, R consecutive
// failures declare it Dead.
//
// Heartbeats carry a sequence number. A heartbeat is accepted only if its
// seq is higher than every seq accepted from that node, so a delayed or
// duplicated packet never refreshes a node, and a Dead node comes back only
// with a newer heartbeat.
//
// Status and StatusAt are computed from the clock, so they are exact at any
// instant and need no goroutine. Events are different: a change that
// follows from the clock alone is noticed by Run's sweep, which runs every
// Interval, so an event may lag its change by up to one Interval. Every
// change is decided under the detector's lock and queued; whoever queued it
// delivers the queue after unlocking, one event at a time, so callbacks
// never overlap, arrive in order and may read the detector.
//
// Probes run in their own goroutines, one probe loop per suspected node:
// a probe that hangs until its deadline delays nothing else. Run waits for
// all of them before it returns.
package heartbeat

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrInvalidConfig is wrapped by the error New returns for an invalid
	// Config or a nil option value.
	ErrInvalidConfig = errors.New("heartbeat: invalid config")
	// ErrRunning is returned by Run when another Run is already running.
	ErrRunning = errors.New("heartbeat: Run is already running")
)

// Config holds a detector's timing. Nothing is defaulted: every field must
// be set (see New for the rules), or use DefaultConfig.
type Config struct {
	// Interval is the expected heartbeat period. It is also Run's check
	// period, the spacing of probes and each probe's deadline. It must be
	// positive.
	Interval time.Duration
	// Timeout is how old a node's last heartbeat may be while the node is
	// still Alive (inclusive). It must be at least Interval.
	Timeout time.Duration
	// Retries is, in passive mode, how many extra Intervals a Suspect node
	// has before it is Dead; in active mode, how many consecutive failed
	// probes make it Dead. Zero means Alive goes straight to Dead. It must
	// not be negative.
	Retries int
}

// DefaultConfig returns the classic settings: Interval 5s, Timeout 15s,
// Retries 3. With them a silent node is Suspect after 15 s and, in passive
// mode, Dead after 30 s.
func DefaultConfig() Config {
	panic("not implemented")
}

// Status is what the detector believes about a node.
type Status int

const (
	// Unknown means the node was never heard from, or was forgotten.
	Unknown Status = iota
	// Alive means the node's last heartbeat is recent enough.
	Alive
	// Suspect means the node is late but not yet declared Dead.
	Suspect
	// Dead means the node is considered gone until it heartbeats again
	// with a higher sequence number.
	Dead
)

// String returns "unknown", "alive", "suspect" or "dead", and "Status(N)"
// for any other value.
func (s Status) String() string {
	panic("not implemented")
}

// Event reports one change of a node's status.
type Event struct {
	// Node is the node's name.
	Node string
	// From is the previously reported status (Unknown for a new node) and
	// To the new one; they are never equal.
	From, To Status
	// At is the time at which the detector observed the change.
	At time.Time
}

// Prober checks a suspected node directly (a ping, a health-check RPC).
type Prober interface {
	// Probe returns nil if the node answered. It should return promptly
	// once ctx is done: ctx's deadline is the probe's start plus one
	// Interval, and ctx is also cancelled when Run's ctx is done. A nil
	// returned at or after the deadline counts as a failure.
	Probe(ctx context.Context, node string) error
}

// ProberFunc adapts an ordinary function to the Prober interface.
type ProberFunc func(ctx context.Context, node string) error

// Probe calls f(ctx, node).
func (f ProberFunc) Probe(ctx context.Context, node string) error { panic("not implemented") }

// Option configures New.
type Option func(*options)

// options holds what the Options set. Its fields are yours to design.
type options struct{}

// WithProber switches the detector to active mode: while Run is running,
// suspected nodes are probed with p. A nil p (or a nil ProberFunc) makes
// New fail with ErrInvalidConfig.
func WithProber(p Prober) Option {
	panic("not implemented")
}

// WithOnChange sets the callback that receives every status change. Calls
// never overlap, arrive in order for each node and run with no detector
// lock held, so fn may call Status and StatusAt; it must return quickly
// and must not call Heartbeat or Forget. A nil fn makes New fail with
// ErrInvalidConfig.
func WithOnChange(fn func(Event)) Option {
	panic("not implemented")
}

// Detector tracks the liveness of a set of nodes. Create it with New; all
// methods are safe for concurrent use.
type Detector struct {
	// Your fields here.
}

// New returns a detector for cfg. It returns a nil detector and an error
// wrapping ErrInvalidConfig unless Interval > 0, Timeout >= Interval,
// Retries >= 0 and Timeout + Retries·Interval < math.MaxInt64 nanoseconds,
// or if WithProber or WithOnChange was given nil. New never panics.
func New(cfg Config, opts ...Option) (*Detector, error) {
	panic("not implemented")
}

// Heartbeat records a heartbeat from node with sequence number seq at
// time.Now(). It is accepted if the node is unknown (any seq, 0 included)
// or seq is higher than every seq accepted from it; a stale or duplicate
// heartbeat is ignored completely. An accepted heartbeat makes the node
// Alive from any status (ending a suspicion) and emits an event if the
// reported status was not Alive. Every string is a valid node name.
func (d *Detector) Heartbeat(node string, seq uint64) {
	panic("not implemented")
}

// Status returns the node's status now: StatusAt(node, time.Now()). It is
// computed from the clock and works without Run, so it may be ahead of the
// events by up to one Interval.
func (d *Detector) Status(node string) Status {
	panic("not implemented")
}

// StatusAt returns the node's status at now, given what the detector knows.
// It has no side effects. With age = now − last heartbeat: Unknown if the
// node was never heard from or was forgotten; Alive if age <= Timeout
// (negative ages included). In passive mode, Suspect if
// Timeout < age <= Timeout + Retries·Interval, Dead beyond. In active mode,
// Dead if probes declared it Dead (whatever now is) or Retries is 0 and
// age > Timeout, Suspect otherwise.
func (d *Detector) StatusAt(node string, now time.Time) Status {
	panic("not implemented")
}

// Forget drops everything known about node: its status becomes Unknown,
// its seq history is cleared (the next heartbeat is accepted whatever its
// seq), undelivered events and results of running probes for it are
// discarded, and no event for it follows until it heartbeats again.
// Forget emits no event. Forgetting an unknown node does nothing.
func (d *Detector) Forget(node string) {
	panic("not implemented")
}

// Run checks every node once per Interval (and once at its start), reports
// clock-driven changes and, in active mode, probes suspected nodes. It
// blocks until ctx is done, then stops its ticker, cancels running probes,
// waits for every goroutine it started and returns nil. A second Run while
// one is running returns ErrRunning at once; Run may be called again after
// it has returned.
func (d *Detector) Run(ctx context.Context) error {
	panic("not implemented")
}
