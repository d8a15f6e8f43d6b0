// Package leastconn is the least-connections and power-of-two-choices load balancing kata: read katas/leastconn/README.md
// and implement the API below. Every body panics "not implemented" until you
// do.
package leastconn

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	panic("not implemented")
}
