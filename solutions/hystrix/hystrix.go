// Package hystrix is the reference solution of the hystrix kata: a
// Hystrix-style command that runs a function with a timeout its run sees
// through its context, behind a bulkhead and a circuit that trips on the
// error percentage of a rolling window of ten one-second buckets, and that
// falls back on a function told why.
//
// Design: one mutex guards the circuit, the bulkhead counter and the
// buckets, and is held only around arithmetic. Execute admits under the
// lock, starts run on a goroutine with a context whose deadline is the
// request's deadline, and selects on the run's result (a channel with room
// for it, so the run's goroutine never blocks) and on that context. The
// select alone cannot tell a return at exactly the deadline from one just
// before it, nor a caller cancellation from the deadline when both fall on
// one instant, so the outcome is decided afterwards, under the lock, from
// the instant: at or after the deadline it is a timeout, otherwise a caller
// cancellation if the caller's context is done, otherwise the run's result.
package hystrix

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// The errors of a command. A fallback's error is returned wrapped together
// with the cause it was given, so errors.Is matches both.
var (
	ErrInvalidConfig  = errors.New("hystrix: invalid config")
	ErrCircuitOpen    = errors.New("hystrix: circuit open")
	ErrMaxConcurrency = errors.New("hystrix: max concurrency")
	ErrTimeout        = errors.New("hystrix: timeout")
)

// Config configures a command. Every field must be set: New rejects the
// zero Config rather than guessing defaults.
type Config struct {
	Timeout                time.Duration // each run's deadline, counted from its admission
	MaxConcurrentRequests  int           // bulkhead: runs in flight at once
	RequestVolumeThreshold int           // fewest requests in the window that may trip
	SleepWindow            time.Duration // how long an open circuit rejects before one probe
	ErrorPercentThreshold  int           // trip at this error percentage or above
}

// DefaultConfig returns the values of the classic hystrix-go set-up:
// Timeout 1 s, MaxConcurrentRequests 100, RequestVolumeThreshold 10,
// SleepWindow 5 s, ErrorPercentThreshold 50.
func DefaultConfig() Config {
	return Config{
		Timeout:                time.Second,
		MaxConcurrentRequests:  100,
		RequestVolumeThreshold: 10,
		SleepWindow:            5 * time.Second,
		ErrorPercentThreshold:  50,
	}
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

// Metrics is a snapshot of a command: its state, the counts of its rolling
// window at the instant of the call, and the runs in flight.
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

// The rolling window: numBuckets buckets of bucketWidth, aligned to New.
const (
	numBuckets  = 10
	bucketWidth = time.Second
)

// bucket holds the counts of one second of the window. Bucket number n
// (n = ⌊(t − t₀) / 1 s⌋) lives in slot n mod numBuckets; a slot whose
// number is not the one asked for holds an older second and is reset
// before it is reused.
type bucket struct {
	n                             int64
	successes, failures, timeouts int64
	shortCircuits, rejections     int64
}

// outcome is how an admitted request ended.
type outcome uint8

const (
	success outcome = iota
	failure
	timeout
	cancelled // by the caller: counted nowhere
)

// Command runs functions with a timeout, a bulkhead, a circuit and a
// fallback. It is safe for concurrent use; create one with New.
type Command[T any] struct {
	cfg Config
	t0  time.Time // the instant New read the clock: bucket 0 starts here

	mu       sync.Mutex
	state    State
	openedAt time.Time // T: when the circuit last opened
	inFlight int
	buckets  [numBuckets]bucket
}

// New returns a closed command, or a nil command and an error matching
// ErrInvalidConfig unless Timeout > 0, MaxConcurrentRequests ≥ 1,
// RequestVolumeThreshold ≥ 1, SleepWindow > 0 and 1 ≤
// ErrorPercentThreshold ≤ 100. It starts no goroutine and allocates the
// same whatever the values.
func New[T any](cfg Config) (*Command[T], error) {
	switch {
	case cfg.Timeout <= 0:
		return nil, fmt.Errorf("%w: Timeout %v is not positive", ErrInvalidConfig, cfg.Timeout)
	case cfg.MaxConcurrentRequests < 1:
		return nil, fmt.Errorf("%w: MaxConcurrentRequests %d is below 1", ErrInvalidConfig, cfg.MaxConcurrentRequests)
	case cfg.RequestVolumeThreshold < 1:
		return nil, fmt.Errorf("%w: RequestVolumeThreshold %d is below 1", ErrInvalidConfig, cfg.RequestVolumeThreshold)
	case cfg.SleepWindow <= 0:
		return nil, fmt.Errorf("%w: SleepWindow %v is not positive", ErrInvalidConfig, cfg.SleepWindow)
	case cfg.ErrorPercentThreshold < 1 || cfg.ErrorPercentThreshold > 100:
		return nil, fmt.Errorf("%w: ErrorPercentThreshold %d is not in 1..100", ErrInvalidConfig, cfg.ErrorPercentThreshold)
	}
	return &Command[T]{cfg: cfg, t0: time.Now()}, nil
}

// result is what run returned.
type result[T any] struct {
	v   T
	err error
}

// Execute runs run behind the circuit and the bulkhead, with a deadline of
// Timeout from its admission, and returns its result, or the fallback's, or
// the cause of the failure. See the README for the rules.
func (c *Command[T]) Execute(ctx context.Context,
	run func(ctx context.Context) (T, error),
	fallback func(ctx context.Context, cause error) (T, error)) (T, error) {
	if run == nil {
		panic("hystrix: Execute called with a nil run")
	}
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	admittedAt, probe, cause := c.admit()
	if cause != nil {
		return c.fallback(ctx, cause, fallback)
	}

	// time.Time.Add cannot overflow for any Duration from an instant of
	// this century, and WithDeadline keeps the caller's earlier deadline.
	deadline := admittedAt.Add(c.cfg.Timeout)
	runCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	done := make(chan result[T], 1) // room for the result: the sender never blocks
	go func() {
		v, err := run(runCtx)
		c.release() // before the send: when Execute returns with it, the slot is free
		done <- result[T]{v, err}
	}()

	var res result[T]
	returned := false
	select {
	case res = <-done:
		returned = true
	case <-runCtx.Done():
	}
	switch c.settle(ctx, deadline, probe, returned, res.err) {
	case success:
		return res.v, nil
	case cancelled:
		return zero, ctx.Err()
	case timeout:
		cause = ErrTimeout
	default:
		cause = res.err
	}
	return c.fallback(ctx, cause, fallback)
}

// admit decides a request at the current instant: a short-circuit or a
// bulkhead rejection (counted, and returned as the cause), or an admission
// at that instant, as the probe if the circuit was open long enough.
func (c *Command[T]) admit() (at time.Time, probe bool, cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	switch c.state {
	case StateHalfOpen:
		c.bucket(now).shortCircuits++
		return now, false, ErrCircuitOpen
	case StateOpen:
		// Sub saturates instead of overflowing: a SleepWindow of
		// math.MaxInt64 never elapses.
		if now.Sub(c.openedAt) <= c.cfg.SleepWindow {
			c.bucket(now).shortCircuits++
			return now, false, ErrCircuitOpen
		}
		probe = true
	}
	if c.inFlight >= c.cfg.MaxConcurrentRequests {
		// A would-be probe refused here leaves the circuit open, with its
		// open time: the next request may be the probe.
		c.bucket(now).rejections++
		return now, false, ErrMaxConcurrency
	}
	c.inFlight++
	if probe {
		c.state = StateHalfOpen
	}
	return now, probe, nil
}

// release frees the bulkhead slot of a run that returned.
func (c *Command[T]) release() {
	c.mu.Lock()
	c.inFlight--
	c.mu.Unlock()
}

// settle decides how an admitted request ended, at the current instant,
// records it and applies the transition it causes.
func (c *Command[T]) settle(ctx context.Context, deadline time.Time, probe, returned bool, err error) outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	var o outcome
	switch {
	case !now.Before(deadline):
		o = timeout // a return at exactly the deadline is too late
	case ctx.Err() != nil:
		o = cancelled
	case !returned:
		o = timeout // the run's context is done for no other reason
	case err != nil:
		o = failure
	default:
		o = success
	}

	if o == cancelled {
		if probe {
			c.state = StateOpen // the old open time: the next request probes
		}
		return o
	}
	b := c.bucket(now)
	switch o {
	case success:
		b.successes++
	case failure:
		b.failures++
	default:
		b.timeouts++
	}
	switch {
	case probe && o == success:
		c.state = StateClosed
		c.buckets = [numBuckets]bucket{}
	case probe:
		c.state, c.openedAt = StateOpen, now
	case c.state == StateClosed:
		m := c.window(now)
		errs := m.Failures + m.Timeouts
		if m.Requests >= int64(c.cfg.RequestVolumeThreshold) &&
			100*errs >= int64(c.cfg.ErrorPercentThreshold)*m.Requests {
			c.state, c.openedAt = StateOpen, now
		}
	}
	return o
}

// fallback returns the result for a request that did not succeed: the
// cause, or what fallback makes of it.
func (c *Command[T]) fallback(ctx context.Context, cause error,
	fallback func(ctx context.Context, cause error) (T, error)) (T, error) {
	var zero T
	if fallback == nil {
		return zero, cause
	}
	v, err := fallback(ctx, cause)
	if err != nil {
		return zero, fmt.Errorf("hystrix: fallback failed: %w (cause: %w)", err, cause)
	}
	return v, nil
}

// State returns the state of the circuit. It changes nothing: an open
// circuit whose sleep window has passed stays open until a request comes.
func (c *Command[T]) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Metrics returns the state, the window at the current instant and the
// runs in flight. It changes nothing.
func (c *Command[T]) Metrics() Metrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.window(time.Now())
	m.State, m.InFlight = c.state, c.inFlight
	return m
}

// bucketNumber returns ⌊(t − t₀) / 1 s⌋; Sub saturates, so it cannot
// overflow.
func (c *Command[T]) bucketNumber(t time.Time) int64 {
	return int64(t.Sub(c.t0) / bucketWidth)
}

// bucket returns the bucket of instant t, reset if its slot held an older
// second. Callers hold c.mu and read the clock under it, so instants only
// grow and a slot never goes back to an older second.
func (c *Command[T]) bucket(t time.Time) *bucket {
	n := c.bucketNumber(t)
	b := &c.buckets[n%numBuckets]
	if b.n != n {
		*b = bucket{n: n}
	}
	return b
}

// window sums the buckets of the window at instant t: numbers n−9 … n.
// Callers hold c.mu.
func (c *Command[T]) window(t time.Time) Metrics {
	n := c.bucketNumber(t)
	var m Metrics
	for i := range c.buckets {
		b := &c.buckets[i]
		if b.n > n-numBuckets && b.n <= n {
			m.Successes += b.successes
			m.Failures += b.failures
			m.Timeouts += b.timeouts
			m.ShortCircuits += b.shortCircuits
			m.Rejections += b.rejections
		}
	}
	m.Requests = m.Successes + m.Failures + m.Timeouts
	if m.Requests > 0 {
		m.ErrorPercent = int(100 * (m.Failures + m.Timeouts) / m.Requests)
	}
	return m
}
