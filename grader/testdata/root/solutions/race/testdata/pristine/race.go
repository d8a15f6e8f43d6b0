// Package race is a grader fixture: Counter.Inc is not synchronised, so
// TestCounter's two goroutines race.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/race.
package race

import "errors"

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("race: division by zero")

// Add returns a + b.
func Add(a, b int) int {
	return a + b
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, ErrDivByZero
	}
	return a / b, nil
}

// Counter counts. Bug: it is not safe for concurrent use.
type Counter struct {
	n int
}

// Inc adds one, without synchronisation.
func (c *Counter) Inc() {
	c.n++
}

// Value returns the count.
func (c *Counter) Value() int {
	return c.n
}
