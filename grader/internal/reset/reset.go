// Package reset starts a kata over: it backs up everything in the learner's
// kata folder, then puts the pristine Go files back (the stub, the visible
// tests, any generated code) and removes the Go files the kata does not
// ship. Nothing is lost: the backup holds the folder exactly as it was.
// It needs no git; the pristine copies come from package pristine.
package reset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/microkata/microkata/grader/internal/pristine"
)

// Result says what Reset did.
type Result struct {
	// Backup is the folder holding the kata folder as it was.
	Backup string
	// Restored are the files written back, Removed the Go files deleted
	// (they are in the backup), as paths from the root.
	Restored, Removed []string
}

// Reset backs up root's katas/<kata>/ into backups/<kata>-<time>/ under
// stateDir, then restores its pristine Go files from rec. The backup is
// complete before anything in the kata folder changes; if it fails, the
// kata folder is untouched.
func Reset(root, kata string, rec *pristine.Record, stateDir string, now time.Time) (*Result, error) {
	dir := filepath.Join(root, "katas", kata)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("reset: katas/%s is not a folder", kata)
	}
	files := rec.Files(kata)
	if len(files) == 0 {
		return nil, fmt.Errorf("reset: kata %s has no pristine copy", kata)
	}
	backup := filepath.Join(stateDir, "backups", kata+"-"+now.UTC().Format("20060102T150405.000000000Z"))
	if err := copyTree(dir, backup); err != nil {
		return nil, fmt.Errorf("reset: backing up katas/%s to %s: %w (nothing was changed)", kata, backup, err)
	}
	r := &Result{Backup: backup}
	keep := map[string]bool{}
	for _, name := range files {
		keep[name] = true
	}
	// Go files the kata does not ship: a learner's own tests and helpers.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !keep[name] {
			if err := os.Remove(p); err != nil {
				return err
			}
			r.Removed = append(r.Removed, name)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("reset: %w (the backup in %s is complete)", err, backup)
	}
	for _, name := range files {
		st, err := rec.State(name)
		if err != nil {
			return r, err
		}
		if st == pristine.Unchanged {
			continue
		}
		data, err := rec.Content(name)
		if err != nil {
			return r, err
		}
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return r, err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return r, fmt.Errorf("reset: %w (the backup in %s is complete)", err, backup)
		}
		r.Restored = append(r.Restored, name)
	}
	return r, nil
}

// copyTree copies the regular files under from into to, which must not
// exist, keeping their modes. Symbolic links are copied as links.
func copyTree(from, to string) error {
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("%s exists", to)
	}
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, data, fi.Mode().Perm())
		}
		return nil
	})
}

// ErrNotConfirmed is returned by the command when the learner says no.
var ErrNotConfirmed = errors.New("reset: not confirmed; nothing changed")

// Describe lists the files of r for a learner, one per line.
func Describe(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "backed up to %s\n", r.Backup)
	for _, n := range r.Restored {
		fmt.Fprintf(&b, "restored %s\n", n)
	}
	for _, n := range r.Removed {
		fmt.Fprintf(&b, "removed  %s (it is in the backup)\n", n)
	}
	if len(r.Restored)+len(r.Removed) == 0 {
		fmt.Fprintf(&b, "nothing to restore: the kata's Go files were already as shipped\n")
	}
	return strings.TrimSuffix(b.String(), "\n") + "\n"
}
