package submission

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

type entry struct {
	name     string
	body     string
	typeflag byte
	link     string
	size     int64 // for a zip entry made of zeros, its expanded size
}

func tarGz(t *testing.T, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		tf := e.typeflag
		if tf == 0 {
			tf = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: tf, Linkname: e.link, Mode: 0o644, ModTime: time.Unix(0, 0)}
		if tf == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if tf == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	gz.Close()
	p := filepath.Join(t.TempDir(), "sub.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func zipFile(t *testing.T, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.typeflag == tar.TypeSymlink {
			h.SetMode(os.ModeSymlink | 0o777)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if e.size > 0 {
			zeros := make([]byte, 1<<20)
			for n := int64(0); n < e.size; n += int64(len(zeros)) {
				w.Write(zeros)
			}
		} else {
			w.Write([]byte(e.body))
		}
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "sub.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const lruGo = "package lru\n"

func TestOpenLayouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
	}{
		{"tar.gz like the repository", func(t *testing.T) string {
			return tarGz(t, entry{name: "katas/lru/lru.go", body: lruGo}, entry{name: "katas/lru/lru_test.go", body: "package lru_test\n"},
				entry{name: "MANIFEST.json", body: `{"format":1,"katas":["lru"],"version":"v1","candidate":"c-7"}`})
		}},
		{"tar.gz under one top folder, as make pack of a renamed folder", func(t *testing.T) string {
			return tarGz(t, entry{name: "takehome/", typeflag: tar.TypeDir}, entry{name: "takehome/katas/lru/lru.go", body: lruGo},
				entry{name: "takehome/MANIFEST.json", body: `{"format":1,"katas":["lru"],"version":"v1","candidate":"c-7"}`},
				entry{name: "takehome/katas/lru/lru_test.go", body: "package lru_test\n"})
		}},
		{"zip", func(t *testing.T) string {
			return zipFile(t, entry{name: "katas/lru/lru.go", body: lruGo}, entry{name: "katas/lru/lru_test.go", body: "x"},
				entry{name: "MANIFEST.json", body: `{"format":1,"katas":["lru"],"version":"v1","candidate":"c-7"}`})
		}},
		{"folder", func(t *testing.T) string {
			d := t.TempDir()
			os.MkdirAll(filepath.Join(d, "katas/lru"), 0o755)
			os.WriteFile(filepath.Join(d, "katas/lru/lru.go"), []byte(lruGo), 0o644)
			os.WriteFile(filepath.Join(d, "katas/lru/lru_test.go"), []byte("x"), 0o644)
			os.WriteFile(filepath.Join(d, "MANIFEST.json"), []byte(`{"format":1,"katas":["lru"],"version":"v1","candidate":"c-7"}`), 0o644)
			os.MkdirAll(filepath.Join(d, ".git/objects"), 0o755) // never read
			os.Symlink("/etc/passwd", filepath.Join(d, ".git/link"))
			return d
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.path(t), t.TempDir(), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Katas["lru"]) != 1 || filepath.Base(s.Katas["lru"][0]) != "lru.go" {
				t.Errorf("Katas = %v, want lru: [lru.go]", s.Katas)
			}
			data, _ := os.ReadFile(s.Katas["lru"][0])
			if string(data) != lruGo {
				t.Errorf("lru.go = %q", data)
			}
			if s.Manifest == nil || s.Manifest.Candidate != "c-7" {
				t.Errorf("Manifest = %+v", s.Manifest)
			}
			if len(s.SHA256) != 64 {
				t.Errorf("SHA256 = %q", s.SHA256)
			}
			if !strings.Contains(strings.Join(s.Warnings, "\n"), "katas/lru: test files ignored (lru_test.go)") {
				t.Errorf("Warnings = %q", s.Warnings)
			}
		})
	}
}

// Every hostile entry is refused with a message naming it and the rule.
func TestOpenRefuses(t *testing.T) {
	small := Limits{MaxEntries: 20, MaxFileSize: 64 << 10, MaxTotal: 256 << 10}
	many := make([]entry, 25)
	for i := range many {
		many[i] = entry{name: "katas/lru/f" + strings.Repeat("x", i) + ".go", body: lruGo}
	}
	big := strings.Repeat("x", 70<<10)
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
		want string
	}{
		{"path traversal", func(t *testing.T) string { return tarGz(t, entry{name: "katas/../../evil.go", body: "x"}) }, `entry "katas/../../evil.go" leaves the submission's folder (..)`},
		{"absolute path", func(t *testing.T) string { return tarGz(t, entry{name: "/etc/cron.d/evil", body: "x"}) }, `entry "/etc/cron.d/evil" has an absolute path`},
		{"symlink", func(t *testing.T) string {
			return tarGz(t, entry{name: "katas/lru/lru.go", typeflag: tar.TypeSymlink, link: "/etc/passwd"})
		}, `entry "katas/lru/lru.go" is a symbolic link (to "/etc/passwd")`},
		{"hard link", func(t *testing.T) string {
			return tarGz(t, entry{name: "katas/lru/lru.go", typeflag: tar.TypeLink, link: "/etc/shadow"})
		}, `entry "katas/lru/lru.go" is a hard link (to "/etc/shadow")`},
		{"FIFO", func(t *testing.T) string { return tarGz(t, entry{name: "katas/lru/pipe", typeflag: tar.TypeFifo}) }, `entry "katas/lru/pipe" is a FIFO`},
		{"device", func(t *testing.T) string { return tarGz(t, entry{name: "katas/lru/dev", typeflag: tar.TypeChar}) }, `entry "katas/lru/dev" is a device`},
		{"zip symlink", func(t *testing.T) string {
			return zipFile(t, entry{name: "katas/lru/lru.go", typeflag: tar.TypeSymlink, body: "/etc/passwd"})
		}, `entry "katas/lru/lru.go" is a symbolic link`},
		{"zip bomb", func(t *testing.T) string { return zipFile(t, entry{name: "katas/lru/lru.go", size: 16 << 20}) },
			`entry "katas/lru/lru.go" is larger than 65536 bytes (the limit for one file)`},
		{"total size", func(t *testing.T) string {
			var es []entry
			for i := range 5 {
				es = append(es, entry{name: "katas/lru/f" + strings.Repeat("y", i) + ".go", body: big[:60<<10]})
			}
			return tarGz(t, es...)
		}, "the files expand to more than 262144 bytes (the limit)"},
		{"too many files", func(t *testing.T) string { return tarGz(t, many...) }, "more than 20 entries (the limit)"},
		{"empty archive", func(t *testing.T) string { return tarGz(t) }, "sub.tar.gz is empty"},
		{"not an archive", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "sub.tar.gz")
			os.WriteFile(p, []byte("hello"), 0o644)
			return p
		}, "not a gzip archive"},
		{"unknown kind", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "sub.rar")
			os.WriteFile(p, []byte("hello"), 0o644)
			return p
		}, "a submission is a folder, a .tar.gz or .tgz, or a .zip"},
		{"no katas folder", func(t *testing.T) string { return tarGz(t, entry{name: "src/lru.go", body: lruGo}) }, "has no katas/ folder"},
		{"folder with a symlink in katas", func(t *testing.T) string {
			d := t.TempDir()
			os.MkdirAll(filepath.Join(d, "katas/lru"), 0o755)
			os.Symlink("/etc/passwd", filepath.Join(d, "katas/lru/lru.go"))
			return d
		}, "katas/lru/lru.go is a symbolic link"},
		{"folder with a FIFO", func(t *testing.T) string {
			d := t.TempDir()
			os.MkdirAll(filepath.Join(d, "katas/lru"), 0o755)
			if err := syscall.Mkfifo(filepath.Join(d, "katas/lru/lru.go"), 0o644); err != nil {
				t.Skip("no mkfifo here")
			}
			return d
		}, "katas/lru/lru.go is not a plain file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.path(t)
			start := time.Now()
			_, err := Open(p, t.TempDir(), small)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v\nwant ErrRefused saying %q", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
}

// A refused archive writes nothing outside its own temporary folder, and
// nothing at all of the entry that broke the rules.
func TestRefusalWritesNothingOutside(t *testing.T) {
	tmp := t.TempDir()
	outside := filepath.Join(filepath.Dir(tmp), "evil.go")
	_, err := Open(tarGz(t, entry{name: "../evil.go", body: "x"}), tmp, DefaultLimits)
	if !errors.Is(err, ErrRefused) {
		t.Fatal(err)
	}
	if _, err := os.Stat(outside); err == nil {
		t.Fatalf("%s was written", outside)
	}
}
