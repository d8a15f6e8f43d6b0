// Package netleak is a grader fixture: Add starts a TCP server on loopback
// whose listener nobody closes, so its accept loop outlives the tests; every
// test passes but a goroutine blocked in Accept leaks.
//
// Every fixture kata has the same tiny API (Add, Div, ErrDivByZero, Counter);
// only this learner file differs from the reference in solutions/netleak.
package netleak

import (
	"errors"
	"net"
	"sync"
)

// ErrDivByZero is returned by Div when b is zero.
var ErrDivByZero = errors.New("netleak: division by zero")

var serveOnce sync.Once

// Add returns a + b. Bug: the first call starts a server that is never
// stopped.
func Add(a, b int) int {
	serveOnce.Do(func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return
		}
		go acceptLoop(l)
	})
	return a + b
}

// acceptLoop serves l until it is closed, which never happens.
func acceptLoop(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
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
