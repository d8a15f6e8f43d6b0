// Mutant: every goroutine that queued an event drains the queue itself, with no "delivering" flag, so OnChange calls overlap.
// Rule: 14

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
	"fmt"
	"math"
	"sync"
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
	return Config{Interval: 5 * time.Second, Timeout: 15 * time.Second, Retries: 3}
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
	switch s {
	case Unknown:
		return "unknown"
	case Alive:
		return "alive"
	case Suspect:
		return "suspect"
	case Dead:
		return "dead"
	}
	return fmt.Sprintf("Status(%d)", int(s))
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
func (f ProberFunc) Probe(ctx context.Context, node string) error { return f(ctx, node) }

// Option configures New.
type Option func(*options)

type options struct {
	prober    Prober
	proberSet bool
	onChange  func(Event)
	changeSet bool
}

// WithProber switches the detector to active mode: while Run is running,
// suspected nodes are probed with p. A nil p (or a nil ProberFunc) makes
// New fail with ErrInvalidConfig.
func WithProber(p Prober) Option {
	return func(o *options) { o.prober, o.proberSet = p, true }
}

// WithOnChange sets the callback that receives every status change. Calls
// never overlap, arrive in order for each node and run with no detector
// lock held, so fn may call Status and StatusAt; it must return quickly
// and must not call Heartbeat or Forget. A nil fn makes New fail with
// ErrInvalidConfig.
func WithOnChange(fn func(Event)) Option {
	return func(o *options) { o.onChange, o.changeSet = fn, true }
}

// member is what the detector knows about one node.
type member struct {
	seq      uint64    // highest accepted seq
	lastSeen time.Time // time of the last accepted heartbeat or successful probe
	reported Status    // status last reported by an event
	dead     bool      // active mode: declared Dead by probes
	probing  bool      // a probe loop runs for the current suspicion
	gen      uint64    // suspicion generation; bumped when a suspicion ends
}

// Detector tracks the liveness of a set of nodes. Create it with New; all
// methods are safe for concurrent use.
type Detector struct {
	interval  time.Duration
	timeout   time.Duration
	retries   int
	deadAfter time.Duration // Timeout + Retries·Interval
	prober    Prober
	onChange  func(Event)

	mu         sync.Mutex
	nodes      map[string]*member
	running    bool
	queue      []Event // events decided but not yet delivered
	delivering bool    // a goroutine is draining queue
}

// New returns a detector for cfg. It returns a nil detector and an error
// wrapping ErrInvalidConfig unless Interval > 0, Timeout >= Interval,
// Retries >= 0 and Timeout + Retries·Interval < math.MaxInt64 nanoseconds,
// or if WithProber or WithOnChange was given nil. New never panics.
func New(cfg Config, opts ...Option) (*Detector, error) {
	switch {
	case cfg.Interval <= 0:
		return nil, fmt.Errorf("%w: Interval %v must be positive", ErrInvalidConfig, cfg.Interval)
	case cfg.Timeout < cfg.Interval:
		return nil, fmt.Errorf("%w: Timeout %v is shorter than Interval %v", ErrInvalidConfig, cfg.Timeout, cfg.Interval)
	case cfg.Retries < 0:
		return nil, fmt.Errorf("%w: Retries %d is negative", ErrInvalidConfig, cfg.Retries)
	case cfg.Timeout == math.MaxInt64 ||
		int64(cfg.Retries) > (math.MaxInt64-1-int64(cfg.Timeout))/int64(cfg.Interval):
		return nil, fmt.Errorf("%w: Timeout + Retries·Interval overflows time.Duration", ErrInvalidConfig)
	}
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.proberSet {
		if f, ok := o.prober.(ProberFunc); o.prober == nil || ok && f == nil {
			return nil, fmt.Errorf("%w: nil Prober", ErrInvalidConfig)
		}
	}
	if o.changeSet && o.onChange == nil {
		return nil, fmt.Errorf("%w: nil OnChange callback", ErrInvalidConfig)
	}
	return &Detector{
		interval:  cfg.Interval,
		timeout:   cfg.Timeout,
		retries:   cfg.Retries,
		deadAfter: cfg.Timeout + time.Duration(cfg.Retries)*cfg.Interval,
		prober:    o.prober,
		onChange:  o.onChange,
		nodes:     make(map[string]*member),
	}, nil
}

// Heartbeat records a heartbeat from node with sequence number seq at
// time.Now(). It is accepted if the node is unknown (any seq, 0 included)
// or seq is higher than every seq accepted from it; a stale or duplicate
// heartbeat is ignored completely. An accepted heartbeat makes the node
// Alive from any status (ending a suspicion) and emits an event if the
// reported status was not Alive. Every string is a valid node name.
func (d *Detector) Heartbeat(node string, seq uint64) {
	now := time.Now()
	d.mu.Lock()
	n := d.nodes[node]
	switch {
	case n == nil:
		n = &member{}
		d.nodes[node] = n
	case seq <= n.seq:
		d.mu.Unlock()
		return
	}
	n.seq = seq
	n.lastSeen = now
	n.dead = false
	if n.probing {
		n.probing = false
		n.gen++
	}
	queued := d.change(node, n, Alive, now)
	d.mu.Unlock()
	if queued {
		d.deliver()
	}
}

// Status returns the node's status now: StatusAt(node, time.Now()). It is
// computed from the clock and works without Run, so it may be ahead of the
// events by up to one Interval.
func (d *Detector) Status(node string) Status {
	now := time.Now()
	d.mu.Lock()
	s := d.statusAt(d.nodes[node], now)
	d.mu.Unlock()
	return s
}

// StatusAt returns the node's status at now, given what the detector knows.
// It has no side effects. With age = now − last heartbeat: Unknown if the
// node was never heard from or was forgotten; Alive if age <= Timeout
// (negative ages included). In passive mode, Suspect if
// Timeout < age <= Timeout + Retries·Interval, Dead beyond. In active mode,
// Dead if probes declared it Dead (whatever now is) or Retries is 0 and
// age > Timeout, Suspect otherwise.
func (d *Detector) StatusAt(node string, now time.Time) Status {
	d.mu.Lock()
	s := d.statusAt(d.nodes[node], now)
	d.mu.Unlock()
	return s
}

// Forget drops everything known about node: its status becomes Unknown,
// its seq history is cleared (the next heartbeat is accepted whatever its
// seq), undelivered events and results of running probes for it are
// discarded, and no event for it follows until it heartbeats again.
// Forget emits no event. Forgetting an unknown node does nothing.
func (d *Detector) Forget(node string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.nodes[node]; !ok {
		return
	}
	delete(d.nodes, node)
	kept := d.queue[:0]
	for _, ev := range d.queue {
		if ev.Node != node {
			kept = append(kept, ev)
		}
	}
	clear(d.queue[len(kept):])
	d.queue = kept
}

// Run checks every node once per Interval (and once at its start), reports
// clock-driven changes and, in active mode, probes suspected nodes. It
// blocks until ctx is done, then stops its ticker, cancels running probes,
// waits for every goroutine it started and returns nil. A second Run while
// one is running returns ErrRunning at once; Run may be called again after
// it has returned.
func (d *Detector) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return ErrRunning
	}
	d.running = true
	d.mu.Unlock()

	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	ticker := time.NewTicker(d.interval)
	d.sweep(runCtx, &wg)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-ticker.C:
			d.sweep(runCtx, &wg)
		}
	}
	ticker.Stop()
	cancel()
	wg.Wait()

	d.mu.Lock()
	d.running = false
	d.mu.Unlock()
	return nil
}

// statusAt is StatusAt for a looked-up node. Callers hold d.mu.
func (d *Detector) statusAt(n *member, now time.Time) Status {
	if n == nil {
		return Unknown
	}
	age := now.Sub(n.lastSeen)
	switch {
	case d.prober != nil && n.dead:
		return Dead
	case age <= d.timeout:
		return Alive
	case d.prober != nil && d.retries > 0:
		return Suspect
	case d.prober != nil:
		return Dead
	case age <= d.deadAfter:
		return Suspect
	default:
		return Dead
	}
}

// change records that n's reported status is now to and queues the event
// if that is a change. It reports whether an event was queued. Callers
// hold d.mu.
func (d *Detector) change(name string, n *member, to Status, now time.Time) bool {
	from := n.reported
	if from == to {
		return false
	}
	n.reported = to
	if d.onChange == nil {
		return false
	}
	d.queue = append(d.queue, Event{Node: name, From: from, To: to, At: now})
	return true
}

// deliver drains the event queue unless another goroutine is already doing
// so; that goroutine then delivers the caller's events too. It calls
// onChange with d.mu released, one event at a time, in queue order.
func (d *Detector) deliver() {
	d.mu.Lock()
	for len(d.queue) > 0 {
		ev := d.queue[0]
		d.queue[0] = Event{}
		d.queue = d.queue[1:]
		d.mu.Unlock()
		d.onChange(ev)
		d.mu.Lock()
	}
	d.mu.Unlock()
}

// sweep reports every clock-driven change due now and starts a probe loop
// for every suspected node that has none.
func (d *Detector) sweep(ctx context.Context, wg *sync.WaitGroup) {
	now := time.Now()
	queued := false
	d.mu.Lock()
	for name, n := range d.nodes {
		s := d.statusAt(n, now)
		if d.change(name, n, s, now) {
			queued = true
		}
		if d.prober != nil && s == Suspect && !n.probing {
			n.probing = true
			gen := n.gen
			wg.Go(func() { d.probeLoop(ctx, wg, name, n, gen, now) })
		}
	}
	d.mu.Unlock()
	if queued {
		d.deliver()
	}
}

// result is one probe's outcome and the time it returned.
type result struct {
	err error
	at  time.Time
}

// probeLoop probes node n for suspicion gen: probe k starts at start+k·I
// with a deadline of one Interval, until a success, Retries failures, the
// end of the suspicion or the end of Run.
func (d *Detector) probeLoop(ctx context.Context, wg *sync.WaitGroup, name string, n *member, gen uint64, start time.Time) {
	failures := 0
	for probeStart := start; ; probeStart = probeStart.Add(d.interval) {
		if wait := time.Until(probeStart); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				d.endLoop(n, gen)
				return
			case <-t.C:
			}
		}
		if !d.current(name, n, gen) {
			return
		}
		deadline := probeStart.Add(d.interval)
		pctx, cancel := context.WithDeadline(ctx, deadline)
		res := make(chan result, 1)
		wg.Go(func() {
			err := d.prober.Probe(pctx, name)
			res <- result{err, time.Now()}
		})
		ok, at := false, time.Time{}
		select {
		case r := <-res:
			ok, at = r.err == nil && r.at.Before(deadline), r.at
		case <-pctx.Done():
		}
		cancel()
		if ctx.Err() != nil { // cut short by the end of Run: not a failure
			d.endLoop(n, gen)
			return
		}
		if !ok {
			failures++
		}
		if d.settle(name, n, gen, ok, at, failures) {
			return
		}
	}
}

// current reports whether gen is still n's running suspicion.
func (d *Detector) current(name string, n *member, gen uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.nodes[name] == n && n.gen == gen
}

// endLoop marks n as not probed if gen is still its suspicion, so that the
// next Run probes it again from zero failures.
func (d *Detector) endLoop(n *member, gen uint64) {
	d.mu.Lock()
	if n.gen == gen {
		n.probing = false
	}
	d.mu.Unlock()
}

// settle applies one probe outcome and reports whether probing is over. A
// success counts as a heartbeat received at, the time the probe returned.
func (d *Detector) settle(name string, n *member, gen uint64, ok bool, at time.Time, failures int) bool {
	now := time.Now()
	queued := false
	d.mu.Lock()
	if d.nodes[name] != n || n.gen != gen {
		d.mu.Unlock()
		return true
	}
	switch {
	case ok:
		n.lastSeen = at
		n.probing = false
		n.gen++
		queued = d.change(name, n, Alive, now)
	case failures >= d.retries:
		n.dead = true
		n.probing = false
		n.gen++
		queued = d.change(name, n, Dead, now)
	default:
		d.mu.Unlock()
		return false
	}
	d.mu.Unlock()
	if queued {
		d.deliver()
	}
	return true
}
