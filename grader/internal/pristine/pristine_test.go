package pristine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

const visible = "package k_test\n\nfunc TestA(t *testing.T) {}\n"

// repo makes a tree with one kata and writes its pristine copies.
func repo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "katas/k/k_test.go"), visible)
	writeFile(t, filepath.Join(root, "katas/k/k.go"), "package k\n")
	writeFile(t, filepath.Join(root, "katas/k/kv1/gen.go"), "package kv1\n")
	writeFile(t, filepath.Join(root, "katas/k/README.md"), "# k\n")
	writeFile(t, filepath.Join(root, "katas/k/.k.go.swp"), "editor state")
	writeFile(t, filepath.Join(root, "katas/k/_scratch.go"), "package k\n")
	if err := Write(root, []string{"k"}); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestWriteLoadFiles(t *testing.T) {
	root := repo(t)
	r, err := Load(root, []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"katas/k/k.go", "katas/k/k_test.go", "katas/k/kv1/gen.go"}
	if got := r.Files("k"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Files(k) = %v, want %v (Go files only, no dot or underscore files)", got, want)
	}
	if !r.Has("katas/k/kv1/gen.go") || r.Has("katas/k/README.md") || r.Has("katas/other/k.go") {
		t.Error("Has disagrees with Files")
	}
	if d, err := Diff(root, []string{"k"}); err != nil || len(d) != 0 {
		t.Errorf("Diff right after Write = %v, %v; want none", d, err)
	}
}

func TestLoadWithoutCopies(t *testing.T) {
	if _, err := Load(t.TempDir(), []string{"k"}); !errors.Is(err, ErrNoCopy) || !strings.Contains(err.Error(), "make pristine") {
		t.Errorf("Load without copies: %v, want ErrNoCopy saying what to run", err)
	}
}

func TestStateAndContent(t *testing.T) {
	root := repo(t)
	r, err := Load(root, []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	name := "katas/k/k_test.go"
	path := filepath.Join(root, name)

	check := func(wantState State) {
		t.Helper()
		st, err := r.State(name)
		if err != nil || st != wantState {
			t.Fatalf("State = %v, %v; want %v", st, err, wantState)
		}
		data, err := r.Content(name)
		if err != nil || string(data) != visible {
			t.Fatalf("Content = %q, %v; want the shipped file", data, err)
		}
	}
	check(Unchanged)
	writeFile(t, path, strings.ReplaceAll(visible, "\n", "\r\n"))
	check(Unchanged) // autocrlf
	writeFile(t, path, visible+"// my notes\n")
	check(Edited)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	check(Deleted)
	if _, err := r.State("katas/k/unknown_test.go"); err == nil {
		t.Error("State of a file without a copy: no error")
	}
}

func TestDiff(t *testing.T) {
	root := repo(t)
	writeFile(t, filepath.Join(root, "katas/k/k.go"), "package k // changed\n")
	writeFile(t, filepath.Join(root, "katas/k/new.go"), "package k\n")
	if err := os.Remove(filepath.Join(root, "katas/k/kv1/gen.go")); err != nil {
		t.Fatal(err)
	}
	d, err := Diff(root, []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(d, "\n")
	for _, want := range []string{
		"katas/k/k.go: changed since the pristine copy",
		"katas/k/kv1/gen.go: kept in the pristine copy, but no longer in the tree",
		"katas/k/new.go: in the tree, but not in the pristine copy",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Diff = %q, want a line %q", got, want)
		}
	}
	if len(d) != 3 {
		t.Errorf("Diff has %d lines, want 3: %q", len(d), got)
	}
}
