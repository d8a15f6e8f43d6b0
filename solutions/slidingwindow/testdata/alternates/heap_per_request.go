// Alternate: keys in a container/heap min-heap by idle instant, one timestamp per admitted request in the Log, the clock read under the lock, and the Counter's retryAfter found by binary search over the wait instead of by formula.

// Package slidingwindow is an alternate correct design of the sliding-window
// kata, to prove the tests black-box: the keys sit in a min-heap
// (container/heap) by the instant they become idle, the Log keeps one
// timestamp per admitted request, the clock is read under the lock, and
// the Counter compares a rounded-up estimate and finds its retryAfter by
// binary search over the wait rather than by formula.
package slidingwindow

import (
	"container/heap"
	"errors"
	"math"
	"math/bits"
	"sync"
	"time"
)

var (
	ErrInvalidConfig = errors.New("slidingwindow: invalid config")
	ErrLimited       = errors.New("slidingwindow: rate limit exceeded")
	ErrExceedsLimit  = errors.New("slidingwindow: n exceeds the limit")
	ErrTooManyKeys   = errors.New("slidingwindow: too many keys")
)

const MaxWindow = time.Duration(1<<62 - 1)

type Config struct {
	Limit   int
	Window  time.Duration
	MaxKeys int
}

type Limiter interface {
	Allow(key string) bool
	AllowN(key string, n int) (retryAfter time.Duration, err error)
	Len() int
}

// key is one tracked key, with the fields of both algorithms.
type key struct {
	name  string
	idle  int64 // ns since the origin
	index int   // in the heap
	// Log: the admission time of every request that may still count,
	// oldest first.
	times []int64
	// Counter: cur admitted in window win, prev in window win − 1.
	win       int64
	cur, prev int
}

type keyHeap []*key

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return h[i].idle < h[j].idle }
func (h keyHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *keyHeap) Push(x any) {
	k := x.(*key)
	k.index = len(*h)
	*h = append(*h, k)
}
func (h *keyHeap) Pop() any {
	old := *h
	k := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return k
}

// limiter is both kinds; counter selects the algorithm.
type limiter struct {
	mu      sync.Mutex
	origin  time.Time
	limit   int
	w       int64
	maxKeys int
	counter bool
	keys    map[string]*key
	idle    keyHeap
}

func newLimiter(cfg Config, counter bool) (*limiter, error) {
	if cfg.Limit < 1 || cfg.Window <= 0 || cfg.Window > MaxWindow || cfg.MaxKeys < 1 {
		return nil, ErrInvalidConfig
	}
	return &limiter{
		origin:  time.Now(),
		limit:   cfg.Limit,
		w:       int64(cfg.Window),
		maxKeys: cfg.MaxKeys,
		counter: counter,
		keys:    map[string]*key{},
	}, nil
}

func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// lockNow locks and reads the clock under the lock, so calls are ordered
// by their times; it drops the keys idle at that time.
func (l *limiter) lockNow() int64 {
	l.mu.Lock()
	t := int64(time.Since(l.origin))
	for len(l.idle) > 0 && l.idle[0].idle <= t {
		k := heap.Pop(&l.idle).(*key)
		delete(l.keys, k.name)
	}
	return t
}

func (l *limiter) length() int {
	l.lockNow()
	defer l.mu.Unlock()
	return len(l.keys)
}

func (l *limiter) allowN(name string, n int) (time.Duration, error) {
	if n <= 0 {
		return 0, nil
	}
	if n > l.limit {
		return 0, ErrExceedsLimit
	}
	t := l.lockNow()
	defer l.mu.Unlock()
	k, ok := l.keys[name]
	if !ok {
		if len(l.keys) >= l.maxKeys {
			return time.Duration(l.idle[0].idle - t), ErrTooManyKeys
		}
		k = &key{name: name, win: -2}
	}
	var wait int64
	if l.counter {
		wait = l.counterAllow(k, n, t)
	} else {
		wait = l.logAllow(k, n, t)
	}
	if wait > 0 {
		return time.Duration(wait), ErrLimited
	}
	if !ok {
		l.keys[name] = k
		heap.Push(&l.idle, k)
	} else {
		heap.Fix(&l.idle, k.index)
	}
	return 0, nil
}

// logAllow admits n at t and sets the idle instant, or returns the wait.
func (l *limiter) logAllow(k *key, n int, t int64) int64 {
	drop := 0
	for drop < len(k.times) && t-k.times[drop] >= l.w {
		drop++
	}
	k.times = k.times[drop:]
	if len(k.times) > l.limit-n {
		j := len(k.times) + n - l.limit
		return l.w - (t - k.times[j-1])
	}
	for range n {
		k.times = append(k.times, t)
	}
	k.idle = addSat(t, l.w)
	return 0
}

// counts returns the counts of window kw and the one before, as k stands.
func (k *key) counts(kw int64) (cur, prev int) {
	switch k.win {
	case kw:
		return k.cur, k.prev
	case kw - 1:
		return 0, k.cur
	}
	return 0, 0
}

// fits reports whether n more fit at time t as k stands: the estimate
// cur + ⌈prev·(w − e)/w⌉, plus n, is at most the limit.
func (l *limiter) fits(k *key, n int, t int64) bool {
	kw := t / l.w
	e := t - kw*l.w
	cur, prev := k.counts(kw)
	if cur > l.limit-n {
		return false
	}
	hi, lo := bits.Mul64(uint64(prev), uint64(l.w-e))
	q, r := bits.Div64(hi, lo, uint64(l.w)) // q < prev, so no overflow
	if r > 0 {
		q++
	}
	return q <= uint64(l.limit-n-cur)
}

// counterAllow admits n at t and sets the idle instant, or returns the
// least wait after which n would fit (found by binary search: with no
// calls, what fits only grows, and everything fits after 2w).
func (l *limiter) counterAllow(k *key, n int, t int64) int64 {
	if !l.fits(k, n, t) {
		lo, hi := int64(1), 2*l.w
		for lo < hi {
			mid := lo + (hi-lo)/2
			if l.fits(k, n, t+mid) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return lo
	}
	kw := t / l.w
	cur, prev := k.counts(kw)
	k.win, k.cur, k.prev = kw, cur+n, prev
	k.idle = addSat(kw*l.w, 2*l.w)
	return 0
}

type Log struct{ l *limiter }

func NewLog(cfg Config) (*Log, error) {
	l, err := newLimiter(cfg, false)
	if err != nil {
		return nil, err
	}
	return &Log{l}, nil
}

func (g *Log) Allow(key string) bool {
	_, err := g.l.allowN(key, 1)
	return err == nil
}

func (g *Log) AllowN(key string, n int) (time.Duration, error) { return g.l.allowN(key, n) }

func (g *Log) Len() int { return g.l.length() }

type Counter struct{ l *limiter }

func NewCounter(cfg Config) (*Counter, error) {
	l, err := newLimiter(cfg, true)
	if err != nil {
		return nil, err
	}
	return &Counter{l}, nil
}

func (c *Counter) Allow(key string) bool {
	_, err := c.l.allowN(key, 1)
	return err == nil
}

func (c *Counter) AllowN(key string, n int) (time.Duration, error) { return c.l.allowN(key, n) }

func (c *Counter) Len() int { return c.l.length() }
