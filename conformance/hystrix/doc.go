// Package hystrix checks the hystrix kata's reference (solutions/hystrix)
// against github.com/afex/hystrix-go, the library whose configuration and
// errors it follows: hystrix-go's own tests ported to the kata's API and
// run against both, a seeded differential run over the part where the two
// agree deterministically, the documented differences with a reproduction
// each, and side-by-side benchmarks. Everything is in the _test files; see
// conformance/README.md.
package hystrix
