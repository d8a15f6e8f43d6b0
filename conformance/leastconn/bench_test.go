package leastconn

import (
	"testing"

	"google.golang.org/grpc/balancer"

	"github.com/microkata/microkata/conformance/internal/abba"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/leastconn"
)

// The kata's P2C benchmarks (katas/leastconn/README.md), reference
// against grpc's least-request picker, in ABBA rounds in one process: the
// reference's Pick and done against the picker grpc published to the
// adapter's ClientConn, its Pick and Done, with grpc's own random source
// (math/rand/v2's Uint32) put back.

var eight = []string{"a", "b", "c", "d", "e", "f", "g", "h"}

func refLoop() abba.Op {
	p, _ := ref.NewP2C(backends(eight), nil)
	return func(n int) {
		for range n {
			_, done, _ := p.Pick()
			done()
		}
	}
}

func libLoop() abba.Op {
	randuint32 = stubRand // the adapter learns the picker's order with its own draws
	p, _ := newLib(eight, nil)
	randuint32 = grpcRand
	picker := p.(*libPicker).cc.picker
	return func(n int) {
		for range n {
			res, _ := picker.Pick(balancer.PickInfo{})
			res.Done(balancer.DoneInfo{})
		}
	}
}

var benchCases = []abba.Case{
	{Name: "P2CPickDone", Desc: "8 backends (grpc: 8 READY endpoints), default random source, Pick then done", Ref: refLoop, Lib: libLoop},
	{Name: "P2CPickDoneParallel", Desc: "as P2CPickDone, on every P", Parallel: true, Ref: refLoop, Lib: libLoop},
}

// BenchmarkABBA runs every case in ABBA rounds and reports the ratios. It
// ignores b.N: each case calibrates its own batches (see package abba).
func BenchmarkABBA(b *testing.B) {
	s := abba.FromEnv()
	for _, c := range benchCases {
		r := abba.Run(c, s)
		report.AddBench(r)
		b.Logf("%s: reference %.1f ns/op (%.2f allocs), grpc %.1f ns/op (%.2f allocs), ratio %.2f [%.2f, %.2f]",
			r.Name, r.RefNs, r.RefAllocs, r.LibNs, r.LibAllocs, r.Ratio, r.RatioLo, r.RatioHi)
	}
	b.ReportMetric(0, "ns/op")
}
