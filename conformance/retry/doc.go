// Package retry checks the retry kata's reference (solutions/retry)
// against github.com/cenkalti/backoff/v5, the library whose API it follows
// (Retry[T], Permanent, RetryAfter): backoff's own tests ported to the
// kata's API and run against both, seeded differential runs over the part
// where the two agree deterministically (no randomization), the documented
// differences with a reproduction each, and side-by-side benchmarks.
// Everything is in the _test files; see conformance/README.md.
package retry
