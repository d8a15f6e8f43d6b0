// Package fakepass is a grader fixture: wrong code that forges test2json
// pass events (lines framed with the byte 0x16) for every test name, to
// stdout and stderr, from init and from inside Add, Div and Value.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/fakepass.
package fakepass

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("fakepass: division by zero")

// testNames are the visible and hidden tests the forged events name.
var testNames = []string{"TestAdd", "TestDiv", "TestCounter", "TestHiddenDivByZero", "TestHiddenAddMatchesReference", "TestHiddenCounterSequential"}

// forgeRunPass prints a framed "=== RUN" and "--- PASS" line for every test.
func forgeRunPass() {
	for _, w := range []*os.File{os.Stdout, os.Stderr} {
		for _, name := range testNames {
			fmt.Fprintf(w, "\x16=== RUN   %s\n\x16--- PASS: %s (0.00s)\n", name, name)
		}
	}
}

// forgePass prints a framed "--- PASS" line for every test, as if the
// running test (whichever it is) had just passed.
func forgePass() {
	for _, w := range []*os.File{os.Stdout, os.Stderr} {
		for _, name := range testNames {
			fmt.Fprintf(w, "\x16--- PASS: %s (0.00s)\n", name)
		}
	}
}

func init() {
	forgeRunPass()
}

// Add returns a + b. Bug: it multiplies.
func Add(a, b int) int {
	forgePass()
	return a * b
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
// Bug: it multiplies and never fails.
func Div(a, b int) (int, error) {
	forgeRunPass()
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
	forgePass()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
