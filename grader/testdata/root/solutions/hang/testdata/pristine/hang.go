// Package hang is a grader fixture: Div blocks forever (select {}) when b is
// zero, so TestHiddenDivByZero hangs until the test binary's -timeout.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/hang.
package hang

import (
	"errors"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("hang: division by zero")

// Add returns a + b.
func Add(a, b int) int {
	return a + b
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
// Bug: a zero b blocks forever.
func Div(a, b int) (int, error) {
	if b == 0 {
		select {}
	}
	return a / b, nil
}

// Counter counts. It is safe for concurrent use; the zero value is ready.
type Counter struct {
	mu sync.Mutex
	n  int
}

// Inc adds one.
func (c *Counter) Inc() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

// Value returns the count.
func (c *Counter) Value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
