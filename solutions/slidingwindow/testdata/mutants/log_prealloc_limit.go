// Mutant: The Log allocates room for Limit runs when it creates a key.
// Rule: 13

// Package slidingwindow is the reference solution of the sliding-window rate
// limiter kata: at most Limit requests per key in any Window, as an exact
// sliding log (Log) and as a weighted two-window counter (Counter).
//
// Design: one mutex per limiter guards a map from key to entry and an
// intrusive list of the active keys in the order of their last admission.
// Calls are totally ordered by their time (the clock reading, or the latest
// time already seen if the reading is older), so that order is also the
// order of the instants at which the keys become idle: forgetting idle keys
// pops them from the front of the list, O(1) per key, without a timer or a
// goroutine. The Log keeps its admissions run-length encoded (one run per
// distinct admission time), the Counter three integers; every comparison is
// exact integer arithmetic, with 128-bit products from math/bits.
package slidingwindow

import (
	"errors"
	"math"
	"math/bits"
	"sync"
	"time"
)

var (
	// ErrInvalidConfig is returned by NewLog and NewCounter for a Config
	// outside its documented ranges.
	ErrInvalidConfig = errors.New("slidingwindow: invalid config")
	// ErrLimited refuses a request that would exceed the key's limit.
	ErrLimited = errors.New("slidingwindow: rate limit exceeded")
	// ErrExceedsLimit refuses an AllowN whose n is larger than Limit: it
	// could never be admitted.
	ErrExceedsLimit = errors.New("slidingwindow: n exceeds the limit")
	// ErrTooManyKeys refuses a request for a new key while MaxKeys keys
	// are active.
	ErrTooManyKeys = errors.New("slidingwindow: too many keys")
)

// MaxWindow is the longest Window (about 146 years); 2·MaxWindow fits a Duration.
const MaxWindow = time.Duration(1<<62 - 1)

// Config configures a limiter. Nothing is defaulted.
type Config struct {
	Limit   int           // most requests admitted per key in any window; >= 1
	Window  time.Duration // 0 < Window <= MaxWindow
	MaxKeys int           // most keys tracked at once; >= 1
}

func (c Config) valid() bool {
	return c.Limit >= 1 && c.Window > 0 && c.Window <= MaxWindow && c.MaxKeys >= 1
}

// Limiter is implemented by *Log and *Counter.
type Limiter interface {
	// Allow is AllowN(key, 1) and reports whether it was admitted.
	Allow(key string) bool
	// AllowN admits n requests for key at once, or none.
	AllowN(key string, n int) (retryAfter time.Duration, err error)
	// Len returns the number of keys active now.
	Len() int
}

// entry is one tracked key: its place in the list of active keys and the
// state of its algorithm.
type entry[S any] struct {
	key          string
	idle         int64 // the instant (ns since the origin) the key becomes idle
	older, newer *entry[S]
	s            S
}

// table is what both limiters share: the clock, the keys and the list of
// active keys by last admission (and so by idle instant), oldest first.
type table[S any] struct {
	mu      sync.Mutex
	origin  time.Time
	now     int64 // the latest call time, ns since origin
	limit   int
	window  int64
	maxKeys int
	keys    map[string]*entry[S]
	oldest  *entry[S]
	newest  *entry[S]
}

func (tb *table[S]) init(cfg Config) {
	tb.origin = time.Now()
	tb.limit = cfg.Limit
	tb.window = int64(cfg.Window)
	tb.maxKeys = cfg.MaxKeys
	tb.keys = make(map[string]*entry[S])
}

// since reads the clock: the distance from the origin on the monotonic
// clock. time.Since(origin) is time.Now().Sub(origin), but reads only the
// monotonic clock, not the wall clock too: about half the cost.
func (tb *table[S]) since() time.Duration { return time.Since(tb.origin) }

// at returns the time of a call whose clock reading was d: d, or the
// latest time already used if that is later, so that calls are ordered by
// time whatever order they took the lock in. Call it with the lock held.
func (tb *table[S]) at(d time.Duration) int64 {
	t := int64(d)
	if t < tb.now {
		t = tb.now
	}
	tb.now = t
	return t
}

// forget drops the keys that are idle at t. They are at the front of the
// list: every call is at or after the previous one, and a later admission
// never makes an earlier idle instant.
func (tb *table[S]) forget(t int64) {
	for e := tb.oldest; e != nil && e.idle <= t; e = tb.oldest {
		tb.unlink(e)
		delete(tb.keys, e.key)
	}
}

func (tb *table[S]) unlink(e *entry[S]) {
	if e.older != nil {
		e.older.newer = e.newer
	} else {
		tb.oldest = e.newer
	}
	if e.newer != nil {
		e.newer.older = e.older
	} else {
		tb.newest = e.older
	}
	e.older, e.newer = nil, nil
}

// admitted records e's new idle instant and moves e to the back of the
// list. An idle instant that did not change (a Counter key admitted again
// in the same window, a Log key at the same time) keeps its place: the
// list stays sorted by idle instant either way.
func (tb *table[S]) admitted(e *entry[S], idle int64) {
	linked := tb.oldest == e || e.older != nil
	if linked && e.idle == idle || tb.newest == e {
		e.idle = idle
		return
	}
	e.idle = idle
	if linked {
		tb.unlink(e)
	}
	e.older = tb.newest
	if tb.newest != nil {
		tb.newest.newer = e
	} else {
		tb.oldest = e
	}
	tb.newest = e
}

// add inserts a new key, or reports that the table is full with the time
// until its first slot frees.
func (tb *table[S]) add(key string, t int64) (*entry[S], int64) {
	if len(tb.keys) >= tb.maxKeys {
		return nil, tb.oldest.idle - t
	}
	e := &entry[S]{key: key}
	tb.keys[key] = e
	return e, 0
}

// length returns the number of keys active at its time.
func (tb *table[S]) length() int {
	d := tb.since()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.forget(tb.at(d))
	return len(tb.keys)
}

// satAdd is a + b for b >= 0, saturated at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// run is n requests admitted at one time.
type run struct {
	at int64
	n  int
}

// logState is the admissions of one key that still count, oldest first:
// runs[start:], with total requests in them.
type logState struct {
	runs  []run
	start int
	total int
}

// Log is the exact sliding log: a request admitted at a counts until
// a + Window. Its memory per key is one run per distinct admission time
// that still counts.
type Log struct {
	tb table[logState]
}

// NewLog returns a sliding-log limiter, or nil and an error matching
// ErrInvalidConfig.
func NewLog(cfg Config) (*Log, error) {
	if !cfg.valid() {
		return nil, ErrInvalidConfig
	}
	l := &Log{}
	l.tb.init(cfg)
	return l, nil
}

// Len returns the number of keys active now.
func (l *Log) Len() int { return l.tb.length() }

// Allow is AllowN(key, 1) and reports whether it was admitted.
func (l *Log) Allow(key string) bool {
	_, err := l.AllowN(key, 1)
	return err == nil
}

// AllowN admits n requests for key at once, or none.
func (l *Log) AllowN(key string, n int) (time.Duration, error) {
	if n <= 0 {
		return 0, nil
	}
	if n > l.tb.limit {
		return 0, ErrExceedsLimit
	}
	d := l.tb.since()
	l.tb.mu.Lock()
	defer l.tb.mu.Unlock()
	t := l.tb.at(d)
	l.tb.forget(t)
	e := l.tb.keys[key]
	if e == nil {
		var wait int64
		if e, wait = l.tb.add(key, t); e == nil {
			return time.Duration(wait), ErrTooManyKeys
		}
		e.s.runs = make([]run, 0, l.tb.limit)
	}
	s := &e.s
	for s.start < len(s.runs) && t-s.runs[s.start].at >= l.tb.window {
		s.total -= s.runs[s.start].n
		s.start++
	}
	if n > l.tb.limit-s.total {
		// The (total + n − limit)-th oldest admission must stop counting.
		j := s.total + n - l.tb.limit
		for _, r := range s.runs[s.start:] {
			if j <= r.n {
				return time.Duration(l.tb.window - (t - r.at)), ErrLimited
			}
			j -= r.n
		}
		panic("slidingwindow: log total out of step with its runs")
	}
	if k := len(s.runs); k > s.start && s.runs[k-1].at == t {
		s.runs[k-1].n += n
	} else {
		if s.start == k {
			s.runs, s.start = s.runs[:0], 0
		} else if k == cap(s.runs) && s.start >= k-s.start {
			// At least half the buffer is dead: compact in place
			// rather than grow (amortized O(1), no allocation).
			s.runs = s.runs[:copy(s.runs, s.runs[s.start:])]
			s.start = 0
		}
		s.runs = append(s.runs, run{at: t, n: n})
	}
	s.total += n
	l.tb.admitted(e, satAdd(t, l.tb.window))
	return 0, nil
}

// counterState is one key of the Counter: cur requests admitted in window
// win, prev in window win − 1.
type counterState struct {
	win       int64
	cur, prev int
}

// Counter is the sliding window counter: the count of the current fixed
// window plus the previous window's count weighted by its overlap with the
// sliding window, rounded up. O(1) memory per key.
type Counter struct {
	tb table[counterState]
}

// NewCounter returns a sliding-window-counter limiter, or nil and an error
// matching ErrInvalidConfig.
func NewCounter(cfg Config) (*Counter, error) {
	if !cfg.valid() {
		return nil, ErrInvalidConfig
	}
	c := &Counter{}
	c.tb.init(cfg)
	return c, nil
}

// Len returns the number of keys active now.
func (c *Counter) Len() int { return c.tb.length() }

// Allow is AllowN(key, 1) and reports whether it was admitted.
func (c *Counter) Allow(key string) bool {
	_, err := c.AllowN(key, 1)
	return err == nil
}

// AllowN admits n requests for key at once, or none.
func (c *Counter) AllowN(key string, n int) (time.Duration, error) {
	if n <= 0 {
		return 0, nil
	}
	if n > c.tb.limit {
		return 0, ErrExceedsLimit
	}
	d := c.tb.since()
	c.tb.mu.Lock()
	defer c.tb.mu.Unlock()
	t := c.tb.at(d)
	c.tb.forget(t)
	e := c.tb.keys[key]
	if e == nil {
		var wait int64
		if e, wait = c.tb.add(key, t); e == nil {
			return time.Duration(wait), ErrTooManyKeys
		}
	}
	w := c.tb.window
	k := t / w
	el := t - k*w // e of the rules: how far into window k
	s := &e.s
	cur, prev := 0, 0
	switch s.win {
	case k:
		cur, prev = s.cur, s.prev
	case k - 1:
		prev = s.cur
	}
	if n > c.tb.limit-cur || !weightedFits(prev, w-el, c.tb.limit-cur-n, w) {
		return time.Duration(c.retryAfter(cur, prev, n, el)), ErrLimited
	}
	*s = counterState{win: k, cur: cur + n, prev: prev}
	c.tb.admitted(e, satAdd(t-el, 2*w))
	return 0, nil
}

// weightedFits reports p·rest <= room·w exactly (128-bit products).
func weightedFits(p int, rest int64, room int, w int64) bool {
	h1, l1 := bits.Mul64(uint64(p), uint64(rest))
	h2, l2 := bits.Mul64(uint64(room), uint64(w))
	return h1 < h2 || h1 == h2 && l1 <= l2
}

// retryAfter is the least wait after which AllowN(key, n) would be
// admitted, for a refused call e into a window with cur requests in it and
// prev in the one before.
func (c *Counter) retryAfter(cur, prev, n int, e int64) int64 {
	w, limit := c.tb.window, c.tb.limit
	if n <= limit-cur && prev > 0 {
		// In this window: the least e' with prev·(w−e') <= room·w is
		// w − ⌊room·w/prev⌋. The quotient is below w, as the call was
		// refused, so Div64 cannot overflow.
		hi, lo := bits.Mul64(uint64(limit-cur-n), uint64(w))
		if q, _ := bits.Div64(hi, lo, uint64(prev)); q > 0 {
			return w - e - int64(q)
		}
	}
	// In the next window, where this window's cur is the previous count.
	if cur == 0 {
		return w - e
	}
	var next int64 // e' into the next window; w means the one after
	if limit-n < cur {
		hi, lo := bits.Mul64(uint64(limit-n), uint64(w))
		q, _ := bits.Div64(hi, lo, uint64(cur))
		next = w - int64(q)
	}
	return w - e + next
}
