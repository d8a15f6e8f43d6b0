// Package report collects what a pair's tests found (ported scenarios,
// differential runs, documented differences, side-by-side benchmarks) and,
// when CONFORMANCE_REPORT_DIR is set, writes it as JSON for `make
// conformance` (cmd/conformance) to print as a table.
//
// A pair's tests call Init once (in TestMain, through Main) and then the
// Add functions; Main writes the file after the tests have run. Without the
// environment variable nothing is written, so `go test` alone behaves as
// usual.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

// EnvDir names the directory the report files are written to.
const EnvDir = "CONFORMANCE_REPORT_DIR"

// EnvBench, set to 1, makes the side-by-side benchmarks run their full
// number of rounds (cmd/conformance sets it).
const EnvBench = "CONFORMANCE_BENCH"

// Pair is everything one pair's test binary found.
type Pair struct {
	Pair      string        `json:"pair"`    // the folder, e.g. "lru"
	Kata      string        `json:"kata"`    // the reference, e.g. "solutions/lru"
	Library   string        `json:"library"` // module path and version
	Scenarios []Scenario    `json:"scenarios,omitempty"`
	NotPorted []NotPorted   `json:"not_ported,omitempty"`
	Diffs     []Diff        `json:"differential,omitempty"`
	Excl      []Exclusion   `json:"exclusions,omitempty"`
	Bench     []BenchResult `json:"bench,omitempty"`
}

// Scenario is one ported library test, run against both implementations.
type Scenario struct {
	Name    string `json:"name"`              // the library's test name, e.g. "TestLRU_Resize"
	RefPass bool   `json:"reference_passed"`  // passed against the reference
	LibPass bool   `json:"library_passed"`    // passed against the library
	Adapted string `json:"adapted,omitempty"` // what the port had to change, if anything
}

// NotPorted is a library test that was read and deliberately left out.
type NotPorted struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Diff is one seeded differential run.
type Diff struct {
	Name       string `json:"name"`
	Steps      int    `json:"steps"`
	Mismatches int    `json:"mismatches"`
	Avoids     string `json:"avoids,omitempty"` // the excluded inputs the generator never produces
}

// Exclusion is a documented difference with its reproduction test.
type Exclusion struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Passed bool   `json:"reproduced"` // the reproduction showed both behaviours
}

// BenchResult is one side-by-side benchmark (see package abba).
type BenchResult struct {
	Name        string  `json:"name"`
	Rounds      int     `json:"rounds"`
	Ops         int     `json:"ops_per_batch"`
	RefNs       float64 `json:"reference_ns_per_op"`
	LibNs       float64 `json:"library_ns_per_op"`
	Ratio       float64 `json:"ratio"` // median of the rounds' reference/library ns ratios
	RatioLo     float64 `json:"ratio_min"`
	RatioHi     float64 `json:"ratio_max"`
	RefAllocs   float64 `json:"reference_allocs_per_op"`
	LibAllocs   float64 `json:"library_allocs_per_op"`
	Description string  `json:"description,omitempty"`
}

var (
	mu  sync.Mutex
	cur Pair
)

// Main records the pair's identity, runs the tests and writes the report.
func Main(m *testing.M, pair, kata, library string) {
	mu.Lock()
	cur = Pair{Pair: pair, Kata: kata, Library: library}
	mu.Unlock()
	code := m.Run()
	if dir := os.Getenv(EnvDir); dir != "" {
		if err := write(dir); err != nil {
			fmt.Fprintln(os.Stderr, "conformance report:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func write(dir string) error {
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(cur.Scenarios, func(i, j int) bool { return cur.Scenarios[i].Name < cur.Scenarios[j].Name })
	b, err := json.MarshalIndent(cur, "", "  ")
	if err != nil {
		return err
	}
	// One file per test binary run: the tests and the benchmarks are two runs.
	name := fmt.Sprintf("%s.%d.json", cur.Pair, os.Getpid())
	return os.WriteFile(filepath.Join(dir, name), b, 0o644)
}

// AddScenario records a ported scenario's outcome on both implementations.
func AddScenario(s Scenario) {
	mu.Lock()
	defer mu.Unlock()
	for i := range cur.Scenarios {
		if cur.Scenarios[i].Name == s.Name { // -count > 1: keep the worst
			cur.Scenarios[i].RefPass = cur.Scenarios[i].RefPass && s.RefPass
			cur.Scenarios[i].LibPass = cur.Scenarios[i].LibPass && s.LibPass
			return
		}
	}
	cur.Scenarios = append(cur.Scenarios, s)
}

// AddNotPorted records a library test that was left out, and why.
func AddNotPorted(name, reason string) {
	mu.Lock()
	defer mu.Unlock()
	cur.NotPorted = append(cur.NotPorted, NotPorted{name, reason})
}

// AddDiff records a differential run.
func AddDiff(d Diff) {
	mu.Lock()
	defer mu.Unlock()
	cur.Diffs = append(cur.Diffs, d)
}

// AddExclusion records a documented difference's reproduction.
func AddExclusion(e Exclusion) {
	mu.Lock()
	defer mu.Unlock()
	cur.Excl = append(cur.Excl, e)
}

// AddBench records a side-by-side benchmark.
func AddBench(b BenchResult) {
	mu.Lock()
	defer mu.Unlock()
	cur.Bench = append(cur.Bench, b)
}
