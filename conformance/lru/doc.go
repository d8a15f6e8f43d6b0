// Package lru checks the lru kata's reference (solutions/lru) against
// github.com/hashicorp/golang-lru/v2, the library whose API it follows:
// golang-lru's own tests ported to the kata's API and run against both, a
// seeded differential run, the documented differences with a reproduction
// each, and side-by-side benchmarks. Everything is in the _test files; see
// conformance/README.md.
package lru
