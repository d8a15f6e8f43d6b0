package grade

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/overlay"
	"github.com/microkata/microkata/grader/internal/pristine"
)

// visibleSet is what a kata is graded on in place of the visible tests in
// the learner's folder: the repository's pristine test files, and the
// learner's own extra test files, which run for information only.
type visibleSet struct {
	// kata is a copy of the catalog's kata whose Visible tests and
	// Benchmarks come from the pristine files.
	kata *catalog.Kata
	// testFiles puts the pristine copies in place of edited or deleted
	// visible test files (overlay.Spec.TestFiles).
	testFiles map[string]string
	// ownFiles are the learner's extra test files; ownTests their tests.
	ownFiles []string
	ownTests []string
	// notes say what the learner changed and what that means.
	notes []string
}

// pristineVisible works out k's visible tests from the pristine record.
func pristineVisible(rec *pristine.Record, k *catalog.Kata) (*visibleSet, error) {
	kk := *k
	kk.Visible, kk.Benchmarks = nil, nil
	vs := &visibleSet{kata: &kk, testFiles: map[string]string{}}
	prefix := "katas/" + k.Name + "/"

	var shipped []string // the kata folder's pristine test file names
	for _, f := range rec.Files(k.Name) {
		name := strings.TrimPrefix(f, prefix)
		if strings.HasSuffix(name, "_test.go") && !strings.Contains(name, "/") {
			shipped = append(shipped, name)
		}
	}
	if len(shipped) == 0 {
		return nil, fmt.Errorf("solutions/%s/testdata/pristine has no visible test file: run `make pristine`", k.Name)
	}
	for _, name := range shipped {
		st, err := rec.State(prefix + name)
		if err != nil {
			return nil, err
		}
		data, err := rec.Content(prefix + name)
		if err != nil {
			return nil, err
		}
		tests, benches, _, err := catalog.ParseTests(prefix+name, data, false)
		if err != nil {
			return nil, fmt.Errorf("the repository's %s%s: %w", prefix, name, err)
		}
		kk.Visible = append(kk.Visible, tests...)
		kk.Benchmarks = append(kk.Benchmarks, benches...)
		if st == pristine.Unchanged {
			continue
		}
		if vs.testFiles[name], err = rec.CopyPath(prefix + name); err != nil {
			return nil, err
		}
		what := "you edited it"
		if st == pristine.Deleted {
			what = "you deleted it"
		}
		vs.notes = append(vs.notes, fmt.Sprintf("%s%s: %s; graded with the repository's copy, so your changes do not count (make reset KATA=%s restores the kata, after a backup)",
			prefix, name, what, k.Name))
	}

	// The learner's own test files: every other _test.go in the folder.
	own, err := filepath.Glob(filepath.Join(k.Dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	for _, f := range own {
		name := filepath.Base(f)
		if slices.Contains(shipped, name) || name == overlay.HiddenName || name == overlay.MainName {
			continue
		}
		tests, _, _, err := catalog.ParseTests(f, nil, false)
		if err != nil {
			// It will not compile either; the build output says why.
			continue
		}
		vs.ownFiles = append(vs.ownFiles, path.Join("katas", k.Name, name))
		for _, t := range tests {
			vs.ownTests = append(vs.ownTests, t.Name)
		}
	}
	return vs, nil
}
