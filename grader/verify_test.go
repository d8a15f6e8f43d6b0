package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyReportsEveryBrokenPromise runs verify on fixture katas that
// break the verify contract in known ways and checks that each is reported:
// an uncaught (equivalent) mutant, a mutant that does not compile, too few
// mutants, a stub whose API drifted, and no mutant that only the hidden
// tests catch. It also checks what must pass: the reference ×3, the
// alternate, the stub failing, and the visible/hidden attribution.
func TestVerifyReportsEveryBrokenPromise(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fixture katas with -race")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"verify", "--root", "testdata/verifyroot", "--quiet"}, &out, &errb)
	report := out.String()
	assert.Equal(t, exitFailed, code, "stderr: %s\n%s", errb.String(), report)

	for _, want := range []string{
		`ok    reference passes all 4 tests ×3 with no race and no leak`,
		`ok    alternate minmax passes all 4 tests`,
		`ok    the stub compiles and fails every test (0/4 pass)`,
		`ok    the stub's exported API equals the reference's (2 declarations)`,
		`FAIL  a kata needs at least 12 mutants; adder has 5`,
		`FAIL  mutants: 2/5 caught`,
		`equivalent: no test fails`,
		`broken: does not compile`,
		`ok    hidden tests catch 1 mutant(s) that the visible tests miss`,
		`FAIL  the stub's exported API must equal the reference's`,
		`differs: reference func Double(int) int; stub func Double(int64) int64`,
		`missing from the stub: func Half(int) int`,
		`FAIL  hidden tests catch 0 mutant(s) that the visible tests miss`,
		`ok    stub, reference, alternates and mutants import only what adder allows (7 files)`,
		`FAIL  the stub, the reference, alternates and mutants must use only the kata's allowed imports (katas/catalog.json)`,
		`solutions/drift/drift.go: drift.go:5 imports "strconv": not on drift's list; it may import: nothing`,
		// A diff mutant that no longer applies names itself, the hunk and the line.
		`FAIL  mutant stale: the diff does not apply: hunk 1 (@@ -4,6 +4,6 @@): line 6 is "\tif x < lo {", the diff expects "\tif x <= lo {"`,
		`ok    every mutant is a diff against the reference (5)`,
	} {
		assert.Contains(t, report, want)
	}
	rows := map[string]string{
		"no_clamp":             `yes\s+TestClampInside \| TestHiddenClampJustBelow`,
		"low_bound_off_by_one": `hidden\s+- \| TestHiddenClampJustBelow`,
		"equivalent":           `NO\s+- \| -`,
		"broken":               `ERROR\s+- \| -`,
		"stale":                `ERROR\s+- \| -`,
	}
	for name, re := range rows {
		assert.Regexp(t, regexp.MustCompile(`(?m)^  `+name+`\s+\d\s+`+re+`$`), report, name)
	}
	lines := strings.Split(strings.TrimSpace(report), "\n")
	assert.Equal(t, "11 passed, 7 failed", lines[len(lines)-1])
}

func TestVerifyUnknownKata(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"verify", "--root", "testdata/verifyroot", "nope"}, &out, &errb)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errb.String(), `unknown kata "nope" (katas: adder, drift)`)
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}} {
		var out, errb bytes.Buffer
		assert.Equal(t, exitOK, run(context.Background(), args, &out, &errb))
		assert.Contains(t, out.String(), "Usage: grader [command]")
		assert.Contains(t, out.String(), "verify")
	}
	var out, errb bytes.Buffer
	assert.Equal(t, exitOK, run(context.Background(), []string{"grade", "-h"}, &out, &errb))
	assert.Contains(t, out.String(), "-no-bench")
	assert.Equal(t, exitUsage, run(context.Background(), []string{"help", "nope"}, &out, &errb))
	assert.Equal(t, exitUsage, run(context.Background(), []string{"grade", "--bogus"}, &out, &errb))
}

// report renders a saved result in another format, and refuses what is not
// one.
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "result.json")
	require.NoError(t, os.WriteFile(saved, []byte(`{"version":1,"goVersion":"go1.26.8","race":true,"katas":[{"name":"lru","status":"failing","visiblePassed":7,"visibleTotal":8,"score":87,"tests":[{"name":"TestGet","passed":false,"reason":"Get(1) = 0, want 10"}]}],"total":{"katas":1,"visiblePassed":7,"visibleTotal":8,"score":87,"maxScore":100}}`), 0o644))
	var out, errb bytes.Buffer
	require.Equal(t, exitOK, run(context.Background(), []string{"report", "--format", "markdown", saved}, &out, &errb), errb.String())
	assert.Contains(t, out.String(), "| `lru` | failing | 7/8 |")
	assert.Contains(t, out.String(), "Get(1) = 0, want 10")
	junit := filepath.Join(dir, "junit.xml")
	require.Equal(t, exitOK, run(context.Background(), []string{"report", "--format", "junit", "-o", junit, saved}, &out, &errb), errb.String())
	data, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.Contains(t, string(data), `<testcase classname="microkata.lru" name="TestGet"`)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"version":99}`), 0o644))
	errb.Reset()
	assert.Equal(t, exitUsage, run(context.Background(), []string{"report", bad}, &out, &errb))
	assert.Contains(t, errb.String(), "result version 99")
	assert.Equal(t, exitUsage, run(context.Background(), []string{"report", "--format", "pdf", saved}, &out, &errb))
}

// TestVerifyRefusesNoJobs: --jobs or --count below 1 is a usage error, not a
// verify that waits forever for a job slot or runs the reference no time.
func TestVerifyRefusesNoJobs(t *testing.T) {
	for _, args := range [][]string{{"--jobs", "0"}, {"--jobs", "-1"}, {"--count", "0"}} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"verify", "--root", "testdata/verifyroot", "--quiet"}, args...), &out, &errb)
		assert.Equal(t, exitUsage, code, "verify %v", args)
		assert.Contains(t, errb.String(), "want at least 1 each", "verify %v", args)
		assert.Empty(t, out.String(), "verify %v", args)
	}
}
