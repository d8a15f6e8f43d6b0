package mutant

import (
	"errors"
	"strings"
	"testing"
)

const ref = `package k

func Add(a, b int) int {
	return a + b
}

func Sub(a, b int) int {
	return a - b
}

func Mul(a, b int) int {
	return a * b
}
`

const twoHunks = `Mutant: Add subtracts and Mul adds.
Rule: 1, 3

--- k.go
+++ k.go
@@ -3,3 +3,3 @@
 func Add(a, b int) int {
-	return a + b
+	return a - b
 }
@@ -11,3 +11,4 @@
 func Mul(a, b int) int {
+	// the bug
-	return a * b
+	return a + b
 }
`

func TestParseApply(t *testing.T) {
	d, err := Parse(twoHunks)
	if err != nil {
		t.Fatal(err)
	}
	if d.Description != "Add subtracts and Mul adds." || d.Rule != "1, 3" || d.File != "k.go" || len(d.Hunks) != 2 {
		t.Fatalf("Parse = %+v", d)
	}
	got, err := Apply(ref, d)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(ref, "return a + b", "return a - b", 1), "\treturn a * b", "\t// the bug\n\treturn a + b", 1)
	if got != want {
		t.Errorf("Apply =\n%s\nwant\n%s", got, want)
	}
}

// The reference gained lines above a hunk: it still applies where its
// lines are.
func TestApplyAfterTheReferenceMoved(t *testing.T) {
	d, err := Parse(twoHunks)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(ref, "package k\n", "package k\n\n// Doc.\n// More doc.\n", 1)
	got, err := Apply(moved, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "// More doc.\n\nfunc Add(a, b int) int {\n\treturn a - b") || !strings.Contains(got, "\t// the bug\n\treturn a + b") {
		t.Errorf("Apply on a moved reference =\n%s", got)
	}
}

// A reference change under a hunk is a failure naming the hunk and line.
func TestApplyFailsNamingTheHunk(t *testing.T) {
	d, err := Parse(twoHunks)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(ref, "return a * b", "return b * a", 1)
	_, err = Apply(changed, d)
	if !errors.Is(err, ErrNotApplicable) || !strings.Contains(err.Error(), "hunk 2 (@@ -11,3 +11,4 @@)") ||
		!strings.Contains(err.Error(), `line 12 is "\treturn b * a", the diff expects "\treturn a * b"`) {
		t.Errorf("Apply: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"Rule: 1\n--- k.go\n+++ k.go\n@@ -1 +1 @@\n-a\n+b\n", `needs a line "Mutant: <the bug>"`},
		{"Mutant: x\n", "no unified diff"},
		{"Mutant: x\n--- k.go\n+++ k.go\n", "no hunk"},
		{"Mutant: x\n--- k.go\n+++ k.go\n@@ -1 +1 @@\n*a\n", "must start with"},
	} {
		if _, err := Parse(tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): %v, want %q", tc.data, err, tc.want)
		}
	}
}
