package main

// End-to-end tests of the take-home round trip: export a bundle, work in it
// as a candidate would, pack it, grade it; and a corpus of hostile
// submissions, each refused or failed with the right message, never a false
// pass, in bounded time, without writing the repository.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/result"
	"github.com/microkata/microkata/grader/internal/sandbox"
)

// treeHash hashes every file under root (names, modes and contents).
func treeHash(t testing.TB, root string) string {
	t.Helper()
	h := sha256.New()
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h.Write([]byte(rel + "\x00" + fi.Mode().String() + "\x00"))
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	}))
	return hex.EncodeToString(h.Sum(nil))
}

// gradeSub runs `grader grade --submission` and decodes its JSON report.
func gradeSub(t *testing.T, bin, root, sub string, args ...string) (result.Run, int, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"grade", "--root", root, "--json", "--no-bench", "--quiet", "--submission", sub}, args...)...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	done := make(chan error, 1)
	require.NoError(t, cmd.Start())
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(4 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("grading %s did not finish in 4 minutes", sub)
	}
	t.Logf("grade --submission %s: exit %d in %v", filepath.Base(sub), cmd.ProcessState.ExitCode(), time.Since(start).Round(time.Millisecond))
	var run result.Run
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &run), "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	return run, cmd.ProcessState.ExitCode(), stderr.String()
}

func rowOf(t *testing.T, run result.Run, kata string) result.Kata {
	t.Helper()
	for _, k := range run.Katas {
		if k.Name == kata {
			return k
		}
	}
	t.Fatalf("no row for %s in %+v", kata, run.Katas)
	return result.Kata{}
}

// writeTree writes files (slash paths) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(body), 0o644))
	}
}

func TestTakeHomeRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	bin := buildGrader(t)
	repo := learnerRepo(t, bin, "passing", "notstarted", "failing")
	before := treeHash(t, repo)

	bundle := filepath.Join(t.TempDir(), "takehome")
	out, err := exec.Command(bin, "export", "--root", repo, "--katas", "passing,notstarted", "--candidate", "ada", "-o", bundle).CombinedOutput()
	require.NoError(t, err, "%s", out)
	pack := func() string {
		cmd := exec.Command("make", "pack")
		cmd.Dir = bundle
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "make pack: %s", out)
		return filepath.Join(bundle, "submission.tar.gz")
	}

	// The untouched bundle: the stub is "not started".
	run, code, _ := gradeSub(t, bin, repo, pack())
	assert.Equal(t, 1, code)
	require.NotNil(t, run.Submission)
	assert.Equal(t, "ada", run.Submission.Candidate)
	assert.Equal(t, "submission.tar.gz", run.Submission.Name)
	assert.Len(t, run.Submission.SHA256, 64)
	assert.Equal(t, result.Passing, rowOf(t, run, "passing").Status)
	assert.Equal(t, result.NotStarted, rowOf(t, run, "notstarted").Status)

	// The candidate writes the reference into the stub: full marks.
	ref, err := os.ReadFile(filepath.Join(repo, "solutions/notstarted/notstarted.go"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bundle, "katas/notstarted/notstarted.go"), ref, 0o644))
	// ... and weakens a visible test, which must not matter.
	require.NoError(t, os.WriteFile(filepath.Join(bundle, "katas/passing/passing_test.go"), []byte("package passing_test\n"), 0o644))
	run, code, _ = gradeSub(t, bin, repo, pack())
	assert.Equal(t, 0, code, "full marks")
	assert.Equal(t, 200, run.Total.Score)
	assert.Equal(t, 3, rowOf(t, run, "passing").VisibleTotal, "the repository's visible tests, not the submission's")
	assert.Contains(t, strings.Join(run.Submission.Warnings, "\n"), "katas/passing: test files ignored (passing_test.go)")

	// One kata broken: that kata fails, the other passes.
	buggy, err := os.ReadFile(filepath.Join(repo, "katas/failing/failing.go"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bundle, "katas/passing/passing.go"),
		bytes.ReplaceAll(buggy, []byte("package failing"), []byte("package passing")), 0o644))
	run, code, _ = gradeSub(t, bin, repo, pack())
	assert.Equal(t, 1, code)
	assert.Equal(t, result.Failing, rowOf(t, run, "passing").Status)
	assert.Equal(t, result.Passing, rowOf(t, run, "notstarted").Status)

	// A folder works like an archive.
	run, _, _ = gradeSub(t, bin, repo, bundle)
	assert.Equal(t, result.Passing, rowOf(t, run, "notstarted").Status)

	assert.Equal(t, before, treeHash(t, repo), "grading never writes the repository")
}

// fixtureSource is a fixture kata's learner file with its package clause
// renamed, for a submission of another kata.
func fixtureSource(t *testing.T, fixture, pkg string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureRoot, "katas", fixture, fixture+".go"))
	require.NoError(t, err)
	return strings.Replace(string(data), "package "+fixture+"\n", "package "+pkg+"\n", 1)
}

// reference is the fixture API done right, in package pkg, with extra
// code spliced into Add.
func reference(pkg, imports, add string) string {
	return "package " + pkg + `

import (
	"errors"
	"sync"
	` + imports + `
)

var ErrDivByZero = errors.New("` + pkg + `: division by zero")

func Add(a, b int) int {
	` + add + `
	return a + b
}

func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, ErrDivByZero
	}
	return a / b, nil
}

type Counter struct {
	mu sync.Mutex
	n  int
}

func (c *Counter) Inc() { c.mu.Lock(); c.n++; c.mu.Unlock() }

func (c *Counter) Value() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }
`
}

func TestHostileSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	bin := buildGrader(t)
	katas := []string{"passing", "failing", "notstarted", "testpanic", "gopanic", "hang", "exitinit", "fakepass", "race", "flood", "exitmidtest"}
	repo := learnerRepo(t, bin, katas...)
	before := treeHash(t, repo)
	_, sandboxErr := sandbox.Find()

	t.Run("refused before building", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{
			"katas/passing/passing.go":       reference("passing", `"os/exec"`, `_ = exec.Command`),
			"katas/failing/failing.go":       reference("failing", `_ "unsafe"`, "") + "\n//go:linkname now runtime.nanotime\nfunc now() int64\n",
			"katas/notstarted/notstarted.go": reference("notstarted", `_ "embed"`, "") + "\n//go:embed notstarted.go\nvar self string\n",
			"katas/testpanic/testpanic.go":   reference("testpanic", `"testing"`, "") + "\nfunc TestMain(m *testing.M) {}\n",
			"katas/gopanic/gopanic.go":       reference("gopanic", `"os"`, "") + "\nfunc init() { os.Exit(0) }\n",
			"katas/race/race.go":             reference("main", "", ""),
			"katas/extra/extra.go":           "package extra\n",
		})
		run, code, _ := gradeSub(t, bin, repo, dir, "passing", "failing", "notstarted", "testpanic", "gopanic", "race")
		assert.Equal(t, 2, code, "not gradable")
		for kata, want := range map[string]string{
			"passing":    `refused: katas/passing/passing.go:6 imports "os/exec": no kata may run other programs`,
			"failing":    `imports "//go:linkname"`,
			"notstarted": "has //go:embed: a submission may not read files at build time",
			"testpanic":  "has func TestMain: the grader owns TestMain",
			"gopanic":    "has func init: a submission may not run code before the tests",
			"race":       "has package main: the kata's package is race",
		} {
			row := rowOf(t, run, kata)
			assert.Equal(t, result.Refused, row.Status, kata)
			assert.Zero(t, row.Score, kata)
			assert.Contains(t, strings.Join(row.Notes, "\n"), want, kata)
		}
		assert.Contains(t, strings.Join(run.Submission.Warnings, "\n"), "katas/extra: not asked for, not graded")
		assert.Contains(t, strings.Join(run.Submission.Warnings, "\n"), "no MANIFEST.json")
	})

	t.Run("graded, never a false pass", func(t *testing.T) {
		dir := t.TempDir()
		escape := filepath.Join(repo, "ESCAPED")
		writeTree(t, dir, map[string]string{
			// os.Exit(0) in a method: the test that calls it fails.
			"katas/exitinit/exitinit.go": strings.Replace(reference("exitinit", `"os"`, ""), "func (c *Counter) Inc() {", "func (c *Counter) Inc() { os.Exit(0);", 1),
			// Forged test2json frames and JSON events printed by the code.
			"katas/fakepass/fakepass.go": reference("fakepass", `"fmt"`, `fmt.Print("\x16--- PASS: TestAdd (0.00s)\n{\"Action\":\"pass\",\"Test\":\"TestHiddenDivByZero\"}\n"); return a - b`),
			"katas/hang/hang.go":         reference("hang", "", `if a == 2 { select {} }`),
			"katas/flood/flood.go":       reference("flood", `"fmt"; "strings"`, `fmt.Print(strings.Repeat("x", 4<<20))`),
			"katas/race/race.go":         fixtureSource(t, "race", "race"),
			// A memory hog: touches 1 GiB.
			"katas/passing/passing.go": reference("passing", "", `if a == 2 { b := make([]byte, 1<<30); for i := range b { b[i] = 1 }; return int(b[a]) }`),
			// Tries to write into the repository (the sandbox's probe test
			// covers the network, home and /tmp).
			"katas/exitmidtest/exitmidtest.go": reference("exitmidtest", `"os"`, `os.WriteFile("`+escape+`", []byte("x"), 0o644)`),
		})
		start := time.Now()
		run, code, _ := gradeSub(t, bin, repo, dir, "exitinit", "fakepass", "hang", "flood", "race", "passing", "exitmidtest",
			"--timeout", "8s", "--output-cap", "1048576", "--memory-limit", "268435456")
		assert.Less(t, time.Since(start), 3*time.Minute, "bounded time")
		assert.Equal(t, 1, code, "graded, not passing")
		for _, kata := range []string{"exitinit", "fakepass", "hang", "flood", "race", "passing"} {
			row := rowOf(t, run, kata)
			assert.NotEqual(t, result.Passing, row.Status, "%s must not pass", kata)
			assert.Less(t, row.Score, 100, kata)
		}
		assert.True(t, rowOf(t, run, "race").Race, "race detected")
		assertFailReason(t, rowOf(t, run, "exitinit"), "TestCounter", "os.Exit|did not")
		assertFailReason(t, rowOf(t, run, "hang"), "TestAdd", "timed out")
		assertFailReason(t, rowOf(t, run, "flood"), "TestAdd", "output")
		assertFailReason(t, rowOf(t, run, "passing"), "TestAdd", "memory")
		if sandboxErr == nil {
			assert.Equal(t, "bubblewrap", run.Submission.Sandbox)
			assert.NoFileExists(t, escape, "the sandbox keeps the repository read-only and the network out")
		} else {
			assert.True(t, strings.HasPrefix(run.Submission.Sandbox, "off"), run.Submission.Sandbox)
			os.Remove(escape)
		}
	})

	t.Run("refused archives", func(t *testing.T) {
		for name, entries := range map[string][]tar.Header{
			"traversal.tar.gz": {{Name: "katas/passing/../../../evil.go", Typeflag: tar.TypeReg}},
			"symlink.tar.gz":   {{Name: "katas/passing/passing.go", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}},
			"empty.tar.gz":     nil,
		} {
			var buf bytes.Buffer
			gz := gzip.NewWriter(&buf)
			tw := tar.NewWriter(gz)
			for _, h := range entries {
				tw.WriteHeader(&h)
			}
			tw.Close()
			gz.Close()
			p := filepath.Join(t.TempDir(), name)
			require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
			run, code, _ := gradeSub(t, bin, repo, p)
			assert.Equal(t, 2, code, name)
			require.NotNil(t, run.Submission, name)
			assert.Contains(t, run.Submission.Refused, "submission refused", name)
			assert.Empty(t, run.Katas, "%s: nothing was graded", name)
		}
	})

	t.Run("sandbox required", func(t *testing.T) {
		if sandboxErr == nil {
			t.Skip("bubblewrap works here")
		}
		cmd := exec.Command(bin, "grade", "--root", repo, "--sandbox", "require", "--submission", t.TempDir())
		out, _ := cmd.CombinedOutput()
		assert.Equal(t, 2, cmd.ProcessState.ExitCode(), "%s", out)
	})

	assert.Equal(t, before, treeHash(t, repo), "grading never writes the repository")
}

// assertFailReason checks that test name failed with a reason holding one
// of the |-separated words.
func assertFailReason(t *testing.T, row result.Kata, name, words string) {
	t.Helper()
	for _, tr := range row.Tests {
		if tr.Name != name {
			continue
		}
		assert.False(t, tr.Passed, "%s/%s passed", row.Name, name)
		for _, w := range strings.Split(words, "|") {
			if strings.Contains(strings.ToLower(tr.Reason), strings.ToLower(w)) {
				return
			}
		}
		t.Errorf("%s/%s: reason %q does not say %q", row.Name, name, tr.Reason, words)
		return
	}
	t.Errorf("%s has no test %s", row.Name, name)
}

// A batch grades every submission into one table; a hostile one is a row
// with its reason, never the end of the batch.
func TestBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	bin := buildGrader(t)
	repo := learnerRepo(t, bin, "passing", "failing")
	dir := t.TempDir()
	ref := func(kata string) string {
		data, err := os.ReadFile(filepath.Join(repo, "solutions", kata, kata+".go"))
		require.NoError(t, err)
		return string(data)
	}
	writeTree(t, filepath.Join(dir, "alice"), map[string]string{
		"katas/passing/passing.go": ref("passing"), "katas/failing/failing.go": ref("failing"),
		"MANIFEST.json": `{"format":1,"katas":["passing","failing"],"candidate":"alice"}`,
	})
	writeTree(t, filepath.Join(dir, "bob"), map[string]string{
		"katas/passing/passing.go": ref("passing"),
		"katas/failing/failing.go": fixtureSource(t, "failing", "failing"),
	})
	// mallory's archive escapes its folder.
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "../../etc/evil", Typeflag: tar.TypeReg})
	tw.Close()
	gz.Close()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mallory.tar.gz"), buf.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a submission"), 0o644))

	run := func(format string) (string, int) {
		cmd := exec.Command(bin, "grade", "--root", repo, "--no-bench", "--quiet", "--batch", dir, "--format", format, "passing", "failing")
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
		out, _ := cmd.Output()
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := run("json")
	assert.Equal(t, 1, code, "not every submission passes")
	var b result.Batch
	require.NoError(t, json.Unmarshal([]byte(out), &b), out)
	require.Len(t, b.Runs, 3, "alice, bob and mallory; notes.txt is not a submission")
	assert.Equal(t, []string{"passing", "failing"}, b.Katas)
	byName := map[string]result.Run{}
	for _, r := range b.Runs {
		byName[r.Submission.Name] = r
	}
	assert.Equal(t, 200, byName["alice"].Total.Score)
	assert.Equal(t, "alice", byName["alice"].Submission.Candidate)
	assert.Equal(t, result.Failing, rowOf(t, byName["bob"], "failing").Status)
	assert.Contains(t, byName["mallory.tar.gz"].Submission.Refused, "leaves the submission's folder")

	md, _ := run("markdown")
	for _, want := range []string{"alice", "bob", "mallory.tar.gz", "leaves the submission's folder"} {
		assert.Contains(t, md, want, "the Markdown comparison")
	}
}
