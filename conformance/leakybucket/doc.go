// Package leakybucket checks the leakybucket kata's reference
// (solutions/leakybucket) against go.uber.org/ratelimit, the pacer it is
// modelled on: ratelimit's own tests ported to the kata's API and run
// against both, a seeded differential run, the documented differences with
// a reproduction each, and side-by-side benchmarks. Everything is in the
// _test files; see conformance/README.md.
package leakybucket
