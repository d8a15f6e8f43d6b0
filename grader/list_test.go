package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/history"
)

var update = flag.Bool("update", false, "rewrite the golden files of the list and stats tests (go test -run 'List|Stats' ./grader -update)")

// fixtureNow is "now" for the golden files: a Saturday evening, in UTC, so
// that days are UTC days whatever the machine's zone.
const fixtureNow = "2026-12-05T18:00:00Z"

// runHistoryCmd runs the grader with a copy of the fixture history (none
// when fixture is empty) in a fresh state directory, "now" fixed and the
// fixture katas' root. Output that names the state directory says $STATE.
func runHistoryCmd(t *testing.T, fixture string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	dir := t.TempDir()
	if fixture != "" {
		data, err := os.ReadFile(filepath.Join("testdata", "history", fixture))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, history.FileName), data, 0o644))
	}
	t.Setenv(history.StateDirEnv, dir)
	t.Setenv(nowEnv, fixtureNow)
	// The words follow the locale unless --lang says: the golden files are
	// English unless a case asks for Chinese.
	t.Setenv("LC_ALL", "C.UTF-8")
	var out, errb bytes.Buffer
	code = run(context.Background(), append(args, "--root", filepath.Join("testdata", "root")), &out, &errb)
	clean := func(s string) string { return strings.ReplaceAll(s, dir, "$STATE") }
	return clean(out.String()), clean(errb.String()), code
}

// TestListAndStatsGolden prints list and stats over a hand-written history
// (grader/testdata/history/practice.jsonl) that has katas never attempted,
// solved cleanly several times (passing, testpanic), solved with hints
// (failing), over budget (gopanic) and untimed (flood), timed out (race),
// abandoned after a solve (leak), an attempt without an end (hang), a kata
// the catalog no longer lists (oldkata), a hint outside an attempt and a
// torn last line; and over no history at all.
func TestListAndStatsGolden(t *testing.T) {
	for _, tc := range []struct {
		golden, fixture string
		args            []string
	}{
		{"list", "practice.jsonl", []string{"list"}},
		{"list-json", "practice.jsonl", []string{"list", "--json"}},
		{"stats", "practice.jsonl", []string{"stats"}},
		{"stats-json", "practice.jsonl", []string{"stats", "--json"}},
		{"stats-some", "practice.jsonl", []string{"stats", "race", "passing", "notstarted"}},
		{"list-empty", "", []string{"list"}},
		{"stats-empty", "", []string{"stats"}},
		{"list-zh", "practice.jsonl", []string{"list", "--lang", "zh"}},
		{"stats-zh", "practice.jsonl", []string{"stats", "--lang", "zh"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			stdout, stderr, code := runHistoryCmd(t, tc.fixture, tc.args...)
			assert.Equal(t, exitOK, code, "stderr: %s", stderr)
			got := "$ grader " + strings.Join(tc.args, " ") + "\n" + stdout
			if stderr != "" {
				got += "--- stderr\n" + stderr
			}
			path := filepath.Join("testdata", "history", tc.golden+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "no golden file: go test -run 'List|Stats' ./grader -update writes it")
			assert.Equal(t, string(want), got, "output differs from %s (if the change is right: go test -run 'List|Stats' ./grader -update)", path)
		})
	}
}

// TestListWarnsOfATornLineOnly checks that a skipped line is a warning on
// stderr and that the rest of the history still counts.
func TestListWarnsOfATornLineOnly(t *testing.T) {
	stdout, stderr, code := runHistoryCmd(t, "practice.jsonl", "list")
	require.Equal(t, exitOK, code)
	assert.Equal(t, "grader: warning: $STATE/history.jsonl:49: skipped a torn last line (the grader stopped while writing it)\n", stderr)
	assert.Contains(t, stdout, "\nhang ")
	assert.Contains(t, stdout, "history: $STATE/history.jsonl\n")
}

// TestListStatsUnreadableHistory checks that a history that cannot be read
// (here a folder in its place) is an error, exit status 2.
func TestListStatsUnreadableHistory(t *testing.T) {
	for _, cmd := range []string{"list", "stats"} {
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, history.FileName), 0o755))
		t.Setenv(history.StateDirEnv, dir)
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{cmd, "--root", filepath.Join("testdata", "root")}, &out, &errb)
		assert.Equal(t, exitUsage, code, cmd)
		assert.Contains(t, errb.String(), "grader: history: read "+filepath.Join(dir, history.FileName), cmd)
		assert.Empty(t, out.String(), cmd)
	}
}

// TestStatsUnknownKata checks that a name not in the catalog is a usage
// error, as for grade.
func TestStatsUnknownKata(t *testing.T) {
	_, stderr, code := runHistoryCmd(t, "practice.jsonl", "stats", "nosuchkata")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nosuchkata")
}

// TestListHelp checks that -h explains the due rule and the flags.
func TestListHelp(t *testing.T) {
	stdout, _, code := runHistoryCmd(t, "", "list", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Usage: grader list")
	assert.Contains(t, stdout, "doubles its interval")
	assert.Contains(t, stdout, "-json")
}
