// Package submission opens a take-home submission — a folder, a .tar.gz or
// .tgz, or a .zip laid out like the repository or like a bundle — the way
// one opens a stranger's archive: it extracts into a private temporary
// folder only what grading needs, refuses any entry that could escape that
// folder or is not a plain file (absolute paths, "..", symbolic and hard
// links, devices, FIFOs), and enforces limits on the number of entries, the
// size of each file and the total expanded size while streaming, so a zip
// bomb is refused before it fills a disk. Every refusal names the entry and
// the rule it broke.
package submission

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrRefused is matched by every error about the submission itself (as
// opposed to the grader's own failures).
var ErrRefused = errors.New("submission refused")

// Limits bound what a submission may hold.
type Limits struct {
	MaxEntries  int   // archive entries, folders included
	MaxFileSize int64 // bytes of one file, expanded
	MaxTotal    int64 // bytes of all files, expanded
}

// DefaultLimits fit every kata many times over: a kata's code is a few
// kilobytes.
var DefaultLimits = Limits{MaxEntries: 2000, MaxFileSize: 1 << 20, MaxTotal: 32 << 20}

// ManifestName is the bundle manifest's file name.
const ManifestName = "MANIFEST.json"

// Manifest is what a submission's MANIFEST.json says (see package bundle).
type Manifest struct {
	Format    int      `json:"format"`
	Katas     []string `json:"katas"`
	Version   string   `json:"version"`
	Candidate string   `json:"candidate"`
	Minutes   int      `json:"minutes"`
}

// Submission is an opened submission.
type Submission struct {
	// Name is the base name of the file or folder; SHA256 the SHA-256 of
	// the archive, or of a folder's taken files (names and contents).
	Name, SHA256 string
	// Manifest is its MANIFEST.json, nil when it has none.
	Manifest *Manifest
	// Katas maps a kata folder name to the absolute paths of the non-test
	// .go files taken from it, sorted.
	Katas map[string][]string
	// Warnings are remarks: a manifest that cannot be read, test files and
	// other files that were ignored.
	Warnings []string
}

// refuse builds an error matching ErrRefused.
func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// Open reads the submission at p into a new folder under tmp.
func Open(p, tmp string, lim Limits) (*Submission, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, refuse("%v", err)
	}
	dst, err := os.MkdirTemp(tmp, "submission-")
	if err != nil {
		return nil, err
	}
	x := &extractor{dst: dst, lim: lim}
	s := &Submission{Name: filepath.Base(p), Katas: map[string][]string{}}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, refuse("%s is a symbolic link: give the folder or archive itself", p)
	case fi.IsDir():
		s.SHA256, err = x.folder(p)
	case strings.HasSuffix(p, ".tar.gz"), strings.HasSuffix(p, ".tgz"):
		s.SHA256, err = x.archive(p, x.tarGz)
	case strings.HasSuffix(p, ".zip"):
		s.SHA256, err = x.archive(p, x.zip)
	default:
		return nil, refuse("%s: a submission is a folder, a .tar.gz or .tgz, or a .zip", filepath.Base(p))
	}
	if err != nil {
		return nil, err
	}
	if x.entries == 0 {
		return nil, refuse("%s is empty", s.Name)
	}
	if err := s.collect(dst, x); err != nil {
		return nil, err
	}
	return s, nil
}

// extractor writes the taken files of a submission under dst.
type extractor struct {
	dst     string
	lim     Limits
	entries int
	total   int64
	skipped []string // entries ignored: not a kata's .go file nor the manifest
}

// wanted reports whether an entry (a clean slash path, maybe under one top
// folder) is needed for grading: a .go file directly in katas/<kata>/, or
// the manifest.
func wanted(name string) bool {
	parts := strings.Split(name, "/")
	if len(parts) > 0 && parts[len(parts)-1] == ManifestName && len(parts) <= 2 {
		return true
	}
	for i, p := range parts {
		if p == "katas" && len(parts) == i+3 {
			return strings.HasSuffix(parts[i+2], ".go") && i <= 1
		}
	}
	return false
}

// check applies the name rules to one entry and counts it.
func (x *extractor) check(name string) (clean string, err error) {
	x.entries++
	if x.entries > x.lim.MaxEntries {
		return "", refuse("more than %d entries (the limit): at %q", x.lim.MaxEntries, name)
	}
	n := strings.ReplaceAll(name, "\\", "/")
	switch {
	case n == "":
		return "", refuse("an entry has an empty name")
	case strings.HasPrefix(n, "/") || filepath.IsAbs(name) || len(n) > 1 && n[1] == ':':
		return "", refuse("entry %q has an absolute path", name)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", refuse("entry %q leaves the submission's folder (..)", name)
		}
	}
	return path.Clean(n), nil
}

// write stores a regular file's content, counting its size as it streams.
func (x *extractor) write(name string, r io.Reader) error {
	limited := io.LimitReader(r, x.lim.MaxFileSize+1)
	var buf bytes.Buffer
	n, err := io.Copy(&buf, limited)
	if err != nil {
		return refuse("entry %q: %v", name, err)
	}
	if n > x.lim.MaxFileSize {
		return refuse("entry %q is larger than %d bytes (the limit for one file)", name, x.lim.MaxFileSize)
	}
	x.total += n
	if x.total > x.lim.MaxTotal {
		return refuse("the files expand to more than %d bytes (the limit), at %q", x.lim.MaxTotal, name)
	}
	if !wanted(name) {
		x.skipped = append(x.skipped, name)
		return nil
	}
	p := filepath.Join(x.dst, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, buf.Bytes(), 0o644)
}

// archive opens an archive file, hashes it, and extracts it with read.
func (x *extractor) archive(p string, read func(*os.File, int64) error) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", refuse("%v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", refuse("%s is not a regular file", filepath.Base(p))
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if err := read(f, fi.Size()); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (x *extractor) tarGz(f *os.File, _ int64) error {
	gz, err := gzip.NewReader(f)
	if err != nil {
		return refuse("not a gzip archive: %v", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return refuse("a broken tar archive: %v", err)
		}
		name, err := x.check(h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeReg:
			if err := x.write(name, tr); err != nil {
				return err
			}
		case tar.TypeDir:
		case tar.TypeSymlink:
			return refuse("entry %q is a symbolic link (to %q)", h.Name, h.Linkname)
		case tar.TypeLink:
			return refuse("entry %q is a hard link (to %q)", h.Name, h.Linkname)
		case tar.TypeChar, tar.TypeBlock:
			return refuse("entry %q is a device", h.Name)
		case tar.TypeFifo:
			return refuse("entry %q is a FIFO", h.Name)
		case tar.TypeXGlobalHeader:
		default:
			return refuse("entry %q is not a plain file (tar type %q)", h.Name, h.Typeflag)
		}
	}
}

func (x *extractor) zip(f *os.File, size int64) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return refuse("not a zip archive: %v", err)
	}
	for _, zf := range zr.File {
		name, err := x.check(zf.Name)
		if err != nil {
			return err
		}
		mode := zf.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return refuse("entry %q is a symbolic link", zf.Name)
		case mode&fs.ModeNamedPipe != 0:
			return refuse("entry %q is a FIFO", zf.Name)
		case mode&fs.ModeDevice != 0 || mode&fs.ModeCharDevice != 0:
			return refuse("entry %q is a device", zf.Name)
		case mode.IsDir() || strings.HasSuffix(zf.Name, "/"):
			continue
		case !mode.IsRegular():
			return refuse("entry %q is not a plain file", zf.Name)
		}
		// The header's sizes can lie: the limits apply to the bytes
		// that really come out, as they come out.
		rc, err := zf.Open()
		if err != nil {
			return refuse("entry %q: %v", zf.Name, err)
		}
		err = x.write(name, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// folder copies what grading needs from a folder, refusing links and
// special files on the way; it reads only the manifest and katas/.
func (x *extractor) folder(root string) (string, error) {
	h := sha256.New()
	var walk func(dir, rel string, depth int) error
	walk = func(dir, rel string, depth int) error {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return refuse("%v", err)
		}
		for _, e := range ents {
			name := path.Join(rel, e.Name())
			// Only the manifest, katas/ and (in an archive's top folder
			// layout) one level above them matter.
			if depth == 0 && e.Name() != "katas" && e.Name() != ManifestName {
				continue
			}
			if depth == 1 && rel == "katas" && !e.IsDir() {
				continue
			}
			if depth >= 2 && e.IsDir() {
				continue // a kata's subfolders (generated code) come from the repository
			}
			if _, err := x.check(name); err != nil {
				return err
			}
			p := filepath.Join(dir, e.Name())
			fi, err := os.Lstat(p)
			if err != nil {
				return refuse("%v", err)
			}
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				return refuse("%s is a symbolic link", name)
			case fi.IsDir():
				if err := walk(p, name, depth+1); err != nil {
					return err
				}
			case !fi.Mode().IsRegular():
				return refuse("%s is not a plain file (%v)", name, fi.Mode().Type())
			default:
				f, err := os.Open(p)
				if err != nil {
					return refuse("%v", err)
				}
				var buf bytes.Buffer
				err = x.write(name, io.TeeReader(f, &buf))
				f.Close()
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "%s\x00%d\x00", name, buf.Len())
				h.Write(buf.Bytes())
			}
		}
		return nil
	}
	if err := walk(root, "", 0); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// collect finds the layout (katas/ at the top, or under one top folder),
// reads the manifest and lists each kata's non-test Go files.
func (s *Submission) collect(dst string, x *extractor) error {
	top := dst
	if _, err := os.Stat(filepath.Join(dst, "katas")); err != nil {
		ents, _ := os.ReadDir(dst)
		var dirs []string
		for _, e := range ents {
			if e.IsDir() {
				if _, err := os.Stat(filepath.Join(dst, e.Name(), "katas")); err == nil {
					dirs = append(dirs, e.Name())
				}
			}
		}
		if len(dirs) != 1 {
			return refuse("%s has no katas/ folder (at its top, or under one top folder): lay it out like the repository or like the bundle", s.Name)
		}
		top = filepath.Join(dst, dirs[0])
	}
	if data, err := os.ReadFile(filepath.Join(top, ManifestName)); err == nil {
		var m Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s cannot be read (%v): the katas and version it names are unknown", ManifestName, err))
		} else {
			s.Manifest = &m
		}
	}
	kataDirs, _ := os.ReadDir(filepath.Join(top, "katas"))
	for _, d := range kataDirs {
		if !d.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(top, "katas", d.Name(), "*.go"))
		var tests []string
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				tests = append(tests, filepath.Base(f))
				continue
			}
			s.Katas[d.Name()] = append(s.Katas[d.Name()], f)
		}
		slices.Sort(s.Katas[d.Name()])
		if len(tests) > 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("katas/%s: test files ignored (%s): the repository's own tests grade the kata", d.Name(), strings.Join(tests, ", ")))
		}
	}
	if len(x.skipped) > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d other file(s) ignored (only katas/<kata>/*.go and %s are read)", len(x.skipped), ManifestName))
	}
	return nil
}
