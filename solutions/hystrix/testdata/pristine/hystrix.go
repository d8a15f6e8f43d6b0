// Package hystrix is the hystrix-style command: timeout, bulkhead, rolling-window circuit, fallback kata: read katas/hystrix/README.md
// and implement the API below. Every body panics "not implemented" until you
// do.
package hystrix

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	panic("not implemented")
}
