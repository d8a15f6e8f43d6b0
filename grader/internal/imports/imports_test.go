package imports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	allowed := []string{"errors", "sync", "sync/atomic"}
	tests := []struct {
		name, src string
		want      []string // Violation.String() substrings, in order
	}{
		{"allowed only", "package rr\n\nimport (\n\t\"errors\"\n\t\"sync\"\n)\n", nil},
		{"no imports", "package rr\n", nil},
		{"os/exec", "package rr\n\nimport (\n\t\"sync\"\n\t\"os/exec\"\n)\n",
			[]string{`rr.go:5 imports "os/exec": no kata may run other programs; roundrobin may import: errors, sync, sync/atomic`}},
		{"not on the list", "package rr\n\nimport \"fmt\"\n",
			[]string{`rr.go:3 imports "fmt": not on roundrobin's list; it may import: errors, sync, sync/atomic`}},
		{"renamed and blank imports count", "package rr\n\nimport (\n\tx \"net/http\"\n\t_ \"unsafe\"\n)\n\nvar _ = x.Get\n",
			[]string{`rr.go:4 imports "net/http": not on roundrobin's list`, `rr.go:5 imports "unsafe": no kata may step outside`}},
		{"cgo", "package rr\n\n// int f() { return 1; }\nimport \"C\"\n",
			[]string{`rr.go:4 imports "C": no kata may use cgo`}},
		{"syscall", "package rr\n\nimport \"syscall\"\n\nvar _ = syscall.Getpid\n",
			[]string{`rr.go:3 imports "syscall"`}},
		{"linkname", "package rr\n\nimport _ \"unsafe\"\n\n//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n",
			[]string{`rr.go:3 imports "unsafe"`, `rr.go:5 imports "//go:linkname": no kata may reach`}},
		{"linkname after a declaration", "package rr\n\nimport _ \"unsafe\"\n\nvar x = 1\n\n//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n",
			[]string{`rr.go:3 imports "unsafe"`, `rr.go:7 imports "//go:linkname"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := write(t, "rr.go", tc.src)
			vs, err := Check("roundrobin", allowed, f)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if len(vs) != len(tc.want) {
				t.Fatalf("Check gave %d violations %v, want %d %q", len(vs), vs, len(tc.want), tc.want)
			}
			for i, v := range vs {
				if !strings.Contains(v.String(), tc.want[i]) {
					t.Errorf("violation %d = %q, want it to contain %q", i, v, tc.want[i])
				}
			}
			err = Err(vs)
			if got := errors.Is(err, ErrViolation); got != (len(tc.want) > 0) {
				t.Errorf("errors.Is(Err(...), ErrViolation) = %v with %d violations", got, len(vs))
			}
		})
	}
}

// A forbidden import is refused even when the allow-list names it.
func TestForbiddenWinsOverAllowList(t *testing.T) {
	f := write(t, "k.go", "package k\n\nimport \"os/exec\"\n\nvar _ = exec.Command\n")
	vs, err := Check("k", []string{"os/exec"}, f)
	if err != nil || len(vs) != 1 || vs[0].Import != "os/exec" {
		t.Fatalf("Check = %v, %v; want one os/exec violation", vs, err)
	}
}

func TestCheckBadFile(t *testing.T) {
	f := write(t, "k.go", "this is not Go")
	if _, err := Check("k", nil, f); err == nil {
		t.Fatal("Check of an unparsable file returned no error")
	}
	if _, err := Check("k", nil, filepath.Join(t.TempDir(), "missing.go")); err == nil {
		t.Fatal("Check of a missing file returned no error")
	}
}

func TestForeign(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"k.go", "k_test.go", "README.md", "fast_amd64.s", "blob.syso", "helper.c"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.s"), 0o755); err != nil {
		t.Fatal(err)
	}
	vs, err := Foreign(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	want := []string{
		"blob.syso is a .syso file: a kata is Go only: the go command would build this file beside the Go code",
		"fast_amd64.s is a .s file: a kata is Go only: the go command would build this file beside the Go code",
		"helper.c is a .c file: a kata is Go only: the go command would build this file beside the Go code",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Foreign =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPolicy(t *testing.T) {
	allowed := []string{"errors", "os", "sync"}
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"clean", "package lru\n\nimport \"sync\"\n\nvar mu sync.Mutex\n", nil},
		{"wrong package", "package main\n\nfunc main() {}\n", []string{`lru.go:1 has package main: the kata's package is lru`}},
		{"embed", "package lru\n\nimport _ \"embed\"\n\n//go:embed lru.go\nvar src string\n",
			[]string{`lru.go:3 imports "embed": not on lru's list`, `lru.go:5 has //go:embed: a submission may not read files at build time`}},
		{"TestMain", "package lru\n\nimport \"testing\"\n\nfunc TestMain(m *testing.M) {}\n",
			[]string{`lru.go:3 imports "testing"`, `lru.go:5 has func TestMain: the grader owns TestMain`}},
		{"init calling os.Exit", "package lru\n\nimport \"os\"\n\nfunc init() { os.Exit(0) }\n",
			[]string{`lru.go:5 has func init: a submission may not run code before the tests (init functions)`}},
		{"a method named init is fine", "package lru\n\ntype T struct{}\n\nfunc (T) init() {}\n", nil},
		{"plugin", "package lru\n\nimport \"plugin\"\n\nvar _ = plugin.Open\n", []string{`lru.go:3 imports "plugin": no kata may load code at run time`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := write(t, "lru.go", tc.src)
			vs, err := Policy("lru", "lru", allowed, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Policy = %q, want %d violations %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("violation %d = %q, want it to contain %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}
