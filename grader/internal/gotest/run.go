package gotest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a run of `go test` or of a compiled test binary.
type Options struct {
	// Dir is the working directory of `go test` (the repository root).
	Dir string
	// Overlay is the -overlay file, if any.
	Overlay string
	// Race adds -race.
	Race bool
	// Tags are build tags.
	Tags []string
	// Count is -count (default 1, which also disables the test cache).
	Count int
	// Timeout is -timeout for each test binary (0: go test's default).
	Timeout time.Duration
	// OutputCap bounds the output of one package; past it the process
	// group is killed and the package is marked OverCap. 0 means no cap.
	OutputCap int64
	// Env is added to the environment.
	Env []string
	// Progress, if set, sees every event as it arrives.
	Progress func(*Event)
	// BinDir, if set, makes RunTests keep each package's test binary as
	// BinDir/<last element of its import path>.test (go test -o BinDir/).
	// The go command copies a binary there after its package's run, before
	// it reports the package's terminal event. The package names must be
	// distinct. Compile ignores it.
	BinDir string
	// Exec, when set, is a command that runs each test binary: the binary
	// and its arguments are appended to it (go test -exec; a sandbox).
	Exec []string
	// MemoryLimit, when positive, bounds the resident memory of each
	// process the run starts, in bytes: one that passes it has the whole
	// run killed. Linux only (it reads /proc); elsewhere it is ignored.
	MemoryLimit int64
}

// Result is what one process reported.
type Result struct {
	// Packages maps import paths to what their events said.
	Packages map[string]*Package
	// ExitCode is the process's exit status (-1 if it was killed).
	ExitCode int
	// Stderr is the process's standard error, capped.
	Stderr string
	// Killed says why the grader killed the process group, or "".
	Killed string
	// MemoryKilled maps the name of each process the memory limit killed
	// (as the kernel knows it: a test binary's file name, cut at 15
	// bytes) to why.
	MemoryKilled map[string]string
}

const stderrCap = 64 << 10

// RunTests runs `go test -json` for pkgs (paths relative to opts.Dir, such as
// ./katas/lru). Cancelling ctx kills the whole process group (go, the
// compilers, the test binaries). The error is non-nil only when the go
// command could not be started at all.
func RunTests(ctx context.Context, opts Options, pkgs ...string) (*Result, error) {
	args := append([]string{"test", "-json"}, buildFlags(opts)...)
	count := opts.Count
	if count == 0 {
		count = 1
	}
	args = append(args, "-count="+strconv.Itoa(count))
	if opts.Timeout > 0 {
		args = append(args, "-timeout="+opts.Timeout.String())
	}
	if opts.BinDir != "" {
		args = append(args, "-o", opts.BinDir+string(filepath.Separator))
	}
	if len(opts.Exec) > 0 {
		args = append(args, "-exec", quoteArgs(opts.Exec))
	}
	args = append(args, pkgs...)
	return run(ctx, opts, exec.Command("go", args...))
}

// Compile builds the test binary of one package into out with `go test -c`
// and the build flags of opts. On a build failure it returns an error whose
// text is the compiler's output.
func Compile(ctx context.Context, opts Options, pkg, out string) error {
	return compile(ctx, opts, out, pkg)
}

// CompileAll builds the test binaries of pkgs in one `go test -c` call,
// which builds them in parallel, into outDir as <last element of the
// package path>.test. The last elements must be distinct. On a build
// failure of any package it returns the compiler's output; binaries of the
// other packages may or may not have been written.
func CompileAll(ctx context.Context, opts Options, outDir string, pkgs ...string) error {
	return compile(ctx, opts, outDir+string(filepath.Separator), pkgs...)
}

func compile(ctx context.Context, opts Options, out string, pkgs ...string) error {
	args := append([]string{"test", "-c", "-o", out}, buildFlags(opts)...)
	cmd := exec.CommandContext(ctx, "go", append(args, pkgs...)...)
	cmd.Dir = opts.Dir
	cmd.Env = append(os.Environ(), opts.Env...)
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limitedWriter{w: &buf, n: stderrCap}, &limitedWriter{w: &buf, n: stderrCap}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(buf.String())
		if msg == "" {
			msg = err.Error()
		}
		return errors.New(msg)
	}
	return nil
}

// BinaryOptions configure RunBinary.
type BinaryOptions struct {
	Options
	// Binary is the compiled test binary; ImportPath its package's path;
	// PackageDir the directory it runs in (go test runs tests in the
	// package's directory).
	Binary, ImportPath, PackageDir string
	// Args are extra test flags, such as -test.run.
	Args []string
	// Test2JSON is a test2json binary from BuildTest2JSON; empty uses
	// `go tool test2json`, which costs about 100 ms more per run.
	Test2JSON string
}

// BuildTest2JSON builds cmd/test2json into dir and returns its path, so
// that many runs of compiled test binaries do not each pay for `go tool`.
func BuildTest2JSON(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "test2json")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "cmd/test2json")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building test2json: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	return out, nil
}

// RunBinary runs a compiled test binary through `go tool test2json`, with
// the same limits and event folding as RunTests.
func RunBinary(ctx context.Context, opts BinaryOptions) (*Result, error) {
	args := append([]string{"-t", "-p", opts.ImportPath}, opts.Exec...)
	args = append(args, opts.Binary, "-test.v=test2json", "-test.paniconexit0", "-test.count=1")
	if opts.Timeout > 0 {
		args = append(args, "-test.timeout="+opts.Timeout.String())
	}
	args = append(args, opts.Args...)
	var cmd *exec.Cmd
	if opts.Test2JSON != "" {
		cmd = exec.Command(opts.Test2JSON, args...)
	} else {
		cmd = exec.Command("go", append([]string{"tool", "test2json"}, args...)...)
	}
	o := opts.Options
	o.Dir = opts.PackageDir
	return run(ctx, o, cmd)
}

func buildFlags(opts Options) []string {
	// -ldflags=-w: no DWARF in the test binaries. Nobody debugs a grader's
	// binary, and stack traces, panics and race reports come from the
	// runtime's own tables, which stay. It cuts a -race link with grpc from
	// about 2.2 s to 1.4 s, and verify links one per mutant.
	args := []string{"-ldflags=-w"}
	if opts.Race {
		args = append(args, "-race")
	}
	if len(opts.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(opts.Tags, ","))
	}
	if opts.Overlay != "" {
		args = append(args, "-overlay="+opts.Overlay)
	}
	return args
}

// run starts cmd in its own process group, folds the JSON events of its
// standard output, and kills the group when ctx ends or a package passes
// the output cap.
func run(ctx context.Context, opts Options, cmd *exec.Cmd) (*Result, error) {
	cmd.Dir = opts.Dir
	cmd.Env = append(os.Environ(), opts.Env...)
	setProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: stderrCap}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", strings.Join(cmd.Args, " "), err)
	}

	res := &Result{Packages: map[string]*Package{}}
	var (
		mu     sync.Mutex
		killed string
	)
	kill := func(why string) {
		mu.Lock()
		defer mu.Unlock()
		if killed == "" {
			killed = why
			_ = killGroup(cmd)
		}
	}
	stop := context.AfterFunc(ctx, func() { kill("the grader's deadline ran out") })
	defer stop()
	var memStop func() map[string]string
	if opts.MemoryLimit > 0 {
		memStop = watchMemory(cmd.Process.Pid, opts.MemoryLimit)
	}

	r := bufio.NewReaderSize(stdout, 1<<20)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than 1 MiB is not an event test2json writes;
			// skip the rest of it.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			continue
		}
		if e, ok := parseEvent(bytes.TrimSpace(line)); ok {
			if opts.Progress != nil {
				opts.Progress(e)
			}
			if fold(res.Packages, e, opts.OutputCap) {
				kill(fmt.Sprintf("the output of %s passed the cap of %d bytes", e.Package, opts.OutputCap))
			}
		}
		if err != nil {
			break
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	res.ExitCode = cmd.ProcessState.ExitCode()
	res.Stderr = stderr.String()
	mu.Lock()
	res.Killed = killed
	mu.Unlock()
	if memStop != nil {
		res.MemoryKilled = memStop()
	}
	if werr != nil && res.ExitCode == 0 {
		res.ExitCode = -1
	}
	return res, nil
}

// limitedWriter keeps the first n bytes written to it and drops the rest.
type limitedWriter struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}

// quoteArgs joins args for a go command flag that splits its value like a
// shell (go test -exec): arguments with spaces or quotes are quoted.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", "") + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
