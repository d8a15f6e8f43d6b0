package verify

import (
	"os"
	"path/filepath"
	"slices"
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
		{"stub", grade.OutcomeData{Tests: append(slices.Clone(fail), result.Test{Name: "TestB", Passed: true})}, false},
		{"mutant", grade.OutcomeData{Tests: fail}, true},
		{"mutant", grade.OutcomeData{Tests: pass, Race: true}, true},
		{"mutant", grade.OutcomeData{Tests: pass}, false},
		{"mutant", grade.OutcomeData{Tests: didNotRun}, false},
		{"mutant", grade.OutcomeData{Tests: fail, BuildFailed: true}, false},
	} {
		j := &job{kind: tc.kind, count: 1, variant: grade.Variant{Kata: k}, outcome: grade.OutcomeFrom(k, tc.d)}
		if got := contractHolds(j); got != tc.want {
			t.Errorf("contractHolds(%s, %+v) = %v, want %v", tc.kind, tc.d, got, tc.want)
		}
	}
}

// The key follows the grader's source and the kata's test inputs, not its
// documentation.
func TestKeysFollowTheirInputs(t *testing.T) {
	root := t.TempDir()
	write := func(p, data string) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n")
	write("grader/main.go", "package main\n")
	write("grader/main_test.go", "package main\n")
	write("katas/k/k.go", "package k\n")
	write("katas/k/README.md", "# k\n")
	write("solutions/k/k.go", "package k\n")
	k := &catalog.Kata{Root: root, Dir: filepath.Join(root, "katas/k"), SolutionDir: filepath.Join(root, "solutions/k")}
	key := func() string {
		kk, err := kataKey(keyInputs{GoVersion: "go1.26.8", Grader: graderHash(root)}, k)
		if err != nil {
			t.Fatal(err)
		}
		return kk
	}
	base := key()
	write("katas/k/README.md", "# k, reworded\n")
	write("grader/main_test.go", "package main // a test of the grader\n")
	if key() != base {
		t.Error("a README or a grader test changed the key")
	}
	write("grader/internal/verify/x.go", "package verify\n")
	changed := key()
	if changed == base {
		t.Error("a change of the grader's source did not change the key")
	}
	write("katas/k/k.go", "package k // edited\n")
	if key() == changed {
		t.Error("a change of the stub did not change the key")
	}
}
