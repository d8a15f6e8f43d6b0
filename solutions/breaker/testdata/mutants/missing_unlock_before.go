// Mutant: before (the admission step of Execute and Allow) returns without unlocking the mutex when it admits or rejects a request.
// Rule: 16

// Package breaker implements a circuit breaker: it stops calling a dependency
// that keeps failing, fails fast for a while, then lets a few probe requests
// through to see whether the dependency has recovered.
//
// A breaker is a state machine with three states:
//
//	closed ──ReadyToTrip──▶ open ──Timeout elapsed──▶ half-open
//	  ▲                      ▲                            │
//	  │                      └──────── a failure ─────────┤
//	  └──────── MaxRequests consecutive successes ────────┘
//
// Closed admits every request and counts the outcomes; after each failure
// it asks ReadyToTrip whether to open. Open rejects every request with
// ErrOpenState until Timeout has passed. Half-open admits at most
// MaxRequests probes (the others get ErrTooManyRequests): one failure opens
// the breaker again, MaxRequests successes in a row close it.
//
// There is no timer and no goroutine. Time-based changes (open becoming
// half-open, the closed state's Interval rollover) are applied lazily: every
// method first applies whatever is due at the current time, so State and
// Counts always describe the present. The clock is read only when a
// time-based change is possible (open, or closed with an Interval) or a new
// state needs a deadline, so a closed breaker without an Interval never
// reads it.
//
// The Counts belong to a generation. Every state change and every Interval
// rollover starts a new generation with zero Counts, and every admitted
// request remembers the generation it was admitted in. An outcome that
// arrives after its generation has ended (a slow request that finishes after
// the breaker tripped) is ignored: it must not close a breaker that has
// since reopened, nor count against a fresh period.
//
// The lock is held only around this bookkeeping, never while a request runs
// and never while OnStateChange runs. Each locked step notes the transition
// it made, and the method calls OnStateChange after unlocking, so the
// callback may call State, Counts and Name on the same breaker.
//
// Execute is the one-step form. Allow is the two-step form for callers that
// run the request themselves:
//
//	done, err := b.Allow()
//	if err != nil {
//		return err // rejected: ErrOpenState or ErrTooManyRequests
//	}
//	resp, err := call()
//	done(err == nil)
//
// The API and the defaults are those of sony/gobreaker v2, except that
// Counts applies due changes first and OnStateChange runs outside the lock.
package breaker

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// State is the state of a circuit breaker.
type State int

// The three states. A new breaker is closed.
const (
	// StateClosed admits every request and counts the outcomes.
	StateClosed State = iota
	// StateHalfOpen admits at most MaxRequests probe requests.
	StateHalfOpen
	// StateOpen rejects every request with ErrOpenState.
	StateOpen
)

// String returns "closed", "half-open" or "open", and "State(n)" for any
// other value.
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateHalfOpen:
		return "half-open"
	case StateOpen:
		return "open"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Counts describes the requests of the current generation. A generation
// starts with zero Counts at New, at every state change and, in the closed
// state, at every Interval rollover.
type Counts struct {
	Requests             uint32 // admitted requests, finished or not
	TotalSuccesses       uint32
	TotalFailures        uint32
	ConsecutiveSuccesses uint32 // successes since the last failure
	ConsecutiveFailures  uint32 // failures since the last success
}

// onSuccess records a success.
func (c *Counts) onSuccess() {
	c.TotalSuccesses++
	c.ConsecutiveSuccesses++
	c.ConsecutiveFailures = 0
}

// onFailure records a failure.
func (c *Counts) onFailure() {
	c.TotalFailures++
	c.ConsecutiveFailures++
	c.ConsecutiveSuccesses = 0
}

// Settings configures a breaker. Every value is valid: zero and negative
// fields select the defaults, which are those of sony/gobreaker.
type Settings struct {
	// Name is returned by Breaker.Name and passed to OnStateChange.
	Name string

	// MaxRequests is the number of probe requests admitted in the half-open
	// state, and the number of consecutive successes that close it. 0 means 1.
	MaxRequests uint32

	// Interval is the length of the closed state's counting period: a
	// method called strictly more than Interval after the period started
	// clears the Counts and starts a new period. <= 0 means the Counts are
	// never cleared while the breaker stays closed.
	Interval time.Duration

	// Timeout is how long the breaker stays open: opened at T, it is still
	// open at T+Timeout and half-open after it. <= 0 means 60 seconds.
	Timeout time.Duration

	// ReadyToTrip is called in the closed state after every failure, with
	// the updated Counts, and never after a success; returning true opens
	// the breaker. It may run while the breaker's lock is held, so it must
	// not call the breaker. nil means: trip when ConsecutiveFailures > 5,
	// on the sixth failure in a row.
	ReadyToTrip func(counts Counts) bool

	// OnStateChange, if not nil, is called once for every state change,
	// after the breaker's lock has been released: it may call State, Counts
	// and Name.
	OnStateChange func(name string, from, to State)

	// IsSuccessful classifies the error returned by Execute's request as a
	// success (true) or a failure. nil means err == nil.
	IsSuccessful func(err error) bool
}

// Default settings, those of sony/gobreaker.
const (
	defaultTimeout     = 60 * time.Second
	defaultMaxRequests = 1
	defaultTripAfter   = 5 // trip when ConsecutiveFailures > defaultTripAfter
)

var (
	// ErrOpenState is returned by Execute and Allow while the breaker is
	// open.
	ErrOpenState = errors.New("breaker: circuit breaker is open")
	// ErrTooManyRequests is returned by Execute and Allow in the half-open
	// state when MaxRequests probes have already been admitted.
	ErrTooManyRequests = errors.New("breaker: too many requests")
)

// Breaker is a circuit breaker for requests that return a T and an error.
// Create one with New; the zero value is not usable. All methods are safe
// for concurrent use.
type Breaker[T any] struct {
	// Read-only after New.
	name          string
	maxRequests   uint32
	interval      time.Duration
	timeout       time.Duration
	readyToTrip   func(Counts) bool
	isSuccessful  func(error) bool
	onStateChange func(name string, from, to State)

	mu         sync.Mutex
	state      State
	generation uint64 // incremented whenever a new generation starts
	counts     Counts
	// expiry is when the current state's time runs out. Closed: the end of
	// the counting period (the zero Time when Interval <= 0, meaning never).
	// Open: the end of the timeout. Half-open: the zero Time (no limit).
	// The change happens only strictly after expiry.
	expiry time.Time
}

// clock reads time.Now once, on first use. Methods read it under the lock,
// so the times a breaker sees never go backwards.
type clock struct {
	t    time.Time
	read bool
}

// now returns the current time, the same for every call on c.
func (c *clock) now() time.Time {
	if !c.read {
		c.t, c.read = time.Now(), true
	}
	return c.t
}

// transition is a state change that a locked step made, to be reported to
// OnStateChange once the lock is released.
type transition struct {
	from, to State
	changed  bool
}

// New returns a closed breaker with zero Counts. Its first generation, and
// its first counting period when Interval > 0, start now. New never fails:
// zero and negative settings select the defaults (see Settings).
func New[T any](st Settings) *Breaker[T] {
	b := &Breaker[T]{
		name:          st.Name,
		maxRequests:   st.MaxRequests,
		interval:      st.Interval,
		timeout:       st.Timeout,
		readyToTrip:   st.ReadyToTrip,
		isSuccessful:  st.IsSuccessful,
		onStateChange: st.OnStateChange,
	}
	if b.maxRequests == 0 {
		b.maxRequests = defaultMaxRequests
	}
	if b.interval < 0 {
		b.interval = 0
	}
	if b.timeout <= 0 {
		b.timeout = defaultTimeout
	}
	if b.readyToTrip == nil {
		b.readyToTrip = func(c Counts) bool { return c.ConsecutiveFailures > defaultTripAfter }
	}
	if b.isSuccessful == nil {
		b.isSuccessful = func(err error) bool { return err == nil }
	}
	b.newGeneration(&clock{})
	return b
}

// Name returns Settings.Name.
func (b *Breaker[T]) Name() string { return b.name }

// State returns the state at the current time, after applying any change
// that is due (an open breaker whose Timeout has passed is half-open). Such
// a change is reported to OnStateChange before State returns.
func (b *Breaker[T]) State() State {
	var clk clock
	b.mu.Lock()
	tr := b.advance(&clk)
	s := b.state
	b.mu.Unlock()
	b.notify(tr)
	return s
}

// Counts returns the Counts of the current generation, after applying any
// change that is due: after a state change or an Interval rollover they are
// zero. Such a change is reported to OnStateChange before Counts returns.
func (b *Breaker[T]) Counts() Counts {
	var clk clock
	b.mu.Lock()
	tr := b.advance(&clk)
	c := b.counts
	b.mu.Unlock()
	b.notify(tr)
	return c
}

// Execute runs req if the breaker admits it, and returns req's results
// unchanged. A rejected request is not run: Execute returns the zero T and
// ErrOpenState (open) or ErrTooManyRequests (half-open with MaxRequests
// probes admitted).
//
// The outcome is IsSuccessful(err). req runs without the breaker's lock
// held, so it may call the breaker. If req panics, Execute records a
// failure and panics again with the same value. If the breaker has moved to
// a new generation by the time req returns, the outcome is ignored.
func (b *Breaker[T]) Execute(req func() (T, error)) (T, error) {
	gen, err := b.before()
	if err != nil {
		var zero T
		return zero, err
	}
	finished := false
	defer func() {
		if finished {
			return
		}
		// req panicked (or called runtime.Goexit): record a failure, then
		// let the panic continue with its own value.
		if e := recover(); e != nil {
			b.after(gen, false)
			panic(e)
		}
		b.after(gen, false)
	}()
	res, err := req()
	finished = true
	b.after(gen, b.isSuccessful(err))
	return res, err
}

// Allow is the two-step form of Execute. If the breaker admits a request,
// Allow returns a done function and a nil error; the caller runs the
// request and reports its outcome with done(true) for a success or
// done(false) for a failure. If not, Allow returns a nil done and
// ErrOpenState or ErrTooManyRequests.
//
// Only the first call of a done counts; later calls of the same done do
// nothing. done may be called from any goroutine. An outcome reported
// after the breaker has moved to a new generation is ignored. A done that
// is never called holds its half-open probe slot until the state changes.
func (b *Breaker[T]) Allow() (done func(success bool), err error) {
	gen, err := b.before()
	if err != nil {
		return nil, err
	}
	p := &probe[T]{b: b, generation: gen}
	return p.done, nil
}

// probe is an admitted request of the two-step form.
type probe[T any] struct {
	b          *Breaker[T]
	generation uint64
	reported   atomic.Bool
}

// done reports the outcome of the probe the first time it is called.
func (p *probe[T]) done(success bool) {
	if p.reported.Swap(true) {
		return
	}
	p.b.after(p.generation, success)
}

// before admits or rejects a request. On admission it counts the request
// and returns the generation it belongs to.
func (b *Breaker[T]) before() (uint64, error) {
	var clk clock
	b.mu.Lock()
	tr := b.advance(&clk)
	var err error
	switch {
	case b.state == StateOpen:
		err = ErrOpenState
	case b.state == StateHalfOpen && b.counts.Requests >= b.maxRequests:
		err = ErrTooManyRequests
	default:
		b.counts.Requests++
	}
	gen := b.generation
	b.notify(tr)
	return gen, err
}

// after records the outcome of a request admitted in generation gen.
func (b *Breaker[T]) after(gen uint64, success bool) {
	var clk clock
	b.mu.Lock()
	tr := b.advance(&clk)
	// If advance changed anything, the generation has moved on, so at most
	// one of the two makes a transition.
	if gen == b.generation {
		if success {
			tr = b.onSuccess(&clk)
		} else {
			tr = b.onFailure(&clk)
		}
	}
	b.mu.Unlock()
	b.notify(tr)
}

// onSuccess records a success in the current generation. b.mu is held.
func (b *Breaker[T]) onSuccess(c *clock) transition {
	b.counts.onSuccess()
	if b.state == StateHalfOpen && b.counts.ConsecutiveSuccesses >= b.maxRequests {
		return b.setState(StateClosed, c)
	}
	return transition{}
}

// onFailure records a failure in the current generation. b.mu is held.
func (b *Breaker[T]) onFailure(c *clock) transition {
	b.counts.onFailure()
	switch b.state {
	case StateClosed:
		if b.readyToTrip(b.counts) {
			return b.setState(StateOpen, c)
		}
	case StateHalfOpen:
		return b.setState(StateOpen, c)
	}
	return transition{}
}

// advance applies the time-based changes due now: an open breaker past
// its timeout becomes half-open, and a closed breaker past its counting
// period starts a new one. b.mu is held.
//
// time.Until(expiry) < 0 means "now is strictly after expiry". Outside a
// synctest bubble it reads only the monotonic clock, which costs about
// half as much as time.Now, and this check runs on every call while open.
func (b *Breaker[T]) advance(c *clock) transition {
	switch b.state {
	case StateClosed:
		if !b.expiry.IsZero() && time.Until(b.expiry) < 0 {
			b.newGeneration(c)
		}
	case StateOpen:
		if time.Until(b.expiry) < 0 {
			return b.setState(StateHalfOpen, c)
		}
	}
	return transition{}
}

// setState moves to state to and starts a new generation. b.mu is held.
func (b *Breaker[T]) setState(to State, c *clock) transition {
	from := b.state
	b.state = to
	b.newGeneration(c)
	return transition{from: from, to: to, changed: true}
}

// newGeneration clears the Counts and sets the expiry of the current state,
// counted from now. b.mu is held (or b is not shared yet).
func (b *Breaker[T]) newGeneration(c *clock) {
	b.generation++
	b.counts = Counts{}
	b.expiry = time.Time{}
	switch b.state {
	case StateClosed:
		if b.interval > 0 {
			b.expiry = c.now().Add(b.interval)
		}
	case StateOpen:
		b.expiry = c.now().Add(b.timeout)
	}
}

// notify reports tr to OnStateChange. b.mu must not be held.
func (b *Breaker[T]) notify(tr transition) {
	if tr.changed && b.onStateChange != nil {
		b.onStateChange(b.name, tr.from, tr.to)
	}
}
