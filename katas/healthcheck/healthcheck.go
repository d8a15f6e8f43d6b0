// Package healthcheck is the hTTP health endpoints for Kubernetes probes kata: read katas/healthcheck/README.md
// and implement the API below. Every body panics "not implemented" until you
// do.
package healthcheck

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	panic("not implemented")
}
