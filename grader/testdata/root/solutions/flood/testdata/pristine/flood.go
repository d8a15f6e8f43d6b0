// Package flood is a grader fixture: Add prints 10 MB (5 MB as one line,
// then 5 MB of 1 KiB lines) for a negative a, which only
// TestHiddenAddMatchesReference passes.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/flood.
package flood

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("flood: division by zero")

// Add returns a + b. Bug: a negative a floods standard output with 10 MB.
func Add(a, b int) int {
	if a < 0 {
		const mb = 1 << 20
		fmt.Fprint(os.Stdout, strings.Repeat("x", 5*mb))
		fmt.Fprintln(os.Stdout)
		line := strings.Repeat("y", 1023) + "\n"
		for range 5 * mb / len(line) {
			fmt.Fprint(os.Stdout, line)
		}
	}
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
