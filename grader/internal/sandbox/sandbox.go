// Package sandbox runs a test binary of a take-home submission inside
// bubblewrap (bwrap, Debian's bubblewrap package): a new network namespace
// with only its own loopback, a read-only view of the whole system, a
// private /tmp, nothing of the users' homes, a new session (no controlling
// terminal to type into), no new privileges, and a clean environment (the
// interviewer's tokens and keys are not passed in). It dies with the
// grader.
//
// What it does not protect against: the CPU and memory the code uses (the
// grader's time and memory limits do that), reading world-readable files of
// the system, and kernel bugs. The compiler runs outside the sandbox;
// compiling Go runs no code of the submission (cgo, //go:embed and build
// tools are refused before building).
package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/microkata/microkata/grader/internal/overlay"
)

// ErrUnavailable is matched when bubblewrap is not installed or cannot
// create its namespaces here.
var ErrUnavailable = errors.New("sandbox unavailable")

// Find returns the path of a bwrap that works on this machine: installed,
// and able to create the namespaces (a container may forbid them).
func Find() (string, error) {
	p, err := exec.LookPath("bwrap")
	if err != nil {
		return "", fmt.Errorf("%w: bwrap is not installed (Debian: apt-get install bubblewrap)", ErrUnavailable)
	}
	out, err := exec.Command(p, append(baseArgs(), "--", "/bin/true")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: bwrap cannot run here: %v %s", ErrUnavailable, err, strings.TrimSpace(string(out)))
	}
	return p, nil
}

// keepEnv are the variables a test binary may see; everything else of the
// grader's environment stays outside.
var keepEnv = []string{"PATH", "LANG", "GORACE", "GODEBUG", "GOMAXPROCS", "GOTRACEBACK", overlay.MarkerDirEnv, overlay.MarkerTokenEnv}

func baseArgs() []string {
	args := []string{
		"--unshare-net", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
		"--new-session", "--die-with-parent",
		"--ro-bind", "/", "/",
		"--dev", "/dev", "--proc", "/proc",
		"--tmpfs", "/tmp",
	}
	for _, home := range homes() {
		args = append(args, "--tmpfs", home)
	}
	return args
}

// homes are the folders that hold users' homes, hidden in the sandbox.
func homes() []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range []string{"/home", "/root", os.Getenv("HOME")} {
		if h == "" || h == "/" || seen[h] {
			continue
		}
		if fi, err := os.Stat(h); err == nil && fi.IsDir() {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// Args returns bwrap's arguments to run argv (a test binary and its
// arguments) in the sandbox, in dir, with the folders rw writable: the
// binary's folder and dir are bound back read-only after the private /tmp
// and hidden homes, the rw folders read-write, and the environment is
// cleared but for keepEnv (HOME and TMPDIR point at the private /tmp).
func Args(argv []string, dir string, rw []string) []string {
	args := baseArgs()
	args = append(args, "--ro-bind", filepath.Dir(argv[0]), filepath.Dir(argv[0]))
	args = append(args, "--ro-bind", dir, dir)
	for _, d := range rw {
		if d != "" {
			args = append(args, "--bind", d, d)
		}
	}
	args = append(args, "--clearenv", "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp")
	for _, k := range keepEnv {
		if v, ok := os.LookupEnv(k); ok {
			args = append(args, "--setenv", k, v)
		}
	}
	args = append(args, "--chdir", dir, "--")
	return append(args, argv...)
}

// Command returns the command that runs argv in the sandbox through bwrap,
// in dir, with rw writable.
func Command(bwrap string, argv []string, dir string, rw ...string) *exec.Cmd {
	return exec.Command(bwrap, Args(argv, dir, rw)...)
}

// Exec replaces the current process with bwrap running argv in the
// sandbox, in the current folder, with $MICROKATA_MARKER_DIR writable: the
// grader's hidden `sandbox-exec` command, which go test -exec calls for
// every test binary.
func Exec(bwrap string, argv []string) error {
	if len(argv) == 0 {
		return errors.New("sandbox: nothing to run")
	}
	bin, err := filepath.Abs(argv[0])
	if err != nil {
		return err
	}
	argv[0] = bin
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	args := append([]string{bwrap}, Args(argv, dir, []string{os.Getenv("MICROKATA_MARKER_DIR")})...)
	return syscall.Exec(bwrap, args, os.Environ())
}
