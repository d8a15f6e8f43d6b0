// Package harness runs a pair's ported scenarios and documented
// differences against both implementations behind the pair's adapter, and
// records the outcomes with package report.
//
// A pair folder defines an adapter (an interface in the kata's words and a
// constructor type F for it), one Impl for the reference and one for the
// library, and lists its cases. Every ported case runs against both: a
// case that passes on the reference but fails on the library means the port
// changed what the library's test meant (or found a library bug), so it is
// a failure like any other.
package harness

import (
	"testing"

	"github.com/microkata/microkata/conformance/internal/report"
)

// Impl is one implementation behind a pair's adapter: Name is how messages
// and subtests call it ("reference" or the library's short name), New its
// constructor in the adapter's terms.
type Impl[F any] struct {
	Name string
	New  F
}

// Case is one of the library's own tests, ported to the adapter.
type Case[F any] struct {
	Name    string // the library's file and test, e.g. "lru_test.go/TestLRU_Resize"
	Adapted string // what the port had to change, "" when nothing
	Run     func(t *testing.T, newImpl F)
}

// Scenarios runs every case against ref and lib, one subtest each, and
// records which passed.
func Scenarios[F any](t *testing.T, ref, lib Impl[F], cases []Case[F]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			refOK := t.Run(ref.Name, func(t *testing.T) { c.Run(t, ref.New) })
			libOK := t.Run(lib.Name, func(t *testing.T) { c.Run(t, lib.New) })
			report.AddScenario(report.Scenario{Name: c.Name, RefPass: refOK, LibPass: libOK, Adapted: c.Adapted})
		})
	}
}

// NotPorted records library tests that were read and deliberately left
// out, each with its reason, so that the table counts them.
func NotPorted(reasons map[string]string) {
	for name, why := range reasons {
		report.AddNotPorted(name, why)
	}
}

// Exclusion runs the minimal reproduction of a documented difference: a
// test that asserts the kata's behaviour on the reference AND the library's
// behaviour on the library, so it fails if either side stops behaving as
// documented (a fixed library, a changed reference).
func Exclusion(t *testing.T, id, title string, repro func(t *testing.T)) {
	t.Helper()
	ok := t.Run(id, repro)
	report.AddExclusion(report.Exclusion{ID: id, Title: title, Passed: ok})
}
