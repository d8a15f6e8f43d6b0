// Package catalog discovers the katas of a microkata tree and reads what the
// grader needs to know about each from its sources: the expected visible
// and hidden test names (parsed, never listed by running code), hidden test
// categories, benchmarks, the learner's and the reference's files, and the
// mutants and alternate solutions that verify runs.
//
// katas/catalog.json is the one place that describes every kata; a kata
// folder is katas/<name>/ with a README.md.
package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microkata/microkata/grader/internal/mutant"
)

// File names the grader relies on.
const (
	// CatalogFile is the catalog's path relative to the root.
	CatalogFile = "katas/catalog.json"
	// HiddenFile is the hidden test file's name in solutions/<kata>/.
	HiddenFile = "hidden_test.go"
	// HiddenTag is the build tag that hidden test files require.
	HiddenTag = "microkata_hidden"
)

// Categories are the allowed hidden test categories, in display order.
var Categories = []string{"config", "boundary", "behaviour", "timing", "concurrency", "differential"}

// ErrUnknownKata is returned by Select for a name that is not a kata.
var ErrUnknownKata = errors.New("unknown kata")

// Entry is one kata's record in katas/catalog.json.
type Entry struct {
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	Topic      string   `json:"topic"`
	Difficulty string   `json:"difficulty"`
	Minutes    int      `json:"minutes"`
	Imports    []string `json:"imports"`
}

type file struct {
	Version int     `json:"version"`
	Katas   []Entry `json:"katas"`
}

// Test is one expected test function.
type Test struct {
	Name     string
	Hidden   bool
	Category string // hidden tests only
}

// Variant is a mutant or an alternate solution: a file that replaces the
// reference's <kata>.go. A mutant is stored as a diff against the reference
// (<name>.diff, see package mutant); a whole-file .go mutant is the old
// format, which verify reports.
type Variant struct {
	Name        string // file name without .go or .diff
	Path        string // absolute
	Diff        bool   // Path is a diff against the reference, not a whole file
	Description string // from the "// Mutant:" or "// Alternate:" header
	Rule        string // from the "// Rule:" header (mutants)
}

// Kata is one discovered kata.
type Kata struct {
	Entry
	Root        string // absolute repository root
	Dir         string // absolute katas/<name>
	SolutionDir string // absolute solutions/<name>
	Package     string // the kata's package name
	Visible     []Test
	Hidden      []Test
	Benchmarks  []string
	// LearnerFiles and SolutionFiles are absolute paths of the non-test .go
	// files of the kata folder and of the solution folder.
	LearnerFiles  []string
	SolutionFiles []string
	Mutants       []Variant
	Alternates    []Variant
}

// Catalog is every kata of a tree, in catalog order.
type Catalog struct {
	Root  string
	Katas []*Kata
}

// Load reads the catalog and the sources of every kata under root. A kata
// folder without a catalog entry, or an entry without a folder, is an error:
// the catalog is the one list of katas.
func Load(root string) (*Catalog, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	entries, err := ReadEntries(root)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Root: root}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Name == "" || seen[e.Name] {
			return nil, fmt.Errorf("catalog: %s: empty or repeated kata name %q", CatalogFile, e.Name)
		}
		seen[e.Name] = true
		k, err := loadKata(root, e)
		if err != nil {
			return nil, err
		}
		c.Katas = append(c.Katas, k)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "katas", "*", "README.md"))
	for _, readme := range dirs {
		name := filepath.Base(filepath.Dir(readme))
		if !seen[name] {
			return nil, fmt.Errorf("catalog: katas/%s has a README.md but no entry in %s", name, CatalogFile)
		}
	}
	return c, nil
}

// Names returns the kata names in catalog order.
func (c *Catalog) Names() []string {
	names := make([]string, len(c.Katas))
	for i, k := range c.Katas {
		names[i] = k.Name
	}
	return names
}

// Select returns the named katas in catalog order, or every kata when
// names is empty. An unknown name is an error matching ErrUnknownKata that
// lists the known ones.
func (c *Catalog) Select(names []string) ([]*Kata, error) {
	if len(names) == 0 {
		return c.Katas, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(n), "katas/"), "/")
		if !slices.Contains(c.Names(), n) {
			return nil, fmt.Errorf("%w %q (katas: %s)", ErrUnknownKata, n, strings.Join(c.Names(), ", "))
		}
		want[n] = true
	}
	var out []*Kata
	for _, k := range c.Katas {
		if want[k.Name] {
			out = append(out, k)
		}
	}
	return out, nil
}

func loadKata(root string, e Entry) (*Kata, error) {
	k := &Kata{
		Entry:       e,
		Root:        root,
		Dir:         filepath.Join(root, "katas", e.Name),
		SolutionDir: filepath.Join(root, "solutions", e.Name),
	}
	if _, err := os.Stat(filepath.Join(k.Dir, "README.md")); err != nil {
		return nil, fmt.Errorf("catalog: kata %q: katas/%s/README.md: %w", e.Name, e.Name, err)
	}
	var err error
	if k.LearnerFiles, err = goFiles(k.Dir, false); err != nil {
		return nil, fmt.Errorf("catalog: kata %q: %w", e.Name, err)
	}
	if k.SolutionFiles, err = goFiles(k.SolutionDir, false); err != nil {
		return nil, fmt.Errorf("catalog: kata %q: %w", e.Name, err)
	}
	if len(k.SolutionFiles) == 0 {
		return nil, fmt.Errorf("catalog: kata %q: no reference solution in solutions/%s", e.Name, e.Name)
	}
	visible, err := goFiles(k.Dir, true)
	if err != nil {
		return nil, fmt.Errorf("catalog: kata %q: %w", e.Name, err)
	}
	for _, f := range visible {
		tests, benches, pkg, err := ParseTests(f, nil, false)
		if err != nil {
			return nil, fmt.Errorf("catalog: kata %q: %w", e.Name, err)
		}
		k.Visible = append(k.Visible, tests...)
		k.Benchmarks = append(k.Benchmarks, benches...)
		if k.Package == "" {
			k.Package = strings.TrimSuffix(pkg, "_test")
		}
	}
	hidden := filepath.Join(k.SolutionDir, HiddenFile)
	if _, err := os.Stat(hidden); err == nil {
		tests, _, _, err := ParseTests(hidden, nil, true)
		if err != nil {
			return nil, fmt.Errorf("catalog: kata %q: %w", e.Name, err)
		}
		k.Hidden = tests
	}
	if k.Package == "" {
		k.Package = e.Name
	}
	if k.Mutants, err = variants(filepath.Join(k.SolutionDir, "testdata", "mutants"), "Mutant:"); err != nil {
		return nil, fmt.Errorf("catalog: kata %q: %w", e.Name, err)
	}
	if k.Alternates, err = variants(filepath.Join(k.SolutionDir, "testdata", "alternates"), "Alternate:"); err != nil {
		return nil, fmt.Errorf("catalog: kata %q: %w", e.Name, err)
	}
	return k, nil
}

// Module finds the go.mod that holds dir (dir's or a parent's) and returns
// its module path and its folder.
func Module(dir string) (path, moduleDir string, err error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for line := range strings.SplitSeq(string(data), "\n") {
				if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return strings.Trim(strings.TrimSpace(m), `"`), d, nil
				}
			}
			return "", "", fmt.Errorf("catalog: %s has no module line", filepath.Join(d, "go.mod"))
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", fmt.Errorf("catalog: no go.mod in %s or a parent folder", dir)
		}
		d = parent
	}
}

// ReadEntries reads root's katas/catalog.json without looking at the kata
// folders.
func ReadEntries(root string) ([]Entry, error) {
	data, err := os.ReadFile(filepath.Join(root, CatalogFile))
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	var f file
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", CatalogFile, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("catalog: %s: version %d, want 1", CatalogFile, f.Version)
	}
	return f.Katas, nil
}

// Format returns entries in the layout of katas/catalog.json: one field a
// line, each kata's imports on one line, so that a diff of the catalog shows
// what changed.
func Format(entries []Entry) []byte {
	var b strings.Builder
	b.WriteString("{\n  \"version\": 1,\n  \"katas\": [\n")
	q := func(s string) string {
		data, _ := json.Marshal(s)
		return string(data)
	}
	for i, e := range entries {
		imports := make([]string, len(e.Imports))
		for j, imp := range e.Imports {
			imports[j] = q(imp)
		}
		fmt.Fprintf(&b, "    {\n      \"name\": %s,\n      \"title\": %s,\n      \"topic\": %s,\n      \"difficulty\": %s,\n      \"minutes\": %d,\n      \"imports\": [%s]\n    }",
			q(e.Name), q(e.Title), q(e.Topic), q(e.Difficulty), e.Minutes, strings.Join(imports, ", "))
		if i < len(entries)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  ]\n}\n")
	return []byte(b.String())
}

// WriteEntries writes entries to root's katas/catalog.json (see Format).
func WriteEntries(root string, entries []Entry) error {
	return os.WriteFile(filepath.Join(root, CatalogFile), Format(entries), 0o644)
}

// goFiles lists the .go files of dir, test files or not, sorted. A missing
// dir has none.
func goFiles(dir string, tests bool) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(n, ".go") || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			continue
		}
		if strings.HasSuffix(n, "_test.go") == tests {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// ParseTests returns the Test and Benchmark functions declared in the test
// file src (read from path when src is nil), in source order, and its
// package name. Hidden tests must carry a known category.
func ParseTests(path string, src []byte, hidden bool) (tests []Test, benches []string, pkg string, err error) {
	fset := token.NewFileSet()
	var in any
	if src != nil {
		in = src
	}
	f, err := parser.ParseFile(fset, path, in, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, nil, "", err
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Type.TypeParams != nil {
			continue
		}
		name := fn.Name.Name
		switch {
		case isTestFunc(fn, "Test", "T"):
			t := Test{Name: name, Hidden: hidden}
			if hidden {
				t.Category = category(fn.Doc)
				if !slices.Contains(Categories, t.Category) {
					return nil, nil, "", fmt.Errorf("%s: %s: doc comment needs a line \"Category: X\" with X one of %s",
						fset.Position(fn.Pos()), name, strings.Join(Categories, ", "))
				}
			}
			tests = append(tests, t)
		case isTestFunc(fn, "Benchmark", "B"):
			benches = append(benches, name)
		}
	}
	return tests, benches, f.Name.Name, nil
}

// isTestFunc reports whether fn is func <Prefix>Xxx(*testing.<param>), with
// the name rule of the testing package (no lower-case letter after the
// prefix).
func isTestFunc(fn *ast.FuncDecl, prefix, param string) bool {
	name := fn.Name.Name
	if !strings.HasPrefix(name, prefix) || name == "TestMain" {
		return false
	}
	if rest := name[len(prefix):]; rest != "" {
		r, _ := utf8.DecodeRuneInString(rest)
		if unicode.IsLower(r) {
			return false
		}
	}
	ps := fn.Type.Params.List
	if len(ps) != 1 || len(ps[0].Names) > 1 || fn.Type.Results != nil {
		return false
	}
	star, ok := ps[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == param
}

func category(doc *ast.CommentGroup) string {
	if doc == nil {
		return ""
	}
	for line := range strings.SplitSeq(doc.Text(), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Category:"); ok {
			return strings.TrimSuffix(strings.TrimSpace(v), ".")
		}
	}
	return ""
}

// variants lists the .go files of dir with their header lines, and, for
// mutants, the .diff files.
func variants(dir, header string) ([]Variant, error) {
	files, err := goFiles(dir, false)
	if err != nil {
		return nil, err
	}
	var out []Variant
	if header == "Mutant:" {
		diffs, _ := filepath.Glob(filepath.Join(dir, "*.diff"))
		for _, p := range diffs {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			d, err := mutant.Parse(string(data))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			out = append(out, Variant{Name: strings.TrimSuffix(filepath.Base(p), ".diff"), Path: p, Diff: true,
				Description: d.Description, Rule: d.Rule})
		}
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		v := Variant{Name: strings.TrimSuffix(filepath.Base(p), ".go"), Path: p}
		for line := range strings.SplitSeq(string(data), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "//") {
				if line == "" {
					continue
				}
				break // headers are the leading comment block
			}
			text := strings.TrimSpace(strings.TrimPrefix(line, "//"))
			if d, ok := strings.CutPrefix(text, header); ok {
				v.Description = strings.TrimSpace(d)
			} else if r, ok := strings.CutPrefix(text, "Rule:"); ok {
				v.Rule = strings.TrimSpace(r)
			}
		}
		if v.Description == "" {
			return nil, fmt.Errorf("%s: first comment lines need %q", p, "// "+header+" <description>")
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b Variant) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Tests returns the visible tests then the hidden tests.
func (k *Kata) Tests() []Test {
	return append(slices.Clone(k.Visible), k.Hidden...)
}
