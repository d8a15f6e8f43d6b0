// Package leak is a grader fixture: Add starts a goroutine that blocks
// forever; every test passes but goroutines leak.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/leak.
package leak

import (
	"errors"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("leak: division by zero")

// Add returns a + b. Bug: it leaks a goroutine that never ends.
func Add(a, b int) int {
	go func() {
		select {}
	}()
	return a + b
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, ErrDivByZero
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
