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

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/verify"
)

// verifyRepo copies the verify fixture's adder kata into a module of its
// own, so that the test may change its files.
func verifyRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	gomod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	gomod = bytes.Replace(gomod, []byte("module github.com/microkata/microkata\n"), []byte("module github.com/microkata/microkata/grader/testdata/verifyroot\n"), 1)
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), gomod, 0o644))
	copyFile(t, "../go.sum", filepath.Join(root, "go.sum"))
	copyTree(t, "testdata/verifyroot/katas/adder", filepath.Join(root, "katas/adder"))
	copyTree(t, "testdata/verifyroot/solutions/adder", filepath.Join(root, "solutions/adder"))
	all, err := catalog.ReadEntries("testdata/verifyroot")
	require.NoError(t, err)
	require.NoError(t, catalog.WriteEntries(root, all[:1]))
	// The uncaught and the broken mutant run on every verify (only what
	// keeps the contract is cached; see TestContractHolds in verify):
	// leave them out, the test is faster without them.
	for _, m := range []string{"equivalent", "broken"} {
		require.NoError(t, os.Remove(filepath.Join(root, "solutions/adder/testdata/mutants", m+".diff")))
	}
	return root
}

var cachedRE = regexp.MustCompile(`(\d+) of (\d+) jobs came from the cache`)

// verifyCached runs verify and returns how many jobs came from the cache,
// and the progress lines of the jobs that ran.
func verifyCached(t *testing.T, root string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	run(context.Background(), append([]string{"verify", "--root", root}, args...), &out, &errb)
	m := cachedRE.FindStringSubmatch(out.String())
	require.NotNil(t, m, "verify's report says how many jobs came from the cache:\n%s", out.String())
	assert.Equal(t, "6", m[2], "jobs: reference, stub, alternate and three mutants")
	n := 0
	for _, c := range m[1] {
		n = n*10 + int(c-'0')
	}
	return n, errb.String()
}

func edit(t *testing.T, p, old, new string) {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Contains(t, string(data), old)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
}

func TestVerifyCache(t *testing.T) {
	t.Setenv(verify.CacheDirEnv, t.TempDir())
	root := verifyRepo(t)
	sol := filepath.Join(root, "solutions", "adder")

	n, _ := verifyCached(t, root)
	assert.Equal(t, 0, n, "an empty cache")
	// Kept: the reference, the stub, the alternate and the two caught
	// mutants. The stale mutant (its diff does not apply) never runs.
	n, _ = verifyCached(t, root)
	assert.Equal(t, 5, n, "a second run with nothing changed")

	// A mutant's description is not its code: still cached.
	edit(t, filepath.Join(sol, "testdata/mutants/no_clamp.diff"), "Clamp returns x unchanged", "Clamp returns its argument")
	n, _ = verifyCached(t, root)
	assert.Equal(t, 5, n)
	// Its code: that mutant alone runs again.
	edit(t, filepath.Join(sol, "testdata/mutants/no_clamp.diff"), "+func Clamp(x, lo, hi int) int { return x }", "+func Clamp(x, lo, hi int) int { return x + 0 }")
	n, progress := verifyCached(t, root)
	assert.Equal(t, 4, n, "one mutant changed")
	assert.Contains(t, progress, "mutant no_clamp")
	assert.NotContains(t, progress, "mutant low_bound_off_by_one", "the other mutants come from the cache")
	assert.NotContains(t, progress, "reference")

	// The hidden tests: the whole kata.
	edit(t, filepath.Join(sol, "hidden_test.go"), "package adder_test", "package adder_test\n\n// changed")
	n, _ = verifyCached(t, root)
	assert.Equal(t, 0, n, "hidden tests changed")
	verifyCached(t, root)

	// The shared test helpers: the whole kata.
	writeTree(t, root, map[string]string{"internal/katatest/extra.go": "package katatest\n"})
	n, _ = verifyCached(t, root)
	assert.Equal(t, 0, n, "internal/ changed")
	n, _ = verifyCached(t, root)
	assert.Equal(t, 5, n)

	// Flags: everything.
	n, _ = verifyCached(t, root, "--no-race")
	assert.Equal(t, 0, n, "without -race")
	n, _ = verifyCached(t, root, "--timeout", "29s")
	assert.Equal(t, 0, n, "another timeout")
	n, _ = verifyCached(t, root, "--force")
	assert.Equal(t, 0, n, "--force")
	n, _ = verifyCached(t, root)
	assert.Equal(t, 5, n, "back to the first flags")
}

// The Go version is part of every key.
func TestVerifyCacheKeyHasTheGoVersion(t *testing.T) {
	t.Setenv(verify.CacheDirEnv, t.TempDir())
	root := verifyRepo(t)
	cat, err := catalog.Load(root)
	require.NoError(t, err)
	cfg := verify.Config{Root: root, Katas: cat.Katas, Race: true, Timeout: 30e9, CacheDir: os.Getenv(verify.CacheDirEnv), GoVersion: "go1.26.8"}
	rep, err := verify.Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Equal(t, 0, rep.Cached)
	rep, err = verify.Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 5, rep.Cached)
	cfg.GoVersion = "go1.27.0"
	rep, err = verify.Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Cached, "another Go version")
}
