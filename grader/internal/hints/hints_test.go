package hints

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const readme = "# k\n\n## Rules\n\n1. A rule, not a hint.\n\n```md\n## Hints\n```\n\n## Hints\n\n<details>\n<summary>Hint 1: two views</summary>\n\nA map and a list.\nKeep both.\n</details>\n\n<details>\n<summary>2. the lock</summary>\n\nUnlock before the callback.\n</details>\n\n## How to run\n\n1. Not a hint either.\n"

func TestParseDetails(t *testing.T) {
	hs, err := Parse(readme)
	if err != nil {
		t.Fatal(err)
	}
	want := []Hint{{"two views", "A map and a list.\nKeep both."}, {"the lock", "Unlock before the callback."}}
	if len(hs) != len(want) {
		t.Fatalf("Parse = %q, want %q", hs, want)
	}
	for i := range want {
		if hs[i] != want[i] {
			t.Errorf("hint %d = %q, want %q", i+1, hs[i], want[i])
		}
	}
}

func TestParseNumberedList(t *testing.T) {
	hs, err := Parse("# k\n\n## Hints\n\n1. Start with the rules\n   in order.\n2. Then the edge cases.\n\n## Benchmarks\n\n1. no\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || hs[0].Body != "Start with the rules in order." || hs[1].Body != "Then the edge cases." {
		t.Errorf("Parse = %q", hs)
	}
}

func TestParseNone(t *testing.T) {
	for _, r := range []string{"# k\n", "# k\n\n## Hints\n\nNothing yet.\n"} {
		if _, err := Parse(r); !errors.Is(err, ErrNone) {
			t.Errorf("Parse(%q): %v, want ErrNone", r, err)
		}
	}
}

func TestTaskLeavesOutHints(t *testing.T) {
	task := Task(readme)
	if strings.Contains(task, "two views") || strings.Contains(task, "<details>") {
		t.Errorf("Task shows hints:\n%s", task)
	}
	for _, want := range []string{"## Rules", "1. A rule, not a hint.", "```md\n## Hints\n```", "## How to run"} {
		if !strings.Contains(task, want) {
			t.Errorf("Task lacks %q:\n%s", want, task)
		}
	}
}

// Every kata of the repository has hints the parser reads.
func TestEveryKataHasHints(t *testing.T) {
	readmes, err := filepath.Glob("../../../katas/*/README.md")
	if err != nil || len(readmes) == 0 {
		t.Fatalf("no kata READMEs: %v", err)
	}
	for _, p := range readmes {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := Parse(string(data))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		for i, h := range hs {
			if h.Title == "" || h.Body == "" || strings.Contains(h.Body, "<summary>") || strings.Contains(h.Body, "</details>") || numberRE.MatchString(h.Title) {
				t.Errorf("%s: hint %d = %q: needs a title and a plain body", p, i+1, h)
			}
		}
	}
}
