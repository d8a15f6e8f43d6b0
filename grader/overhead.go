package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/grade"
	"github.com/microkata/microkata/grader/internal/overlay"
	"github.com/microkata/microkata/grader/internal/review"
)

// runOverhead measures what the grader costs on top of go test: bare
// `go test -json -race -count=1 -tags microkata_hidden` with the hidden
// tests overlaid, against `grader grade --no-bench`, over the same katas,
// in interleaved rounds (ABBA), for the references (every test passes) and
// for the learner's code (stubs crash on every test, and the grader re-runs
// each crashed test alone by design).
func runOverhead(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf     common
		rounds int
		stubs  bool
	)
	katas, code, done := setup("overhead", `Measures the grader's overhead against bare go test: go test -json -race
-count=1 -tags microkata_hidden with the hidden tests overlaid, and grader grade
--no-bench, over the same katas, in interleaved rounds (ABBA); prints each
side's median and the ratio. By default both grade the reference solutions
(every test passes); --stubs grades the code in katas/ instead. Run it on a
quiet machine: make bench-grader.`, args, stdout, stderr, &cf, false, func(fs *flag.FlagSet) {
		fs.IntVar(&rounds, "rounds", 4, "interleaved rounds (each runs both sides once)")
		fs.BoolVar(&stubs, "stubs", false, "grade the code in katas/ (the stubs on a fresh clone) instead of the references")
	})
	if done {
		return code
	}
	if rounds < 1 {
		fmt.Fprintf(stderr, "grader: overhead: --rounds is %d, want at least 1\n", rounds)
		return exitUsage
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	tmp, err := os.MkdirTemp("", "microkata-overhead-")
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	defer os.RemoveAll(tmp)
	root := katas[0].Root
	specs := make([]overlay.Spec, len(katas))
	pkgs := make([]string, len(katas))
	names := make([]string, len(katas))
	for i, k := range katas {
		c := overlay.Reference(k)
		if stubs {
			c = overlay.Learner()
		}
		specs[i] = overlay.Spec{Kata: k, Code: c, Hidden: true}
		rel, _ := filepath.Rel(root, k.Dir)
		pkgs[i] = "./" + filepath.ToSlash(rel)
		names[i] = k.Name
	}
	ov, err := overlay.Write(tmp, specs...)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	race := grade.CgoEnabled()
	bare := append([]string{"test", "-json", "-count=1", "-tags", catalog.HiddenTag, "-overlay", ov.Path}, pkgs...)
	if race {
		bare = append([]string{"test", "-race"}, bare[1:]...)
	}
	graded := append([]string{"grade", "--root", root, "--no-bench", "--quiet", "--json"}, names...)
	if !stubs {
		graded = append(graded, "--reference")
	}
	// Each run must have done what it measures, or its time means nothing
	// (a grader that stops on a usage error is very fast): with the
	// references every test passes, so both sides exit 0; the stubs fail,
	// so go test and the grader may also exit 1, never anything else.
	ok := func(code int) bool { return code == 0 || stubs && code == 1 }
	var failed error
	timeIt := func(name string, argv ...string) time.Duration {
		if failed != nil {
			return 0
		}
		cmd := exec.CommandContext(ctx, name, argv...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
		var out bytes.Buffer
		cmd.Stderr = &out
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		code := cmd.ProcessState.ExitCode() // -1 when it did not start or was killed (ProcessState is nil-safe)
		if !ok(code) {
			failed = fmt.Errorf("%s %s exited %d (%v)", filepath.Base(name), strings.Join(argv[:2], " "), code, err)
			if !stubs {
				failed = fmt.Errorf("%w; with the references every test must pass: `grader grade --reference` shows which does not", failed)
			}
			if tail := lastLines(out.String(), 10); tail != "" {
				failed = fmt.Errorf("%w\n%s", failed, tail)
			}
		}
		return took
	}
	fmt.Fprintf(stderr, "grader: warming up (one run of each side)\n")
	timeIt("go", bare...)
	timeIt(self, graded...)
	var a, b []time.Duration
	for r := 0; r < rounds && failed == nil; r++ {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, side := range order {
			if side == 0 {
				a = append(a, timeIt("go", bare...))
			} else {
				b = append(b, timeIt(self, graded...))
			}
		}
		if failed == nil {
			fmt.Fprintf(stderr, "grader: round %d: go test %.2fs, grader %.2fs\n", r+1, a[len(a)-1].Seconds(), b[len(b)-1].Seconds())
		}
	}
	if failed != nil {
		fmt.Fprintf(stderr, "grader: overhead: a run did not do what it measures, so there is no ratio: %v\n", failed)
		return exitFailed
	}
	what := "the references (every test passes)"
	if stubs {
		what = "the code in katas/ (stubs: every crashed test re-runs alone)"
	}
	ma, mb := review.Median(a), review.Median(b)
	fmt.Fprintf(stdout, "%d kata(s), %s, %d rounds, race %v\n", len(katas), what, rounds, race)
	fmt.Fprintf(stdout, "  go test -json -race (hidden tests overlaid): %6.2fs (median)\n", ma.Seconds())
	fmt.Fprintf(stdout, "  grader grade --no-bench:                     %6.2fs (median)\n", mb.Seconds())
	fmt.Fprintf(stdout, "  ratio: %.2fx\n", mb.Seconds()/ma.Seconds())
	return exitOK
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
