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
// Counts always describe the present.
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
	panic("not implemented")
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
	// Yours: the state, the Counts, a generation, a lock, ...
}

// New returns a closed breaker with zero Counts. Its first generation, and
// its first counting period when Interval > 0, start now. New never fails:
// zero and negative settings select the defaults (see Settings).
func New[T any](st Settings) *Breaker[T] {
	panic("not implemented")
}

// Name returns Settings.Name.
func (b *Breaker[T]) Name() string {
	panic("not implemented")
}

// State returns the state at the current time, after applying any change
// that is due (an open breaker whose Timeout has passed is half-open). Such
// a change is reported to OnStateChange before State returns.
func (b *Breaker[T]) State() State {
	panic("not implemented")
}

// Counts returns the Counts of the current generation, after applying any
// change that is due: after a state change or an Interval rollover they are
// zero. Such a change is reported to OnStateChange before Counts returns.
func (b *Breaker[T]) Counts() Counts {
	panic("not implemented")
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
	panic("not implemented")
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
	panic("not implemented")
}
