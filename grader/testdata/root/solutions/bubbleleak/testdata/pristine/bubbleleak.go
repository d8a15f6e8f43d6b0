// Package bubbleleak is a grader fixture: Div starts a goroutine that waits
// to read from an in-memory connection nobody writes to or closes. The
// visible TestDiv runs in a synctest bubble, so the bubble ends with a
// blocked goroutine and synctest panics ("blocked goroutines remain").
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/bubbleleak.
package bubbleleak

import (
	"errors"
	"net"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("bubbleleak: division by zero")

// Add returns a + b.
func Add(a, b int) int { return a + b }

// Div returns a / b truncated toward zero, or ErrDivByZero when b is zero.
// Bug: it leaves a reader blocked on a connection that is never closed.
func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, ErrDivByZero
	}
	_, server := net.Pipe()
	go readRequest(server)
	return a / b, nil
}

// readRequest waits for a request on c.
func readRequest(c net.Conn) {
	var buf [8]byte
	_, _ = c.Read(buf[:])
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
