// Package tokenbucket checks the tokenbucket kata's reference
// (solutions/tokenbucket) against golang.org/x/time/rate, the library whose
// API it follows: x/time/rate's own tests ported to the kata's API and run
// against both, seeded differential runs, the documented differences with a
// reproduction each, and side-by-side benchmarks. Everything is in the
// _test files; see conformance/README.md.
package tokenbucket
