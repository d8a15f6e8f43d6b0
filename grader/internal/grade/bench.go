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
	"runtime"
	"slices"
	"strconv"
	"strings"
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

// Bench rounds: the grader runs at least BenchRounds interleaved rounds and
// adds pairs of rounds, up to maxRounds, while the per-round ratios still
// spread wider than settled. Past that, the ratio is marked noisy.
const (
	maxRounds = 12
	settled   = 0.10 // relative half-width of the interval that ends the rounds
	noisy     = 0.25 // relative half-width past which a ratio is noisy
)

// benchmark measures k's visible benchmarks for the learner's code and for
// the reference in the same run, from the binaries benchBinaries built.
func benchmark(ctx context.Context, cfg Config, k *catalog.Kata, bins [2]string) *result.Bench {
	benchtime := cfg.BenchTime
	if benchtime <= 0 {
		benchtime = 50 * time.Millisecond
	}
	return measure(cfg.BenchRounds, k.Benchmarks, func(side int) (map[string]sample, error) {
		out, err := runBench(ctx, cfg.Timeout, k.Dir, bins[side], benchtime, cfg.Exec)
		if err != nil {
			return nil, err
		}
		return parseBench(out), nil
	})
}

// measure runs interleaved rounds of run (side 0 the learner, 1 the
// reference; learner first in even rounds, reference first in odd ones), so
// that a machine that slows down or speeds up affects both sides alike.
//
// The ratio of a benchmark is the learner's fastest round over the
// reference's fastest (noise on a shared machine only adds time, so the
// minimum is the steadiest estimate of a microbenchmark's cost); the kata's
// ratio is the geometric mean over its benchmarks. Its interval comes from
// the paired rounds: each round's geometric-mean ratio, learner and
// reference measured back to back, is one sample, and the interval is the
// 95% confidence interval of their mean in log space (Student's t). While
// that interval is wider than ±10%, two more rounds run, up to maxRounds;
// wider than ±25% at the end, the result is noisy. Allocations take the
// median.
func measure(minRounds int, names []string, run func(side int) (map[string]sample, error)) *result.Bench {
	minRounds = max(minRounds, 1)
	samples := [2]map[string][]sample{{}, {}}
	var perRound []float64 // log of each round's geometric-mean ratio
	rounds := 0
	for rounds < maxRounds {
		order := []int{0, 1}
		if rounds%2 == 1 {
			order = []int{1, 0}
		}
		var got [2]map[string]sample
		for _, side := range order {
			m, err := run(side)
			if err != nil {
				return &result.Bench{Error: err.Error()}
			}
			got[side] = m
			for name, s := range m {
				samples[side][name] = append(samples[side][name], s)
			}
		}
		rounds++
		sum, n := 0.0, 0
		for _, name := range names {
			l, okL := got[0][name]
			r, okR := got[1][name]
			if okL && okR {
				sum += math.Log(l.ns / r.ns)
				n++
			}
		}
		if n > 0 {
			perRound = append(perRound, sum/float64(n))
		}
		if rounds >= minRounds && (rounds-minRounds)%2 == 0 {
			if _, half := interval(perRound); half <= math.Log1p(settled) {
				break
			}
		}
	}
	b := &result.Bench{Rounds: rounds}
	var logNs, logAllocs float64
	for _, name := range names {
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
	n := len(b.Benchmarks)
	if n == 0 {
		b.Error = "no benchmark reported a result"
		return b
	}
	b.NsRatio = math.Exp(logNs / float64(n))
	b.AllocsRatio = math.Exp(logAllocs / float64(n))
	if mean, half := interval(perRound); !math.IsInf(half, 1) {
		b.NsLow, b.NsHigh = math.Exp(mean-half), math.Exp(mean+half)
		b.Noisy = half > math.Log1p(noisy)
	} else {
		b.Noisy = true
	}
	return b
}

// interval returns the mean of xs and the half-width of its 95% confidence
// interval (Student's t); +Inf with fewer than two samples.
func interval(xs []float64) (mean, half float64) {
	n := len(xs)
	if n == 0 {
		return 0, math.Inf(1)
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(n)
	if n < 2 {
		return mean, math.Inf(1)
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(n-1))
	return mean, tQuantile975(n-1) * sd / math.Sqrt(float64(n))
}

// tQuantile975 is the 97.5th percentile of Student's t with df degrees of
// freedom (two-sided 95%), from the standard table.
func tQuantile975(df int) float64 {
	table := []float64{0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131}
	if df < len(table) {
		return table[max(df, 1)]
	}
	return 1.96
}

func runBench(ctx context.Context, timeout time.Duration, dir, bin string, benchtime time.Duration, prefix []string) ([]byte, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	argv := append(slices.Clone(prefix), bin, "-test.run=^$", "-test.bench=.", "-test.benchmem",
		"-test.benchtime="+benchtime.String(), "-test.count=1")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
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

// noiseNote explains a noisy comparison in one line, with the machine's load
// when the system tells it.
func noiseNote(kata string, b *result.Bench) string {
	spread := "could not be estimated"
	if b.NsHigh > 0 {
		spread = fmt.Sprintf("the rounds gave %.2fx to %.2fx", b.NsLow, b.NsHigh)
	}
	load := ""
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) > 0 {
			load = fmt.Sprintf(", load average %s on %d CPUs", f[0], runtime.NumCPU())
		}
	}
	return fmt.Sprintf("the machine was too busy to compare %s's benchmarks with the reference (%s after %d rounds%s): its ratio, marked ?, is a guess; grade again on a quiet machine",
		kata, spread, b.Rounds, load)
}
