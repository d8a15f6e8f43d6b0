package practice

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// wait returns true if w reports a change within d.
func wait(w *Watcher, d time.Duration) bool {
	select {
	case <-w.Changes:
		return true
	case <-time.After(d):
		return false
	}
}

// Both watchers, fsnotify and the polling fallback, turn an editor's save
// (a write, or a temporary file renamed over the original) into one change,
// and ignore files that are not Go or are an editor's droppings.
func TestWatch(t *testing.T) {
	for _, mode := range []string{"", "poll"} {
		t.Run("mode="+mode, func(t *testing.T) {
			t.Setenv(WatchEnv, mode)
			dir := t.TempDir()
			src := filepath.Join(dir, "lru.go")
			if err := os.WriteFile(src, []byte("package lru\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := Watch(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if mode == "poll" && w.Kind != "polling every 400ms" || mode == "" && w.Kind != "fsnotify (inotify)" {
				t.Fatalf("Kind = %q with %s=%q", w.Kind, WatchEnv, mode)
			}

			// Droppings: nothing.
			os.WriteFile(filepath.Join(dir, ".lru.go.swp"), []byte("x"), 0o644)
			os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
			if wait(w, 1200*time.Millisecond) {
				t.Fatal("a change of a file that is not Go was reported")
			}

			// A save in several writes: one change.
			for i := range 3 {
				os.WriteFile(src, []byte("package lru\n// "+string(rune('a'+i))+"\n"), 0o644)
				time.Sleep(20 * time.Millisecond)
			}
			if !wait(w, 3*time.Second) {
				t.Fatal("a save was not reported")
			}
			if wait(w, 600*time.Millisecond) {
				t.Fatal("one save was reported twice")
			}

			// A save through a temporary file and a rename.
			tmp := filepath.Join(dir, "lru.go.tmp~")
			os.WriteFile(tmp, []byte("package lru\n// renamed\n"), 0o644)
			if err := os.Rename(tmp, src); err != nil {
				t.Fatal(err)
			}
			if !wait(w, 3*time.Second) {
				t.Fatal("a save by rename was not reported")
			}
		})
	}
}
