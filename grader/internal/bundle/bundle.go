// Package bundle builds a take-home bundle: a self-contained Go module that
// a candidate works in offline (once the modules are downloaded), holding
// the chosen katas as the repository ships them (stubs, visible tests,
// READMEs, generated code), the test helpers the visible tests import, a
// candidate README, a Makefile (test, bench, pack) and a manifest with the
// SHA-256 of every file. It never holds a solution, a hidden test, a mutant
// or the grader: the files come from the pristine copies and from an
// explicit list, never from a walk of the repository.
package bundle

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/pristine"
)

// ManifestName is the manifest's file name at the bundle's root; `make pack`
// puts it into the submission too.
const ManifestName = "MANIFEST.json"

// ManifestFormat is the manifest's format version.
const ManifestFormat = 1

// Manifest describes a bundle.
type Manifest struct {
	Format    int       `json:"format"`
	Katas     []string  `json:"katas"`
	Version   string    `json:"version"` // the repository's version (git describe), or "unknown"
	Exported  time.Time `json:"exported"`
	Candidate string    `json:"candidate,omitempty"`
	Minutes   int       `json:"minutes"`
	// Files maps every other file of the bundle to its SHA-256.
	Files map[string]string `json:"files"`
}

// Options describe a bundle.
type Options struct {
	Root      string
	Katas     []*catalog.Kata
	Minutes   int // the time budget; 0 is the sum of the katas' catalog minutes
	Candidate string
	Now       time.Time
}

// File is one file of a bundle.
type File struct {
	Path string // slash path inside the bundle
	Data []byte
}

// helpers are the repository packages the visible tests import.
var helpers = []string{"internal/katatest", "internal/leakreport"}

// Build returns the bundle's files, manifest included, sorted by path.
func Build(o Options) ([]File, *Manifest, error) {
	if len(o.Katas) == 0 {
		return nil, nil, fmt.Errorf("bundle: no katas chosen")
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, nil, err
	}
	o.Root = root
	names := make([]string, len(o.Katas))
	minutes := 0
	for i, k := range o.Katas {
		names[i] = k.Name
		minutes += k.Minutes
	}
	if o.Minutes > 0 {
		minutes = o.Minutes
	}
	rec, err := pristine.Load(o.Root, names)
	if err != nil {
		return nil, nil, err
	}
	var files []File
	add := func(p string, data []byte) { files = append(files, File{Path: p, Data: data}) }
	read := func(p string) error {
		data, err := os.ReadFile(filepath.Join(o.Root, filepath.FromSlash(p)))
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		add(p, data)
		return nil
	}
	for _, p := range []string{"go.mod", "go.sum"} {
		if err := read(p); err != nil {
			return nil, nil, err
		}
	}
	for _, k := range o.Katas {
		// The kata's Go files as shipped, from the pristine copies.
		for _, name := range rec.Files(k.Name) {
			data, err := rec.Content(name)
			if err != nil {
				return nil, nil, err
			}
			add(name, data)
		}
		// Its README and other non-Go files (a .proto), from the tree.
		err := filepath.WalkDir(k.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") || strings.HasPrefix(d.Name(), ".") || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(o.Root, p)
			if err != nil {
				return err
			}
			return read(filepath.ToSlash(rel))
		})
		if err != nil {
			return nil, nil, fmt.Errorf("bundle: kata %s: %w", k.Name, err)
		}
	}
	for _, dir := range helpers {
		matches, err := filepath.Glob(filepath.Join(o.Root, filepath.FromSlash(dir), "*.go"))
		if err != nil {
			return nil, nil, err
		}
		for _, m := range matches {
			if !strings.HasSuffix(m, "_test.go") {
				if err := read(path.Join(dir, filepath.Base(m))); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	m := &Manifest{Format: ManifestFormat, Katas: names, Version: Version(o.Root), Exported: o.Now.UTC(),
		Candidate: o.Candidate, Minutes: minutes, Files: map[string]string{}}
	readme, err := render(readmeTemplate, o, m)
	if err != nil {
		return nil, nil, err
	}
	add("README.md", readme)
	makefile, err := render(makefileTemplate, o, m)
	if err != nil {
		return nil, nil, err
	}
	add("Makefile", makefile)
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		m.Files[f.Path] = hex.EncodeToString(sum[:])
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	add(ManifestName, append(data, '\n'))
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, m, nil
}

// Version is the repository's version: `git describe --always --dirty` of
// root, or "unknown" (a copy without git).
func Version(root string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// Write writes files to out: a .tar.gz or .tgz archive, a .zip archive, or
// otherwise a new directory. Archive entries are under a top folder named
// after out.
func Write(out string, files []File) error {
	switch {
	case strings.HasSuffix(out, ".tar.gz"), strings.HasSuffix(out, ".tgz"):
		return writeArchive(out, files, writeTarGz)
	case strings.HasSuffix(out, ".zip"):
		return writeArchive(out, files, writeZip)
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("bundle: %s exists: give a new folder or an archive name", out)
	}
	for _, f := range files {
		p := filepath.Join(out, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeArchive(out string, files []File, write func(io.Writer, string, []File) error) error {
	top := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(filepath.Base(out), ".tar.gz"), ".tgz"), ".zip")
	var buf bytes.Buffer
	if err := write(&buf, top, files); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

func writeTarGz(w io.Writer, top string, files []File) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{Name: top + "/" + f.Path, Mode: 0o644, Size: int64(len(f.Data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, top string, files []File) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: top + "/" + f.Path, Method: zip.Deflate})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

type view struct {
	Katas     []*catalog.Kata
	Minutes   int
	Candidate string
	Version   string
	Exported  string
}

func render(tmpl string, o Options, m *Manifest) ([]byte, error) {
	t, err := template.New("").Funcs(template.FuncMap{"join": strings.Join}).Parse(tmpl)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = t.Execute(&b, view{Katas: o.Katas, Minutes: m.Minutes, Candidate: m.Candidate, Version: m.Version,
		Exported: m.Exported.Format(time.RFC3339)})
	return b.Bytes(), err
}

const readmeTemplate = `# Take-home task
{{if .Candidate}}
Candidate: {{.Candidate}}.{{end}}
Time budget: **{{.Minutes}} minutes** in all. Exported {{.Exported}} (microkata {{.Version}}).

Implement the kata{{if gt (len .Katas) 1}}s{{end}} below. Each one is a Go package with a stub whose
functions panic "not implemented", a README that states the task (the API, numbered rules, examples,
edge cases), and visible tests that teach the contract:
{{range .Katas}}
- [` + "`{{.Name}}`" + `](katas/{{.Name}}/README.md): {{.Title}} ({{.Difficulty}}, about {{.Minutes}} minutes).
  Edit ` + "`katas/{{.Name}}/{{.Package}}.go`" + `; it may import only: {{join .Imports ", "}}.{{end}}

## Working

You need Go 1.25 or newer and a C compiler (for the race detector). Once the modules are downloaded
(` + "`go mod download`" + `, or the first ` + "`make test`" + `), everything works offline.

` + "```sh" + `
make test    # the visible tests, with the race detector: go test -race ./katas/...
make bench   # the benchmarks: go test -run '^$' -bench . -benchmem ./katas/...
make pack    # writes submission.tar.gz: what you hand in
` + "```" + `

Add tests of your own if you like; only your non-test ` + "`.go`" + ` files in each kata folder are graded.

## How it is graded

Besides the visible tests there are hidden tests (more cases, boundaries, timing in virtual time,
concurrency, a comparison with a reference). Your code is graded on:

- correctness: every visible and hidden test, run with the race detector;
- data races and goroutines left running after the tests;
- performance: your benchmarks against a reference solution, measured in the same run.

Before anything is built, each kata folder is checked: only the imports listed above, no cgo, no
` + "`unsafe`" + `, no ` + "`//go:linkname`" + ` or ` + "`//go:embed`" + `, no ` + "`init`" + ` functions, no ` + "`TestMain`" + `. A kata that breaks
these rules is not graded.

## Handing in

Run ` + "`make pack`" + ` and send ` + "`submission.tar.gz`" + ` (it holds ` + "`katas/`" + ` and ` + "`MANIFEST.json`" + `). Do not edit
` + "`MANIFEST.json`" + `: it names the katas and the version you were given.
`

const makefileTemplate = `# Take-home bundle: make test, make bench, make pack.
GO ?= go
export GORACE ?= atexit_sleep_ms=0

.PHONY: test bench pack

test: ## the visible tests, with the race detector
	$(GO) test -race ./katas/...

bench: ## the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./katas/...

pack: ## write submission.tar.gz, the archive you hand in
	tar -czf submission.tar.gz MANIFEST.json $$(find katas -name '*.go' -type f | sort)
	@echo "wrote submission.tar.gz: send it back"
`
