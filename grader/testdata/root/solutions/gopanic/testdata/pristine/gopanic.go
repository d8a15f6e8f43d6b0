// Package gopanic is a grader fixture: Div computes on a worker goroutine
// that panics on a negative dividend, killing the test binary while TestDiv
// (the second visible test) waits for it.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/gopanic.
package gopanic

import (
	"errors"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("gopanic: division by zero")

// Add returns a + b.
func Add(a, b int) int {
	return a + b
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
// Bug: the worker goroutine panics on a negative dividend, and Div waits for
// a result that never comes.
func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, ErrDivByZero
	}
	result := make(chan int)
	go func() {
		if a < 0 {
			panic("gopanic: worker cannot divide a negative number")
		}
		result <- a / b
	}()
	return <-result, nil
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
