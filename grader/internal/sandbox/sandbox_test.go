package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// probe is a program that tries what a hostile test binary would.
const probe = `package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

func try(what string, err error) {
	if err != nil {
		fmt.Printf("%s: refused\n", what)
	} else {
		fmt.Printf("%s: ALLOWED\n", what)
	}
}

func main() {
	try("write the working folder", os.WriteFile("written.txt", []byte("x"), 0o644))
	try("write /etc", os.WriteFile("/etc/microkata-probe", []byte("x"), 0o644))
	_, err := os.ReadFile(os.Args[1])
	try("read a file in the user's home", err)
	c, err := net.DialTimeout("tcp", "1.1.1.1:53", 2*time.Second)
	if c != nil {
		c.Close()
	}
	try("reach the network", err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		fmt.Println("loopback: works")
		l.Close()
	}
	try("write the marker folder", os.WriteFile(os.Getenv("MICROKATA_MARKER_DIR")+"/m", []byte("x"), 0o644))
	fmt.Printf("secret: %q\n", os.Getenv("MICROKATA_PROBE_SECRET"))
	fmt.Printf("tmp is private: %v\n", func() bool { _, err := os.Stat(os.Args[2]); return err != nil }())
}
`

func TestSandbox(t *testing.T) {
	bwrap, err := Find()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs bubblewrap: %v", err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "probe.go")
	os.WriteFile(src, []byte(probe), 0o644)
	bin := filepath.Join(dir, "bin", "probe.test")
	if out, err := exec.Command("go", "build", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(dir, "pkg")
	os.Mkdir(work, 0o755)
	markers := filepath.Join(dir, "markers")
	os.Mkdir(markers, 0o755)
	home, _ := os.UserHomeDir()
	secret := filepath.Join(home, ".microkata-probe-secret")
	if err := os.WriteFile(secret, []byte("key"), 0o600); err == nil {
		defer os.Remove(secret)
	}
	visibleTmp := filepath.Join(os.TempDir(), "microkata-probe-visible")
	os.WriteFile(visibleTmp, []byte("x"), 0o644)
	defer os.Remove(visibleTmp)

	// The grader's environment, as go test passes it on: the sandbox
	// keeps the marker folder's variable and drops everything else.
	t.Setenv("MICROKATA_MARKER_DIR", markers)
	t.Setenv("MICROKATA_PROBE_SECRET", "s3cret")
	cmd := Command(bwrap, []string{bin, secret, visibleTmp}, work, markers)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sandboxed probe: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		"write the working folder: refused",
		"write /etc: refused",
		"read a file in the user's home: refused",
		"reach the network: refused",
		"loopback: works",
		"write the marker folder: ALLOWED",
		`secret: ""`,
		"tmp is private: true",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the probe's report lacks %q:\n%s", want, got)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "written.txt")); err == nil {
		t.Error("the probe wrote its working folder")
	}
}
