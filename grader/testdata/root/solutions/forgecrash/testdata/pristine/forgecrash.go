// Package forgecrash is a grader fixture: Add forges exactly one framed run
// and pass event for every test that does not call Add, then panics, so the
// binary dies before those tests really run; Div and Counter are wrong, so
// no test can really pass.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/forgecrash.
package forgecrash

import (
	"errors"
	"fmt"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("forgecrash: division by zero")

// forged are the tests that do not call Add: in a plain run they come after
// TestAdd, so the crash stops them before they run.
var forged = []string{"TestDiv", "TestCounter", "TestHiddenDivByZero", "TestHiddenCounterSequential"}

// Add returns a + b. Bug: it forges a clean run and pass for every test in
// forged, then crashes the test binary.
func Add(a, b int) int {
	for _, name := range forged {
		fmt.Printf("\x16=== RUN   %s\n\x16--- PASS: %s (0.00s)\n", name, name)
	}
	panic("forgecrash: crash after forging passes")
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
// Bug: it multiplies and never fails.
func Div(a, b int) (int, error) {
	return a * b, nil
}

// Counter counts. Bug: it never does.
type Counter struct {
	mu sync.Mutex
	n  int
}

// Inc adds one. Bug: it does nothing.
func (c *Counter) Inc() {}

// Value returns the count.
func (c *Counter) Value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
