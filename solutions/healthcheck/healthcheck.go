// Package healthcheck is the reference solution of the hTTP health endpoints for Kubernetes probes kata.
package healthcheck

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	return &T{}
}
