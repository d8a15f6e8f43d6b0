// Package pristine knows what every kata folder held when the repository
// shipped it, so that the grader grades the repository's visible tests
// whatever a learner did to their copy, and can put a kata back as it was.
//
// katas/pristine.sum lists every file of every kata folder (README, stub,
// visible tests, generated code) with its git blob id. A git blob id names
// content, not a place: every clone of the repository holds the object, and
// no edit or commit of the working tree changes an object already stored.
// So the pristine content of a file is the working file when its id still
// matches, and otherwise `git cat-file blob <id>`, checked against the id.
// The sum is written by `grader pristine` (make pristine), and make test
// fails when it is stale.
package pristine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// SumFile is the sum's path relative to the repository root.
const SumFile = "katas/pristine.sum"

// Errors of this package.
var (
	// ErrNoSum is matched when the repository has no katas/pristine.sum.
	ErrNoSum = errors.New("no " + SumFile)
	// ErrUnavailable is matched when a file's pristine content cannot be
	// read: it was changed and git or its object is not there.
	ErrUnavailable = errors.New("the repository's copy cannot be read")
)

// State is how a working file compares with its pristine content.
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

// Sum is the pristine record of a repository's kata folders.
type Sum struct {
	root string
	ids  map[string]string // slash path from the root → blob id
}

// BlobID returns git's object id of a blob holding data: the SHA-1 of
// "blob <len>\x00" followed by data.
func BlobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// Load reads root's katas/pristine.sum. A missing file is an error matching
// ErrNoSum.
func Load(root string) (*Sum, error) {
	data, err := os.ReadFile(filepath.Join(root, SumFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: run `make pristine` (grader pristine) in a clean checkout to record the kata files", ErrNoSum)
	}
	if err != nil {
		return nil, err
	}
	s := &Sum{root: root, ids: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, name, ok := strings.Cut(line, "  ")
		if !ok || len(id) != 40 || !strings.HasPrefix(name, "katas/") || path.Clean(name) != name {
			return nil, fmt.Errorf("%s:%d: want \"<blob id>  katas/<kata>/<file>\", got %q", SumFile, n, line)
		}
		s.ids[name] = id
	}
	return s, sc.Err()
}

// Compute records the files of the named kata folders of root as they are
// now: every regular file under katas/<kata>/, except names starting with
// "." (editor and OS droppings).
func Compute(root string, katas []string) (*Sum, error) {
	s := &Sum{root: root, ids: map[string]string{}}
	for _, k := range katas {
		dir := filepath.Join(root, "katas", k)
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && p != dir {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			s.ids[filepath.ToSlash(rel)] = BlobID(data)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("pristine: kata %s: %w", k, err)
		}
	}
	return s, nil
}

// Bytes is the sum in its file format: a comment, then one line per file,
// "<blob id>  <path>", sorted by path.
func (s *Sum) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString("# The git blob id of every file of every kata folder, as the repository ships it.\n")
	b.WriteString("# Written by `make pristine` (grader pristine); make test fails when it is stale.\n")
	for _, name := range s.names() {
		fmt.Fprintf(&b, "%s  %s\n", s.ids[name], name)
	}
	return b.Bytes()
}

// Write writes the sum to root's katas/pristine.sum.
func (s *Sum) Write() error {
	return os.WriteFile(filepath.Join(s.root, SumFile), s.Bytes(), 0o644)
}

func (s *Sum) names() []string {
	names := make([]string, 0, len(s.ids))
	for n := range s.ids {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Diff lists, one line each, how got differs from want: files added,
// missing or changed, by path.
func Diff(want, got *Sum) []string {
	var out []string
	for _, n := range want.names() {
		switch id, ok := got.ids[n]; {
		case !ok:
			out = append(out, n+": recorded, but no longer in the tree")
		case id != want.ids[n]:
			out = append(out, n+": changed")
		}
	}
	for _, n := range got.names() {
		if _, ok := want.ids[n]; !ok {
			out = append(out, n+": in the tree, but not recorded")
		}
	}
	return out
}

// Files returns the recorded files of kata, as slash paths from the root,
// sorted.
func (s *Sum) Files(kata string) []string {
	prefix := "katas/" + kata + "/"
	var out []string
	for _, n := range s.names() {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// Has reports whether name (a slash path from the root) is recorded.
func (s *Sum) Has(name string) bool {
	_, ok := s.ids[name]
	return ok
}

// State compares the working file name with its pristine content. A file
// whose only difference is CRLF line endings (git's autocrlf on Windows) is
// unchanged.
func (s *Sum) State(name string) (State, error) {
	id, ok := s.ids[name]
	if !ok {
		return 0, fmt.Errorf("pristine: %s is not a recorded kata file", name)
	}
	data, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return Deleted, nil
	}
	if err != nil {
		return 0, err
	}
	if BlobID(data) == id || BlobID(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))) == id {
		return Unchanged, nil
	}
	return Edited, nil
}

// Content returns the pristine content of the recorded file name: the
// working file while it is unchanged, otherwise git's object, checked
// against the recorded id. Without git, outside a git repository, or
// without the object, the error matches ErrUnavailable.
func (s *Sum) Content(ctx context.Context, name string) ([]byte, error) {
	id, ok := s.ids[name]
	if !ok {
		return nil, fmt.Errorf("pristine: %s is not a recorded kata file", name)
	}
	if data, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(name))); err == nil && BlobID(data) == id {
		return data, nil
	}
	cmd := exec.CommandContext(ctx, "git", "cat-file", "blob", id)
	cmd.Dir = s.root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		why := strings.TrimSpace(stderr.String())
		if why == "" {
			why = err.Error()
		}
		return nil, fmt.Errorf("%w: %s: git cat-file blob %s: %s", ErrUnavailable, name, id, firstLine(why))
	}
	if BlobID(data) != id {
		return nil, fmt.Errorf("%w: %s: git returned content whose id is not %s", ErrUnavailable, name, id)
	}
	return data, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
