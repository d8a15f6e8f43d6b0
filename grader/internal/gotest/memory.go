package gotest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// memoryPoll is how often watchMemory looks at the processes.
const memoryPoll = 100 * time.Millisecond

// watchMemory kills, with SIGKILL, each descendant of root whose resident
// set passes limit bytes, until the returned stop is called; stop returns
// what it killed, by process name. Only that process dies: go test then
// reports its package's binary as killed and goes on with the others, as it
// does for a test timeout. A process that left the process group (a
// sandbox starts a session of its own) is still a descendant, so it is
// still watched. It reads /proc and does nothing where there is none.
func watchMemory(root int, limit int64) (stop func() map[string]string) {
	killed := map[string]string{}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		if _, err := os.Stat("/proc/self/stat"); err != nil {
			return
		}
		page := int64(os.Getpagesize())
		t := time.NewTicker(memoryPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			for pid, p := range descendants(root) {
				if p.rss*page > limit && !toolchain[p.name] && pid != root {
					if syscall.Kill(pid, syscall.SIGKILL) == nil {
						killed[p.name] = fmt.Sprintf("killed: %s used more than %d MiB of memory, the limit", p.name, limit>>20)
					}
				}
			}
		}
	}()
	return func() map[string]string {
		close(done)
		<-finished
		return killed
	}
}

// toolchain are the processes of the go command and the C toolchain, which
// the limit does not cover: it is for the code under test (a big -race link
// may need more than a test binary ever should).
var toolchain = map[string]bool{"go": true, "compile": true, "link": true, "asm": true, "cgo": true, "vet": true,
	"gcc": true, "cc": true, "cc1": true, "as": true, "ld": true, "collect2": true, "test2json": true}

type proc struct {
	ppid int
	rss  int64 // pages
	name string
}

// descendants returns the processes below root (root included).
func descendants(root int) map[int]proc {
	all := map[int]proc{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... rss is field 24; comm may hold spaces
		// and parentheses, so parse from the last ')'.
		s := string(data)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 22 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		rss, _ := strconv.ParseInt(f[21], 10, 64)
		all[pid] = proc{ppid: ppid, rss: rss, name: s[open+1 : end]}
	}
	out := map[int]proc{}
	var visit func(int)
	visit = func(pid int) {
		p, ok := all[pid]
		if !ok {
			return
		}
		out[pid] = p
		for c, cp := range all {
			if cp.ppid == pid {
				if _, seen := out[c]; !seen {
					visit(c)
				}
			}
		}
	}
	visit(root)
	return out
}
