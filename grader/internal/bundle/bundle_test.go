package bundle

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/catalog"
)

const root = "../../.."

func build(t *testing.T, names ...string) ([]File, *Manifest, *catalog.Catalog) {
	t.Helper()
	cat, err := catalog.Load(root)
	require.NoError(t, err)
	katas, err := cat.Select(names)
	require.NoError(t, err)
	files, m, err := Build(Options{Root: root, Katas: katas, Candidate: "cand-42", Now: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	return files, m, cat
}

func TestBundleContents(t *testing.T) {
	files, m, _ := build(t, "lru", "grpcarith")
	byPath := map[string][]byte{}
	for _, f := range files {
		byPath[f.Path] = f.Data
	}
	for _, want := range []string{"go.mod", "go.sum", "README.md", "Makefile", ManifestName,
		"katas/lru/lru.go", "katas/lru/lru_test.go", "katas/lru/README.md",
		"katas/grpcarith/grpcarith.go", "katas/grpcarith/arithv1/arith.pb.go", "katas/grpcarith/arithv1/arith.proto",
		"internal/katatest/katatest.go", "internal/leakreport/leakreport.go"} {
		assert.Contains(t, byPath, want)
	}
	stub, err := os.ReadFile(filepath.Join(root, "solutions/lru/testdata/pristine/lru.go"))
	require.NoError(t, err)
	assert.Equal(t, string(stub), string(byPath["katas/lru/lru.go"]), "the stub comes from the pristine copy")

	assert.Equal(t, []string{"lru", "grpcarith"}, m.Katas)
	assert.Equal(t, "cand-42", m.Candidate)
	assert.Equal(t, 45+75, m.Minutes, "the budget defaults to the katas' catalog minutes")
	var onDisk Manifest
	require.NoError(t, json.Unmarshal(byPath[ManifestName], &onDisk))
	assert.Len(t, onDisk.Files, len(files)-1, "every file but the manifest is listed")
	for p, sum := range onDisk.Files {
		h := sha256.Sum256(byPath[p])
		assert.Equal(t, hex.EncodeToString(h[:]), sum, "SHA-256 of %s", p)
	}
	readme := string(byPath["README.md"])
	for _, want := range []string{"Candidate: cand-42", "**120 minutes**", "hidden tests", "data races", "make pack", "katas/lru/lru.go", "container/list, errors, sync"} {
		assert.Contains(t, readme, want, "candidate README")
	}
}

// Never a solution, a hidden test, a mutant or the grader: no file of the
// bundle holds a hidden test's name or equals any file of solutions/.
func TestBundleHoldsNoSpoiler(t *testing.T) {
	var all []string
	cat, err := catalog.Load(root)
	require.NoError(t, err)
	for _, k := range cat.Katas {
		all = append(all, k.Name)
	}
	files, _, cat := build(t, all...)
	var hidden []string
	for _, k := range cat.Katas {
		for _, h := range k.Hidden {
			hidden = append(hidden, h.Name)
		}
	}
	require.NotEmpty(t, hidden)
	spoilers := map[[32]byte]string{}
	require.NoError(t, filepath.WalkDir(filepath.Join(root, "solutions"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "/testdata/pristine/") {
			return err
		}
		data, err := os.ReadFile(p)
		spoilers[sha256.Sum256(data)] = p
		return err
	}))
	for _, f := range files {
		assert.False(t, strings.HasPrefix(f.Path, "solutions/") || strings.HasPrefix(f.Path, "grader/"), "%s is a spoiler's or the grader's path", f.Path)
		if p, ok := spoilers[sha256.Sum256(f.Data)]; ok && len(f.Data) > 0 {
			t.Errorf("%s is a copy of %s", f.Path, p)
		}
		for _, h := range hidden {
			if bytes.Contains(f.Data, []byte(h)) {
				t.Errorf("%s names the hidden test %s", f.Path, h)
			}
		}
		assert.NotContains(t, string(f.Data), "microkata_hidden", "%s mentions the hidden build tag", f.Path)
	}
}

func TestWriteFormats(t *testing.T) {
	files, _, _ := build(t, "roundrobin")
	dir := t.TempDir()
	names := func(r io.Reader, zipped []byte) []string {
		var out []string
		if zipped != nil {
			zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
			require.NoError(t, err)
			for _, f := range zr.File {
				out = append(out, f.Name)
			}
			return out
		}
		gz, err := gzip.NewReader(r)
		require.NoError(t, err)
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return out
			}
			require.NoError(t, err)
			assert.Equal(t, byte(tar.TypeReg), h.Typeflag)
			out = append(out, h.Name)
		}
	}
	tgz := filepath.Join(dir, "takehome.tar.gz")
	require.NoError(t, Write(tgz, files))
	data, err := os.ReadFile(tgz)
	require.NoError(t, err)
	got := names(bytes.NewReader(data), nil)
	assert.Len(t, got, len(files))
	assert.Contains(t, got, "takehome/katas/roundrobin/roundrobin.go")

	zp := filepath.Join(dir, "takehome.zip")
	require.NoError(t, Write(zp, files))
	data, err = os.ReadFile(zp)
	require.NoError(t, err)
	assert.Contains(t, names(nil, data), "takehome/MANIFEST.json")

	out := filepath.Join(dir, "bundle")
	require.NoError(t, Write(out, files))
	assert.FileExists(t, filepath.Join(out, "katas/roundrobin/roundrobin_test.go"))
	assert.Error(t, Write(out, files), "an existing folder is not overwritten")
}

// The unpacked bundle is a module the candidate can build and test.
func TestBundleBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module (-short)")
	}
	files, _, _ := build(t, "lru")
	dir := filepath.Join(t.TempDir(), "bundle")
	require.NoError(t, Write(dir, files))
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = dir
	out, err := vet.CombinedOutput()
	require.NoError(t, err, "go vet ./... in the bundle: %s", out)
	test := exec.Command("go", "test", "./katas/...")
	test.Dir = dir
	out, err = test.CombinedOutput()
	assert.Error(t, err, "the stubs fail")
	assert.Contains(t, string(out), "not implemented", "they fail by panicking, not by not building:\n%s", out)
}
