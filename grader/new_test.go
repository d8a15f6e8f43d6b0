package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/docsync"
)

// emptyRepo makes a repository root with the module, the shared test
// helpers and an empty catalog: what `grader new` needs around it.
func emptyRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	copyFile(t, "../go.mod", filepath.Join(root, "go.mod"))
	copyFile(t, "../go.sum", filepath.Join(root, "go.sum"))
	for _, d := range []string{"internal/katatest", "internal/leakreport"} {
		matches, err := filepath.Glob(filepath.Join("..", d, "*.go"))
		require.NoError(t, err)
		for _, f := range matches {
			if !strings.HasSuffix(f, "_test.go") {
				copyFile(t, f, filepath.Join(root, d, filepath.Base(f)))
			}
		}
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "katas"), 0o755))
	require.NoError(t, catalog.WriteEntries(root, nil))
	return root
}

func TestNewScaffold(t *testing.T) {
	root := emptyRepo(t)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"new", "--root", root, "--title", "Widget pool", "--topic", "testing", "--difficulty", "easy", "--minutes", "30", "widget"}, &out, &errb)
	require.Equal(t, exitOK, code, "stderr: %s", errb.String())
	for _, f := range []string{"katas/widget/README.md", "katas/widget/README.zh-CN.md", "katas/widget/widget.go", "katas/widget/widget_test.go",
		"solutions/widget/widget.go", "solutions/widget/hidden_test.go", "solutions/widget/NOTES.md",
		"solutions/widget/testdata/mutants/README.md", "solutions/widget/testdata/pristine/widget.go",
		"solutions/widget/testdata/pristine/widget_test.go"} {
		assert.FileExists(t, filepath.Join(root, f))
		assert.Contains(t, out.String(), strings.TrimSuffix(f, filepath.Base(f)), "the command lists what it created")
	}
	readme, err := os.ReadFile(filepath.Join(root, "katas/widget/README.md"))
	require.NoError(t, err)
	for _, section := range []string{"# widget — widget pool", "## API", "## Rules", "## Examples", "## Edge cases", "## Complexity", "## Hints", "## How to run", "## Benchmarks"} {
		assert.Contains(t, string(readme), section+"\n", "README section")
	}

	// The two READMEs start in step (the drift test of issue 17).
	probs, err := docsync.CheckTree(root, false)
	require.NoError(t, err)
	for _, p := range probs {
		if strings.HasPrefix(p.Where, "katas/widget") {
			t.Errorf("the scaffold's READMEs drift: %v", p)
		}
	}

	// The catalog has the entry and still loads with the kata's sources.
	cat, err := catalog.Load(root)
	require.NoError(t, err)
	require.Len(t, cat.Katas, 1)
	k := cat.Katas[0]
	assert.Equal(t, catalog.Entry{Name: "widget", Title: "Widget pool", Topic: "testing", Difficulty: "easy", Minutes: 30, Imports: []string{"errors"}}, k.Entry)
	assert.Equal(t, []string{"TestNew"}, testNames(k.Visible))
	assert.Equal(t, []string{"TestHiddenNewIsDistinct"}, testNames(k.Hidden))
	assert.Empty(t, k.Mutants, "an empty mutant folder")

	// The shape is right: verify passes everything but the mutant count.
	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"verify", "--root", root, "--quiet", "widget"}, &out, &errb)
	assert.Equal(t, exitFailed, code, "verify of a kata without mutants fails; stderr: %s", errb.String())
	for _, want := range []string{
		"ok    reference passes all 2 tests ×3 with no race and no leak",
		"ok    the stub compiles and fails every test (0/2 pass)",
		"ok    the stub's exported API equals the reference's",
		"ok    stub, reference, alternates and mutants import only what widget allows",
		"FAIL  a kata needs at least 12 mutants; widget has 0",
	} {
		assert.Contains(t, out.String(), want)
	}

	// The stub is graded "not started".
	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"grade", "--root", root, "--quiet", "--no-bench", "widget"}, &out, &errb)
	assert.Equal(t, exitFailed, code, "stderr: %s", errb.String())
	assert.Regexp(t, `(?m)^widget\s+not started\s+0/1\s+0/1`, out.String())

	// vet is clean with and without the hidden tag.
	for _, tags := range []string{"", "microkata_hidden"} {
		cmd := exec.Command("go", "vet", "-tags", tags, "./katas/...", "./solutions/...")
		cmd.Dir = root
		vout, err := cmd.CombinedOutput()
		assert.NoError(t, err, "go vet -tags %q: %s", tags, vout)
	}
}

func TestNewRefuses(t *testing.T) {
	root := emptyRepo(t)
	args := func(name string, extra ...string) []string {
		return append(append([]string{"new", "--root", root, "--title", "T", "--topic", "t"}, extra...), name)
	}
	var out, errb bytes.Buffer
	require.Equal(t, exitOK, run(context.Background(), args("widget"), &out, &errb), errb.String())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{args("widget"), "kata exists: widget is in katas/catalog.json"},
		{args("Widget"), `kata name "Widget": use lower-case letters and digits`},
		{args("my-kata"), `kata name "my-kata"`},
		{args("gadget", "--difficulty", "brutal"), `difficulty "brutal": one of easy, medium, hard`},
		{args("gadget", "--minutes", "0"), "the time budget must be positive"},
		{[]string{"new", "--root", root, "gadget"}, "a kata needs a title and a topic"},
		{[]string{"new", "--root", root}, "new takes one kata name"},
	} {
		out.Reset()
		errb.Reset()
		assert.Equal(t, exitUsage, run(context.Background(), tc.args, &out, &errb), "%v", tc.args)
		assert.Contains(t, errb.String(), tc.want, "%v", tc.args)
	}
	_, err := os.Stat(filepath.Join(root, "katas", "gadget"))
	assert.True(t, os.IsNotExist(err), "a refused kata writes nothing")
}

func testNames(ts []catalog.Test) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}
