// Command conformance runs the conformance module's tests and side-by-side
// benchmarks and prints the table of README.md's "Conformance" section:
// per pair, the library's tests ported and passing, the differential steps
// and mismatches, the documented differences, and the benchmarks' ns/op and
// allocs/op of the reference against the library.
//
// Run it from the conformance folder (make conformance does):
//
//	go run ./cmd/conformance            # tests and benchmarks
//	go run ./cmd/conformance -bench=false
//
// The tests and benchmarks write their findings as JSON into a temporary
// folder (package report); this command only runs them and renders.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/microkata/microkata/conformance/internal/report"
)

func main() {
	bench := flag.Bool("bench", true, "run the side-by-side benchmarks (about a minute)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "conformance")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), report.EnvDir+"="+dir)

	loadBefore := loadavg()
	failed := false
	if err := goCmd(env, "test", "-count=1", "./..."); err != nil {
		fmt.Fprintln(os.Stderr, "conformance: the tests failed:", err)
		failed = true
	}
	if *bench {
		if err := goCmd(append(env, report.EnvBench+"=1"), "test", "-count=1", "-run", "^$", "-bench", "ABBA", "-benchtime", "1x", "./..."); err != nil {
			fmt.Fprintln(os.Stderr, "conformance: the benchmarks failed:", err)
			failed = true
		}
	}
	pairs, err := load(dir)
	if err != nil {
		fail(err)
	}
	render(os.Stdout, pairs, *bench, loadBefore, loadavg())
	if failed {
		os.Exit(1)
	}
}

func goCmd(env []string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, os.Stderr, os.Stderr
	return cmd.Run()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "conformance:", err)
	os.Exit(1)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// load merges the report files of each pair (one from the tests, one from
// the benchmarks).
func load(dir string) ([]report.Pair, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	byName := map[string]*report.Pair{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var p report.Pair
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		m := byName[p.Pair]
		if m == nil {
			m = &report.Pair{Pair: p.Pair, Kata: p.Kata, Library: p.Library}
			byName[p.Pair] = m
		}
		m.Scenarios = append(m.Scenarios, p.Scenarios...)
		m.NotPorted = append(m.NotPorted, p.NotPorted...)
		m.Diffs = append(m.Diffs, p.Diffs...)
		m.Excl = append(m.Excl, p.Excl...)
		m.Bench = append(m.Bench, p.Bench...)
	}
	var pairs []report.Pair
	for _, p := range byName {
		pairs = append(pairs, *p)
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].Pair < pairs[j].Pair })
	return pairs, nil
}

func render(w *os.File, pairs []report.Pair, bench bool, loadBefore, loadAfter string) {
	fmt.Fprintf(w, "\n%s, %s/%s, %d CPUs; load average %s before, %s after\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadBefore, loadAfter)
	fmt.Fprintln(w, "| Pair | Library | Scenarios ported / passing | Differential steps / mismatches | Documented differences | ns/op ratio, reference / library (median) | allocs/op, reference / library |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, p := range pairs {
		passing := 0
		for _, s := range p.Scenarios {
			if s.RefPass && s.LibPass {
				passing++
			}
		}
		steps, mism := 0, 0
		for _, d := range p.Diffs {
			steps += d.Steps
			mism += d.Mismatches
		}
		repro := 0
		for _, e := range p.Excl {
			if e.Passed {
				repro++
			}
		}
		var ratios, allocs []string
		for _, b := range p.Bench {
			ratios = append(ratios, fmt.Sprintf("%s %.2f", b.Name, b.Ratio))
			allocs = append(allocs, fmt.Sprintf("%s %s / %s", b.Name, num(b.RefAllocs), num(b.LibAllocs)))
		}
		if !bench {
			ratios, allocs = []string{"not run"}, []string{"not run"}
		}
		fmt.Fprintf(w, "| <a id=\"conformance-%s\"></a>[%s](conformance/%s) | %s | %d / %d (%d not portable) | %d / %d | %d (%d reproduced) | %s | %s |\n",
			p.Pair, p.Pair, p.Pair, "`"+p.Library+"`", len(p.Scenarios), passing, len(p.NotPorted), steps, mism, len(p.Excl), repro,
			strings.Join(ratios, ", "), strings.Join(allocs, ", "))
	}
	if bench {
		fmt.Fprintln(w, "\nSide-by-side benchmarks (ABBA rounds in one process; ratio = reference ns/op ÷ library ns/op, below 1 means the reference is faster; spread = the lowest and highest round):")
		fmt.Fprintln(w, "\n| Pair | Benchmark | Set-up | Reference ns/op | Library ns/op | Ratio [spread] | Reference allocs/op | Library allocs/op |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
		for _, p := range pairs {
			for _, b := range p.Bench {
				fmt.Fprintf(w, "| %s | %s | %s | %.1f | %.1f | %.2f [%.2f, %.2f] | %s | %s |\n",
					p.Pair, b.Name, b.Description, b.RefNs, b.LibNs, b.Ratio, b.RatioLo, b.RatioHi, num(b.RefAllocs), num(b.LibAllocs))
			}
		}
	}
	fmt.Fprintln(w, "\nDocumented differences (each with a reproduction test showing both behaviours):")
	fmt.Fprintln(w)
	for _, p := range pairs {
		for _, e := range p.Excl {
			mark := ""
			if !e.Passed {
				mark = " (REPRODUCTION FAILED)"
			}
			fmt.Fprintf(w, "- %s: %s%s\n", e.ID, e.Title, mark)
		}
	}
	for _, p := range pairs {
		for _, s := range p.Scenarios {
			if !s.RefPass || !s.LibPass {
				fmt.Fprintf(w, "\nFAILING SCENARIO %s/%s: reference passed %t, library passed %t\n", p.Pair, s.Name, s.RefPass, s.LibPass)
			}
		}
	}
}

func num(x float64) string {
	if x == float64(int64(x)) {
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%.2f", x)
}
