package practice

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchEnv forces the polling watcher when set to "poll" (for a file system
// where inotify misses changes, such as some network mounts, and for tests).
const WatchEnv = "MICROKATA_WATCH"

// Debounce is how long the folder must be quiet after a change before the
// tests run: editors save through a temporary file and a rename, or in
// several writes, and all of that is one save.
const Debounce = 150 * time.Millisecond

// pollEvery is the polling watcher's period.
const pollEvery = 400 * time.Millisecond

// Watcher reports saves of a kata folder's Go files, one event per save.
type Watcher struct {
	// Kind says how it watches: "fsnotify (inotify)" or "polling every 400ms".
	Kind    string
	Changes <-chan struct{}
	close   func()
}

// Close stops the watcher.
func (w *Watcher) Close() { w.close() }

// Watch watches dir's .go files (not its subfolders). It uses fsnotify and
// falls back to polling when fsnotify cannot watch the folder (no inotify,
// too many watches) or when $MICROKATA_WATCH is "poll".
func Watch(ctx context.Context, dir string) (*Watcher, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan struct{}, 1)
	raw := make(chan struct{}, 1)
	kick := func() {
		select {
		case raw <- struct{}{}:
		default:
		}
	}
	kind := ""
	if os.Getenv(WatchEnv) != "poll" {
		if fw, err := fsnotify.NewWatcher(); err == nil {
			if err := fw.Add(dir); err == nil {
				kind = "fsnotify (" + backend() + ")"
				go func() {
					defer fw.Close()
					for {
						select {
						case <-ctx.Done():
							return
						case e, ok := <-fw.Events:
							if !ok {
								return
							}
							if relevant(e.Name) && e.Op != fsnotify.Chmod {
								kick()
							}
						case _, ok := <-fw.Errors:
							if !ok {
								return
							}
							kick() // a lost event (overflow): look again
						}
					}
				}()
			} else {
				fw.Close()
			}
		}
	}
	if kind == "" {
		kind = fmt.Sprintf("polling every %v", pollEvery)
		go poll(ctx, dir, kick)
	}
	go debounce(ctx, raw, out)
	return &Watcher{Kind: kind, Changes: out, close: cancel}, nil
}

func backend() string {
	switch runtime.GOOS {
	case "linux", "android":
		return "inotify"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	case "windows":
		return "ReadDirectoryChangesW"
	}
	return "native"
}

// relevant reports whether a changed file name matters: Go files, not the
// droppings of editors (.#lru.go, lru.go~, 4913, .lru.go.swp).
func relevant(name string) bool {
	base := filepath.Base(name)
	return strings.HasSuffix(base, ".go") && !strings.HasPrefix(base, ".") && !strings.HasPrefix(base, "#")
}

// debounce turns bursts on in into one event on out, sent once in has been
// quiet for Debounce.
func debounce(ctx context.Context, in <-chan struct{}, out chan<- struct{}) {
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-in:
			if timer == nil {
				timer = time.NewTimer(Debounce)
			} else {
				timer.Reset(Debounce)
			}
			fire = timer.C
		case <-fire:
			fire = nil
			select {
			case out <- struct{}{}:
			default: // a run is already pending
			}
		}
	}
}

// poll compares the Go files' names, sizes and modification times every
// pollEvery and calls kick when they change.
func poll(ctx context.Context, dir string, kick func()) {
	last := snapshot(dir)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := snapshot(dir)
			if now == last {
				continue
			}
			// A tick may land inside a save made of several writes: wait
			// until the files hold still, so that the save is one change.
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(Debounce):
				}
				again := snapshot(dir)
				if again == now {
					break
				}
				now = again
			}
			last = now
			kick()
		}
	}
}

func snapshot(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "error: " + err.Error()
	}
	var parts []string
	for _, e := range ents {
		if !relevant(e.Name()) {
			continue
		}
		if fi, err := e.Info(); err == nil {
			parts = append(parts, fmt.Sprintf("%s %d %d", e.Name(), fi.Size(), fi.ModTime().UnixNano()))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}
