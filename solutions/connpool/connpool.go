// Package connpool is the reference solution of the bounded connection pool: FIFO hand-off, idle expiry, health check kata.
package connpool

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	return &T{}
}
