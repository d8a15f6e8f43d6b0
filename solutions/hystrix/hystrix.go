// Package hystrix is the reference solution of the hystrix-style command: timeout, bulkhead, rolling-window circuit, fallback kata.
package hystrix

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	return &T{}
}
