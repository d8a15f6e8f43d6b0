package verify

import (
	"testing"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/grade"
	"github.com/microkata/microkata/grader/internal/result"
)

// Only outcomes that keep the contract are cached: a mutant that a run did
// not catch (a race-only mutant on a run whose race did not show, say) is
// never kept as caught.
func TestContractHolds(t *testing.T) {
	k := &catalog.Kata{}
	pass := []result.Test{{Name: "TestA", Passed: true}}
	fail := []result.Test{{Name: "TestA", Reason: "Not equal"}}
	didNotRun := []result.Test{{Name: "TestA", Reason: "did not run: the test binary died"}}
	for _, tc := range []struct {
		kind string
		d    grade.OutcomeData
		want bool
	}{
		{"reference", grade.OutcomeData{Tests: pass}, true},
		{"reference", grade.OutcomeData{Tests: fail}, false},
		{"reference", grade.OutcomeData{Tests: pass, Race: true}, false},
		{"alternate", grade.OutcomeData{Tests: pass, Leak: true}, false},
		{"stub", grade.OutcomeData{Tests: fail}, true},
		{"stub", grade.OutcomeData{Tests: pass}, false},
		{"stub", grade.OutcomeData{Tests: fail, BuildFailed: true}, false},
		{"mutant", grade.OutcomeData{Tests: fail}, true},
		{"mutant", grade.OutcomeData{Tests: pass, Race: true}, true},
		{"mutant", grade.OutcomeData{Tests: pass}, false},
		{"mutant", grade.OutcomeData{Tests: didNotRun}, false},
		{"mutant", grade.OutcomeData{Tests: fail, BuildFailed: true}, false},
	} {
		if got := contractHolds(tc.kind, grade.OutcomeFrom(k, tc.d)); got != tc.want {
			t.Errorf("contractHolds(%s, %+v) = %v, want %v", tc.kind, tc.d, got, tc.want)
		}
	}
}
