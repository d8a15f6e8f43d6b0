package grade

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	// testFiles puts pristine content in place of edited or deleted
	// visible test files (overlay.Spec.TestFiles).
	testFiles map[string]string
	// ownFiles are the learner's extra test files; ownTests their tests.
	ownFiles []string
	ownTests []string
	// notes say what the learner changed and what that means.
	notes []string
	// unavailable, when set, is why the visible tests cannot be graded:
	// a changed test file whose pristine content cannot be read.
	unavailable string
}

// pristineVisible works out k's visible tests from sum, writing the pristine
// content of edited or deleted test files under tmp.
func pristineVisible(ctx context.Context, sum *pristine.Sum, k *catalog.Kata, tmp string) (*visibleSet, error) {
	kk := *k
	kk.Visible, kk.Benchmarks = nil, nil
	vs := &visibleSet{kata: &kk, testFiles: map[string]string{}}
	rel := func(name string) string { return "katas/" + k.Name + "/" + name }

	var shipped []string // the kata folder's pristine test file names
	for _, f := range sum.Files(k.Name) {
		name := strings.TrimPrefix(f, "katas/"+k.Name+"/")
		if strings.HasSuffix(name, "_test.go") && !strings.Contains(name, "/") {
			shipped = append(shipped, name)
		}
	}
	if len(shipped) == 0 {
		return nil, fmt.Errorf("%s records no visible test file of kata %s: run `make pristine`", pristine.SumFile, k.Name)
	}
	dir := filepath.Join(tmp, "pristine", k.Name)
	for _, name := range shipped {
		st, err := sum.State(rel(name))
		if err != nil {
			return nil, err
		}
		data, err := sum.Content(ctx, rel(name))
		if errors.Is(err, pristine.ErrUnavailable) {
			vs.unavailable = fmt.Sprintf("%s was %s and %v; restore it (git checkout %s, or a fresh copy of the repository) to grade this kata",
				rel(name), st, err, rel(name))
			return vs, nil
		}
		if err != nil {
			return nil, err
		}
		tests, benches, _, err := catalog.ParseTests(rel(name), data, false)
		if err != nil {
			return nil, fmt.Errorf("the repository's %s: %w", rel(name), err)
		}
		kk.Visible = append(kk.Visible, tests...)
		kk.Benchmarks = append(kk.Benchmarks, benches...)
		if st == pristine.Unchanged {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		src := filepath.Join(dir, name)
		if err := os.WriteFile(src, data, 0o644); err != nil {
			return nil, err
		}
		vs.testFiles[name] = src
		what := "you edited it"
		if st == pristine.Deleted {
			what = "you deleted it"
		}
		vs.notes = append(vs.notes, fmt.Sprintf("%s: %s; graded with the repository's copy, so your changes do not count (git checkout %s restores it)",
			rel(name), what, rel(name)))
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
