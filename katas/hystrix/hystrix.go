// Package hystrix is the Hystrix-style command kata: read
// katas/hystrix/README.md and implement the API below. Every body panics
// "not implemented" until you do.
package hystrix

import (
	"context"
	"errors"
	"time"
)

// The errors of a command (rules 1, 10, 12, 14). A fallback's error is
// returned wrapped together with its cause, so errors.Is matches both.
var (
	ErrInvalidConfig  = errors.New("hystrix: invalid config")
	ErrCircuitOpen    = errors.New("hystrix: circuit open")
	ErrMaxConcurrency = errors.New("hystrix: max concurrency")
	ErrTimeout        = errors.New("hystrix: timeout")
)

// Config configures a command. Every field must be set: New rejects the
// zero Config rather than guessing defaults (rule 1).
type Config struct {
	Timeout                time.Duration // each run's deadline, counted from its admission
	MaxConcurrentRequests  int           // bulkhead: runs in flight at once
	RequestVolumeThreshold int           // fewest requests in the window that may trip
	SleepWindow            time.Duration // how long an open circuit rejects before one probe
	ErrorPercentThreshold  int           // trip at this error percentage or above
}

// DefaultConfig returns {Timeout: 1 s, MaxConcurrentRequests: 100,
// RequestVolumeThreshold: 10, SleepWindow: 5 s, ErrorPercentThreshold: 50}
// (rule 2).
func DefaultConfig() Config {
	panic("not implemented")
}

// State is the state of a command's circuit.
type State int

// The states, in the order of the breaker kata.
const (
	StateClosed State = iota
	StateHalfOpen
	StateOpen
)

// String returns "closed", "half-open" or "open", and "State(N)" for any
// other value N.
func (s State) String() string {
	panic("not implemented")
}

// Metrics is a snapshot of a command (rules 3–5, 16): its state, the counts
// of its rolling window at the instant of the call, and the runs in flight.
type Metrics struct {
	State         State
	Requests      int64 // Successes + Failures + Timeouts in the window
	Successes     int64
	Failures      int64 // run returned an error in time
	Timeouts      int64 // run had not returned by its deadline
	ShortCircuits int64 // ErrCircuitOpen rejections in the window
	Rejections    int64 // ErrMaxConcurrency rejections in the window
	ErrorPercent  int   // ⌊100·(Failures+Timeouts)/Requests⌋; 0 without requests
	InFlight      int   // runs started and not yet returned
}

// Command runs functions with a timeout, a bulkhead, a circuit over a
// rolling window of ten one-second buckets, and a fallback. It is safe for
// concurrent use; create one with New.
type Command[T any] struct {
	// yours
}

// New returns a closed command, or a nil command and an error matching
// ErrInvalidConfig (rule 1). It never panics, starts no goroutine and uses
// O(1) memory whatever the values.
func New[T any](cfg Config) (*Command[T], error) {
	panic("not implemented")
}

// Execute runs run behind the circuit and the bulkhead, on a new goroutine,
// with a context whose deadline is Timeout after the admission, and returns
// run's result, the fallback's result, or the cause of the failure (rules
// 6–15). A nil run panics; a nil fallback means "return the cause".
func (c *Command[T]) Execute(ctx context.Context,
	run func(ctx context.Context) (T, error),
	fallback func(ctx context.Context, cause error) (T, error)) (T, error) {
	panic("not implemented")
}

// State returns the state of the circuit. It changes nothing (rule 16).
func (c *Command[T]) State() State {
	panic("not implemented")
}

// Metrics returns the state, the window at the current instant and the
// runs in flight. It changes nothing (rule 16).
func (c *Command[T]) Metrics() Metrics {
	panic("not implemented")
}
