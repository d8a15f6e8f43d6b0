// Package retry is the reference solution of the retry with backoff, jitter and a retry budget kata.
package retry

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	return &T{}
}
