package main

// End-to-end test of grading against the repository's pristine visible
// tests: a learner who deletes a failing visible test, edits an assertion,
// deletes the whole file or adds tests of their own must see the same score
// as before, with notes that say what happened. The learner's tree is a
// plain folder, as a downloaded zip is: nothing here needs git.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/result"
)

// fixtureModule is the module path under which the fixture katas' imports
// resolve.
const fixtureModule = "github.com/microkata/microkata/grader/testdata/root"

// learnerRepo makes a copy of the repository holding the fixture katas
// named, as a learner's download would be: with the pristine copies.
func learnerRepo(t testing.TB, bin string, katas ...string) string {
	t.Helper()
	root := t.TempDir()
	gomod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	gomod = bytes.Replace(gomod, []byte("module github.com/microkata/microkata\n"), []byte("module "+fixtureModule+"\n"), 1)
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), gomod, 0o644))
	copyFile(t, "../go.sum", filepath.Join(root, "go.sum"))

	var entries []catalog.Entry
	all, err := catalog.ReadEntries(fixtureRoot)
	require.NoError(t, err)
	for _, e := range all {
		if slices.Contains(katas, e.Name) {
			entries = append(entries, e)
			copyTree(t, filepath.Join(fixtureRoot, "katas", e.Name), filepath.Join(root, "katas", e.Name))
			copyTree(t, filepath.Join(fixtureRoot, "solutions", e.Name), filepath.Join(root, "solutions", e.Name))
		}
	}
	require.NoError(t, catalog.WriteEntries(root, entries))
	out, err := exec.Command(bin, "pristine", "--root", root, "--check").CombinedOutput()
	require.NoError(t, err, "the fixtures' pristine copies must be current (make pristine): %s", out)
	return root
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	require.NoError(t, os.WriteFile(to, data, 0o644))
}

func copyTree(t testing.TB, from, to string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		copyFile(t, p, filepath.Join(to, rel))
		return nil
	}))
}

// gradeIn runs `grader grade --json --no-bench` in root and decodes the run.
func gradeIn(t *testing.T, bin, root string, args ...string) (result.Run, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"grade", "--root", root, "--json", "--no-bench", "--quiet"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	require.Contains(t, []int{0, 1}, code, "grader exit status (%v); stderr:\n%s", err, stderr.String())
	var run result.Run
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &run), "stdout: %s", stdout.String())
	return run, stderr.String()
}

func testByName(k result.Kata, name string) *result.Test {
	for i := range k.Tests {
		if k.Tests[i].Name == name {
			return &k.Tests[i]
		}
	}
	return nil
}

func TestGradeUsesPristineVisibleTests(t *testing.T) {
	bin := buildGrader(t)
	root := learnerRepo(t, bin, "failing")
	visible := filepath.Join(root, "katas", "failing", "failing_test.go")
	pristineSrc, err := os.ReadFile(visible)
	require.NoError(t, err)

	// As shipped: TestAdd fails (Add subtracts).
	run, _ := gradeIn(t, bin, root)
	base := run.Katas[0]
	require.Equal(t, 2, base.VisiblePassed, "visible passed as shipped")
	require.Equal(t, 3, base.VisibleTotal)
	require.Empty(t, base.Notes, "notes as shipped")

	edits := []struct {
		name string
		edit func(t *testing.T)
		note string
	}{
		{"delete the failing test", func(t *testing.T) {
			src := string(pristineSrc)
			i, j := strings.Index(src, "func TestAdd("), strings.Index(src, "func TestDiv(")
			require.NoError(t, os.WriteFile(visible, []byte(src[:i]+src[j:]), 0o644))
		}, "katas/failing/failing_test.go: you edited it"},
		{"edit an assertion to expect the bug", func(t *testing.T) {
			src := strings.Replace(string(pristineSrc), "assert.Equal(t, 5, failing.Add(2, 3)", "assert.Equal(t, -1, failing.Add(2, 3)", 1)
			require.NoError(t, os.WriteFile(visible, []byte(src), 0o644))
		}, "katas/failing/failing_test.go: you edited it"},
		{"delete the file", func(t *testing.T) {
			require.NoError(t, os.Remove(visible))
		}, "katas/failing/failing_test.go: you deleted it"},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			e.edit(t)
			t.Cleanup(func() { require.NoError(t, os.WriteFile(visible, pristineSrc, 0o644)) })
			run, _ := gradeIn(t, bin, root)
			k := run.Katas[0]
			assert.Equal(t, base.VisiblePassed, k.VisiblePassed, "visible passed")
			assert.Equal(t, base.VisibleTotal, k.VisibleTotal, "visible total")
			assert.Equal(t, base.Score, k.Score, "score")
			if tr := testByName(k, "TestAdd"); assert.NotNil(t, tr, "TestAdd is still expected") {
				assert.False(t, tr.Passed, "TestAdd passed")
				assert.Contains(t, tr.Reason, "Add(2, 3)", "TestAdd's reason comes from the pristine assertion")
			}
			assert.Contains(t, strings.Join(k.Notes, "\n"), e.note, "notes")
		})
	}

	t.Run("own tests run and do not count", func(t *testing.T) {
		own := filepath.Join(root, "katas", "failing", "mine_test.go")
		require.NoError(t, os.WriteFile(own, []byte(`package failing_test

import (
	"testing"

	"`+fixtureModule+`/katas/failing"
)

func TestMinePasses(t *testing.T) {
	if failing.Add(2, 3) != -1 {
		t.Error("Add(2, 3) is not -1")
	}
}

func TestMineFails(t *testing.T) { t.Error("on purpose") }
`), 0o644))
		t.Cleanup(func() { os.Remove(own) })
		run, _ := gradeIn(t, bin, root)
		k := run.Katas[0]
		assert.Equal(t, base.VisiblePassed, k.VisiblePassed, "visible passed")
		assert.Equal(t, base.HiddenPassed, k.HiddenPassed, "hidden passed")
		assert.Equal(t, base.Score, k.Score, "score")
		assert.Nil(t, testByName(k, "TestMinePasses"), "a learner's own test is not an expected test")
		assert.Contains(t, strings.Join(k.Notes, "\n"),
			"your own tests (katas/failing/mine_test.go), for your information and not counted: 1 of 2 passed; failed: TestMineFails")
	})

}
