package main

// End-to-end tests of `grader practice`, `hint` and `reset`: the real
// binary, driven through a pseudo-terminal (keys in raw mode, the status
// block redrawn in place) and through pipes (plain lines), against the
// `failing` fixture kata in a learner's copy of the repository.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/history"
)

// fixedFailing is failing.go with its bug fixed: every test passes.
func fixedFailing(t testing.TB, root string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "katas", "failing", "failing.go"))
	require.NoError(t, err)
	fixed := bytes.Replace(data, []byte("return a - b"), []byte("return a + b"), 1)
	require.NotEqual(t, data, fixed, "the fixture's bug is `return a - b`")
	return fixed
}

// session is one running grader process and everything it printed.
type session struct {
	cmd  *exec.Cmd
	in   io.Writer
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (s *session) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *session) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitFor waits until the output holds want. The first run of a kata
// builds it with -race, so the limit is generous.
func (s *session) waitFor(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(s.output(), want) {
		select {
		case <-s.done:
			if strings.Contains(s.output(), want) {
				return
			}
			t.Fatalf("the grader exited (%v) without printing %q; output:\n%s", s.cmd.ProcessState, want, s.output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the output never showed %q; it is:\n%s", want, s.output())
		}
	}
}

// exit waits for the process and returns its exit status.
func (s *session) exit(t testing.TB) int {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(2 * time.Minute):
		s.cmd.Process.Kill()
		t.Fatalf("the grader did not exit; output:\n%s", s.output())
	}
	return s.cmd.ProcessState.ExitCode()
}

// practiceEnv is the environment of a practice run: a private history.
func practiceEnv(state string) []string {
	env := []string{history.StateDirEnv + "=" + state, "TERM=xterm", "GORACE=atexit_sleep_ms=0", "LC_ALL=C.UTF-8"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NO_COLOR=") && !strings.HasPrefix(kv, history.StateDirEnv+"=") && !strings.HasPrefix(kv, "TERM=") && !strings.HasPrefix(kv, "LC_ALL=") {
			env = append(env, kv)
		}
	}
	return env
}

// startPTY starts the grader on a pseudo-terminal.
func startPTY(t testing.TB, bin, state string, args ...string) *session {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = practiceEnv(state)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	require.NoError(t, err)
	s := &session{cmd: cmd, in: f, done: make(chan struct{})}
	go func() {
		io.Copy(s, f) // ends with EIO when the process exits
	}()
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
		f.Close()
	})
	return s
}

// startPipes starts the grader with pipes: no terminal anywhere.
func startPipes(t testing.TB, bin, state string, args ...string) *session {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = practiceEnv(state)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	s := &session{cmd: cmd, in: in, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s, s
	require.NoError(t, cmd.Start())
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
	})
	return s
}

func historyOf(t testing.TB, state string) []history.Event {
	t.Helper()
	evs, warnings, err := history.Open(state).Read()
	require.NoError(t, err)
	require.Empty(t, warnings)
	return evs
}

func eventKinds(evs []history.Event) string {
	var k []string
	for _, e := range evs {
		s := e.Kind
		if e.Kind == history.End {
			s += ":" + e.Result
		}
		k = append(k, s)
	}
	return strings.Join(k, " ")
}

func TestPracticeTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	bin := buildGrader(t)
	root := learnerRepo(t, bin, "failing")
	learner := filepath.Join(root, "katas", "failing", "failing.go")
	original, err := os.ReadFile(learner)
	require.NoError(t, err)

	t.Run("hints then a fix solves it", func(t *testing.T) {
		state := t.TempDir()
		s := startPTY(t, bin, state, "practice", "--root", root, "--minutes", "30", "--no-bench", "failing")
		s.waitFor(t, "microkata practice: failing — Failing fixture (easy, 30:00 on the clock)")
		s.waitFor(t, "keys: h hint · g grade now · r re-run · q quit")
		s.waitFor(t, "✗ TestAdd: Add(2, 3)")
		assert.Contains(t, s.output(), "visible 2/3")
		io.WriteString(s.in, "h")
		s.waitFor(t, "hint 1 of 2: read the name\r\n  Add adds.")
		io.WriteString(s.in, "h")
		s.waitFor(t, "hint 2 of 2: the operator")
		require.NoError(t, os.WriteFile(learner, fixedFailing(t, root), 0o644))
		t.Cleanup(func() { os.WriteFile(learner, original, 0o644) })
		s.waitFor(t, "solved in ")
		assert.Equal(t, 0, s.exit(t), "exit status of a solved kata")
		out := s.output()
		assert.Contains(t, out, "hidden 3/3")
		assert.Contains(t, out, "\x1b[2F\x1b[J", "the status block is redrawn in place")
		assert.NotContains(t, out, "\x1b[2J", "the screen is never cleared")

		evs := historyOf(t, state)
		require.NotEmpty(t, evs)
		assert.Equal(t, history.Start, evs[0].Kind)
		assert.Equal(t, 1800.0, evs[0].Budget)
		end := evs[len(evs)-1]
		assert.Equal(t, history.End+":"+history.Solved, end.Kind+":"+end.Result, "events: %s", eventKinds(evs))
		assert.Equal(t, 2, end.Hints)
		assert.Equal(t, 100, end.Score)
		assert.NotEmpty(t, end.SolutionHash)
	})

	t.Run("q abandons", func(t *testing.T) {
		state := t.TempDir()
		s := startPTY(t, bin, state, "practice", "--root", root, "failing")
		s.waitFor(t, "✗ TestAdd")
		io.WriteString(s.in, "q")
		s.waitFor(t, "you quit: recorded as abandoned")
		assert.Equal(t, 1, s.exit(t))
		assert.Equal(t, "start run end:abandoned", eventKinds(historyOf(t, state)))
	})

	t.Run("time up", func(t *testing.T) {
		state := t.TempDir()
		// A budget of 1.2 s: no test waits for a real one. The loop's own
		// clock is injected in its unit tests (internal/practice).
		s := startPTY(t, bin, state, "practice", "--root", root, "--minutes", "0.02", "failing")
		s.waitFor(t, "go on untimed? [y/N]")
		assert.Contains(t, s.output(), "time is up (0:01): not solved; recorded as timed out with score ")
		io.WriteString(s.in, "n")
		assert.Equal(t, 1, s.exit(t))
		evs := historyOf(t, state)
		end := evs[len(evs)-1]
		assert.Equal(t, history.TimedOut, end.Result, "events: %s", eventKinds(evs))
		assert.True(t, end.Graded, "time up grades the hidden tests too")
		assert.Equal(t, 3, end.HiddenTotal)
	})
}

func TestPracticePlain(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	bin := buildGrader(t)
	root := learnerRepo(t, bin, "failing")
	learner := filepath.Join(root, "katas", "failing", "failing.go")
	state := t.TempDir()
	s := startPipes(t, bin, state, "practice", "--root", root, "--no-bench", "failing")
	s.waitFor(t, "✗ TestAdd: Add(2, 3)")
	// A save through a temporary file and a rename, as editors do.
	tmp := learner + ".tmp~"
	require.NoError(t, os.WriteFile(tmp, fixedFailing(t, root), 0o644))
	require.NoError(t, os.Rename(tmp, learner))
	s.waitFor(t, "solved in ")
	assert.Equal(t, 0, s.exit(t))
	out := s.output()
	assert.NotContains(t, out, "\x1b[", "no escape codes without a terminal")
	assert.NotContains(t, out, "keys:", "no keys without a terminal")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var runs []string
	for _, l := range lines {
		if strings.HasPrefix(l, "failing · ") {
			runs = append(runs, l)
		}
	}
	require.Len(t, runs, 3, "one line per run: the first, the save's visible run, the full run:\n%s", out)
	assert.Regexp(t, `^failing · 0:\d\d left · visible 2/3 · last run \d+\.\ds \| ✗ TestAdd: `, runs[0])
	assert.Regexp(t, `^failing · \d+:\d\d left · visible 3/3 · last run \d+\.\ds \| ✓ every visible test passes$`, runs[1])
	assert.Regexp(t, `visible 3/3 · hidden 3/3 · last run`, runs[2])
}

func TestPracticeRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	bin := buildGrader(t)
	root := learnerRepo(t, bin, "passing", "failing")
	state := t.TempDir()
	s := startPipes(t, bin, state, "practice", "--root", root, "--random", "--seed", "3", "--no-bench")
	s.waitFor(t, "interview simulation: picked ")
	s.waitFor(t, "grader practice --random --seed 3 picks it again")
	s.waitFor(t, " | ")
	io.WriteString(s.in, "h")
	s.waitFor(t, "no hints in an interview simulation")
	io.WriteString(s.in, "q")
	assert.NotEqual(t, 2, s.exit(t))
	out := s.output()
	assert.Contains(t, out, "## API", "the task is shown")
	assert.NotContains(t, out, "## Hints", "but not its hints")
	evs := historyOf(t, state)
	require.NotEmpty(t, evs)
	assert.Equal(t, "random", evs[0].Mode)

	out2, _ := exec.Command(bin, "practice", "--root", root, "--random", "failing").CombinedOutput()
	assert.Contains(t, string(out2), "practice --random picks the kata itself")
}

func TestHintAndResetCommands(t *testing.T) {
	bin := buildGrader(t)
	root := learnerRepo(t, bin, "failing")
	state := t.TempDir()
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = practiceEnv(state)
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}

	out, code := run("hint", "--root", root, "failing")
	assert.Equal(t, 0, code, out)
	assert.Equal(t, "hint 1 of 2: read the name\n  Add adds.\n", out)
	out, _ = run("hint", "--root", root, "failing")
	assert.Contains(t, out, "hint 2 of 2: the operator")
	out, _ = run("hint", "--root", root, "failing")
	assert.Contains(t, out, "no more hints: you have seen all 2 of failing")
	assert.Equal(t, "hint hint", eventKinds(historyOf(t, state)), "hints are recorded")

	learner := filepath.Join(root, "katas", "failing", "failing.go")
	shipped, err := os.ReadFile(learner)
	require.NoError(t, err)
	mine := fixedFailing(t, root)
	require.NoError(t, os.WriteFile(learner, mine, 0o644))
	own := filepath.Join(root, "katas", "failing", "mine_test.go")
	require.NoError(t, os.WriteFile(own, []byte("package failing_test\n"), 0o644))

	out, code = run("reset", "--root", root, "failing")
	assert.Equal(t, 2, code, "without a terminal and without --yes, reset refuses: %s", out)
	assert.Contains(t, out, "pass --yes")
	after, _ := os.ReadFile(learner)
	assert.Equal(t, mine, after, "a refused reset changes nothing")

	out, code = run("reset", "--root", root, "--yes", "failing")
	require.Equal(t, 0, code, out)
	after, _ = os.ReadFile(learner)
	assert.Equal(t, string(shipped), string(after), "reset puts the shipped file back")
	assert.NoFileExists(t, own)
	assert.Contains(t, out, "restored katas/failing/failing.go")
	assert.Contains(t, out, "removed  katas/failing/mine_test.go (it is in the backup)")
	backup := strings.TrimPrefix(strings.SplitN(out, "\n", 2)[0], "backed up to ")
	require.True(t, strings.HasPrefix(backup, filepath.Join(state, "backups", "failing-")), "backup %q", backup)
	saved, err := os.ReadFile(filepath.Join(backup, "failing.go"))
	require.NoError(t, err)
	assert.Equal(t, mine, saved, "the backup holds the learner's file")
	assert.FileExists(t, filepath.Join(backup, "mine_test.go"))

	// A hint after an attempt ended starts again from 1.
	out, code = run("practice", "--root", root, "--minutes", "0.01", "failing")
	assert.Equal(t, 1, code, out)
	out, _ = run("hint", "--root", root, "failing")
	assert.Contains(t, out, "hint 1 of 2")
}

// BenchmarkPracticeSaveToStatus measures the time from a save to the new
// status line, warm, without a terminal. The floor is one `go test -race`
// of one package (BenchmarkGoTestRaceFloor). Run both with
//
//	go test -run '^$' -bench 'PracticeSaveToStatus|GoTestRaceFloor' -benchtime 10x ./grader
//
// Each op is one save; the median is reported as s/save-median.
func BenchmarkPracticeSaveToStatus(b *testing.B) {
	bin := buildGrader(b)
	root := learnerRepo(b, bin, "failing")
	learner := filepath.Join(root, "katas", "failing", "failing.go")
	original, err := os.ReadFile(learner)
	require.NoError(b, err)
	s := startPipes(b, bin, b.TempDir(), "practice", "--root", root, "--minutes", "600", "failing")
	s.waitFor(b, "✗ TestAdd") // the first run builds the kata with -race
	runs := func() int { return strings.Count(s.output(), "failing · ") }
	var took []time.Duration
	i := 0
	for b.Loop() {
		n := runs()
		i++
		start := time.Now()
		require.NoError(b, os.WriteFile(learner, fmt.Appendf(bytes.Clone(original), "\n// save %d\n", i), 0o644))
		for runs() == n {
			time.Sleep(5 * time.Millisecond)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2].Seconds(), "s/save-median")
}

// BenchmarkGoTestRaceFloor is the floor of a save's run: one warm
// `go test -race -count=1` of the same package, nothing else.
func BenchmarkGoTestRaceFloor(b *testing.B) {
	bin := buildGrader(b)
	root := learnerRepo(b, bin, "failing")
	for b.Loop() {
		cmd := exec.Command("go", "test", "-race", "-count=1", "./katas/failing")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
		cmd.Run() // it fails: TestAdd
	}
}

func TestPickKata(t *testing.T) {
	cat, err := catalog.Load(fixtureRoot)
	require.NoError(t, err)
	now := time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)
	solvedToday := func(kata string) []history.Event {
		return []history.Event{
			{Time: now.Add(-time.Hour), Kind: history.Start, Kata: kata, Attempt: kata + "-1", Budget: 600},
			{Time: now.Add(-50 * time.Minute), Kind: history.End, Kata: kata, Attempt: kata + "-1", Result: history.Solved, Elapsed: 600},
		}
	}
	var evs []history.Event
	for _, k := range cat.Katas[1:] {
		evs = append(evs, solvedToday(k.Name)...)
	}
	// Every kata but the first was solved cleanly today: not due. The pick
	// is the first, whatever the seed.
	for seed := range uint64(20) {
		assert.Equal(t, cat.Katas[0].Name, pickKata(cat.Katas, evs, now, seed).Name, "seed %d", seed)
	}
	// Nothing due: any kata, the same one for the same seed.
	evs = append(evs, solvedToday(cat.Katas[0].Name)...)
	a, b := pickKata(cat.Katas, evs, now, 7), pickKata(cat.Katas, evs, now, 7)
	assert.Equal(t, a.Name, b.Name, "a seed picks the same kata again")
	seen := map[string]bool{}
	for seed := range uint64(50) {
		seen[pickKata(cat.Katas, evs, now, seed).Name] = true
	}
	assert.Greater(t, len(seen), 3, "seeds spread the picks")
}
