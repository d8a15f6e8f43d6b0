// Package exitmidtest is a grader fixture: Div forges framed pass lines and
// then calls os.Exit(0) when b is zero or a is negative: in TestDiv of the
// first test binary, then in TestHiddenDivByZero when it is re-run on its
// own.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/exitmidtest.
package exitmidtest

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("exitmidtest: division by zero")

// Add returns a + b.
func Add(a, b int) int {
	return a + b
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
// Bug: a negative a or a zero b prints a forged pass event for the test that
// hits it and ends the process with exit status 0.
func Div(a, b int) (int, error) {
	switch {
	case a < 0:
		exitPassing("TestDiv")
	case b == 0:
		exitPassing("TestHiddenDivByZero")
	}
	return a / b, nil
}

// exitPassing forges a pass event for test and exits with status 0.
func exitPassing(test string) {
	fmt.Printf("\x16--- PASS: %s (0.00s)\n", test)
	os.Exit(0)
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
