package reset

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microkata/microkata/grader/internal/pristine"
)

func write(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree reads every regular file under dir into a map of slash paths.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const (
	stub    = "package k\n\nfunc F() int { panic(\"not implemented\") }\n"
	visible = "package k_test\n\nfunc TestF(t *testing.T) {}\n"
	gen     = "package kv1\n"
)

func kata(t *testing.T) (root string, rec *pristine.Record) {
	t.Helper()
	root = t.TempDir()
	write(t, filepath.Join(root, "katas/k/k.go"), stub)
	write(t, filepath.Join(root, "katas/k/k_test.go"), visible)
	write(t, filepath.Join(root, "katas/k/kv1/gen.go"), gen)
	write(t, filepath.Join(root, "katas/k/README.md"), "# k\n")
	if err := pristine.Write(root, []string{"k"}); err != nil {
		t.Fatal(err)
	}
	rec, err := pristine.Load(root, []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	return root, rec
}

func TestResetRoundTrip(t *testing.T) {
	root, rec := kata(t)
	dir := filepath.Join(root, "katas/k")
	write(t, filepath.Join(dir, "k.go"), "package k\n\nfunc F() int { return 42 } // my work\n")
	write(t, filepath.Join(dir, "helper.go"), "package k\n")
	write(t, filepath.Join(dir, "mine_test.go"), "package k_test\n")
	write(t, filepath.Join(dir, "notes.txt"), "my notes\n")
	if err := os.Remove(filepath.Join(dir, "k_test.go")); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)

	state := t.TempDir()
	r, err := Reset(root, "k", rec, state, time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// The backup holds exactly what was there.
	if got := tree(t, r.Backup); !equal(got, before) {
		t.Errorf("backup = %q, want the folder as it was %q", got, before)
	}
	if !strings.HasPrefix(r.Backup, filepath.Join(state, "backups", "k-20261205T100000")) {
		t.Errorf("backup in %s, want under %s/backups, named by kata and time", r.Backup, state)
	}
	// The folder is the pristine one, plus what is not Go.
	want := map[string]string{"k.go": stub, "k_test.go": visible, "kv1/gen.go": gen, "README.md": "# k\n", "notes.txt": "my notes\n"}
	if got := tree(t, dir); !equal(got, want) {
		t.Errorf("after reset = %q, want %q", got, want)
	}
	if strings.Join(r.Restored, ",") != "katas/k/k.go,katas/k/k_test.go" {
		t.Errorf("Restored = %v", r.Restored)
	}
	if strings.Join(r.Removed, ",") != "katas/k/helper.go,katas/k/mine_test.go" {
		t.Errorf("Removed = %v", r.Removed)
	}
	if d := Describe(r); !strings.Contains(d, "backed up to "+r.Backup) || !strings.Contains(d, "removed  katas/k/helper.go (it is in the backup)") {
		t.Errorf("Describe = %q", d)
	}

	// A second reset changes nothing but makes another backup.
	r2, err := Reset(root, "k", rec, state, time.Date(2026, 12, 5, 10, 0, 1, 0, time.UTC))
	if err != nil || len(r2.Restored)+len(r2.Removed) != 0 || r2.Backup == r.Backup {
		t.Errorf("second Reset = %+v, %v; want a new backup and nothing restored", r2, err)
	}
}

// When the backup cannot be written, the kata folder is not touched.
func TestResetBackupFailsFirst(t *testing.T) {
	root, rec := kata(t)
	mine := "package k\n\nfunc F() int { return 1 }\n"
	write(t, filepath.Join(root, "katas/k/k.go"), mine)
	state := filepath.Join(t.TempDir(), "state")
	write(t, state, "a file where the state folder should be")
	if _, err := Reset(root, "k", rec, state, time.Now()); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("Reset with an unwritable state folder: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "katas/k/k.go")); string(data) != mine {
		t.Errorf("k.go changed although the backup failed: %q", data)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
