// Package breaker checks the breaker kata's reference (solutions/breaker)
// against github.com/sony/gobreaker/v2, the library whose API and defaults
// it follows: gobreaker's own tests ported to the kata's API and run
// against both, seeded differential runs, the documented differences with a
// reproduction each, and side-by-side benchmarks. Everything is in the
// _test files; see conformance/README.md.
package breaker
