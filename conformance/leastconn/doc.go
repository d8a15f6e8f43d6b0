// Package leastconn checks the leastconn kata's P2C picker
// (solutions/leastconn) against grpc-go's least-request balancer
// (google.golang.org/grpc/balancer/leastrequest), driven through the
// balancer API with a ClientConn of the test's own: grpc's own tests
// ported to the kata's API and run against both, a seeded differential run
// with the same draws on both sides, the documented differences with a
// reproduction each, and side-by-side benchmarks. Everything is in the
// _test files; see conformance/README.md.
package leastconn
