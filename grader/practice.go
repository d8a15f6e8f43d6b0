package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/grade"
	"github.com/microkata/microkata/grader/internal/hints"
	"github.com/microkata/microkata/grader/internal/history"
	"github.com/microkata/microkata/grader/internal/i18n"
	loop "github.com/microkata/microkata/grader/internal/practice"
	"github.com/microkata/microkata/grader/internal/pristine"
	"github.com/microkata/microkata/grader/internal/render"
	"github.com/microkata/microkata/grader/internal/reset"
	"github.com/microkata/microkata/grader/internal/result"
	"github.com/microkata/microkata/grader/internal/review"
)

// openHistory opens the learner's history in the state directory.
func openHistory() (*history.Store, string, error) {
	dir, err := history.DefaultDir()
	if err != nil {
		return nil, "", err
	}
	return history.Open(dir), dir, nil
}

// readHistory reads the history, printing its warnings (a torn line) to
// stderr: they never fail a command.
func readHistory(store *history.Store, stderr io.Writer) []history.Event {
	events, warnings, err := store.Read()
	for _, w := range warnings {
		fmt.Fprintf(stderr, "grader: warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "grader: warning: %v\n", err)
	}
	return events
}

// kataReadme reads k's README in l, or the English one when the kata has
// none in l.
func kataReadme(k *catalog.Kata, l i18n.Lang) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(k.Dir, l.Readme()))
	if err != nil {
		data, err = os.ReadFile(filepath.Join(k.Dir, "README.md"))
	}
	return data, err
}

// kataHints reads k's hints from its README in l (see kataReadme).
func kataHints(k *catalog.Kata, l i18n.Lang) ([]hints.Hint, error) {
	data, err := kataReadme(k, l)
	if err != nil {
		return nil, err
	}
	return hints.Parse(string(data))
}

// terminal reports whether f is a terminal.
func terminal(f any) (int, bool) {
	if ff, ok := f.(*os.File); ok && term.IsTerminal(int(ff.Fd())) {
		return int(ff.Fd()), true
	}
	return 0, false
}

func runPractice(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf      common
		minutes float64
		random  bool
		seed    uint64
		noBench bool
		color   string
	)
	katas, code, done := setup("practice", `Timed practice of one kata: prints the task's header and the keys, then
watches katas/<kata>/. Every save re-runs the visible tests with -race and
redraws the status (time left, tests passed, the first failure, the run's
time). When every visible test passes it runs the hidden tests; the session
ends when the kata passes, when time is up, or on q / Ctrl-C, and every
attempt is recorded in your history (see grader list, grader stats).
Keys on a terminal: h next hint, g grade now, r re-run, q quit.
--random picks a kata that is due or not yet solved, shows only its task and
gives no hints: an interview simulation.
Exit status: 0 solved, 1 time up or quit, 2 usage error.`, args, stdout, stderr, &cf, true, func(fs *flag.FlagSet) {
		fs.Float64Var(&minutes, "minutes", 0, "time budget in minutes (default: the catalog's minutes for the kata); 0 with --untimed")
		fs.BoolVar(&random, "random", false, "an interview simulation: pick a kata that is due or not yet solved")
		fs.Uint64Var(&seed, "seed", 0, "with --random: the seed of the pick (default: from the clock; printed, so a pick can be repeated)")
		fs.BoolVar(&noBench, "no-bench", false, "skip the benchmarks when the kata passes")
		fs.StringVar(&color, "color", "auto", "colour: auto (a terminal without NO_COLOR), always, never")
	})
	if done {
		return code
	}
	named := len(cf.names) > 0
	switch {
	case random && named:
		fmt.Fprintln(stderr, "grader: practice --random picks the kata itself: give no kata name")
		return exitUsage
	case !random && (!named || len(katas) != 1):
		fmt.Fprintln(stderr, "grader: practice needs one kata name (or --random), e.g. grader practice lru")
		return exitUsage
	}
	if minutes < 0 {
		fmt.Fprintln(stderr, "grader: --minutes must not be negative")
		return exitUsage
	}
	store, _, err := openHistory()
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	k := katas[0]
	mode := loop.ModePractice
	if random {
		if seed == 0 {
			seed = uint64(time.Now().UnixNano())
		}
		k = pickKata(katas, readHistory(store, stderr), clockNow(), seed)
		mode = loop.ModeRandom
		fmt.Fprintf(stdout, "interview simulation: picked %s (seed %d: grader practice --random --seed %d picks it again)\n\n", k.Name, seed, seed)
		if readme, err := kataReadme(k, cf.language()); err == nil {
			fmt.Fprintln(stdout, hints.Task(string(readme)))
		}
	}
	budget := time.Duration(float64(k.Minutes) * float64(time.Minute))
	if minutes > 0 {
		budget = time.Duration(minutes * float64(time.Minute))
	}
	rec, err := pristine.Load(k.Root, []string{k.Name})
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	var hs []hints.Hint
	if mode == loop.ModePractice {
		hs, _ = kataHints(k, cf.language()) // a kata without hints still practises
	}
	watcher, err := loop.Watch(ctx, k.Dir)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	defer watcher.Close()

	race := !cf.noRace && grade.CgoEnabled()
	gradeOne := func(ctx context.Context, hidden, bench bool) (*result.Run, error) {
		return grade.Grade(ctx, grade.Config{Katas: []*catalog.Kata{k}, Root: k.Root, Race: race,
			Timeout: cf.timeout, Deadline: 5 * time.Minute, OutputCap: cf.outputCap, Pristine: rec,
			VisibleOnly: !hidden, Bench: bench && !noBench, BenchTime: 50 * time.Millisecond, BenchRounds: 4})
	}

	// Keys: raw mode on a terminal; otherwise standard input, a byte each.
	inFd, inTTY := terminal(os.Stdin)
	_, outTTY := terminal(stdout)
	tty := inTTY && outTTY
	keys := make(chan byte)
	if tty {
		old, err := term.MakeRaw(inFd)
		if err != nil {
			fmt.Fprintf(stderr, "grader: %v\n", err)
			return exitUsage
		}
		defer term.Restore(inFd, old)
	}
	go func() {
		buf := make([]byte, 1)
		for {
			if n, err := os.Stdin.Read(buf); n == 1 {
				select {
				case keys <- buf[0]:
				case <-ctx.Done():
					return
				}
			} else if err != nil {
				close(keys)
				return
			}
		}
	}()
	width := 0
	if f, ok := stdout.(*os.File); ok && tty {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			width = w
		}
	}
	// The scorecard's rule (a terminal, NO_COLOR unset or empty, TERM not dumb).
	useColor := color == "always" || color == "auto" && tty && render.UseColor(os.Stdout)
	out, err := loop.Run(ctx, loop.Config{
		Kata: k.Name, Title: k.Title, Difficulty: k.Difficulty,
		File:   filepath.ToSlash(filepath.Join("katas", k.Name, k.Package+".go")),
		Files:  func() []string { return learnerFiles(k) },
		Budget: budget, Mode: mode, Hints: hs, Grade: gradeOne, Bench: !noBench, Store: store,
		Changes: watcher.Changes, WatchKind: watcher.Kind, Keys: keys,
		Out: stdout, TTY: tty, Width: width, Color: useColor, Now: clockNow, GoVersion: grade.GoVersion(), Lang: cf.language(),
	})
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if out.Result == history.Solved {
		return exitOK
	}
	return exitFailed
}

// learnerFiles lists the learner's Go files of k as they are now.
func learnerFiles(k *catalog.Kata) []string {
	files, _ := filepath.Glob(filepath.Join(k.Dir, "*.go"))
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			out = append(out, f)
		}
	}
	return out
}

// pickKata picks, with a seeded random source, one of the katas that are
// due (by list's rule) or not yet solved; when every kata is solved and
// none is due, any kata.
func pickKata(katas []*catalog.Kata, events []history.Event, now time.Time, seed uint64) *catalog.Kata {
	candidates := dueKatas(katas, events, now)
	if len(candidates) == 0 {
		candidates = katas
	}
	r := rand.New(rand.NewPCG(seed, seed^0x6d6b))
	return candidates[r.IntN(len(candidates))]
}

func runHint(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cf common
	katas, code, done := setup("hint", `Prints the next hint of a kata from its README ("hint 2 of 5"), one more
on every call. Hints are recorded with the attempt you are practising (or
counted since your last attempt at the kata ended).`, args, stdout, stderr, &cf, false, nil)
	if done {
		return code
	}
	if len(katas) != 1 || len(cf.names) == 0 {
		fmt.Fprintln(stderr, "grader: hint needs one kata name, e.g. grader hint lru")
		return exitUsage
	}
	k := katas[0]
	L := cf.language()
	hs, err := kataHints(k, L)
	if errors.Is(err, hints.ErrNone) {
		fmt.Fprintln(stdout, L.F("%s has no hints", k.Name))
		return exitOK
	} else if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	store, _, err := openHistory()
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	attempt, shown := hintsShown(readHistory(store, stderr), k.Name)
	if shown >= len(hs) {
		fmt.Fprintln(stdout, L.F("no more hints: you have seen all %d of %s (the README's Hints section has them all)", len(hs), k.Name))
		return exitOK
	}
	n := shown + 1
	if err := store.Append(history.Event{Time: clockNow(), Kind: history.Hint, Kata: k.Name, Attempt: attempt, Hint: n}); err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, loop.Format(L, hs[n-1], n, len(hs)))
	return exitOK
}

// hintsShown returns the open attempt at kata (one that started and has
// not ended), if any, and how many hints were shown in it; without one, how
// many were shown since the kata's last attempt ended.
func hintsShown(events []history.Event, kata string) (attempt string, shown int) {
	ended := map[string]bool{}
	for _, e := range events {
		if e.Kata == kata && e.Kind == history.End {
			ended[e.Attempt] = true
		}
	}
	for _, e := range events {
		if e.Kata != kata {
			continue
		}
		switch e.Kind {
		case history.Start:
			attempt, shown = "", 0
			if !ended[e.Attempt] {
				attempt = e.Attempt
			}
		case history.End:
			attempt, shown = "", 0
		case history.Hint:
			if e.Attempt == attempt {
				shown = max(shown, e.Hint)
			}
		}
	}
	return attempt, shown
}

func runReset(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf  common
		yes bool
	)
	katas, code, done := setup("reset", `Starts a kata over: backs up everything in katas/<kata>/ into your state
directory (timestamped; the path is printed), then puts the kata's pristine
Go files back (the stub, the visible tests) and removes Go files the kata
does not ship. Works without git. Asks first on a terminal, unless --yes.`, args, stdout, stderr, &cf, false, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	})
	if done {
		return code
	}
	if len(katas) != 1 || len(cf.names) == 0 {
		fmt.Fprintln(stderr, "grader: reset needs one kata name, e.g. grader reset lru")
		return exitUsage
	}
	k := katas[0]
	rec, err := pristine.Load(k.Root, []string{k.Name})
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	_, dir, err := openHistory()
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if !yes {
		if _, ok := terminal(os.Stdin); !ok {
			fmt.Fprintln(stderr, "grader: reset asks before it changes your files, and standard input is not a terminal: pass --yes")
			return exitUsage
		}
		fmt.Fprintf(stdout, "reset %s? Your files in katas/%s/ are backed up first. [y/N] ", k.Name, k.Name)
		var answer string
		fmt.Fscanln(os.Stdin, &answer)
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "not reset: nothing changed")
			return exitFailed
		}
	}
	r, err := reset.Reset(k.Root, k.Name, rec, dir, clockNow())
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	fmt.Fprint(stdout, reset.Describe(r))
	return exitOK
}

// dueKatas are the katas to practise now: never solved, or due today or
// before by list's rule (package review).
func dueKatas(katas []*catalog.Kata, events []history.Event, now time.Time) []*catalog.Kata {
	sum := review.Summarize(events, now)
	var out []*catalog.Kata
	for _, k := range katas {
		r := sum.Kata(k.Name)
		if r.Status != review.Solved || r.Schedule.DueBy(sum.Today) {
			out = append(out, k)
		}
	}
	return out
}
