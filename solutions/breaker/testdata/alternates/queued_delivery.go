// Alternate: each generation is its own object that admitted requests point to, states keep the time they started instead of an expiry, and transitions are queued under the lock and delivered in order by whichever caller holds a separate delivery lock.

// Package breaker implements a circuit breaker. This version differs from
// the reference in three ways: a generation is a *generation object (an
// outcome is stale when the request's object is no longer the current
// one), the breaker remembers when the current state or counting period
// started and compares elapsed time with Timeout and Interval, and state
// changes are queued under the lock and delivered by a drain loop that one
// goroutine at a time runs under a separate delivery lock.
package breaker

import (
	"errors"
	"strconv"
	"sync"
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
)

var (
	// ErrOpenState is returned by Execute and Allow while the breaker is
	// open.
	ErrOpenState = errors.New("breaker: circuit breaker is open")
	// ErrTooManyRequests is returned by Execute and Allow in the half-open
	// state when MaxRequests probes have already been admitted.
	ErrTooManyRequests = errors.New("breaker: too many requests")
)

// generation holds the Counts of one generation. Admitted requests keep a
// pointer to the generation that admitted them.
type generation struct {
	counts Counts
}

// change is a queued state change.
type change struct{ from, to State }

// Breaker is a circuit breaker for requests that return a T and an error.
// Create one with New; the zero value is not usable. All methods are safe
// for concurrent use.
type Breaker[T any] struct {
	st Settings // with defaults applied; read-only after New

	mu    sync.Mutex
	state State
	gen   *generation
	since time.Time // when the current state, or closed counting period, started
	queue []change  // changes not yet delivered, oldest first

	deliver sync.Mutex // held by the goroutine delivering the queue
}

// New returns a closed breaker with zero Counts. Its first generation, and
// its first counting period when Interval > 0, start now. New never fails:
// zero and negative settings select the defaults (see Settings).
func New[T any](st Settings) *Breaker[T] {
	if st.MaxRequests == 0 {
		st.MaxRequests = defaultMaxRequests
	}
	if st.Timeout <= 0 {
		st.Timeout = defaultTimeout
	}
	if st.ReadyToTrip == nil {
		st.ReadyToTrip = func(c Counts) bool { return c.ConsecutiveFailures > 5 }
	}
	if st.IsSuccessful == nil {
		st.IsSuccessful = func(err error) bool { return err == nil }
	}
	return &Breaker[T]{st: st, gen: &generation{}, since: time.Now()}
}

// Name returns Settings.Name.
func (b *Breaker[T]) Name() string { return b.st.Name }

// State returns the state at the current time, after applying any change
// that is due (an open breaker whose Timeout has passed is half-open). Such
// a change is reported to OnStateChange before State returns.
func (b *Breaker[T]) State() State {
	now := time.Now()
	b.mu.Lock()
	b.tick(now)
	s := b.state
	queued := len(b.queue) > 0
	b.mu.Unlock()
	b.drain(queued)
	return s
}

// Counts returns the Counts of the current generation, after applying any
// change that is due: after a state change or an Interval rollover they are
// zero. Such a change is reported to OnStateChange before Counts returns.
func (b *Breaker[T]) Counts() Counts {
	now := time.Now()
	b.mu.Lock()
	b.tick(now)
	c := b.gen.counts
	queued := len(b.queue) > 0
	b.mu.Unlock()
	b.drain(queued)
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
	g, err := b.admit()
	if err != nil {
		var zero T
		return zero, err
	}
	defer func() {
		if e := recover(); e != nil {
			b.report(g, false)
			panic(e)
		}
	}()
	res, err := req()
	b.report(g, b.st.IsSuccessful(err))
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
	g, err := b.admit()
	if err != nil {
		return nil, err
	}
	var once sync.Once
	return func(success bool) {
		once.Do(func() { b.report(g, success) })
	}, nil
}

// admit decides on a request and counts it if admitted.
func (b *Breaker[T]) admit() (*generation, error) {
	now := time.Now()
	b.mu.Lock()
	b.tick(now)
	var err error
	switch b.state {
	case StateOpen:
		err = ErrOpenState
	case StateHalfOpen:
		if b.gen.counts.Requests >= b.st.MaxRequests {
			err = ErrTooManyRequests
		}
	}
	if err == nil {
		b.gen.counts.Requests++
	}
	g := b.gen
	queued := len(b.queue) > 0
	b.mu.Unlock()
	b.drain(queued)
	return g, err
}

// report records the outcome of a request admitted in generation g.
func (b *Breaker[T]) report(g *generation, success bool) {
	now := time.Now()
	b.mu.Lock()
	b.tick(now)
	if g == b.gen {
		c := &g.counts
		if success {
			c.TotalSuccesses++
			c.ConsecutiveSuccesses++
			c.ConsecutiveFailures = 0
			if b.state == StateHalfOpen && c.ConsecutiveSuccesses >= b.st.MaxRequests {
				b.enter(StateClosed, now)
			}
		} else {
			c.TotalFailures++
			c.ConsecutiveFailures++
			c.ConsecutiveSuccesses = 0
			if b.state == StateHalfOpen || b.st.ReadyToTrip(*c) {
				b.enter(StateOpen, now)
			}
		}
	}
	queued := len(b.queue) > 0
	b.mu.Unlock()
	b.drain(queued)
}

// tick applies the time-based changes due at now. b.mu is held.
func (b *Breaker[T]) tick(now time.Time) {
	elapsed := now.Sub(b.since)
	switch b.state {
	case StateClosed:
		if b.st.Interval > 0 && elapsed > b.st.Interval {
			b.gen = &generation{}
			b.since = now
		}
	case StateOpen:
		if elapsed > b.st.Timeout {
			b.enter(StateHalfOpen, now)
		}
	}
}

// enter moves to state to at now, starts a new generation and queues the
// change. b.mu is held.
func (b *Breaker[T]) enter(to State, now time.Time) {
	b.queue = append(b.queue, change{b.state, to})
	b.state = to
	b.gen = &generation{}
	b.since = now
}

// drain delivers queued changes to OnStateChange, in order, if queued says
// there are any. One goroutine at a time delivers; a caller that finds the
// delivery lock taken leaves its changes to the goroutine holding it, which
// looks at the queue again before it lets go. b.mu must not be held.
func (b *Breaker[T]) drain(queued bool) {
	for queued {
		if !b.deliver.TryLock() {
			return
		}
		for {
			b.mu.Lock()
			if len(b.queue) == 0 {
				b.mu.Unlock()
				break
			}
			c := b.queue[0]
			b.queue = b.queue[1:]
			b.mu.Unlock()
			if b.st.OnStateChange != nil {
				b.st.OnStateChange(b.st.Name, c.from, c.to)
			}
		}
		b.deliver.Unlock()
		b.mu.Lock()
		queued = len(b.queue) > 0
		b.mu.Unlock()
	}
}
