// Package registry is the reference solution of the service registry with TTL leases and watch kata.
package registry

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	return &T{}
}
