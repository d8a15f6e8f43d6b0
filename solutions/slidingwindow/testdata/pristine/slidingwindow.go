// Package slidingwindow is the sliding-window rate limiter: exact log and weighted counter kata: read katas/slidingwindow/README.md
// and implement the API below. Every body panics "not implemented" until you
// do.
package slidingwindow

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	panic("not implemented")
}
