// Package verify enforces the verify contract of DESIGN.md for each kata:
//
//  1. the reference passes every visible and hidden test with -race,
//     repeatedly (-count=3), with no leaked goroutines; so does every
//     alternate correct design in solutions/<kata>/testdata/alternates;
//  2. the stub compiles and fails;
//  3. every mutant in solutions/<kata>/testdata/mutants is caught by at
//     least one test, and the hidden tests catch at least one mutant that
//     the visible tests miss;
//  4. the stub's exported API is the reference's;
//  5. the stub, the reference, the alternates and the mutants import only
//     what the kata's allow-list permits.
package verify

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/microkata/microkata/grader/internal/apicheck"
	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/grade"
	"github.com/microkata/microkata/grader/internal/imports"
	"github.com/microkata/microkata/grader/internal/mutant"
	"github.com/microkata/microkata/grader/internal/overlay"
)

// MinMutants is the least number of mutants a kata must have.
const MinMutants = 12

// Config configures Run.
type Config struct {
	Root    string
	Katas   []*catalog.Kata
	Race    bool
	Timeout time.Duration
	// Count is -count for the reference (default 3).
	Count int
	// Jobs is how many go test processes run at once (default: the number
	// of CPUs).
	Jobs      int
	OutputCap int64
	Progress  io.Writer
	// CacheDir keeps the results of jobs (see cache); "" runs every job.
	// Force runs every job but still refreshes the cache.
	CacheDir string
	Force    bool
	// GoVersion is part of every cache key (default: go env GOVERSION).
	GoVersion string
}

// Check is one line of the verify report.
type Check struct {
	OK     bool
	What   string
	Detail []string
}

// MutantResult is one row of a kata's mutant table.
type MutantResult struct {
	Name, Rule, Description string
	Caught                  bool
	Visible, Hidden         []string // tests that failed
	Error                   string   // the mutant could not be judged (build failure, ...)
}

// KataReport is the verify report of one kata.
type KataReport struct {
	Kata    string
	Checks  []Check
	Mutants []MutantResult
}

// Report is the whole verify run.
type Report struct {
	Katas []KataReport
	// Jobs is how many jobs the run had, Cached how many of them came
	// from the cache.
	Jobs, Cached int
}

// Counts returns the number of passed and failed checks.
func (r *Report) Counts() (passed, failed int) {
	for _, k := range r.Katas {
		for _, c := range k.Checks {
			if c.OK {
				passed++
			} else {
				failed++
			}
		}
	}
	return passed, failed
}

type job struct {
	done    bool // judged without running (a diff that does not apply)
	kata    int
	kind    string // reference, alternate, stub, mutant
	index   int
	variant grade.Variant
	count   int
	outcome *grade.Outcome
	err     error
	key     string // cache key; "" when the cache is off
	cached  bool   // the outcome came from the cache
	file    string // the file in place of the reference's (mutant, alternate)
}

// Run verifies cfg.Katas.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Count == 0 {
		cfg.Count = 3
	}
	if cfg.Jobs < 1 {
		cfg.Jobs = runtime.NumCPU()
	}
	tmp, err := os.MkdirTemp("", "microkata-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	// Diff mutants become whole files in tmp, applied to the reference in
	// memory; a diff that does not apply is that mutant's error.
	applied, applyErr, err := applyMutants(cfg.Katas, tmp)
	if err != nil {
		return nil, err
	}

	var jobs []*job
	for i, k := range cfg.Katas {
		jobs = append(jobs,
			&job{kata: i, kind: "reference", variant: grade.Variant{Kata: k, Code: overlay.Reference(k), Hidden: true}, count: cfg.Count},
			&job{kata: i, kind: "stub", variant: grade.Variant{Kata: k, Code: overlay.Learner(), Hidden: true}, count: 1})
		for j, a := range k.Alternates {
			jobs = append(jobs, &job{kata: i, kind: "alternate", index: j, file: a.Path, variant: grade.Variant{Kata: k, Code: overlay.Variant(k, a.Path), Hidden: true}, count: 1})
		}
		for j, m := range k.Mutants {
			if e := applyErr[m.Path]; e != nil {
				jobs = append(jobs, &job{kata: i, kind: "mutant", index: j, err: e, done: true, variant: grade.Variant{Kata: k}})
				continue
			}
			file := m.Path
			if m.Diff {
				file = applied[m.Path]
			}
			jobs = append(jobs, &job{kata: i, kind: "mutant", index: j, file: file, variant: grade.Variant{Kata: k, Code: overlay.Variant(k, file), Hidden: true}, count: 1})
		}
	}

	// The cache: a job whose inputs are unchanged since a run that kept
	// the contract is not run again.
	var c *cache
	if cfg.CacheDir != "" {
		in := keyInputs{GoVersion: cfg.GoVersion, Race: cfg.Race, Timeout: cfg.Timeout.String(), Grader: graderHash(cfg.Root)}
		if in.GoVersion == "" {
			in.GoVersion = grade.GoVersion()
		}
		if in.Grader != "" && in.GoVersion != "" {
			c = &cache{dir: cfg.CacheDir}
			kataKeys := map[int]string{}
			for _, j := range jobs {
				if j.done {
					continue
				}
				kk, ok := kataKeys[j.kata]
				if !ok {
					if kk, err = kataKey(in, cfg.Katas[j.kata]); err != nil {
						return nil, err
					}
					kataKeys[j.kata] = kk
				}
				if j.key, err = jobKey(kk, j.kind, j.count, j.file); err != nil {
					return nil, err
				}
				if d, ok := c.get(j.key); ok && !cfg.Force {
					j.outcome, j.cached, j.done = grade.OutcomeFrom(cfg.Katas[j.kata], d), true, true
				}
			}
		}
	}

	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, cfg.Jobs)
		mu   sync.Mutex
		done int
	)
	for _, j := range jobs {
		if j.done {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			began := time.Now()
			opts := grade.RunOptions{Root: cfg.Root, Race: cfg.Race, Timeout: cfg.Timeout, OutputCap: cfg.OutputCap,
				NoRerun: j.kind == "mutant"}
			outs, err := grade.RunVariants(ctx, opts, tmp, nil, j.count, j.variant)
			j.err = err
			if err == nil {
				j.outcome = outs[0]
				if j.key != "" && ctx.Err() == nil && contractHolds(j) {
					_ = c.put(j.key, j.outcome.Data()) // a cache that cannot be written only costs time
				}
			}
			mu.Lock()
			done++
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "verify: [%d/%d] %s %s (%.1fs)\n", done, len(jobs), cfg.Katas[j.kata].Name, j.label(), time.Since(began).Seconds())
			}
			mu.Unlock()
		}()
	}
	wg.Wait()

	rep := &Report{Jobs: len(jobs)}
	for _, j := range jobs {
		if j.cached {
			rep.Cached++
		}
	}
	for i, k := range cfg.Katas {
		kr := KataReport{Kata: k.Name}
		var mine []*job
		for _, j := range jobs {
			if j.kata == i {
				mine = append(mine, j)
			}
		}
		for _, j := range mine {
			if j.err != nil {
				kr.Checks = append(kr.Checks, Check{What: j.label() + ": " + j.err.Error()})
				continue
			}
			switch j.kind {
			case "reference", "alternate":
				kr.Checks = append(kr.Checks, passCheck(j))
			case "stub":
				kr.Checks = append(kr.Checks, stubCheck(j))
			}
		}
		kr.Checks = append(kr.Checks, apiCheck(k), importCheck(k, applied), mutantFormatCheck(k))
		kr.Mutants = mutantResults(k, mine)
		kr.Checks = append(kr.Checks, mutantChecks(k, kr.Mutants)...)
		rep.Katas = append(rep.Katas, kr)
	}
	return rep, ctx.Err()
}

func (j *job) label() string {
	k := j.variant.Kata
	switch j.kind {
	case "alternate":
		return "alternate " + k.Alternates[j.index].Name
	case "mutant":
		return "mutant " + k.Mutants[j.index].Name
	}
	return j.kind
}

func passCheck(j *job) Check {
	o := j.outcome
	n := len(o.Tests)
	times := ""
	if j.count > 1 {
		times = fmt.Sprintf(" ×%d", j.count)
	}
	c := Check{OK: o.Passed(), What: fmt.Sprintf("%s passes all %d tests%s with no race and no leak", j.label(), n, times)}
	if !c.OK {
		c.What = fmt.Sprintf("%s must pass all %d tests%s with no race and no leak", j.label(), n, times)
		c.Detail = failures(o)
	}
	return c
}

func stubCheck(j *job) Check {
	o := j.outcome
	switch {
	case o.BuildFailed():
		return Check{What: "the stub must compile", Detail: o.BuildOutput()}
	case o.Passed():
		return Check{What: "the stub must fail its tests, but every test passed (verify reads the working tree: is katas/" + j.variant.Kata.Name + " still the stub?)"}
	}
	var passed []string
	for _, t := range o.Tests {
		if t.Passed {
			passed = append(passed, t.Name)
		}
	}
	if len(passed) > 0 {
		// A test the stub passes cannot tell "not started" from "done", and
		// the grader does not re-run an untouched stub's tests one by one.
		return Check{What: fmt.Sprintf("the stub must fail every test; it passes %d", len(passed)), Detail: passed}
	}
	return Check{OK: true, What: fmt.Sprintf("the stub compiles and fails every test (0/%d pass)", len(o.Tests))}
}

func apiCheck(k *catalog.Kata) Check {
	want, err := apicheck.Decls(k.SolutionFiles...)
	if err != nil {
		return Check{What: "API check: " + err.Error()}
	}
	got, err := apicheck.Decls(k.LearnerFiles...)
	if err != nil {
		return Check{What: "API check: " + err.Error()}
	}
	if d := apicheck.Diff(want, got); len(d) > 0 {
		return Check{What: "the stub's exported API must equal the reference's", Detail: d}
	}
	return Check{OK: true, What: fmt.Sprintf("the stub's exported API equals the reference's (%d declarations)", len(want))}
}

// importCheck checks that the stub, the reference, the alternates and the
// mutants use only the kata's allowed imports: a reference that needs more
// than the learner may use is a broken kata, and a mutant must be caught by
// the tests, not by the import check.
func importCheck(k *catalog.Kata, applied map[string]string) Check {
	files := append(slices.Clone(k.LearnerFiles), k.SolutionFiles...)
	for _, v := range append(slices.Clone(k.Alternates), k.Mutants...) {
		if p, ok := applied[v.Path]; ok {
			files = append(files, p)
		} else if !v.Diff {
			files = append(files, v.Path)
		}
	}
	vs, err := imports.Check(k.Name, k.Imports, files...)
	if err != nil {
		return Check{What: "import check: " + err.Error()}
	}
	if len(vs) > 0 {
		c := Check{What: "the stub, the reference, alternates and mutants must use only the kata's allowed imports (katas/catalog.json)"}
		for _, v := range vs {
			c.Detail = append(c.Detail, mustRel(k.Root, v.File)+": "+v.String())
		}
		return c
	}
	return Check{OK: true, What: fmt.Sprintf("stub, reference, alternates and mutants import only what %s allows (%d files)", k.Name, len(files))}
}

// mutantFormatCheck asks for mutants stored as diffs: a whole copy of the
// reference repeats it and must be edited by hand with every change of the
// reference.
func mutantFormatCheck(k *catalog.Kata) Check {
	var whole []string
	for _, m := range k.Mutants {
		if !m.Diff {
			whole = append(whole, m.Name+".go")
		}
	}
	if len(whole) > 0 {
		return Check{What: fmt.Sprintf("mutants must be diffs against the reference (CONTRIBUTING, \"Mutants\"); %d are whole files", len(whole)),
			Detail: whole}
	}
	return Check{OK: true, What: fmt.Sprintf("every mutant is a diff against the reference (%d)", len(k.Mutants))}
}

// applyMutants applies every diff mutant of katas to its reference file and
// writes the result under tmp. It returns the written file of each diff (by
// the diff's path) and, for a diff that does not apply, the error.
func applyMutants(katas []*catalog.Kata, tmp string) (applied map[string]string, failed map[string]error, err error) {
	applied, failed = map[string]string{}, map[string]error{}
	for _, k := range katas {
		for _, m := range k.Mutants {
			if !m.Diff {
				continue
			}
			data, err := os.ReadFile(m.Path)
			if err != nil {
				return nil, nil, err
			}
			d, err := mutant.Parse(string(data))
			if err != nil {
				failed[m.Path] = err
				continue
			}
			ref := ""
			for _, f := range k.SolutionFiles {
				if filepath.Base(f) == d.File {
					ref = f
				}
			}
			if ref == "" || d.File != k.Package+".go" {
				failed[m.Path] = fmt.Errorf("the diff changes %s; a mutant changes the reference's %s.go", d.File, k.Package)
				continue
			}
			orig, err := os.ReadFile(ref)
			if err != nil {
				return nil, nil, err
			}
			out, err := mutant.Apply(string(orig), d)
			if err != nil {
				failed[m.Path] = err
				continue
			}
			dir := filepath.Join(tmp, "mutants", k.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, nil, err
			}
			p := filepath.Join(dir, m.Name+".go")
			if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
				return nil, nil, err
			}
			applied[m.Path] = p
		}
	}
	return applied, failed, nil
}

func mustRel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return r
	}
	return p
}

func mutantResults(k *catalog.Kata, jobs []*job) []MutantResult {
	var out []MutantResult
	for _, j := range jobs {
		if j.kind != "mutant" {
			continue
		}
		m := k.Mutants[j.index]
		r := MutantResult{Name: m.Name, Rule: m.Rule, Description: m.Description}
		switch {
		case j.err != nil:
			r.Error = j.err.Error()
		case j.outcome.BuildFailed():
			r.Error = "does not compile: " + strings.Join(head(j.outcome.BuildOutput(), 2), "; ")
		default:
			r.Visible, r.Hidden, r.Caught = catches(j.outcome)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

func mutantChecks(k *catalog.Kata, ms []MutantResult) []Check {
	var checks []Check
	if len(ms) < MinMutants {
		checks = append(checks, Check{What: fmt.Sprintf("a kata needs at least %d mutants; %s has %d", MinMutants, k.Name, len(ms))})
	}
	caught, hiddenOnly := 0, 0
	var missed []string
	for _, m := range ms {
		switch {
		case m.Error != "":
			missed = append(missed, m.Name+": "+m.Error)
		case !m.Caught:
			missed = append(missed, m.Name+": no test fails ("+m.Description+")")
		default:
			caught++
			if len(m.Visible) == 0 {
				hiddenOnly++
			}
		}
	}
	c := Check{OK: len(missed) == 0, What: fmt.Sprintf("mutants: %d/%d caught", caught, len(ms)), Detail: missed}
	checks = append(checks, c)
	checks = append(checks, Check{OK: hiddenOnly > 0,
		What: fmt.Sprintf("hidden tests catch %d mutant(s) that the visible tests miss", hiddenOnly)})
	return checks
}

// catches returns the visible and hidden tests that caught a mutant: they
// ran and failed ("did not run" is no catch). A race or a leak catches it
// too; a mutant that does not compile is caught by nothing.
func catches(o *grade.Outcome) (visible, hidden []string, caught bool) {
	if o.BuildFailed() {
		return nil, nil, false
	}
	for _, t := range o.Failed() {
		if strings.HasPrefix(t.Reason, "did not") {
			continue
		}
		if t.Hidden {
			hidden = append(hidden, t.Name)
		} else {
			visible = append(visible, t.Name)
		}
	}
	return visible, hidden, len(visible)+len(hidden) > 0 || o.Race() || o.Leak()
}

func failures(o *grade.Outcome) []string {
	var d []string
	if o.BuildFailed() {
		return head(o.BuildOutput(), 10)
	}
	for _, t := range o.Failed() {
		d = append(d, t.Name+": "+t.Reason)
	}
	if o.Race() {
		d = append(d, "a data race was detected")
	}
	if o.Leak() {
		d = append(d, "goroutines leaked")
	}
	return d
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Print writes the report: per kata its checks and its mutant table, and a
// last line "N passed, M failed".
func Print(w io.Writer, r *Report) {
	for _, k := range r.Katas {
		fmt.Fprintf(w, "== %s\n", k.Kata)
		for _, c := range k.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "  %s  %s\n", mark, c.What)
			for _, d := range c.Detail {
				fmt.Fprintf(w, "          %s\n", d)
			}
		}
		if len(k.Mutants) > 0 {
			width := len("MUTANT")
			for _, m := range k.Mutants {
				width = max(width, len(m.Name))
			}
			fmt.Fprintf(w, "\n  %-*s  %-6s  %-6s  %s\n", width, "MUTANT", "RULE", "CAUGHT", "BY VISIBLE | BY HIDDEN TESTS")
			for _, m := range k.Mutants {
				caught := "yes"
				switch {
				case m.Error != "":
					caught = "ERROR"
				case !m.Caught:
					caught = "NO"
				case len(m.Visible) == 0:
					caught = "hidden"
				}
				fmt.Fprintf(w, "  %-*s  %-6s  %-6s  %s | %s\n", width, m.Name, m.Rule, caught, list(m.Visible), list(m.Hidden))
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d of %d jobs came from the cache (--force runs them all)\n", r.Cached, r.Jobs)
	p, f := r.Counts()
	fmt.Fprintf(w, "%d passed, %d failed\n", p, f)
}

func list(s []string) string {
	switch len(s) {
	case 0:
		return "-"
	case 1, 2:
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s, %s +%d", s[0], s[1], len(s)-2)
}
