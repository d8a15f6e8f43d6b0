// Package grade grades katas: it discovers them, overlays the hidden tests
// and a grader-owned TestMain, runs one `go test -json` over every selected
// package, accounts for each expected test fail-closed, re-runs on their own
// the tests a crash kept from reporting, benchmarks passing katas against
// the reference, and returns the result model that the renderers print.
//
// It also runs single variants (the reference, the stub, a mutant) for the
// verify command.
package grade

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/gotest"
	"github.com/microkata/microkata/grader/internal/imports"
	"github.com/microkata/microkata/grader/internal/overlay"
	"github.com/microkata/microkata/grader/internal/pristine"
	"github.com/microkata/microkata/grader/internal/result"
)

// Config configures Grade.
type Config struct {
	// Katas to grade, in catalog order.
	Katas []*catalog.Kata
	// Root is the repository root.
	Root string
	// Code gives the code to grade for a kata; nil grades the learner's.
	Code func(*catalog.Kata) overlay.Code
	// Pristine, when set, is the record of the repository's kata files:
	// the visible tests are then the pristine ones, whatever the learner
	// did to their copy, and the learner's own extra test files run for
	// information only. Nil grades the visible tests in the tree as they
	// are (verify does, on the maintainer's tree).
	Pristine *pristine.Record
	// Race runs the tests with the race detector.
	Race bool
	// Timeout bounds each test binary run; Deadline bounds the whole grade.
	Timeout, Deadline time.Duration
	// OutputCap bounds each package's output, in bytes.
	OutputCap int64
	// Bench runs the benchmarks of passing katas; BenchTime is each
	// benchmark's -benchtime and BenchRounds the number of interleaved
	// learner/reference rounds.
	Bench       bool
	BenchTime   time.Duration
	BenchRounds int
	// Progress receives one line per step; nil is silent.
	Progress io.Writer
	// VisibleOnly runs the visible tests alone, without the hidden ones
	// (practice runs them on every save).
	VisibleOnly bool
	// Exec runs every test binary through a command (a sandbox); see
	// gotest.Options.Exec. MemoryLimit bounds each process's resident
	// memory, in bytes (0: none).
	Exec        []string
	MemoryLimit int64
}

// Tags are the build tags every graded run uses.
var Tags = []string{catalog.HiddenTag}

// Grade grades cfg.Katas. The error is non-nil only for infrastructure
// failures (no go command, no temporary directory); everything that goes
// wrong with the code under test is in the result.
func Grade(ctx context.Context, cfg Config) (*result.Run, error) {
	start := time.Now()
	if cfg.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Deadline)
		defer cancel()
	}
	tmp, err := os.MkdirTemp("", "microkata-grade-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	run := &result.Run{Version: result.Version, Started: start, Race: cfg.Race, GoVersion: GoVersion()}
	if !cfg.Race {
		run.Notes = append(run.Notes, "race detector off: cgo is not available (CGO_ENABLED=0 or no C compiler); races are not detected")
	}

	rows := make([]result.Kata, len(cfg.Katas))
	katas := slices.Clone(cfg.Katas) // with the pristine visible tests
	vs := make([]Variant, len(cfg.Katas))
	for i, k := range cfg.Katas {
		code := overlay.Learner()
		if cfg.Code != nil {
			code = cfg.Code(k)
		}
		vs[i] = Variant{Kata: k, Code: code, Hidden: !cfg.VisibleOnly}
		if cfg.Pristine != nil {
			set, err := pristineVisible(cfg.Pristine, k)
			if err != nil {
				return nil, err
			}
			katas[i] = set.kata
			vs[i] = Variant{Kata: set.kata, Code: code, Hidden: !cfg.VisibleOnly, TestFiles: set.testFiles,
				OwnFiles: set.ownFiles, OwnTests: set.ownTests, Notes: set.notes}
			vs[i].UntouchedStub = cfg.Code == nil && untouchedStub(cfg.Pristine, k)
			if cfg.Code != nil {
				// Someone else's code (a submission): the tree's extra test
				// files are not part of it, and its notes are the tree's.
				for _, f := range set.ownFiles {
					vs[i].TestFiles[path.Base(f)] = ""
				}
				vs[i].OwnFiles, vs[i].OwnTests, vs[i].Notes = nil, nil, nil
			}
		}
	}
	p := &progress{w: cfg.Progress}
	outs, err := RunVariants(ctx, cfg.runOptions(), tmp, cfg.Progress, 1, vs...)
	if err != nil {
		return nil, err
	}
	var benched []int // indexes of the katas to benchmark
	for i := range cfg.Katas {
		rows[i] = outs[i].Row()
		checkImports(&rows[i], cfg.Katas[i], vs[i].Code)
		if cfg.Bench && rows[i].Status == result.Passing && len(katas[i].Benchmarks) > 0 {
			benched = append(benched, i)
		}
	}
	if len(benched) > 0 && ctx.Err() == nil {
		ks, codes := make([]*catalog.Kata, len(benched)), make([]overlay.Code, len(benched))
		tests := make([]map[string]string, len(benched))
		for j, i := range benched {
			ks[j], codes[j], tests[j] = katas[i], vs[i].Code, vs[i].benchTestFiles()
		}
		p.printf("building benchmarks of %d kata(s)", len(ks))
		bins, errs := benchBinaries(ctx, cfg, tmp, ks, codes, tests)
		for j, i := range benched {
			if ctx.Err() != nil {
				break
			}
			if errs[j] != "" {
				rows[i].Bench = &result.Bench{Error: errs[j]}
				continue
			}
			p.printf("benchmarking %s against the reference", ks[j].Name)
			rows[i].Bench = benchmark(ctx, cfg, ks[j], bins[j])
			if b := rows[i].Bench; b.Error == "" && b.Noisy {
				run.Notes = append(run.Notes, noiseNote(ks[j].Name, b))
			}
		}
	}
	run.Katas = append(run.Katas, rows...)
	if ctx.Err() != nil {
		run.Notes = append(run.Notes, "the grader's deadline ran out: tests that did not finish count as failed")
	}
	run.Total = Total(run.Katas)
	run.Duration = time.Since(start).Seconds()
	return run, nil
}

func (cfg Config) runOptions() RunOptions {
	return RunOptions{Root: cfg.Root, Race: cfg.Race, Timeout: cfg.Timeout, OutputCap: cfg.OutputCap,
		Exec: cfg.Exec, MemoryLimit: cfg.MemoryLimit}
}

// RunOptions are the limits of RunVariants.
type RunOptions struct {
	Root      string
	Race      bool
	Timeout   time.Duration
	OutputCap int64
	// NoRerun skips re-running tests that never reported (verify of a
	// mutant only needs to know that something failed).
	NoRerun bool
	// Exec and MemoryLimit are gotest.Options'.
	Exec        []string
	MemoryLimit int64
}

// Variant is one kata with some code in place of the learner's.
type Variant struct {
	Kata   *catalog.Kata
	Code   overlay.Code
	Hidden bool
	// TestFiles replaces test files of the kata folder (see
	// overlay.Spec.TestFiles).
	TestFiles map[string]string
	// OwnFiles and OwnTests are the learner's own extra test files and
	// their tests: they run, and their outcome is a note, never a score.
	OwnFiles []string
	OwnTests []string
	// Notes are added to the outcome's notes.
	Notes []string
	// UntouchedStub says the code is the kata's stub as shipped: once a
	// run shows it panicking "not implemented", the tests it kept from
	// running are not re-run one by one (each would panic the same way;
	// verify checks that a stub passes no test), they fail as not run.
	UntouchedStub bool
}

// benchTestFiles is v's TestFiles with the learner's own test files
// deleted: only the visible benchmarks are compared, and the reference
// side must build whatever the learner's tests call.
func (v Variant) benchTestFiles() map[string]string {
	m := maps.Clone(v.TestFiles)
	if m == nil {
		m = map[string]string{}
	}
	for _, f := range v.OwnFiles {
		m[path.Base(f)] = ""
	}
	return m
}

// Outcome is what running a variant gave.
type Outcome struct {
	Kata  *catalog.Kata
	Tests []result.Test
	acc   *accounting
	notes []string
}

// OutcomeData is what an Outcome holds, as plain data: what verify caches.
type OutcomeData struct {
	Tests          []result.Test `json:"tests"`
	BuildFailed    bool          `json:"buildFailed,omitempty"`
	BuildOutput    []string      `json:"buildOutput,omitempty"`
	Race           bool          `json:"race,omitempty"`
	Leak           bool          `json:"leak,omitempty"`
	NotImplemented bool          `json:"notImplemented,omitempty"`
	Notes          []string      `json:"notes,omitempty"`
}

// Data returns o's content.
func (o *Outcome) Data() OutcomeData {
	return OutcomeData{Tests: o.Tests, BuildFailed: o.acc.buildFailed, BuildOutput: o.acc.buildOutput,
		Race: o.acc.race, Leak: o.acc.leak, NotImplemented: o.acc.notImplemented, Notes: o.notes}
}

// OutcomeFrom rebuilds the Outcome of k that d describes.
func OutcomeFrom(k *catalog.Kata, d OutcomeData) *Outcome {
	return &Outcome{Kata: k, Tests: d.Tests, notes: d.Notes, acc: &accounting{buildFailed: d.BuildFailed,
		buildOutput: d.BuildOutput, race: d.Race, leak: d.Leak, notImplemented: d.NotImplemented}}
}

// Passed reports whether every expected test passed, with no race and no
// leak.
func (o *Outcome) Passed() bool {
	for _, t := range o.Tests {
		if !t.Passed {
			return false
		}
	}
	return !o.acc.race && !o.acc.leak && !o.acc.buildFailed
}

// BuildFailed reports that the variant did not compile (or go test
// reported nothing for it).
func (o *Outcome) BuildFailed() bool { return o.acc.buildFailed }

// BuildOutput holds the compiler's (or the go command's) first lines when
// BuildFailed.
func (o *Outcome) BuildOutput() []string { return o.acc.buildOutput }

// Race reports that the race detector found a data race.
func (o *Outcome) Race() bool { return o.acc.race }

// Leak reports leaked goroutines.
func (o *Outcome) Leak() bool { return o.acc.leak }

// Failed returns the tests that did not pass.
func (o *Outcome) Failed() []result.Test {
	var out []result.Test
	for _, t := range o.Tests {
		if !t.Passed {
			out = append(out, t)
		}
	}
	return out
}

// Row turns the outcome into a scorecard row.
func (o *Outcome) Row() result.Kata {
	k := o.Kata
	row := result.Kata{Name: k.Name, Title: k.Title, Tests: o.Tests, Race: o.acc.race, Leak: o.acc.leak,
		BuildFailed: o.acc.buildFailed, BuildOutput: o.acc.buildOutput, Notes: o.notes}
	for _, t := range o.Tests {
		if t.Hidden {
			row.HiddenTotal++
			if t.Passed {
				row.HiddenPassed++
			}
		} else {
			row.VisibleTotal++
			if t.Passed {
				row.VisiblePassed++
			}
		}
	}
	passed, all := row.VisiblePassed+row.HiddenPassed, row.VisibleTotal+row.HiddenTotal
	if all > 0 {
		row.Score = 100 * passed / all
	}
	switch {
	case o.Passed():
		row.Status = result.Passing
		row.Score = 100
	case passed == 0 && o.acc.notImplemented:
		row.Status = result.NotStarted
	default:
		row.Status = result.Failing
		if row.Score == 100 {
			row.Score = 99 // every test passed, but a race or a leak was found
		}
	}
	return row
}

// RunVariants runs the variants in one `go test` call (they must be of
// distinct katas), with -count=count, accounts for them, and re-runs on
// their own the tests that never reported. Temporary files go under tmp;
// progress lines, if w is not nil, to w.
func RunVariants(ctx context.Context, opts RunOptions, tmp string, w io.Writer, count int, vs ...Variant) ([]*Outcome, error) {
	p := &progress{w: w}
	dir, err := os.MkdirTemp(tmp, "run-")
	if err != nil {
		return nil, err
	}
	specs := make([]overlay.Spec, len(vs))
	pkgs := make([]string, len(vs))
	for i, v := range vs {
		specs[i] = overlay.Spec{Kata: v.Kata, Code: v.Code, Hidden: v.Hidden, Main: true, TestFiles: v.TestFiles}
		pkgs[i] = "./" + filepath.ToSlash(mustRel(opts.Root, v.Kata.Dir))
	}
	ov, err := overlay.Write(dir, specs...)
	if err != nil {
		return nil, err
	}
	paths, err := importPaths(opts.Root, pkgs)
	if err != nil {
		return nil, err
	}
	markers := filepath.Join(dir, "markers")
	if err := os.Mkdir(markers, 0o755); err != nil {
		return nil, err
	}
	// Keep the test binaries, so that a re-run needs no second link: with
	// grpc under -race, a link is seconds.
	binDir := filepath.Join(dir, "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		return nil, err
	}
	if !distinctBases(paths) {
		binDir = ""
	}
	gopts := gotest.Options{
		Dir: opts.Root, Overlay: ov.Path, Race: opts.Race, Tags: Tags, Count: count,
		Timeout: opts.Timeout, OutputCap: opts.OutputCap,
		Env:      append([]string{"GORACE=atexit_sleep_ms=0"}, ov.Env(markers)...),
		Progress: p.event(paths),
		BinDir:   binDir, Exec: opts.Exec, MemoryLimit: opts.MemoryLimit,
	}
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Kata.Name
	}
	p.printf("building and testing %s", strings.Join(names, ", "))
	res, err := gotest.RunTests(ctx, gopts, pkgs...)
	if err != nil {
		return nil, err
	}

	outs := make([]*Outcome, len(vs))
	testsOf := make([][]catalog.Test, len(vs))
	again := make([][]string, len(vs))
	bins := make([]string, len(vs)) // reusable test binaries from the run
	for i, v := range vs {
		k := v.Kata
		tests := k.Visible
		if v.Hidden {
			tests = k.Tests()
		}
		testsOf[i] = tests
		pkg := res.Packages[paths[i]]
		acc := account(tests, pkg, res, overlay.ReadMarker(markers, k.Name, ov.Token), count)
		o := &Outcome{Kata: k, acc: acc, notes: append(slices.Clone(v.Notes), acc.notes...)}
		if n := ownNote(v, pkg); n != "" {
			o.notes = append(o.notes, n)
		}
		if pkg != nil && pkg.OverCap {
			o.notes = append(o.notes, fmt.Sprintf("output passed the cap of %d bytes; the run was cut", opts.OutputCap))
		}
		for _, t := range tests {
			if acc.tests[t.Name].needRerun {
				again[i] = append(again[i], t.Name)
			}
		}
		if !acc.ranAny && !acc.cut || opts.NoRerun {
			again[i] = nil
		}
		if v.UntouchedStub && acc.notImplemented && len(again[i]) > 0 {
			for _, n := range again[i] {
				acc.tests[n].reason = "did not run: katas/" + k.Name + " is the untouched stub, whose every function panics \"not implemented\""
			}
			again[i] = nil
		}
		// The binary is complete once its package reported a terminal
		// event (go copies it there first). Otherwise rerun links anew.
		if binDir != "" && pkg != nil && pkg.Action != "" && !pkg.OverCap {
			if b := filepath.Join(binDir, path.Base(paths[i])+".test"); isFile(b) {
				bins[i] = b
			}
		}
		outs[i] = o
	}

	// Re-run the katas' unreported tests, NumCPU katas at a time, each from
	// the first run's binary (or one linked anew when that run was cut).
	// Katas never share state, so their accountings are independent.
	var t2j string
	t2jTried := false
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i, names := range again {
		if len(names) == 0 || ctx.Err() != nil {
			continue
		}
		if !t2jTried {
			t2jTried = true
			if t2j, err = gotest.BuildTest2JSON(ctx, dir); err != nil {
				t2j = "" // fall back to `go tool test2json`
			}
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p.printf("re-running %d test(s) of %s one at a time", len(names), vs[i].Kata.Name)
			outs[i].notes = append(outs[i].notes, fmt.Sprintf("%d test(s) re-ran on their own after the test binary ended early", len(names)))
			rerun(ctx, gopts, dir, vs[i].Kata, paths[i], ov, names, outs[i].acc, bins[i], t2j)
		}()
	}
	wg.Wait()

	for i, o := range outs {
		for _, t := range testsOf[i] {
			oc := o.acc.tests[t.Name]
			o.Tests = append(o.Tests, result.Test{Name: t.Name, Hidden: t.Hidden, Category: t.Category,
				Passed: oc.passed, Reason: oc.reason, Rerun: oc.reran, Elapsed: oc.elapsed, RaceReport: oc.race})
		}
	}
	return outs, nil
}

// rerun runs each named test of k on its own, folding the results into
// acc. bin is the test binary of the first run, or "" to compile one with
// the same overlay and flags. t2j is a prebuilt test2json, or "" to use `go
// tool test2json`.
func rerun(ctx context.Context, gopts gotest.Options, dir string, k *catalog.Kata, importPath string, ov *overlay.Overlay, names []string, acc *accounting, bin, t2j string) {
	copts := gopts
	copts.Progress = nil
	copts.BinDir = ""
	if bin == "" {
		bin = filepath.Join(dir, k.Name+".test")
		if err := gotest.Compile(ctx, copts, "./"+filepath.ToSlash(mustRel(gopts.Dir, k.Dir)), bin); err != nil {
			for _, n := range names {
				acc.tests[n].reason = "did not run: could not compile the test binary for a re-run: " + firstLine(err.Error())
			}
			return
		}
	}
	// Each test runs in a process of its own. Kata tests take milliseconds
	// of CPU, and a test that hangs until its watchdog fires takes none, so
	// run twice as many at once as there are CPUs.
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		sem = make(chan struct{}, 2*runtime.NumCPU())
	)
	for _, n := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			single, ok := runOne(ctx, copts, dir, k, importPath, ov, bin, t2j, n)
			mu.Lock()
			defer mu.Unlock()
			if !ok {
				acc.tests[n].reason = single.tests[n].reason
				return
			}
			acc.tests[n] = single.tests[n]
			acc.race = acc.race || single.race
			acc.leak = acc.leak || single.leak
			acc.notImplemented = acc.notImplemented || single.notImplemented
			acc.notes = append(acc.notes, single.notes...)
		}()
	}
	wg.Wait()
}

// runOne runs test n of a compiled test binary on its own and accounts for
// it. ok is false when the test could not be run at all.
func runOne(ctx context.Context, copts gotest.Options, dir string, k *catalog.Kata, importPath string, ov *overlay.Overlay, bin, t2j, n string) (single *accounting, ok bool) {
	fail := func(why string) (*accounting, bool) {
		return &accounting{tests: map[string]*outcome{n: {reason: "did not run: " + why}}}, false
	}
	if ctx.Err() != nil {
		return fail("the grader's deadline ran out")
	}
	markers, err := os.MkdirTemp(dir, "markers-")
	if err != nil {
		return fail(err.Error())
	}
	bopts := gotest.BinaryOptions{Options: copts, Binary: bin, ImportPath: importPath, PackageDir: k.Dir,
		Args: []string{"-test.run=^" + regexp.QuoteMeta(n) + "$"}, Test2JSON: t2j}
	bopts.Env = append([]string{"GORACE=atexit_sleep_ms=0"}, ov.Env(markers)...)
	res, err := gotest.RunBinary(ctx, bopts)
	if err != nil {
		return fail(err.Error())
	}
	single = account([]catalog.Test{{Name: n}}, res.Packages[importPath], res, overlay.ReadMarker(markers, k.Name, ov.Token), 1)
	o := single.tests[n]
	if o.needRerun {
		// Still no trustworthy report on its own: a failure.
		o.reason = strings.Replace(o.reason, "did not complete", "did not complete when run on its own", 1)
		o.reason = strings.Replace(o.reason, "did not run", "did not run on its own", 1)
	}
	o.needRerun, o.reran = false, true
	return single, true
}

// importPaths are the import paths of pkgs (./katas/lru, ...): the module
// path of root's go.mod and the folder, without asking the go command (a go
// list costs a tenth of a second on every grade).
func importPaths(root string, pkgs []string) ([]string, error) {
	module, dir, err := catalog.Module(root)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(pkgs))
	for i, p := range pkgs {
		abs, err := filepath.Abs(filepath.Join(root, p))
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(dir, abs)
		if err != nil {
			return nil, err
		}
		paths[i] = path.Join(module, filepath.ToSlash(rel))
	}
	return paths, nil
}

// distinctBases reports whether the import paths end in distinct elements,
// so that their test binaries can share a folder.
func distinctBases(paths []string) bool {
	seen := map[string]bool{}
	for _, p := range paths {
		b := path.Base(p)
		if seen[b] {
			return false
		}
		seen[b] = true
	}
	return true
}

func isFile(name string) bool {
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}

func mustRel(root, dir string) string {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return dir
	}
	return rel
}

// GoVersion is the go command's `go env GOVERSION`, or "" when it cannot say.
func GoVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// CgoEnabled reports whether the go command can build with cgo, which the
// race detector needs.
func CgoEnabled() bool {
	out, err := exec.Command("go", "env", "CGO_ENABLED").Output()
	return err == nil && strings.TrimSpace(string(out)) == "1"
}

// Total sums rows into a run's total.
func Total(rows []result.Kata) result.Total {
	var t result.Total
	for _, r := range rows {
		t.Katas++
		if r.Status == result.Passing {
			t.Passing++
		}
		if r.Status == result.NotStarted {
			t.NotStarted++
		}
		t.VisiblePassed += r.VisiblePassed
		t.VisibleTotal += r.VisibleTotal
		t.HiddenPassed += r.HiddenPassed
		t.HiddenTotal += r.HiddenTotal
		t.Score += r.Score
		t.MaxScore += 100
	}
	return t
}

// progress prints one line per step of a run.
type progress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *progress) printf(format string, args ...any) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "grader: "+format+"\n", args...)
}

// event returns a go test event hook that reports packages starting and
// finishing, by kata folder name.
func (p *progress) event(paths []string) func(*gotest.Event) {
	if p == nil || p.w == nil {
		return nil
	}
	return func(e *gotest.Event) {
		if e.Test != "" {
			return
		}
		name := e.Package[strings.LastIndexByte(e.Package, '/')+1:]
		switch e.Action {
		case "start":
			p.printf("running %s", name)
		case "pass", "fail":
			p.printf("%s finished (%s)", name, e.Action)
		}
	}
}

// untouchedStub reports whether k's non-test Go files are exactly its
// pristine copies (the stub as shipped), with no other.
func untouchedStub(rec *pristine.Record, k *catalog.Kata) bool {
	prefix := "katas/" + k.Name + "/"
	shipped := 0
	for _, f := range rec.Files(k.Name) {
		name := strings.TrimPrefix(f, prefix)
		if strings.HasSuffix(name, "_test.go") || strings.Contains(name, "/") {
			continue
		}
		shipped++
		if st, err := rec.State(f); err != nil || st != pristine.Unchanged {
			return false
		}
	}
	return shipped > 0 && shipped == len(k.LearnerFiles)
}

// ownNote reports the outcome of the learner's own tests, if any ran.
func ownNote(v Variant, pkg *gotest.Package) string {
	if len(v.OwnTests) == 0 || pkg == nil || pkg.BuildFailed {
		return ""
	}
	passed := 0
	var failed []string
	for _, n := range v.OwnTests {
		r := pkg.TopLevel(n)
		switch {
		case r == nil:
		case r.Fails > 0:
			failed = append(failed, n)
		case r.Passes > 0:
			passed++
		}
	}
	s := fmt.Sprintf("your own tests (%s), for your information and not counted: %d of %d passed",
		strings.Join(v.OwnFiles, ", "), passed, len(v.OwnTests))
	if len(failed) > 0 {
		s += "; failed: " + strings.Join(failed, ", ")
	}
	return s
}

// checkImports checks the code graded for k against the kata's import
// allow-list. A violation keeps the row from passing (the tests still ran,
// for the learner to see) and each one becomes a note naming the file, the
// import and the allowed list.
func checkImports(row *result.Kata, k *catalog.Kata, code overlay.Code) {
	files := code.Files
	if files == nil {
		files = k.LearnerFiles
	} else if code.Replace != "" {
		files = slices.Clone(files)
		for i, f := range files {
			if filepath.Base(f) == k.Package+".go" {
				files[i] = code.Replace
			}
		}
	}
	vs, err := imports.Check(k.Name, k.Imports, files...)
	if err != nil {
		// A file that does not parse does not compile either: the tests
		// already failed with the compiler's message.
		return
	}
	if code.Files == nil { // the learner's folder: no assembly or C beside the Go
		if fv, err := imports.Foreign(k.Dir); err == nil {
			vs = append(vs, fv...)
		}
	}
	for _, v := range vs {
		row.Imports = append(row.Imports, v.String())
		row.Notes = append(row.Notes, "not allowed: katas/"+k.Name+"/"+v.String())
	}
	if len(vs) > 0 && row.Status == result.Passing {
		row.Status, row.Score = result.Failing, 99
	}
}
