// Package pristine keeps the Go files of every kata folder as the repository
// ships them, so that the grader grades the repository's visible tests
// whatever a learner did to their copy, and `grader reset` can put a stub
// back without git (a downloaded zip has no history).
//
// The copies live beside the spoilers, in solutions/<kata>/testdata/pristine/,
// mirroring katas/<kata>/ (subfolders such as generated protobuf code
// included). `grader pristine` (make pristine) writes them from the tree;
// make test fails while they differ from it. A learner's edits to their kata
// folder never reach them.
package pristine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoCopy is matched when a kata has no pristine copies.
var ErrNoCopy = errors.New("no pristine copy")

// State is how a working file compares with its pristine copy.
type State int

const (
	// Unchanged: the working file is the pristine file.
	Unchanged State = iota
	// Edited: the working file exists with other content.
	Edited
	// Deleted: the working file is gone.
	Deleted
)

// String returns "unchanged", "edited" or "deleted".
func (s State) String() string {
	switch s {
	case Unchanged:
		return "unchanged"
	case Edited:
		return "edited"
	case Deleted:
		return "deleted"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Dir returns the folder of kata's pristine copies under root.
func Dir(root, kata string) string {
	return filepath.Join(root, "solutions", kata, "testdata", "pristine")
}

// Record is the pristine copies of a repository's katas.
type Record struct {
	root  string
	files map[string][]string // kata → slash paths from the root, sorted
}

// Load reads which pristine copies the named katas have. A kata without any
// is an error matching ErrNoCopy.
func Load(root string, katas []string) (*Record, error) {
	r := &Record{root: root, files: map[string][]string{}}
	for _, k := range katas {
		rels, err := goFiles(Dir(root, k))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("pristine: kata %s: %w", k, err)
		}
		if len(rels) == 0 {
			return nil, fmt.Errorf("%w of kata %s in solutions/%s/testdata/pristine: run `make pristine` on a clean checkout", ErrNoCopy, k, k)
		}
		for _, rel := range rels {
			r.files[k] = append(r.files[k], path.Join("katas", k, rel))
		}
	}
	return r, nil
}

// goFiles lists the .go files under dir, as slash paths relative to it,
// sorted, leaving out names that start with "." or "_" (the go command
// ignores those too).
func goFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasSuffix(name, ".go") {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// Write copies the .go files of the named kata folders of root into their
// pristine folders, replacing what was there.
func Write(root string, katas []string) error {
	for _, k := range katas {
		src, dst := filepath.Join(root, "katas", k), Dir(root, k)
		rels, err := goFiles(src)
		if err != nil {
			return fmt.Errorf("pristine: kata %s: %w", k, err)
		}
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		for _, rel := range rels {
			data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(rel)))
			if err != nil {
				return err
			}
			to := filepath.Join(dst, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(to, data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// Diff lists, one line each, where the named kata folders of root differ
// from their pristine copies: files added, missing or changed.
func Diff(root string, katas []string) ([]string, error) {
	var out []string
	for _, k := range katas {
		src, dst := filepath.Join(root, "katas", k), Dir(root, k)
		have, err := goFiles(src)
		if err != nil {
			return nil, err
		}
		kept, err := goFiles(dst)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, rel := range kept {
			name := path.Join("katas", k, rel)
			switch a, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(rel))); {
			case errors.Is(err, fs.ErrNotExist):
				out = append(out, name+": kept in the pristine copy, but no longer in the tree")
			case err != nil:
				return nil, err
			default:
				b, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(rel)))
				if err != nil {
					return nil, err
				}
				if !bytes.Equal(a, b) {
					out = append(out, name+": changed since the pristine copy")
				}
			}
		}
		for _, rel := range have {
			if !slices.Contains(kept, rel) {
				out = append(out, path.Join("katas", k, rel)+": in the tree, but not in the pristine copy")
			}
		}
	}
	return out, nil
}

// Files returns kata's pristine files, as slash paths from the root
// ("katas/<kata>/<file>"), sorted.
func (r *Record) Files(kata string) []string { return r.files[kata] }

// Has reports whether name (a slash path from the root) has a pristine copy.
func (r *Record) Has(name string) bool {
	k, _, _ := strings.Cut(strings.TrimPrefix(name, "katas/"), "/")
	return slices.Contains(r.files[k], name)
}

// copyPath returns where name's pristine copy is.
func (r *Record) copyPath(name string) (string, error) {
	if !r.Has(name) {
		return "", fmt.Errorf("pristine: %s has no pristine copy", name)
	}
	k, rel, _ := strings.Cut(strings.TrimPrefix(name, "katas/"), "/")
	return filepath.Join(Dir(r.root, k), filepath.FromSlash(rel)), nil
}

// State compares the working file name with its pristine copy. A file whose
// only difference is CRLF line endings (git's autocrlf on Windows) is
// unchanged.
func (r *Record) State(name string) (State, error) {
	want, err := r.Content(name)
	if err != nil {
		return 0, err
	}
	got, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return Deleted, nil
	}
	if err != nil {
		return 0, err
	}
	if bytes.Equal(got, want) || bytes.Equal(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), want) {
		return Unchanged, nil
	}
	return Edited, nil
}

// Content returns the pristine content of name.
func (r *Record) Content(name string) ([]byte, error) {
	p, err := r.copyPath(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// CopyPath returns the path of name's pristine copy, for an overlay to put
// in its place.
func (r *Record) CopyPath(name string) (string, error) { return r.copyPath(name) }
