// Alternate: settle-once instead of select: the run goroutine and a context.AfterFunc race to settle each request with a compare-and-swap; the bulkhead is a chan struct{} semaphore drained without the lock; the window keeps running totals over a ring retired as time moves on.

// Package hystrix is an alternate correct solution of the hystrix kata, of
// another design than the reference:
//
//   - settle-once: the run's goroutine and a context.AfterFunc on the run's
//     context race to settle the request with a compare-and-swap; whoever
//     wins decides the outcome from the instant and wakes Execute, which
//     waits on one channel (no select);
//   - the bulkhead is a channel of struct{} with MaxConcurrentRequests of
//     room (elements of struct{} take no memory, so math.MaxInt is fine),
//     filled under the lock and drained by the run's goroutine without it;
//   - the window keeps running totals and a ring that is advanced (and the
//     expired buckets subtracted) whenever time has moved on, so reading it
//     is O(1) after at most ten buckets are retired.
package hystrix

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var (
	ErrInvalidConfig  = errors.New("hystrix: invalid config")
	ErrCircuitOpen    = errors.New("hystrix: circuit open")
	ErrMaxConcurrency = errors.New("hystrix: max concurrency")
	ErrTimeout        = errors.New("hystrix: timeout")
)

type Config struct {
	Timeout                time.Duration
	MaxConcurrentRequests  int
	RequestVolumeThreshold int
	SleepWindow            time.Duration
	ErrorPercentThreshold  int
}

func DefaultConfig() Config {
	return Config{time.Second, 100, 10, 5 * time.Second, 50}
}

type State int

const (
	StateClosed State = iota
	StateHalfOpen
	StateOpen
)

var stateNames = [...]string{"closed", "half-open", "open"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.FormatInt(int64(s), 10) + ")"
}

type Metrics struct {
	State         State
	Requests      int64
	Successes     int64
	Failures      int64
	Timeouts      int64
	ShortCircuits int64
	Rejections    int64
	ErrorPercent  int
	InFlight      int
}

// counts are the five counters of a bucket, or of the whole window.
type counts [5]int64

const (
	kSuccess = iota
	kFailure
	kTimeout
	kShort
	kReject
)

type Command[T any] struct {
	cfg  Config
	t0   time.Time
	sem  chan struct{}
	mu   sync.Mutex
	st   State
	open time.Time
	// ring[i] holds the counts of second head-(9-i)... addressed as
	// ring[n%10] for second n; head is the newest second the ring covers.
	ring  [10]counts
	head  int64
	total counts
}

func New[T any](cfg Config) (*Command[T], error) {
	if cfg.Timeout <= 0 || cfg.MaxConcurrentRequests <= 0 || cfg.RequestVolumeThreshold <= 0 ||
		cfg.SleepWindow <= 0 || cfg.ErrorPercentThreshold <= 0 || cfg.ErrorPercentThreshold > 100 {
		return nil, fmt.Errorf("%w: %+v", ErrInvalidConfig, cfg)
	}
	return &Command[T]{cfg: cfg, t0: time.Now(), sem: make(chan struct{}, cfg.MaxConcurrentRequests)}, nil
}

// roll moves the ring to the second of t, retiring the seconds that left
// the window. Callers hold mu and read the clock under it.
func (c *Command[T]) roll(t time.Time) {
	n := int64(t.Sub(c.t0) / time.Second)
	if n <= c.head {
		return
	}
	if n-c.head >= 10 {
		c.ring = [10]counts{}
		c.total = counts{}
	} else {
		for s := c.head + 1; s <= n; s++ {
			old := &c.ring[s%10]
			for i := range old {
				c.total[i] -= old[i]
			}
			*old = counts{}
		}
	}
	c.head = n
}

func (c *Command[T]) add(kind int) {
	c.ring[c.head%10][kind]++
	c.total[kind]++
}

// call is one admitted request: settled once by whoever comes first.
type call[T any] struct {
	settled  atomic.Bool
	kind     int // kSuccess, kFailure, kTimeout, or -1: cancelled by the caller
	v        T
	err      error
	woken    chan struct{}
	deadline time.Time
	caller   context.Context
}

func (r *call[T]) settle(returned bool, v T, err error) {
	if !r.settled.CompareAndSwap(false, true) {
		return
	}
	now := time.Now()
	switch {
	case !now.Before(r.deadline):
		r.kind = kTimeout
	case r.caller.Err() != nil:
		r.kind = -1
	case !returned:
		r.kind = kTimeout
	case err != nil:
		r.kind, r.err = kFailure, err
	default:
		r.kind, r.v = kSuccess, v
	}
	close(r.woken)
}

func (c *Command[T]) Execute(ctx context.Context,
	run func(ctx context.Context) (T, error),
	fallback func(ctx context.Context, cause error) (T, error)) (T, error) {
	if run == nil {
		panic("hystrix: nil run")
	}
	var zero T
	if ctx.Err() != nil {
		return zero, ctx.Err()
	}

	c.mu.Lock()
	now := time.Now()
	c.roll(now)
	probe := false
	var cause error
	switch {
	case c.st == StateHalfOpen:
		cause = ErrCircuitOpen
	case c.st == StateOpen && now.Sub(c.open) <= c.cfg.SleepWindow:
		cause = ErrCircuitOpen
	default:
		probe = c.st == StateOpen
		select {
		case c.sem <- struct{}{}:
			if probe {
				c.st = StateHalfOpen
			}
		default:
			cause = ErrMaxConcurrency
		}
	}
	switch cause {
	case ErrCircuitOpen:
		c.add(kShort)
	case ErrMaxConcurrency:
		c.add(kReject)
	}
	c.mu.Unlock()
	if cause != nil {
		return c.fall(ctx, cause, fallback)
	}

	r := &call[T]{woken: make(chan struct{}), deadline: now.Add(c.cfg.Timeout), caller: ctx}
	runCtx, cancel := context.WithDeadline(ctx, r.deadline)
	stop := context.AfterFunc(runCtx, func() { r.settle(false, zero, nil) })
	go func() {
		v, err := run(runCtx)
		<-c.sem
		r.settle(true, v, err)
	}()
	<-r.woken
	stop()
	cancel()

	c.mu.Lock()
	now = time.Now()
	if r.kind < 0 {
		if probe {
			c.st = StateOpen
		}
		c.mu.Unlock()
		return zero, ctx.Err()
	}
	c.roll(now)
	c.add(r.kind)
	switch {
	case probe && r.kind == kSuccess:
		c.st = StateClosed
		c.ring, c.total = [10]counts{}, counts{}
	case probe:
		c.st, c.open = StateOpen, now
	case c.st == StateClosed:
		req := c.total[kSuccess] + c.total[kFailure] + c.total[kTimeout]
		bad := c.total[kFailure] + c.total[kTimeout]
		if req >= int64(c.cfg.RequestVolumeThreshold) && bad*100 >= req*int64(c.cfg.ErrorPercentThreshold) {
			c.st, c.open = StateOpen, now
		}
	}
	c.mu.Unlock()

	switch r.kind {
	case kSuccess:
		return r.v, nil
	case kFailure:
		return c.fall(ctx, r.err, fallback)
	}
	return c.fall(ctx, ErrTimeout, fallback)
}

// fallErr matches both the fallback's error and the cause.
type fallErr struct{ fb, cause error }

func (e *fallErr) Error() string {
	return "hystrix: fallback: " + e.fb.Error() + "; cause: " + e.cause.Error()
}
func (e *fallErr) Unwrap() []error { return []error{e.fb, e.cause} }

func (c *Command[T]) fall(ctx context.Context, cause error, fallback func(context.Context, error) (T, error)) (T, error) {
	var zero T
	if fallback == nil {
		return zero, cause
	}
	v, err := fallback(ctx, cause)
	if err != nil {
		return zero, &fallErr{err, cause}
	}
	return v, nil
}

func (c *Command[T]) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

func (c *Command[T]) Metrics() Metrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(time.Now()) // retires old seconds only: nothing a caller can see
	t := c.total
	m := Metrics{State: c.st, Successes: t[kSuccess], Failures: t[kFailure], Timeouts: t[kTimeout],
		ShortCircuits: t[kShort], Rejections: t[kReject], InFlight: len(c.sem)}
	m.Requests = m.Successes + m.Failures + m.Timeouts
	if m.Requests > 0 {
		m.ErrorPercent = int((m.Failures + m.Timeouts) * 100 / m.Requests)
	}
	return m
}
