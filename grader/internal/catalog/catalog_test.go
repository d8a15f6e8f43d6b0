package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tree writes files (path → content) under a new root.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(c), 0o644))
	}
	return root
}

const twoKatas = `{"version": 1, "katas": [
  {"name": "b", "title": "B", "topic": "t", "difficulty": "easy", "minutes": 10, "imports": ["sync"]},
  {"name": "a", "title": "A", "topic": "t", "difficulty": "hard", "minutes": 90, "imports": []}
]}`

func kataFiles(name string) map[string]string {
	return map[string]string{
		"katas/" + name + "/README.md":       "# " + name,
		"katas/" + name + "/" + name + ".go": "package " + name + "\n",
		"katas/" + name + "/" + name + "_test.go": `package ` + name + `_test

import "testing"

func TestOne(t *testing.T)       {}
func Testlower(t *testing.T)     {} // not a test: lower case after Test
func TestTwo(t *testing.T)       {}
func helper(t *testing.T)        {}
func TestWrongArg(x int)         {}
func BenchmarkFast(b *testing.B) {}
`,
		"solutions/" + name + "/" + name + ".go": "package " + name + "\n",
		"solutions/" + name + "/hidden_test.go": `//go:build microkata_hidden

package ` + name + `_test

import "testing"

// TestHiddenEdge checks an edge.
//
// Category: boundary
func TestHiddenEdge(t *testing.T) {}
`,
		"solutions/" + name + "/testdata/mutants/off_by_one.go": "// Mutant: evicts one entry too early.\n// Rule: 3\n\npackage " + name + "\n",
		"solutions/" + name + "/testdata/alternates/list.go":    "// Alternate: container/list instead of a hand-written list.\n\npackage " + name + "\n",
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestLoadReadsEverything(t *testing.T) {
	root := tree(t, merge(map[string]string{CatalogFile: twoKatas}, kataFiles("a"), kataFiles("b")))
	c, err := Load(root)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "a"}, c.Names(), "catalog order, not folder order")

	k := c.Katas[1]
	assert.Equal(t, "a", k.Package)
	assert.Equal(t, []Test{{Name: "TestOne"}, {Name: "TestTwo"}}, k.Visible)
	assert.Equal(t, []Test{{Name: "TestHiddenEdge", Hidden: true, Category: "boundary"}}, k.Hidden)
	assert.Equal(t, []string{"BenchmarkFast"}, k.Benchmarks)
	assert.Equal(t, []string{filepath.Join(root, "katas/a/a.go")}, k.LearnerFiles)
	require.Len(t, k.Mutants, 1)
	assert.Equal(t, Variant{Name: "off_by_one", Path: filepath.Join(root, "solutions/a/testdata/mutants/off_by_one.go"),
		Description: "evicts one entry too early.", Rule: "3"}, k.Mutants[0])
	require.Len(t, k.Alternates, 1)
	assert.Equal(t, "container/list instead of a hand-written list.", k.Alternates[0].Description)
	assert.Len(t, k.Tests(), 3)
}

func TestSelect(t *testing.T) {
	root := tree(t, merge(map[string]string{CatalogFile: twoKatas}, kataFiles("a"), kataFiles("b")))
	c, err := Load(root)
	require.NoError(t, err)

	got, err := c.Select([]string{"a", "katas/b/"})
	require.NoError(t, err)
	assert.Equal(t, "b", got[0].Name, "catalog order whatever the argument order")
	assert.Equal(t, "a", got[1].Name)

	_, err = c.Select([]string{"nope"})
	assert.True(t, errors.Is(err, ErrUnknownKata))
	assert.ErrorContains(t, err, `"nope" (katas: b, a)`)
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no catalog", kataFiles("a"), "catalog.json"},
		{"folder not in catalog", merge(map[string]string{CatalogFile: `{"version":1,"katas":[]}`}, kataFiles("a")), "no entry in katas/catalog.json"},
		{"entry without folder", map[string]string{CatalogFile: twoKatas}, "README.md"},
		{"unknown field", map[string]string{CatalogFile: `{"version":1,"katas":[],"extra":1}`}, "unknown field"},
		{"bad version", map[string]string{CatalogFile: `{"version":2,"katas":[]}`}, "version 2"},
		{"hidden test without category", merge(map[string]string{CatalogFile: `{"version":1,"katas":[{"name":"a"}]}`}, kataFiles("a"),
			map[string]string{"solutions/a/hidden_test.go": "package a_test\nimport \"testing\"\nfunc TestHiddenX(t *testing.T) {}\n"}), "Category: X"},
		{"mutant without header", merge(map[string]string{CatalogFile: `{"version":1,"katas":[{"name":"a"}]}`}, kataFiles("a"),
			map[string]string{"solutions/a/testdata/mutants/bad.go": "package a\n"}), "// Mutant:"},
		{"no reference", merge(map[string]string{CatalogFile: `{"version":1,"katas":[{"name":"x"}]}`, "katas/x/README.md": "x"}), "no reference solution"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tree(t, tc.files))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// The catalog's layout is Format's: writing it back changes nothing, so a
// tool that adds a kata (grader new) leaves a one-entry diff.
func TestFormatIsTheCatalogLayout(t *testing.T) {
	for _, root := range []string{"../../..", "../../testdata/root"} {
		data, err := os.ReadFile(filepath.Join(root, CatalogFile))
		if err != nil {
			t.Fatal(err)
		}
		entries, err := ReadEntries(root)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(Format(entries)); got != string(data) {
			t.Errorf("%s: Format(ReadEntries()) differs from the file:\n%s", root, got)
		}
	}
}
