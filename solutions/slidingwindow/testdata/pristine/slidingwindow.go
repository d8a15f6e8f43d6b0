// Package slidingwindow is a sliding-window rate limiter keyed by client: at
// most Limit requests per key in any Window, as an exact sliding log (Log)
// and as a weighted two-window counter (Counter). Read
// katas/slidingwindow/README.md and implement the API below; every body
// panics "not implemented" until you do.
package slidingwindow

import (
	"errors"
	"time"
)

var (
	// ErrInvalidConfig is returned by NewLog and NewCounter for a Config
	// outside its documented ranges (rule 1).
	ErrInvalidConfig = errors.New("slidingwindow: invalid config")
	// ErrLimited refuses a request that would exceed the key's limit
	// (rules 7 and 9); retryAfter says when the same request would pass.
	ErrLimited = errors.New("slidingwindow: rate limit exceeded")
	// ErrExceedsLimit refuses an AllowN whose n is larger than Limit: it
	// could never be admitted (rule 3b).
	ErrExceedsLimit = errors.New("slidingwindow: n exceeds the limit")
	// ErrTooManyKeys refuses a request for a key that is not active while
	// MaxKeys keys are active (rule 12).
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

// Limiter is implemented by *Log and *Counter.
type Limiter interface {
	// Allow is AllowN(key, 1) and reports whether it was admitted.
	Allow(key string) bool
	// AllowN admits n requests for key at once, or none, and says how
	// long to wait when it refuses with ErrLimited or ErrTooManyKeys.
	AllowN(key string, n int) (retryAfter time.Duration, err error)
	// Len returns the number of keys active now.
	Len() int
}

// Log is the exact sliding log: a request admitted at time a counts until
// a + Window (rule 7). Make one with NewLog; the zero value is not ready.
type Log struct {
	// yours
}

// NewLog returns a sliding-log limiter, or nil and an error matching
// ErrInvalidConfig (rule 1). Its time.Now() is the limiter's origin.
func NewLog(cfg Config) (*Log, error) {
	panic("not implemented")
}

// Allow is AllowN(key, 1) and reports whether it was admitted (rule 6).
func (l *Log) Allow(key string) bool {
	panic("not implemented")
}

// AllowN admits n requests for key at once, or none (rules 3 to 8, 11
// and 12).
func (l *Log) AllowN(key string, n int) (retryAfter time.Duration, err error) {
	panic("not implemented")
}

// Len returns the number of keys active now (rule 11).
func (l *Log) Len() int {
	panic("not implemented")
}

// Counter is the sliding window counter: the current fixed window's count
// plus the previous window's count weighted by its overlap, rounded up
// (rule 9). Make one with NewCounter; the zero value is not ready.
type Counter struct {
	// yours
}

// NewCounter returns a sliding-window-counter limiter, or nil and an error
// matching ErrInvalidConfig (rule 1). Its time.Now() is the limiter's
// origin, where window 0 starts.
func NewCounter(cfg Config) (*Counter, error) {
	panic("not implemented")
}

// Allow is AllowN(key, 1) and reports whether it was admitted (rule 6).
func (c *Counter) Allow(key string) bool {
	panic("not implemented")
}

// AllowN admits n requests for key at once, or none (rules 3 to 6 and 9
// to 12).
func (c *Counter) AllowN(key string, n int) (retryAfter time.Duration, err error) {
	panic("not implemented")
}

// Len returns the number of keys active now (rule 11).
func (c *Counter) Len() int {
	panic("not implemented")
}
