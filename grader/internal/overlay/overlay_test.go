package overlay

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/catalog"
)

func kata() *catalog.Kata {
	return &catalog.Kata{
		Entry:         catalog.Entry{Name: "lru"},
		Package:       "lru",
		Dir:           "/r/katas/lru",
		SolutionDir:   "/r/solutions/lru",
		LearnerFiles:  []string{"/r/katas/lru/lru.go", "/r/katas/lru/extra.go"},
		SolutionFiles: []string{"/r/solutions/lru/lru.go", "/r/solutions/lru/list.go"},
		Hidden:        []catalog.Test{{Name: "TestHiddenX", Hidden: true}},
	}
}

func replaces(t *testing.T, o *Overlay) map[string]string {
	t.Helper()
	data, err := os.ReadFile(o.Path)
	require.NoError(t, err)
	var f struct{ Replace map[string]string }
	require.NoError(t, json.Unmarshal(data, &f))
	return f.Replace
}

func TestLearnerWithHiddenAndMain(t *testing.T) {
	dir := t.TempDir()
	o, err := Write(dir, Spec{Kata: kata(), Code: Learner(), Hidden: true, Main: true})
	require.NoError(t, err)
	main := filepath.Join(dir, "lru_main_test.go")
	assert.Equal(t, map[string]string{
		"/r/katas/lru/" + HiddenName: "/r/solutions/lru/hidden_test.go",
		"/r/katas/lru/" + MainName:   main,
	}, replaces(t, o), "the learner's files stay; hidden tests and TestMain are added")
	src, err := os.ReadFile(main)
	require.NoError(t, err)
	assert.Contains(t, string(src), "package lru_test")
	assert.Contains(t, string(src), `"lru.json"`)
	assert.Contains(t, string(src), `Getenv("MICROKATA_MARKER_DIR")`)
	assert.Contains(t, string(src), `Getenv("MICROKATA_MARKER_TOKEN")`)
	assert.NotContains(t, string(src), o.Token, "the nonce is not in the source: the build cache keeps the test package from run to run")
	assert.Len(t, o.Token, 32)
	assert.Equal(t, []string{MarkerDirEnv + "=/m", MarkerTokenEnv + "=" + o.Token}, o.Env("/m"))

	again, err := Write(t.TempDir(), Spec{Kata: kata(), Code: Learner(), Hidden: true, Main: true})
	require.NoError(t, err)
	src2, err := os.ReadFile(replaces(t, again)["/r/katas/lru/"+MainName])
	require.NoError(t, err)
	assert.Equal(t, string(src), string(src2), "the TestMain is the same on every run")
	assert.NotEqual(t, o.Token, again.Token, "each run has its own nonce")
}

func TestReferenceReplacesEveryLearnerFile(t *testing.T) {
	o, err := Write(t.TempDir(), Spec{Kata: kata(), Code: Reference(kata())})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"/r/katas/lru/lru.go":   "/r/solutions/lru/lru.go",
		"/r/katas/lru/list.go":  "/r/solutions/lru/list.go",
		"/r/katas/lru/extra.go": "",
	}, replaces(t, o))
}

func TestVariantReplacesKataFile(t *testing.T) {
	o, err := Write(t.TempDir(), Spec{Kata: kata(), Code: Variant(kata(), "/r/solutions/lru/testdata/mutants/m.go")})
	require.NoError(t, err)
	r := replaces(t, o)
	assert.Equal(t, "/r/solutions/lru/testdata/mutants/m.go", r["/r/katas/lru/lru.go"])
	assert.Equal(t, "/r/solutions/lru/list.go", r["/r/katas/lru/list.go"])
}

func TestVariantNeedsKataFile(t *testing.T) {
	k := kata()
	k.SolutionFiles = []string{"/r/solutions/lru/cache.go"}
	_, err := Write(t.TempDir(), Spec{Kata: k, Code: Variant(k, "/m.go")})
	assert.ErrorContains(t, err, "no lru.go")
}

func TestReadMarker(t *testing.T) {
	dir := t.TempDir()
	assert.Nil(t, ReadMarker(dir, "lru", "tok"), "missing")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lru.json"), []byte(`{"token":"tok","code":1,"leak":"x"}`), 0o644))
	assert.Equal(t, &Marker{Token: "tok", Code: 1, Leak: "x"}, ReadMarker(dir, "lru", "tok"))
	assert.Nil(t, ReadMarker(dir, "lru", "other"), "a marker with another token is not this run's")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lru.json"), []byte(`{"token":"","code":0}`), 0o644))
	assert.Nil(t, ReadMarker(dir, "lru", ""), "an empty nonce matches nothing")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lru.json"), []byte(`garbage`), 0o644))
	assert.Nil(t, ReadMarker(dir, "lru", "tok"))
}
