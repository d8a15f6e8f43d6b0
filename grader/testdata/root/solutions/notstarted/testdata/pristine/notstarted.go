// Package notstarted is a grader fixture: the committed stub: every body
// panics "not implemented".
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/notstarted.
package notstarted

import "errors"

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("notstarted: division by zero")

// Add returns a + b.
func Add(a, b int) int {
	panic("not implemented")
}

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
func Div(a, b int) (int, error) {
	panic("not implemented")
}

// Counter counts. It is safe for concurrent use; the zero value is ready.
type Counter struct{}

// Inc adds one.
func (c *Counter) Inc() {
	panic("not implemented")
}

// Value returns the count.
func (c *Counter) Value() int {
	panic("not implemented")
}
