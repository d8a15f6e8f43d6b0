package history

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func ev(kind, kata, attempt string, at time.Time) Event {
	return Event{Time: at, Kind: kind, Kata: kata, Attempt: attempt}
}

func TestAppendRead(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "nested", "state"))
	evs, warnings, err := s.Read()
	if err != nil || evs != nil || warnings != nil {
		t.Fatalf("Read of a missing history = %v, %v, %v; want nothing", evs, warnings, err)
	}
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	want := []Event{
		{Time: t0, Kind: Start, Kata: "lru", Attempt: "a", Budget: 2700, Mode: "practice", GoVersion: "go1.26.8"},
		{Time: t0.Add(time.Minute), Kind: Hint, Kata: "lru", Attempt: "a", Hint: 1},
		{Time: t0.Add(2 * time.Minute), Kind: End, Kata: "lru", Attempt: "a", Result: Solved, Elapsed: 120, Hints: 1, Score: 100},
	}
	for _, e := range want {
		if err := s.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	got, warnings, err := s.Read()
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Read: %v, %v", warnings, err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Read = %v\nwant %v", got, want)
	}
}

// A torn last line (the process died inside a write, or the disk lost the
// end of the file) is skipped and reported; everything before it is read.
func TestReadSkipsTornAndDamagedLines(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := s.Append(ev(Start, "lru", strconv.Itoa(i), t0)); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(s.Path())
	lines := strings.SplitAfter(string(data), "\n")
	damaged := lines[0] + "{not json}\n" + lines[1] + lines[2] + `{"time":"2026-12-05T10:00:00Z","kind":"st`
	os.WriteFile(s.Path(), []byte(damaged), 0o644)
	got, warnings, err := s.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("Read kept %d events, want the 3 whole ones", len(got))
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], ":2: skipped a damaged line") || !strings.Contains(warnings[1], ":5: skipped a torn last line") {
		t.Errorf("warnings = %q", warnings)
	}
	// Appending after a torn line still gives readable lines.
	if err := s.Append(ev(End, "lru", "9", t0)); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.Read()
	if got[len(got)-1].Attempt != "9" {
		t.Errorf("the event appended after a torn line was lost: %v", got)
	}
}

const writerEnv = "MICROKATA_HISTORY_WRITER"

// TestHelperWriter is not a test: it is the process TestSIGKILLLosesNoEarlierLine
// kills while it appends events as fast as it can.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(writerEnv)
	if dir == "" {
		t.Skip("helper process")
	}
	s := Open(dir)
	big := strings.Repeat("x", 3000) // long lines make a kill inside a write likelier
	for i := 0; ; i++ {
		if err := s.Append(Event{Time: time.Now(), Kind: Run, Kata: "lru", Attempt: strconv.Itoa(i), SolutionHash: big}); err != nil {
			t.Fatal(err)
		}
	}
}

// kill -9 in the middle of writing costs at most the line being written.
func TestSIGKILLLosesNoEarlierLine(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process (-short)")
	}
	for round := range 3 {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
		cmd.Env = append(os.Environ(), writerEnv+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		s := Open(dir)
		deadline := time.Now().Add(20 * time.Second)
		for {
			if fi, err := os.Stat(s.Path()); err == nil && fi.Size() > int64(200<<10*(round+1)) {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the writer wrote nothing")
			}
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		data, _ := os.ReadFile(s.Path())
		whole := strings.Count(string(data), "\n")
		got, warnings, err := s.Read()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != whole {
			t.Errorf("round %d: read %d events of %d whole lines", round, len(got), whole)
		}
		if len(warnings) > 1 {
			t.Errorf("round %d: more than the last line lost: %q", round, warnings)
		}
		for i, e := range got {
			if e.Attempt != strconv.Itoa(i) {
				t.Fatalf("round %d: event %d is attempt %q: a line was lost or reordered", round, i, e.Attempt)
			}
		}
	}
}

func TestAttempts(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	evs := []Event{
		{Time: t0, Kind: Start, Kata: "lru", Attempt: "a", Budget: 600, Mode: "practice"},
		{Time: t0.Add(time.Minute), Kind: Run, Kata: "lru", Attempt: "a", Score: 40},
		{Time: t0.Add(2 * time.Minute), Kind: End, Kata: "lru", Attempt: "a", Result: Solved, Elapsed: 120, Score: 100},
		{Time: t0.Add(time.Hour), Kind: Start, Kata: "breaker", Attempt: "b", Budget: 600},
		{Time: t0.Add(time.Hour), Kind: Hint, Kata: "breaker", Attempt: "b", Hint: 1},
		{Time: t0.Add(time.Hour), Kind: Hint, Kata: "breaker", Attempt: "b", Hint: 2},
		{Time: t0.Add(time.Hour), Kind: Hint, Kata: "breaker", Hint: 1}, // outside an attempt
	}
	as := Attempts(evs)
	if len(as) != 2 {
		t.Fatalf("Attempts = %+v", as)
	}
	a, b := as[0], as[1]
	if a.Result != Solved || a.Elapsed != 2*time.Minute || a.Budget != 10*time.Minute || a.Runs != 1 || a.Score != 100 || !a.Clean() {
		t.Errorf("attempt a = %+v", a)
	}
	if b.Result != "" || b.Hints != 2 || b.Clean() {
		t.Errorf("attempt b (never ended) = %+v", b)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(StateDirEnv, "/x/state")
	if d, _ := DefaultDir(); d != "/x/state" {
		t.Errorf("with %s: %s", StateDirEnv, d)
	}
	t.Setenv(StateDirEnv, "")
	t.Setenv("XDG_STATE_HOME", "/x/xdg")
	if d, _ := DefaultDir(); d != "/x/xdg/microkata" {
		t.Errorf("with XDG_STATE_HOME: %s", d)
	}
	t.Setenv("XDG_STATE_HOME", "relative") // the spec says to ignore it
	t.Setenv("HOME", "/x/home")
	if d, _ := DefaultDir(); d != "/x/home/.local/state/microkata" {
		t.Errorf("default: %s", d)
	}
}
