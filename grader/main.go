// Command grader grades microkata katas and verifies that the katas
// themselves are sound.
//
// Usage:
//
//	grader [command] [flags] [kata...]
//
// Commands:
//
//	grade   run every kata's visible and hidden tests and print a scorecard (default)
//	verify  check the verify contract of each kata (maintainers; make test runs it)
//	practice timed practice of one kata (watch, re-run, hints, history)
//	hint    the next hint of a kata
//	reset   back up a kata folder and put the pristine stub back
//	list    every kata with its practice status and when it is due again
//	stats   practice statistics: bests, medians, trends, streak
//	export  write a take-home bundle: the chosen katas, no spoilers
//	report  render a saved JSON result in another format
//	overhead measure the grader's overhead against bare go test (maintainers)
//	catalog print the kata catalog as the README's Markdown table
//	pristine keep pristine copies of every kata's Go files (maintainers)
//	new     create a new kata from the standard scaffold (maintainers)
//	help    show help for a command
//
// Run `grader <command> -h` for a command's flags. Exit status: 0 when
// everything selected passed, 1 when something failed, 2 for a usage or
// infrastructure error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/microkata/microkata/grader/internal/bundle"
	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/grade"
	"github.com/microkata/microkata/grader/internal/i18n"
	"github.com/microkata/microkata/grader/internal/overlay"
	"github.com/microkata/microkata/grader/internal/pristine"
	"github.com/microkata/microkata/grader/internal/render"
	"github.com/microkata/microkata/grader/internal/result"
	"github.com/microkata/microkata/grader/internal/sandbox"
	"github.com/microkata/microkata/grader/internal/scaffold"
	"github.com/microkata/microkata/grader/internal/verify"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// command is one subcommand.
type command struct {
	name, summary, usage string
	run                  func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"grade", "run the katas' visible and hidden tests and print a scorecard (default)", "grade [flags] [kata...]", runGrade},
		{"verify", "check each kata's verify contract (maintainers)", "verify [flags] [kata...]", runVerify},
		{"practice", "timed practice of one kata: watch, re-run, hints, record (make practice KATA=lru)", "practice [flags] <kata> | practice --random", runPractice},
		{"hint", "the next hint of a kata (make hint KATA=lru)", "hint [flags] <kata>", runHint},
		{"reset", "start a kata over: back up your files, put the stub back (make reset KATA=lru)", "reset [flags] <kata>", runReset},
		{"list", "every kata with its practice status, best time and when it is due again", "list [flags]", runList},
		{"stats", "your practice statistics: bests, medians, trends, streak", "stats [flags] [kata...]", runStats},
		{"export", "write a take-home bundle for a candidate (interviewers)", "export --katas a,b [-o takehome.tar.gz] [flags]", runExport},
		{"overhead", "measure the grader against bare go test (maintainers; make bench-grader)", "overhead [flags] [kata...]", runOverhead},
		{"report", "render a saved JSON result (grade --json) in another format", "report [--format F] [-o FILE] result.json", runReport},
		{"catalog", "print the kata catalog as a Markdown table (the README's)", "catalog [flags]", runCatalog},
		{"pristine", "copy the kata folders' Go files into solutions/*/testdata/pristine (maintainers)", "pristine [flags]", runPristine},
		{"new", "create a new kata in the standard shape (maintainers)", "new [flags] <kata>", runNew},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// The hidden command go test -exec calls to run a submission's test
	// binary in the sandbox: grader sandbox-exec BWRAP BINARY ARGS...
	if len(args) >= 3 && args[0] == "sandbox-exec" {
		err := sandbox.Exec(args[1], args[2:])
		fmt.Fprintf(stderr, "grader: sandbox: %v\n", err)
		return exitUsage
	}
	name := "grade"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if c := find(args[0]); c != nil || args[0] == "help" {
			name, args = args[0], args[1:]
		}
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		usage(stdout)
		return exitOK
	}
	if name == "help" {
		if len(args) == 0 {
			usage(stdout)
			return exitOK
		}
		if c := find(args[0]); c != nil {
			return c.run(ctx, []string{"-h"}, stdout, stderr)
		}
		fmt.Fprintf(stderr, "grader: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return find(name).run(ctx, args, stdout, stderr)
}

func find(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: grader [command] [flags] [kata...]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "help", "show a command's flags")
	fmt.Fprintf(w, "\nRun 'grader <command> -h' for a command's flags.\nExit status: 0 all passed, 1 something failed, 2 usage or setup error.\n")
}

// common are the flags the commands share.
type common struct {
	names     []string // the kata names given, before selection
	lang      string
	root      string
	timeout   time.Duration
	outputCap int64
	noRace    bool
	quiet     bool
}

// register defines --root and, with limits, the flags of commands that run
// tests.
func (c *common) register(fs *flag.FlagSet, limits bool) {
	fs.StringVar(&c.root, "root", "", "repository root (default: the nearest folder above the current one with katas/catalog.json)")
	fs.StringVar(&c.lang, "lang", "auto", "the language of the grader's words: en, zh, or auto (LC_ALL, LC_MESSAGES or LANG starting with zh: Chinese)")
	if !limits {
		return
	}
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "time limit for each test binary run (a kata suite needs well under a second)")
	fs.Int64Var(&c.outputCap, "output-cap", 1<<20, "output limit per kata in bytes; past it the run is cut")
	fs.BoolVar(&c.noRace, "no-race", false, "run without the race detector (it is also off when cgo is unavailable)")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines on standard error")
}

// language is the language --lang asks for.
func (c *common) language() i18n.Lang {
	l, _ := i18n.Parse(c.lang) // setup has checked it
	return l
}

// progress is where progress lines go: standard error unless --quiet.
func (c *common) progress(stderr io.Writer) io.Writer {
	if c.quiet {
		return nil
	}
	return stderr
}

// load finds the root and the selected katas.
func (c *common) load(names []string) (*catalog.Catalog, []*catalog.Kata, error) {
	root := c.root
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return nil, nil, err
		}
	}
	cat, err := catalog.Load(root)
	if err != nil {
		return nil, nil, err
	}
	katas, err := cat.Select(names)
	if err == nil && len(katas) == 0 {
		err = errors.New("the catalog lists no katas")
	}
	return cat, katas, err
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, catalog.CatalogFile)); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no " + catalog.CatalogFile + " here or in any parent folder: run the grader inside a microkata checkout, or pass --root")
		}
		dir = parent
	}
}

// parse parses flags that may come before or after the kata names.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return names, nil
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// setup parses a command's flags (the common ones, plus those define
// adds) and loads the selected katas. When the command should stop (-h, a
// usage error, an unknown kata) it returns done and the exit status.
func setup(name, describe string, args []string, stdout, stderr io.Writer, cf *common, limits bool, define func(*flag.FlagSet)) (katas []*catalog.Kata, code int, done bool) {
	c := find(name)
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs.SetOutput(stdout) // asked for: not an error
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: grader %s\n\n%s\n\nFlags:\n", c.usage, describe)
		fs.PrintDefaults()
	}
	cf.register(fs, limits)
	if define != nil {
		define(fs)
	}
	names, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, exitOK, true
	} else if err != nil {
		return nil, exitUsage, true
	}
	if _, err := i18n.Parse(cf.lang); err != nil {
		fmt.Fprintf(stderr, "grader: --lang: %v\n", err)
		return nil, exitUsage, true
	}
	cf.names = names
	_, katas, err = cf.load(names)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return nil, exitUsage, true
	}
	return katas, exitOK, false
}

func runGrade(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf          common
		jsonOut     bool
		verbose     bool
		noBench     bool
		color       string
		deadline    time.Duration
		bench       time.Duration
		rounds      int
		format      string
		outFile     string
		sub         string
		batch       string
		sandboxMode string
		memLimit    int64
		reference   bool
	)
	katas, code, done := setup("grade", `Runs the visible and hidden tests of the named katas (default: all) against
your code in katas/, with -race, and prints a scorecard. Passing katas are
also benchmarked against the reference solution in the same run.

--submission PATH grades a take-home submission instead (a folder, .tar.gz,
.tgz or .zip laid out like the repository or a bundle): only the non-test .go
files of each kata folder are taken, checked against the kata's policy before
anything is built, and graded with the repository's own tests, the test
binaries in a bubblewrap sandbox. --batch DIR grades every submission in DIR
into one comparison table. Exit status: 0 all passing, 1 graded and not all
passing, 2 not gradable (a refused submission or kata) or a usage error.`, args, stdout, stderr, &cf, true, func(fs *flag.FlagSet) {
		fs.BoolVar(&jsonOut, "json", false, fmt.Sprintf("print the result as JSON (result model version %d); the same as --format=json", result.Version))
		fs.StringVar(&format, "format", "text", "the report's format: "+strings.Join(render.Formats, ", "))
		fs.StringVar(&outFile, "o", "", "write the report to this file instead of standard output")
		fs.BoolVar(&noBench, "no-bench", false, "skip the benchmarks")
		fs.BoolVar(&verbose, "v", false, "list every failing test with its message, and whole race reports (also --verbose)")
		fs.BoolVar(&verbose, "verbose", false, "same as -v")
		fs.StringVar(&color, "color", "auto", "colour the scorecard: auto (a terminal without NO_COLOR), always, never")
		fs.DurationVar(&deadline, "deadline", 10*time.Minute, "time limit for the whole grade; past it everything is killed")
		fs.DurationVar(&bench, "benchtime", 50*time.Millisecond, "-benchtime of each benchmark run")
		fs.IntVar(&rounds, "bench-rounds", 4, "interleaved learner/reference benchmark rounds (even numbers balance the order)")
		fs.StringVar(&sub, "submission", "", "grade this take-home submission (a folder, .tar.gz, .tgz or .zip) instead of your katas")
		fs.StringVar(&batch, "batch", "", "grade every submission in this folder (folders and archives) into one comparison")
		fs.StringVar(&sandboxMode, "sandbox", sandboxAuto, "submissions' test binaries in bubblewrap: auto (when it works here), require, off")
		fs.Int64Var(&memLimit, "memory-limit", 2<<30, "bytes of resident memory one test binary may use; past it the run is killed (0: no limit)")
		fs.BoolVar(&reference, "reference", false, "maintainers: grade the reference solutions instead of your code (every test should pass)")
	})
	if done {
		return code
	}
	if jsonOut {
		format = "json"
	}
	if !slices.Contains(render.Formats, format) {
		fmt.Fprintf(stderr, "grader: --format %q: one of %s\n", format, strings.Join(render.Formats, ", "))
		return exitUsage
	}
	if sandboxMode != sandboxAuto && sandboxMode != sandboxRequire && sandboxMode != sandboxOff {
		fmt.Fprintf(stderr, "grader: --sandbox %q: auto, require or off\n", sandboxMode)
		return exitUsage
	}
	if sub != "" && batch != "" {
		fmt.Fprintln(stderr, "grader: --submission and --batch do not go together")
		return exitUsage
	}
	w, closeOut, err := output(outFile, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	defer func() {
		if err := closeOut(); err != nil {
			fmt.Fprintf(stderr, "grader: %v\n", err)
		}
	}()
	base := grade.Config{Race: !cf.noRace && grade.CgoEnabled(), Timeout: cf.timeout, Deadline: deadline,
		OutputCap: cf.outputCap, Bench: !noBench, BenchTime: bench, BenchRounds: rounds,
		Progress: cf.progress(stderr), MemoryLimit: memLimit}
	opts := render.Options{Verbose: verbose, Lang: cf.language()}
	if f, ok := w.(*os.File); ok {
		opts.Color = color == "always" || color == "auto" && render.UseColor(f)
		if tw, _, err := term.GetSize(int(f.Fd())); err == nil && term.IsTerminal(int(f.Fd())) {
			opts.Width = tw // whole lines, unless on a terminal
		}
	}

	if sub != "" || batch != "" {
		cat, _, err := cf.load(nil)
		if err != nil {
			fmt.Fprintf(stderr, "grader: %v\n", err)
			return exitUsage
		}
		so := submitOptions{cat: cat, names: cf.names, base: base, sandbox: sandboxMode}
		if batch != "" {
			return gradeBatch(ctx, batch, so, w, format, stderr)
		}
		run, gradable, err := gradeSubmission(ctx, sub, so)
		if err != nil {
			fmt.Fprintf(stderr, "grader: %v\n", err)
			return exitUsage
		}
		if err := render.Write(w, run, format, opts); err != nil {
			fmt.Fprintf(stderr, "grader: %v\n", err)
			return exitUsage
		}
		switch {
		case !gradable:
			return exitUsage
		case run.Total.Passing != run.Total.Katas:
			return exitFailed
		}
		return exitOK
	}

	names := make([]string, len(katas))
	for i, k := range katas {
		names[i] = k.Name
	}
	rec, err := pristine.Load(katas[0].Root, names)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	cfg := base
	cfg.Katas, cfg.Root, cfg.Pristine = katas, katas[0].Root, rec
	if reference {
		cfg.Code = overlay.Reference
	}
	run, err := grade.Grade(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if cf.noRace {
		run.Notes = replaceRaceNote(run.Notes)
	}
	if err := render.Write(w, run, format, opts); err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if run.Total.Passing != run.Total.Katas {
		return exitFailed
	}
	return exitOK
}

// output is where a report goes: stdout, or the file at path, created;
// closeOut closes that file and says if the report could not be written.
func output(path string, stdout io.Writer) (w io.Writer, closeOut func() error, err error) {
	if path == "" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func replaceRaceNote(notes []string) []string {
	for i, n := range notes {
		if strings.HasPrefix(n, "race detector off") {
			notes[i] = "race detector off (--no-race): races are not detected"
		}
	}
	return notes
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf      common
		count   int
		jobs    int
		force   bool
		noCache bool
	)
	katas, code, done := setup("verify", `Checks the verify contract of the named katas (default: all): the reference
passes every visible and hidden test with -race and -count=3 and leaks no
goroutine; alternate solutions pass; the stub compiles and fails; every mutant
is caught, and the hidden tests catch a mutant that the visible tests miss;
the stub's exported API equals the reference's. Prints a table per kata and
a last line "N passed, M failed".`, args, stdout, stderr, &cf, true, func(fs *flag.FlagSet) {
		fs.IntVar(&count, "count", 3, "how many times the reference runs every test")
		// One job per CPU: each go test process already builds in
		// parallel. One more job looked better on single katas (breaker
		// 23-26 s against 30-32 s, on 2 cores) but the whole verify took
		// 631 s with 3 jobs against 462 s with 2, so the measurement that
		// counts says no.
		fs.IntVar(&jobs, "jobs", runtime.NumCPU(), "go test processes run at once")
		fs.BoolVar(&force, "force", false, "run every job, even those whose inputs are unchanged since a run that kept the contract")
		fs.BoolVar(&noCache, "no-cache", false, "neither read nor write the cache")
	})
	if done {
		return code
	}
	if jobs < 1 || count < 1 {
		fmt.Fprintf(stderr, "grader: verify: --jobs is %d and --count %d, want at least 1 each\n", jobs, count)
		return exitUsage
	}
	race := !cf.noRace && grade.CgoEnabled()
	if !race {
		fmt.Fprintln(stderr, "grader: warning: verifying without the race detector; mutants that only race will not be caught")
	}
	var err error
	cacheDir := ""
	if !noCache {
		if cacheDir, err = verify.DefaultCacheDir(); err != nil {
			fmt.Fprintf(stderr, "grader: warning: no cache: %v\n", err)
			cacheDir = ""
		}
	}
	rep, err := verify.Run(ctx, verify.Config{Root: katas[0].Root, Katas: katas, Race: race, Timeout: cf.timeout,
		Count: count, Jobs: jobs, OutputCap: cf.outputCap, Progress: cf.progress(stderr), CacheDir: cacheDir, Force: force})
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	verify.Print(stdout, rep)
	if _, failed := rep.Counts(); failed > 0 {
		return exitFailed
	}
	return exitOK
}

func runCatalog(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cf common
	katas, code, done := setup("catalog", "Prints katas/catalog.json as the Markdown table of the README's catalog.", args, stdout, stderr, &cf, false, nil)
	if done {
		return code
	}
	fmt.Fprint(stdout, catalogTable(katas))
	return exitOK
}

// catalogTable renders the README's catalog table.
func catalogTable(katas []*catalog.Kata) string {
	var b strings.Builder
	b.WriteString("| Kata | What you build | Topic | Difficulty | Minutes |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, k := range katas {
		fmt.Fprintf(&b, "| [`%s`](katas/%s/README.md) | %s | %s | %s | %d |\n", k.Name, k.Name, k.Title, k.Topic, k.Difficulty, k.Minutes)
	}
	return b.String()
}

func runPristine(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf    common
		check bool
	)
	_, code, done := setup("pristine", `Copies the Go files of every kata folder (stub, visible tests, generated
code) into solutions/<kata>/testdata/pristine/. The grader grades the
visible tests kept there, whatever a learner did to their copy, and reset
puts the stub back from there. Run it on a clean checkout after changing a
kata's files (make pristine); --check fails if a copy differs from the tree
(make test runs it).`, args, stdout, stderr, &cf, false, func(fs *flag.FlagSet) {
		fs.BoolVar(&check, "check", false, "do not write: exit 1 and list the differences if a pristine copy is stale")
	})
	if done {
		return code
	}
	cat, _, err := cf.load(nil)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if !check {
		if err := pristine.Write(cat.Root, cat.Names()); err != nil {
			fmt.Fprintf(stderr, "grader: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stdout, "wrote the pristine copies of %d kata(s)\n", len(cat.Katas))
		return exitOK
	}
	diff, err := pristine.Diff(cat.Root, cat.Names())
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if len(diff) > 0 {
		fmt.Fprintf(stderr, "grader: the pristine copies are stale: run `make pristine` and commit them:\n  %s\n", strings.Join(diff, "\n  "))
		return exitFailed
	}
	fmt.Fprintf(stdout, "the pristine copies of %d kata(s) are current\n", len(cat.Katas))
	return exitOK
}

func runNew(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf common
		o  scaffold.Options
	)
	c := find("new")
	fs := flag.NewFlagSet("new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs.SetOutput(stdout)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: grader %s\n\n%s\n\nFlags:\n", c.usage, `Creates katas/<kata>/ (README with the standard sections, a stub, visible
tests), solutions/<kata>/ (reference, hidden tests, NOTES.md, an empty
testdata/mutants/), the catalog entry and the pristine copies, around a
placeholder API that compiles. Then write the kata: replace the placeholder
API, the rules, the tests and the notes, add mutants, and run
grader verify <kata> until it says 0 failed.`)
		fs.PrintDefaults()
	}
	cf.register(fs, false)
	fs.StringVar(&o.Title, "title", "", "catalog title, e.g. \"Sliding-window rate limiter\" (required)")
	fs.StringVar(&o.Topic, "topic", "", "catalog topic, e.g. \"rate limiting\" (required)")
	fs.StringVar(&o.Difficulty, "difficulty", "medium", "easy, medium or hard")
	fs.IntVar(&o.Minutes, "minutes", 60, "time budget in minutes")
	names, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(names) != 1 {
		fmt.Fprintln(stderr, "grader: new takes one kata name")
		fs.Usage()
		return exitUsage
	}
	o.Name = names[0]
	if o.Root = cf.root; o.Root == "" {
		if o.Root, err = findRoot(); err != nil {
			fmt.Fprintf(stderr, "grader: %v\n", err)
			return exitUsage
		}
	}
	created, err := scaffold.Create(o)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "created kata %s:\n  %s\nnext: write katas/%s/README.md and solutions/%s/NOTES.md, replace the placeholder API, add mutants, then go run ./grader verify %s\n",
		o.Name, strings.Join(created, "\n  "), o.Name, o.Name, o.Name)
	return exitOK
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf        common
		list      string
		minutes   int
		candidate string
		out       string
	)
	_, code, done := setup("export", `Writes a take-home bundle: a self-contained Go module with the chosen katas as
the repository ships them (stubs, visible tests, READMEs, generated code), the
test helpers they import, a candidate README (the task, the time budget, how
to test, what is graded, how to hand in), a Makefile (test, bench, pack) and
MANIFEST.json (katas, version, export time, candidate id, SHA-256 of every
file). Never a solution, a hidden test, a mutant or the grader.
-o names a .tar.gz/.tgz or .zip archive, or a new folder.`, args, stdout, stderr, &cf, false, func(fs *flag.FlagSet) {
		fs.StringVar(&list, "katas", "", "the katas to hand out, comma-separated (required)")
		fs.IntVar(&minutes, "minutes", 0, "the time budget in minutes (default: the sum of the katas' catalog minutes)")
		fs.StringVar(&candidate, "candidate", "", "the candidate's id, written into the manifest and the README")
		fs.StringVar(&out, "o", "takehome.tar.gz", "the output: an archive (.tar.gz, .tgz, .zip) or a new folder")
	})
	if done {
		return code
	}
	if list == "" || len(cf.names) > 0 {
		fmt.Fprintln(stderr, "grader: export needs --katas, e.g. grader export --katas lru,breaker -o takehome.tar.gz")
		return exitUsage
	}
	cat, _, err := cf.load(nil)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	katas, err := cat.Select(strings.Split(list, ","))
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if minutes < 0 {
		fmt.Fprintln(stderr, "grader: --minutes must not be negative")
		return exitUsage
	}
	files, m, err := bundle.Build(bundle.Options{Root: cat.Root, Katas: katas, Minutes: minutes, Candidate: candidate, Now: clockNow()})
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if err := bundle.Write(out, files); err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d minutes, %d files, version %s\n", out, strings.Join(m.Katas, ", "), m.Minutes, len(files), m.Version)
	return exitOK
}

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		format, out string
		verbose     bool
	)
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs.SetOutput(stdout)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: grader %s\n\n%s\n\nFlags:\n", find("report").usage, `Renders a result saved with grade --json (or grade --batch --format json) in
another format, so one run gives every report: a Markdown summary, a JUnit file
for CI, an HTML page for a panel.`)
		fs.PrintDefaults()
	}
	fs.StringVar(&format, "format", "text", "the format: "+strings.Join(render.Formats, ", ")+" (a batch: "+strings.Join(render.BatchFormats, ", ")+")")
	fs.StringVar(&out, "o", "", "write to this file instead of standard output")
	fs.BoolVar(&verbose, "v", false, "text: every failing test")
	files, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "grader: report takes one JSON file, e.g. grader report --format junit result.json")
		return exitUsage
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	w, closeOut, err := output(out, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	defer func() {
		if err := closeOut(); err != nil {
			fmt.Fprintf(stderr, "grader: %v\n", err)
		}
	}()
	// A batch has "runs"; a run has "katas".
	var probe struct {
		Version int               `json:"version"`
		Runs    []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		fmt.Fprintf(stderr, "grader: %s is not a grader result: %v\n", files[0], err)
		return exitUsage
	}
	if probe.Version != result.Version {
		fmt.Fprintf(stderr, "grader: %s has result version %d; this grader reads %d\n", files[0], probe.Version, result.Version)
		return exitUsage
	}
	if probe.Runs != nil {
		var b result.Batch
		if err = json.Unmarshal(data, &b); err == nil {
			if format == "text" {
				format = "markdown"
			}
			err = render.WriteBatch(w, &b, format)
		}
	} else {
		var run result.Run
		if err = json.Unmarshal(data, &run); err == nil {
			err = render.Write(w, &run, format, render.Options{Verbose: verbose})
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	return exitOK
}
