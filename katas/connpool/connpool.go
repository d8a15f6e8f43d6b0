// Package connpool is the bounded connection pool: FIFO hand-off, idle expiry, health check kata: read katas/connpool/README.md
// and implement the API below. Every body panics "not implemented" until you
// do.
package connpool

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	panic("not implemented")
}
