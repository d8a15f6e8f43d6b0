package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/result"
)

// TestGradeWithoutCgoSaysSo grades with cgo off, where -race cannot work:
// the grader must still grade, without -race, and say so.
func TestGradeWithoutCgoSaysSo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a fixture kata")
	}
	t.Setenv("CGO_ENABLED", "0")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"grade", "--root", fixtureRoot, "--json", "--no-bench", "--quiet", "passing"}, &out, &errb)
	require.Equal(t, exitOK, code, "stderr: %s", errb.String())
	var r result.Run
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.False(t, r.Race)
	require.NotEmpty(t, r.Notes)
	assert.Contains(t, r.Notes[0], "race detector off")
	assert.Equal(t, result.Passing, r.Katas[0].Status)

	out.Reset()
	code = run(context.Background(), []string{"grade", "--root", fixtureRoot, "--no-bench", "--quiet", "--color=never", "passing"}, &out, &errb)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out.String(), "race detector OFF")
}

// TestOverhead runs `grader overhead` on fixture katas: with the
// references it prints both medians and their ratio; stubs may fail; a
// reference that fails gives no ratio and a non-zero exit, never a number.
func TestOverhead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the grader and fixture katas")
	}
	bin := buildGrader(t)
	overhead := func(root string, args ...string) (string, string, int) {
		cmd := exec.Command(bin, append([]string{"overhead", "--root", root, "--rounds", "1"}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil {
			require.ErrorAs(t, err, &ee, "grader overhead did not run; stderr:\n%s", stderr.String())
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}

	out, errs, code := overhead(fixtureRoot, "passing")
	require.Equal(t, exitOK, code, "stderr:\n%s", errs)
	assert.Contains(t, out, "1 kata(s), the references (every test passes), 1 rounds")
	assert.Regexp(t, `go test -json -race \(hidden tests overlaid\): +\d+\.\d\ds \(median\)`, out)
	assert.Regexp(t, `grader grade --no-bench: +\d+\.\d\ds \(median\)`, out)
	assert.Regexp(t, `ratio: \d+\.\d\dx`, out)
	assert.Contains(t, errs, "grader: round 1: go test ")

	// Code in katas/ that does not even build is still measured as a
	// stub: go test and the grader both exit 1.
	out, errs, code = overhead(fixtureRoot, "--stubs", "compileerror")
	require.Equal(t, exitOK, code, "stderr:\n%s", errs)
	assert.Contains(t, out, "ratio: ")

	// A reference that fails a test: both sides stop early, so their times
	// measure nothing.
	root := learnerRepo(t, bin, "passing")
	f, err := os.OpenFile(filepath.Join(root, "solutions", "passing", "hidden_test.go"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\n// TestHiddenBrokenReference always fails.\n//\n// Category: behaviour\nfunc TestHiddenBrokenReference(t *testing.T) { t.Fatal(\"a broken reference\") }\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	out, errs, code = overhead(root, "passing")
	assert.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Contains(t, errs, "a run did not do what it measures, so there is no ratio")
	assert.Contains(t, errs, "exited 1")
	assert.Contains(t, errs, "grader grade --reference` shows which does not")
	t.Logf("a broken reference:\n%s", errs)
	assert.NotContains(t, out, "ratio")

	out, errs, code = overhead(fixtureRoot, "--rounds", "0", "passing")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "--rounds is 0, want at least 1")
	assert.Empty(t, out)
}
