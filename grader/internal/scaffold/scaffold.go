// Package scaffold creates a new kata in the shape every kata has, so that
// adding one starts from the right files rather than from a copy of another
// kata: the learner's folder (README with the standard sections, a stub
// whose bodies panic "not implemented", visible tests), the solution folder
// (reference, hidden tests with a category, maintainer notes, an empty
// mutant folder), the catalog entry and the pristine copies.
//
// The placeholder API (New and a type T) compiles and keeps `grader verify`
// meaningful from the first minute: the reference passes, the stub fails,
// and verify asks for mutants.
package scaffold

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/pristine"
)

// Options describe the new kata.
type Options struct {
	// Root is the repository root.
	Root string
	// Name is the kata's folder and package name: lower-case letters and
	// digits, starting with a letter.
	Name string
	// Title, Topic, Difficulty and Minutes go into the catalog.
	Title, Topic, Difficulty string
	Minutes                  int
}

// ErrExists is matched when the kata's name is taken.
var ErrExists = errors.New("kata exists")

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// Difficulties are the catalog's difficulty levels.
var Difficulties = []string{"easy", "medium", "hard"}

// Create writes the new kata and returns the paths it created, relative to
// the root. It refuses a name that is not a plain package name or that a
// kata, a folder or a catalog entry already uses, and writes nothing then.
func Create(o Options) ([]string, error) {
	if !nameRE.MatchString(o.Name) {
		return nil, fmt.Errorf("scaffold: kata name %q: use lower-case letters and digits, starting with a letter (it is the package name)", o.Name)
	}
	if !slices.Contains(Difficulties, o.Difficulty) {
		return nil, fmt.Errorf("scaffold: difficulty %q: one of %s", o.Difficulty, strings.Join(Difficulties, ", "))
	}
	if o.Minutes <= 0 {
		return nil, fmt.Errorf("scaffold: minutes %d: the time budget must be positive", o.Minutes)
	}
	if o.Title == "" || o.Topic == "" {
		return nil, errors.New("scaffold: a kata needs a title and a topic")
	}
	entries, err := catalog.ReadEntries(o.Root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name == o.Name {
			return nil, fmt.Errorf("scaffold: %w: %s is in %s", ErrExists, o.Name, catalog.CatalogFile)
		}
	}
	for _, d := range []string{"katas", "solutions"} {
		if _, err := os.Stat(filepath.Join(o.Root, d, o.Name)); err == nil {
			return nil, fmt.Errorf("scaffold: %w: %s/%s already exists", ErrExists, d, o.Name)
		}
	}
	module, _, err := catalog.Module(o.Root)
	if err != nil {
		return nil, err
	}

	r := strings.NewReplacer("{{NAME}}", o.Name, "{{TITLE}}", o.Title, "{{LOWERTITLE}}", lowerFirst(o.Title),
		"{{MODULE}}", module, "{{TOPIC}}", o.Topic)
	files := []struct{ path, text string }{
		{"katas/{{NAME}}/README.md", readme},
		{"katas/{{NAME}}/README.zh-CN.md", readmeZH},
		{"katas/{{NAME}}/{{NAME}}.go", stub},
		{"katas/{{NAME}}/{{NAME}}_test.go", visible},
		{"solutions/{{NAME}}/{{NAME}}.go", reference},
		{"solutions/{{NAME}}/hidden_test.go", hidden},
		{"solutions/{{NAME}}/NOTES.md", notes},
		{"solutions/{{NAME}}/testdata/mutants/README.md", mutantsReadme},
	}
	var created []string
	for _, f := range files {
		rel := r.Replace(f.path)
		p := filepath.Join(o.Root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return created, err
		}
		if err := os.WriteFile(p, []byte(r.Replace(f.text)), 0o644); err != nil {
			return created, err
		}
		created = append(created, rel)
	}
	entries = append(entries, catalog.Entry{Name: o.Name, Title: o.Title, Topic: o.Topic,
		Difficulty: o.Difficulty, Minutes: o.Minutes, Imports: []string{"errors"}})
	if err := catalog.WriteEntries(o.Root, entries); err != nil {
		return created, err
	}
	created = append(created, catalog.CatalogFile)
	if err := pristine.Write(o.Root, []string{o.Name}); err != nil {
		return created, err
	}
	return append(created, "solutions/"+o.Name+"/testdata/pristine/"), nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

const readme = `# {{NAME}} — {{LOWERTITLE}}

[中文](README.zh-CN.md)

<!-- One paragraph: what the pattern is, where services use it, and what an
interview tests with it. Link the production library it follows. -->

## API

` + "```go" + `
package {{NAME}}

// T is the placeholder type: replace it with the kata's API.
type T struct{ /* yours */ }

func New() *T
` + "```" + `

You may use any of ` + "`errors`" + ` from the standard library (the grader checks a
submission's imports; the list is in katas/catalog.json).

## Rules

<!-- Numbered, normative: every rule is checked by at least one test, and no
test checks anything a rule does not say. -->

1. ` + "`New`" + ` returns a ready-to-use, non-nil ` + "`*T`" + `.

## Examples

` + "```go" + `
t := {{NAME}}.New()
` + "```" + `

## Edge cases

<!-- Zero, negative, maximum values, empty, the second call, after Close. -->

## Complexity

<!-- The cost of each operation; the benchmarks show it, no test times you. -->

## Hints

<!-- A few hints, from a nudge to the key idea; grader hint shows them one
at a time, so keep each in its own block. -->

<details>
<summary>Hint 1: start with the rules</summary>

Take the rules in order; each has a visible test.
</details>

## How to run

` + "```sh" + `
go test -race ./katas/{{NAME}}   # the visible tests, as the grader runs them
make grade KATA={{NAME}}         # visible and hidden tests, scorecard
` + "```" + `

## Benchmarks

` + "```sh" + `
go test -run '^$' -bench . -benchmem ./katas/{{NAME}}
` + "```" + `

| Benchmark | Set-up | Target | Reference |
|---|---|---|---|
| ` + "`BenchmarkNew`" + ` | one call | ≤ 10 ns/op, 0 allocs/op | (measure it) |
`

// readmeZH is the Chinese README: the same rule numbers, code blocks,
// tables, hints and links as readme, so that the drift test
// (grader/internal/docsync) passes from the start.
const readmeZH = `# {{NAME}} — {{LOWERTITLE}}

[English](README.md)

<!-- 一段话：这个模式是什么、服务在哪里用到它、面试用它考什么。链接它所参照的生产库。 -->

## API

` + "```go" + `
package {{NAME}}

// T is the placeholder type: replace it with the kata's API.
type T struct{ /* yours */ }

func New() *T
` + "```" + `

你可以使用标准库中的 ` + "`errors`" + `（评分器会检查提交代码的 import；允许列表在 katas/catalog.json 中）。

## 规则

<!-- 有编号、具规范性：每条规则至少由一个测试检查，没有测试检查规则之外的内容。 -->

1. ` + "`New`" + ` 返回一个可直接使用、非 nil 的 ` + "`*T`" + `。

## 示例

` + "```go" + `
t := {{NAME}}.New()
` + "```" + `

## 边界情况

<!-- 零、负数、最大值、空、第二次调用、Close 之后。 -->

## 复杂度

<!-- 每个操作的开销；由基准测试展示，没有测试会为你计时。 -->

## 提示

<!-- 几条提示，从轻轻一推到关键思路；grader hint 一次显示一条，所以每条放在自己的块里。 -->

<details>
<summary>提示 1：从规则开始</summary>

按顺序处理规则；每条规则都有一个可见测试。
</details>

## 如何运行

` + "```sh" + `
go test -race ./katas/{{NAME}}   # the visible tests, as the grader runs them
make grade KATA={{NAME}}         # visible and hidden tests, scorecard
` + "```" + `

## 基准测试

` + "```sh" + `
go test -run '^$' -bench . -benchmem ./katas/{{NAME}}
` + "```" + `

| 基准测试 | 设置 | 目标 | 参考实现 |
|---|---|---|---|
| ` + "`BenchmarkNew`" + ` | 一次调用 | ≤ 10 ns/op, 0 allocs/op | （待测量） |
`

const stub = `// Package {{NAME}} is the {{LOWERTITLE}} kata: read katas/{{NAME}}/README.md
// and implement the API below. Every body panics "not implemented" until you
// do.
package {{NAME}}

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	panic("not implemented")
}
`

const reference = `// Package {{NAME}} is the reference solution of the {{LOWERTITLE}} kata.
package {{NAME}}

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	return &T{}
}
`

const visible = `package {{NAME}}_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"{{MODULE}}/internal/katatest"
	"{{MODULE}}/katas/{{NAME}}"
)

// Rule 1.
func TestNew(t *testing.T) {
	katatest.Guard(t)
	assert.NotNil(t, {{NAME}}.New(), "New() returned nil")
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		_ = {{NAME}}.New()
	}
}
`

const hidden = `//go:build microkata_hidden

package {{NAME}}_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"{{MODULE}}/internal/katatest"
	"{{MODULE}}/katas/{{NAME}}"
)

// TestHiddenNewIsDistinct checks rule 1: each New is a value of its own.
//
// Category: behaviour
func TestHiddenNewIsDistinct(t *testing.T) {
	katatest.Guard(t)
	a, b := {{NAME}}.New(), {{NAME}}.New()
	assert.NotNil(t, a, "New() returned nil")
	assert.NotSame(t, a, b, "two calls of New() returned the same *T")
}
`

const notes = `# {{NAME}} — maintainer notes

Spoilers: this file lives beside the reference, not in the learner's folder.

## What the kata teaches, and its sources

<!-- The pattern, the production libraries and papers it follows, and the
interview questions it answers. -->

## Contract

<!-- The README's rules by number, one line each, and why each is worded as
it is. -->

## Hidden-test ideas

<!-- What each hidden test targets (rule, boundary, the bug it catches). -->

## Mutants

<!-- One line each: file, the bug, the rule, caught by visible or hidden
tests only. At least 12; verify checks that every one is caught. -->

## Benchmarks

<!-- Targets, the anchor library measured in the same run, and the figures
measured on the reference. -->

## Deviations

<!-- Where the kata deliberately differs from the library it models, and
why. -->
`

const mutantsReadme = `# Mutants of {{NAME}}

Each .diff file here is one bug a tired candidate would really write, stored
as the change it makes to the reference solutions/{{NAME}}/{{NAME}}.go: a unified
diff after two header lines that ` + "`grader verify`" + ` prints:

` + "```" + `
Mutant: <the bug, in one sentence>.
Rule: <the README rule it breaks>

--- {{NAME}}.go
+++ {{NAME}}.go
@@ -10,7 +10,7 @@
...
` + "```" + `

Write one: copy the reference to /tmp/edited.go, make the bug, then
` + "`diff -u --label {{NAME}}.go --label {{NAME}}.go solutions/{{NAME}}/{{NAME}}.go /tmp/edited.go`" + `
and put the two header lines above it.

Every mutant must be caught by at least one test, every time (no lucky
interleavings; data races are fine, -race finds them), and the hidden tests
must catch some that the visible tests miss.
`
