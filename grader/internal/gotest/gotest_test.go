package gotest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pkgPath = "example.com/k"

// stream is a `go test -json` stream of one package: TestA passes, TestB
// fails in a subtest, TestC starts and never finishes.
const stream = `{"Action":"start","Package":"example.com/k"}
{"Action":"run","Package":"example.com/k","Test":"TestA"}
{"Action":"output","Package":"example.com/k","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"example.com/k","Test":"TestA","Elapsed":0.01}
{"Action":"run","Package":"example.com/k","Test":"TestB"}
{"Action":"run","Package":"example.com/k","Test":"TestB/zero"}
{"Action":"output","Package":"example.com/k","Test":"TestB/zero","Output":"    k_test.go:12: got 1, want 0\n"}
{"Action":"fail","Package":"example.com/k","Test":"TestB/zero"}
{"Action":"fail","Package":"example.com/k","Test":"TestB"}
{"Action":"run","Package":"example.com/k","Test":"TestC"}
{"Action":"output","Package":"example.com/k","Test":"TestC","Output":"panic: boom\n"}
not json at all
{"Action":"output","Package":"example.com/k","Output":"FAIL\texample.com/k\t0.1s\n"}
{"Action":"fail","Package":"example.com/k","Elapsed":0.1}
`

func foldAll(t *testing.T, s string, outputCap int64) map[string]*Package {
	t.Helper()
	pkgs := map[string]*Package{}
	for line := range strings.SplitSeq(s, "\n") {
		if e, ok := parseEvent([]byte(line)); ok {
			fold(pkgs, e, outputCap)
		}
	}
	return pkgs
}

func TestFoldRecordsEachTest(t *testing.T) {
	p := foldAll(t, stream, 0)[pkgPath]
	require.NotNil(t, p)
	assert.True(t, p.Started)
	assert.Equal(t, "fail", p.Action)
	assert.Equal(t, []string{"TestA", "TestB", "TestC"}, p.Order, "top-level tests in start order")

	a := p.TopLevel("TestA")
	assert.Equal(t, [4]int{1, 1, 0, 0}, [4]int{a.Runs, a.Passes, a.Fails, a.Skips})
	assert.Equal(t, "pass", a.Last)
	assert.Equal(t, 0.01, a.Elapsed)

	b := p.TopLevel("TestB")
	assert.Equal(t, 1, b.Fails)
	require.Len(t, p.Subtests("TestB"), 1)
	assert.Contains(t, p.Subtests("TestB")[0].Output.String(), "got 1, want 0")

	c := p.TopLevel("TestC")
	assert.Equal(t, 0, c.Terminals())
	assert.Equal(t, []string{"TestC"}, p.Running())
	assert.Contains(t, c.Output.String(), "panic: boom")
}

func TestFoldBuildFailure(t *testing.T) {
	s := `{"ImportPath":"example.com/k [example.com/k.test]","Action":"build-output","Output":"# example.com/k\n"}
{"ImportPath":"example.com/k [example.com/k.test]","Action":"build-output","Output":"./k.go:3:1: syntax error\n"}
{"ImportPath":"example.com/k [example.com/k.test]","Action":"build-fail"}
{"Action":"start","Package":"example.com/k"}
{"Action":"fail","Package":"example.com/k","Elapsed":0,"FailedBuild":"example.com/k [example.com/k.test]"}
`
	p := foldAll(t, s, 0)[pkgPath]
	require.NotNil(t, p)
	assert.True(t, p.BuildFailed)
	assert.Equal(t, []string{"# example.com/k", "./k.go:3:1: syntax error"}, p.BuildOutput)
}

func TestFoldOutputCap(t *testing.T) {
	line := `{"Action":"output","Package":"example.com/k","Test":"TestA","Output":"` + strings.Repeat("x", 100) + `"}`
	pkgs := map[string]*Package{}
	crossed := 0
	for range 20 {
		e, ok := parseEvent([]byte(line))
		require.True(t, ok)
		if fold(pkgs, e, 1000) {
			crossed++
		}
	}
	p := pkgs[pkgPath]
	assert.Equal(t, 1, crossed, "the cap is reported once, when it is crossed")
	assert.True(t, p.OverCap)
	assert.Equal(t, int64(2000), p.OutputBytes)
}

func TestTestOutputIsCapped(t *testing.T) {
	pkgs := map[string]*Package{}
	big := strings.Repeat("y", TestOutputCap+10)
	fold(pkgs, &Event{Action: "output", Package: pkgPath, Test: "TestA", Output: big}, 0)
	a := pkgs[pkgPath].TopLevel("TestA")
	assert.Equal(t, TestOutputCap, a.Output.Len())
	assert.True(t, a.Cut)
}

func TestParseEventRejectsNonEvents(t *testing.T) {
	for _, s := range []string{"", "PASS", "{}", `{"Action":""}`, "{broken"} {
		_, ok := parseEvent([]byte(s))
		assert.False(t, ok, "%q", s)
	}
}

// sh runs a shell script through run, as if it were go test.
func sh(t *testing.T, ctx context.Context, opts Options, script string) *Result {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	res, err := run(ctx, opts, exec.Command("sh", "-c", script))
	require.NoError(t, err)
	return res
}

func TestRunKillsAtOutputCap(t *testing.T) {
	// An endless stream of output events: only the cap can stop it.
	script := `while :; do printf '%s\n' '{"Action":"output","Package":"example.com/k","Test":"TestA","Output":"spam spam spam spam\n"}'; done`
	done := make(chan *Result, 1)
	go func() { done <- sh(t, context.Background(), Options{OutputCap: 1 << 16}, script) }()
	select {
	case res := <-done:
		assert.Contains(t, res.Killed, "cap")
		assert.True(t, res.Packages[pkgPath].OverCap)
		assert.Equal(t, -1, res.ExitCode)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop an endless output at the cap")
	}
}

func TestRunKillsProcessGroupAtDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// The child sleeps in a grandchild process that holds stdout open:
	// killing only sh would leave the pipe open.
	res := sh(t, ctx, Options{}, `echo '{"Action":"run","Package":"example.com/k","Test":"TestA"}'; sleep 60 & wait`)
	assert.Contains(t, res.Killed, "deadline")
	assert.Equal(t, []string{"TestA"}, res.Packages[pkgPath].Running())
}

func TestRunSkipsOverlongLines(t *testing.T) {
	script := `head -c 3000000 /dev/zero | tr '\0' 'x'; echo; echo '{"Action":"pass","Package":"example.com/k","Test":"TestA"}'`
	res := sh(t, context.Background(), Options{}, script)
	require.NotNil(t, res.Packages[pkgPath])
	assert.Equal(t, 1, res.Packages[pkgPath].TopLevel("TestA").Passes)
	assert.Equal(t, 0, res.ExitCode)
}

func TestRunCapsStderr(t *testing.T) {
	res := sh(t, context.Background(), Options{}, `head -c 1000000 /dev/zero | tr '\0' 'e' >&2; exit 3`)
	assert.Equal(t, 3, res.ExitCode)
	assert.Len(t, res.Stderr, stderrCap)
}

func TestFoldTestMainSetupFailure(t *testing.T) {
	// A second TestMain fails while building the test main package, whose
	// events name "pkg.test" rather than "pkg [pkg.test]".
	s := `{"ImportPath":"example.com/k.test","Action":"build-output","Output":"multiple definitions of TestMain\n"}
{"ImportPath":"example.com/k.test","Action":"build-fail"}
{"Action":"fail","Package":"example.com/k","FailedBuild":"example.com/k.test"}
`
	p := foldAll(t, s, 0)[pkgPath]
	require.NotNil(t, p)
	assert.True(t, p.BuildFailed)
	assert.Equal(t, []string{"multiple definitions of TestMain"}, p.BuildOutput)
}

// TestRunTestsKeepsBinaries runs a real `go test` over a throwaway module
// with BinDir set: the package's binary is kept, even though a test failed,
// and it runs a single test again through RunBinary.
func TestRunTestsKeepsBinaries(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write("go.mod", "module example.com/k\n\ngo 1.25\n")
	write("k_test.go", "package k\n\nimport \"testing\"\n\nfunc TestOK(t *testing.T) {}\n\nfunc TestBad(t *testing.T) { t.Fatal(\"bad\") }\n")
	bins := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bins, 0o755))

	ctx := context.Background()
	res, err := RunTests(ctx, Options{Dir: dir, BinDir: bins}, ".")
	require.NoError(t, err)
	pkg := res.Packages[pkgPath]
	require.NotNil(t, pkg, "events of %s", pkgPath)
	assert.Equal(t, "fail", pkg.Action)
	bin := filepath.Join(bins, "k.test")
	require.FileExists(t, bin, "the kept test binary")

	again, err := RunBinary(ctx, BinaryOptions{Options: Options{Dir: dir}, Binary: bin, ImportPath: pkgPath,
		PackageDir: dir, Args: []string{"-test.run=^TestOK$"}})
	require.NoError(t, err)
	p := again.Packages[pkgPath]
	require.NotNil(t, p)
	require.Contains(t, p.Tests, "TestOK")
	assert.Equal(t, 1, p.Tests["TestOK"].Passes, "TestOK run from the kept binary")
	assert.NotContains(t, p.Tests, "TestBad")
}
