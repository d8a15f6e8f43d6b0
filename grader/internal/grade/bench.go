package grade

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/gotest"
	"github.com/microkata/microkata/grader/internal/overlay"
	"github.com/microkata/microkata/grader/internal/result"
)

// benchBinaries builds, for each kata of ks, the test binary of the
// learner's code (codes[i]) and of the reference, without -race: two `go
// test -c` calls in all, one per side, each building its packages in
// parallel. bins[i] is "" for a kata whose binaries could not be built, and
// errs[i] says why.
func benchBinaries(ctx context.Context, cfg Config, tmp string, ks []*catalog.Kata, codes []overlay.Code, tests []map[string]string) (bins [][2]string, errs []string) {
	bins, errs = make([][2]string, len(ks)), make([]string, len(ks))
	fail := func(why string) ([][2]string, []string) {
		for i := range errs {
			bins[i], errs[i] = [2]string{}, why
		}
		return bins, errs
	}
	dir, err := os.MkdirTemp(tmp, "bench-")
	if err != nil {
		return fail(err.Error())
	}
	pkgs := make([]string, len(ks))
	for i, k := range ks {
		pkgs[i] = "./" + filepath.ToSlash(mustRel(cfg.Root, k.Dir))
	}
	for side, name := range []string{"learner", "reference"} {
		specs := make([]overlay.Spec, len(ks))
		for i, k := range ks {
			c := overlay.Reference(k)
			if side == 0 {
				c = codes[i]
			}
			specs[i] = overlay.Spec{Kata: k, Code: c, TestFiles: tests[i]}
		}
		out := filepath.Join(dir, name)
		if err := os.Mkdir(out, 0o755); err != nil {
			return fail(err.Error())
		}
		ov, err := overlay.Write(out, specs...)
		if err != nil {
			return fail(err.Error())
		}
		opts := gotest.Options{Dir: cfg.Root, Overlay: ov.Path, Tags: Tags}
		together := distinctBases(pkgs)
		if together {
			err = gotest.CompileAll(ctx, opts, out, pkgs...)
		}
		for i := range ks {
			if errs[i] != "" {
				continue
			}
			bin := filepath.Join(out, path.Base(pkgs[i])+".test")
			if !together || err != nil {
				// Build it alone: the names clash, or some package did not
				// build and the error should be about this kata's.
				bin = filepath.Join(out, fmt.Sprintf("%d.test", i))
				if e := gotest.Compile(ctx, opts, pkgs[i], bin); e != nil {
					errs[i] = "building benchmarks: " + firstLine(e.Error())
					continue
				}
			}
			bins[i][side] = bin
		}
	}
	for i := range bins {
		if errs[i] != "" {
			bins[i] = [2]string{}
		}
	}
	return bins, errs
}

// benchmark measures k's visible benchmarks for the learner's code and for
// the reference in the same run, from the binaries benchBinaries built:
// they run in interleaved rounds (learner, reference, reference, learner,
// ...), so that a machine that slows down or speeds up during the run
// affects both sides alike. The fastest round of each side is compared
// (noise on a shared machine only ever adds time, so the minimum is the
// steadiest estimate of a microbenchmark's cost); allocations take the
// median.
func benchmark(ctx context.Context, cfg Config, k *catalog.Kata, bins [2]string) *result.Bench {
	rounds := max(cfg.BenchRounds, 1)
	benchtime := cfg.BenchTime
	if benchtime <= 0 {
		benchtime = 50 * time.Millisecond
	}
	var samples [2]map[string][]sample
	samples[0], samples[1] = map[string][]sample{}, map[string][]sample{}
	for r := range rounds {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, side := range order {
			out, err := runBench(ctx, cfg.Timeout, k.Dir, bins[side], benchtime)
			if err != nil {
				return &result.Bench{Error: err.Error()}
			}
			for name, s := range parseBench(out) {
				samples[side][name] = append(samples[side][name], s)
			}
		}
	}
	b := &result.Bench{}
	var logNs, logAllocs float64
	for _, name := range k.Benchmarks {
		l, r := samples[0][name], samples[1][name]
		if len(l) == 0 || len(r) == 0 {
			continue
		}
		br := result.BenchResult{Name: name,
			LearnerNsOp: fastest(l), ReferenceNsOp: fastest(r),
			LearnerAllocs: median(l, allocsOf), ReferenceAllocs: median(r, allocsOf)}
		b.Benchmarks = append(b.Benchmarks, br)
		logNs += math.Log(br.LearnerNsOp / br.ReferenceNsOp)
		logAllocs += math.Log((br.LearnerAllocs + 1) / (br.ReferenceAllocs + 1))
	}
	if n := len(b.Benchmarks); n > 0 {
		b.NsRatio = math.Exp(logNs / float64(n))
		b.AllocsRatio = math.Exp(logAllocs / float64(n))
	} else {
		b.Error = "no benchmark reported a result"
	}
	return b
}

func runBench(ctx context.Context, timeout time.Duration, dir, bin string, benchtime time.Duration) ([]byte, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin, "-test.run=^$", "-test.bench=.", "-test.benchmem",
		"-test.benchtime="+benchtime.String(), "-test.count=1")
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	lw := &limitedWriter{buf: &out, n: 1 << 20}
	cmd.Stdout, cmd.Stderr = lw, lw
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("running benchmarks of %s: %v: %s", filepath.Base(bin), err, firstLine(out.String()))
	}
	return out.Bytes(), nil
}

type sample struct{ ns, allocs float64 }

func nsOf(s sample) float64     { return s.ns }
func allocsOf(s sample) float64 { return s.allocs }

var benchLine = regexp.MustCompile(`^(Benchmark\S*?)(?:-\d+)?\s+\d+\s+([0-9.e+]+) ns/op(?:.*?\s([0-9.e+]+) allocs/op)?`)

// parseBench reads `go test -bench` output lines such as
// "BenchmarkGetHit-2  1000000  28.2 ns/op  0 B/op  0 allocs/op".
func parseBench(out []byte) map[string]sample {
	m := map[string]sample{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		g := benchLine.FindStringSubmatch(sc.Text())
		if g == nil {
			continue
		}
		ns, err := strconv.ParseFloat(g[2], 64)
		if err != nil || ns <= 0 {
			continue
		}
		allocs, _ := strconv.ParseFloat(g[3], 64)
		m[g[1]] = sample{ns: ns, allocs: allocs}
	}
	return m
}

func fastest(s []sample) float64 {
	m := s[0].ns
	for _, x := range s[1:] {
		m = min(m, x.ns)
	}
	return m
}

func median(s []sample, f func(sample) float64) float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else {
		return (v[n/2-1] + v[n/2]) / 2
	}
}

type limitedWriter struct {
	buf *bytes.Buffer
	n   int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if k := min(len(p), l.n); k > 0 {
		l.buf.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
