// Package testpanic is a grader fixture: Div forgets the zero check, so
// Div(1, 0) panics (integer divide by zero) in TestHiddenDivByZero, the
// first hidden test.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/testpanic.
package testpanic

import (
	"errors"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("testpanic: division by zero")

// Add returns a + b.
func Add(a, b int) int {
	return a + b
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
// Bug: no zero check; a zero b panics.
func Div(a, b int) (int, error) {
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
