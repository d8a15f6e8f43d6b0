package pristine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// git runs git in dir and fails the test on error.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git on PATH")
	}
}

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

// repo makes a git repository with one kata, commits it, and writes its sum.
func repo(t *testing.T) (root string, s *Sum) {
	t.Helper()
	needGit(t)
	root = t.TempDir()
	writeFile(t, filepath.Join(root, "katas/k/k_test.go"), visible)
	writeFile(t, filepath.Join(root, "katas/k/k.go"), "package k\n")
	writeFile(t, filepath.Join(root, "katas/k/kv1/gen.go"), "package kv1\n")
	writeFile(t, filepath.Join(root, "katas/k/.k.go.swp"), "editor state")
	git(t, root, "init", "-q")
	git(t, root, "add", ".")
	git(t, root, "commit", "-q", "-m", "kata")
	s, err := Compute(root, []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(); err != nil {
		t.Fatal(err)
	}
	return root, s
}

func TestBlobIDIsGits(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	for _, data := range []string{"", "hello\n", visible, "no newline"} {
		p := filepath.Join(dir, "f")
		writeFile(t, p, data)
		if got, want := BlobID([]byte(data)), git(t, dir, "hash-object", p); got != want {
			t.Errorf("BlobID(%q) = %s, git hash-object says %s", data, got, want)
		}
	}
}

func TestComputeLoadRoundTrip(t *testing.T) {
	root, s := repo(t)
	got, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(s, got); len(d) != 0 {
		t.Fatalf("Load after Write differs: %v", d)
	}
	want := []string{"katas/k/k.go", "katas/k/k_test.go", "katas/k/kv1/gen.go"}
	if files := got.Files("k"); strings.Join(files, ",") != strings.Join(want, ",") {
		t.Errorf("Files(k) = %v, want %v (dotfiles left out)", files, want)
	}
	if got.Files("other") != nil {
		t.Errorf("Files(other) = %v, want none", got.Files("other"))
	}
}

func TestLoadMissingAndMalformed(t *testing.T) {
	root := t.TempDir()
	if _, err := Load(root); !errors.Is(err, ErrNoSum) {
		t.Errorf("Load without a sum: %v, want ErrNoSum", err)
	}
	writeFile(t, filepath.Join(root, SumFile), "abc katas/k/k.go\n")
	if _, err := Load(root); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("Load of a malformed line: %v, want an error naming line 1", err)
	}
	writeFile(t, filepath.Join(root, SumFile), strings.Repeat("a", 40)+"  katas/../etc/passwd\n")
	if _, err := Load(root); err == nil {
		t.Error("Load accepted a path that leaves katas/")
	}
}

func TestStateAndContent(t *testing.T) {
	root, s := repo(t)
	ctx := context.Background()
	name := "katas/k/k_test.go"
	path := filepath.Join(root, name)

	check := func(wantState State) {
		t.Helper()
		st, err := s.State(name)
		if err != nil || st != wantState {
			t.Fatalf("State = %v, %v; want %v", st, err, wantState)
		}
		data, err := s.Content(ctx, name)
		if err != nil || string(data) != visible {
			t.Fatalf("Content = %q, %v; want the committed file", data, err)
		}
	}
	check(Unchanged)

	writeFile(t, path, strings.ReplaceAll(visible, "\n", "\r\n"))
	check(Unchanged) // autocrlf

	writeFile(t, path, visible+"// my notes\n")
	check(Edited)

	// Committing the edit does not change the pristine content.
	git(t, root, "commit", "-q", "-am", "mine")
	check(Edited)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	check(Deleted)

	if _, err := s.State("katas/k/unknown_test.go"); err == nil {
		t.Error("State of an unrecorded file: no error")
	}
}

func TestContentUnavailableWithoutGit(t *testing.T) {
	root, s := repo(t)
	name := "katas/k/k_test.go"
	writeFile(t, filepath.Join(root, name), "edited")
	if err := os.RemoveAll(filepath.Join(root, ".git")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Content(context.Background(), name)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), name) {
		t.Fatalf("Content without .git: %v; want ErrUnavailable naming %s", err, name)
	}
}

func TestDiff(t *testing.T) {
	a := &Sum{ids: map[string]string{"katas/k/a": "1", "katas/k/b": "2"}}
	b := &Sum{ids: map[string]string{"katas/k/b": "3", "katas/k/c": "4"}}
	got := strings.Join(Diff(a, b), "\n")
	for _, want := range []string{"katas/k/a: recorded, but no longer in the tree", "katas/k/b: changed", "katas/k/c: in the tree, but not recorded"} {
		if !strings.Contains(got, want) {
			t.Errorf("Diff = %q, want a line %q", got, want)
		}
	}
}
