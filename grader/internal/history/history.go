// Package history keeps a learner's practice record: one append-only JSON
// Lines file outside the repository, one line per event (an attempt
// started, a test run, a hint, an attempt ended).
//
// Durability: each line is written with a single write(2) on a file opened
// with O_APPEND and then synced, so a crash, kill -9 or power loss costs at
// most the line being written. A reader skips a line it cannot parse (a
// torn last line, above all) and says so, and never fails the whole
// history for it.
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// FileName is the history file's name in the state directory.
const FileName = "history.jsonl"

// StateDirEnv overrides the state directory (tests, or a learner who keeps
// several histories).
const StateDirEnv = "MICROKATA_STATE_DIR"

// Event kinds.
const (
	Start = "start" // an attempt began
	Run   = "run"   // the tests ran after a save (or a key)
	Hint  = "hint"  // a hint was shown
	End   = "end"   // an attempt ended; Result says how
)

// Results of an attempt.
const (
	Solved    = "solved"    // every visible and hidden test passed, no race, no leak
	TimedOut  = "timed-out" // the budget ran out first
	Abandoned = "abandoned" // the learner quit (q, Ctrl-C)
)

// Event is one line of the history.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Kata    string    `json:"kata"`
	Attempt string    `json:"attempt,omitempty"` // the attempt's id; a hint outside an attempt has none
	// Budget is the attempt's time budget in seconds; 0 is untimed (start).
	Budget float64 `json:"budgetSeconds,omitempty"`
	// Mode is "practice" or "random" (start).
	Mode string `json:"mode,omitempty"`
	// Result is Solved, TimedOut or Abandoned (end).
	Result string `json:"result,omitempty"`
	// Elapsed is the attempt's time so far (end), or the run's duration
	// (run), in seconds.
	Elapsed float64 `json:"elapsedSeconds,omitempty"`
	// Test counts and the score of the last grade (run, end).
	VisiblePassed int  `json:"visiblePassed,omitempty"`
	VisibleTotal  int  `json:"visibleTotal,omitempty"`
	HiddenPassed  int  `json:"hiddenPassed,omitempty"`
	HiddenTotal   int  `json:"hiddenTotal,omitempty"`
	Graded        bool `json:"graded,omitempty"` // hidden tests ran
	Score         int  `json:"score,omitempty"`
	// Hint is the number of the hint shown (hint); Hints the number of
	// hints used in the attempt (end).
	Hint  int `json:"hint,omitempty"`
	Hints int `json:"hints,omitempty"`
	// GoVersion is the toolchain that ran the tests.
	GoVersion string `json:"goVersion,omitempty"`
	// SolutionHash is the SHA-256 of the learner's code when it was
	// tested (run, end).
	SolutionHash string `json:"solutionHash,omitempty"`
}

// Store is a history file.
type Store struct {
	path string
}

// DefaultDir is the state directory: $MICROKATA_STATE_DIR, else
// $XDG_STATE_HOME/microkata, else ~/.local/state/microkata.
func DefaultDir() (string, error) {
	if d := os.Getenv(StateDirEnv); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "microkata"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history: no state directory: set %s or XDG_STATE_HOME: %w", StateDirEnv, err)
	}
	return filepath.Join(home, ".local", "state", "microkata"), nil
}

// Open returns the history in dir. Nothing is created until Append.
func Open(dir string) *Store { return &Store{path: filepath.Join(dir, FileName)} }

// Path is the history file's path.
func (s *Store) Path() string { return s.path }

// Append writes e as one line: one write on an O_APPEND file, then fsync.
func (s *Store) Append(e Event) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	// After a crash the file may end inside a line: start on a new one, in
	// the same write, so the torn line stays the only loss.
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			data = append([]byte{'\n'}, data...)
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("history: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("history: %w", err)
	}
	return f.Close()
}

// Read returns every event it can parse, in file order, and a warning for
// each line it skipped (a torn last line after a crash, or a damaged one).
// A missing file is an empty history.
func (s *Store) Read() (events []Event, warnings []string, err error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("history: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(line, &e); err != nil || e.Kind == "" || e.Kata == "" {
			what := "a damaged line"
			if !bytes.HasSuffix(data, []byte("\n")) && bytes.HasSuffix(bytes.TrimSpace(data), line) {
				what = "a torn last line (the grader stopped while writing it)"
			}
			warnings = append(warnings, fmt.Sprintf("%s:%d: skipped %s", s.path, n, what))
			continue
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		warnings = append(warnings, fmt.Sprintf("%s: stopped reading: %v", s.path, err))
	}
	return events, warnings, nil
}

// Attempt is one attempt at a kata, folded from its events.
type Attempt struct {
	ID     string
	Kata   string
	Mode   string
	Start  time.Time
	End    time.Time // zero when the attempt has no end event
	Budget time.Duration
	// Result is Solved, TimedOut, Abandoned, or "" for an attempt that
	// never ended (the grader was killed).
	Result  string
	Elapsed time.Duration
	Hints   int
	Score   int
	Runs    int
}

// Clean reports a solve within the budget without hints.
func (a Attempt) Clean() bool {
	return a.Result == Solved && a.Hints == 0 && a.Budget > 0 && a.Elapsed <= a.Budget
}

// Attempts folds events into attempts, ordered by start time. Hints are
// counted from the hint events of each attempt when its end event does not
// say.
func Attempts(events []Event) []Attempt {
	byID := map[string]*Attempt{}
	var order []*Attempt
	for _, e := range events {
		if e.Attempt == "" {
			continue
		}
		a := byID[e.Attempt]
		if a == nil {
			a = &Attempt{ID: e.Attempt, Kata: e.Kata, Start: e.Time}
			byID[e.Attempt] = a
			order = append(order, a)
		}
		switch e.Kind {
		case Start:
			a.Start, a.Mode = e.Time, e.Mode
			a.Budget = time.Duration(e.Budget * float64(time.Second))
		case Run:
			a.Runs++
			a.Score = e.Score
		case Hint:
			a.Hints = max(a.Hints, e.Hint)
		case End:
			a.End, a.Result, a.Score = e.Time, e.Result, e.Score
			a.Elapsed = time.Duration(e.Elapsed * float64(time.Second))
			a.Hints = max(a.Hints, e.Hints)
		}
	}
	out := make([]Attempt, len(order))
	for i, a := range order {
		out[i] = *a
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}
