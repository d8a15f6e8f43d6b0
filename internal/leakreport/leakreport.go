// Package leakreport turns a goroutine dump into a one-line summary a learner
// can act on: where each goroutine is blocked, which of the learner's
// functions called into that wait, and which function started it.
//
// A leak report from goleak, or the dump that follows synctest's "blocked
// goroutines remain" panic, names the frame on top of the stack, which for a
// network wait is internal/poll.runtime_pollWait: true, but it does not say
// that the leaked goroutine is rpcarith's Serve loop blocked in
// net.(*TCPListener).Accept because nothing closed the listener. Summary
// does.
//
// It reads both formats: goleak's ("Goroutine 7 in state IO wait, with F on
// top of the stack:") and the runtime's ("goroutine 7 [IO wait]:").
package leakreport

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Goroutine is one goroutine of a dump.
type Goroutine struct {
	ID        int
	State     string   // "IO wait", "select", "chan receive", ...
	InBubble  bool     // the runtime marked it "synctest bubble N"
	Frames    []string // function names, innermost first, without arguments
	CreatedBy string   // the function that started it, "" if unknown
}

var (
	goleakHeader  = regexp.MustCompile(`^\[?\s*Goroutine (\d+) in state ([^,]+), with .* on top of the stack:$`)
	runtimeHeader = regexp.MustCompile(`^goroutine (\d+) (?:gp=\S+ m=\S+ mp=\S+ )?\[([^\]]*)\]:$`)
)

// Parse reads the goroutines of a dump. Lines that belong to no goroutine
// are skipped, so a dump embedded in other test output parses too.
func Parse(dump string) []Goroutine {
	var out []Goroutine
	var cur *Goroutine
	for _, line := range strings.Split(dump, "\n") {
		t := strings.TrimSpace(line)
		if m := goleakHeader.FindStringSubmatch(t); m != nil {
			id, _ := strconv.Atoi(m[1])
			out = append(out, Goroutine{ID: id, State: m[2]})
			cur = &out[len(out)-1]
			continue
		}
		if m := runtimeHeader.FindStringSubmatch(t); m != nil {
			id, _ := strconv.Atoi(m[1])
			parts := strings.Split(m[2], ", ")
			g := Goroutine{ID: id, State: strings.TrimSuffix(parts[0], " (durable)")}
			for _, p := range parts[1:] {
				if strings.HasPrefix(p, "synctest bubble") {
					g.InBubble = true
				}
			}
			out = append(out, g)
			cur = &out[len(out)-1]
			continue
		}
		switch {
		case cur == nil, t == "", t == "]":
			if t == "" {
				cur = nil
			}
		case strings.HasPrefix(line, "\t"), strings.HasPrefix(t, "/"):
			// file:line of the previous frame
		case strings.HasPrefix(t, "created by "):
			fn := strings.TrimPrefix(t, "created by ")
			if i := strings.Index(fn, " in goroutine "); i >= 0 {
				fn = fn[:i]
			}
			cur.CreatedBy = fn
		default:
			cur.Frames = append(cur.Frames, FuncName(t))
		}
	}
	return out
}

// FuncName strips the argument list from a frame line:
// "net.(*TCPListener).Accept(0xc000)" → "net.(*TCPListener).Accept".
func FuncName(frame string) string {
	if strings.HasSuffix(frame, ")") {
		depth := 0
		for i := len(frame) - 1; i >= 0; i-- {
			switch frame[i] {
			case ')':
				depth++
			case '(':
				depth--
				if depth == 0 {
					return frame[:i]
				}
			}
		}
	}
	return frame
}

// IsStd reports whether fn belongs to the standard library: its import
// path's first element has no dot (github.com/..., google.golang.org/... do).
// Every package of this module has a dotted path, so the learner's code is
// never mistaken for the standard library.
func IsStd(fn string) bool {
	first := fn
	if i := strings.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	} else if i := strings.IndexByte(first, '.'); i >= 0 {
		first = first[:i]
	}
	return !strings.Contains(first, ".")
}

// IsTest reports whether fn belongs to an external test package
// ("example.com/k_test.helper").
func IsTest(fn string) bool {
	pkg := fn
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		if j := strings.IndexByte(pkg[i:], '.'); j >= 0 {
			pkg = pkg[:i+j]
		}
	} else if j := strings.IndexByte(pkg, '.'); j >= 0 {
		pkg = pkg[:j]
	}
	return strings.HasSuffix(pkg, "_test")
}

// Short drops the import path before the package name:
// "github.com/microkata/microkata/katas/rpcarith.(*Server).Serve" →
// "rpcarith.(*Server).Serve".
func Short(fn string) string {
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

// Summary describes g in one line, e.g. "blocked in net.(*TCPListener).Accept
// [IO wait] called from rpcarith.(*Server).Serve.func1, started by
// rpcarith.(*Server).Serve (a listener that is never closed?)".
func (g Goroutine) Summary() string {
	if len(g.Frames) == 0 {
		return fmt.Sprintf("goroutine %d [%s]", g.ID, g.State)
	}
	// The wait is the outermost standard-library frame under the first
	// frame of other code; that frame is the caller worth naming.
	user := -1
	for i, f := range g.Frames {
		if !IsStd(f) {
			user = i
			break
		}
	}
	var wait, caller string
	switch {
	case user >= 0 && IsTest(g.Frames[user]):
		// A test's own fake (an in-memory listener, say) is where it
		// waits; the code under test that called it is the one to name.
		wait = g.Frames[user]
		for _, f := range g.Frames[user+1:] {
			if !IsStd(f) && !IsTest(f) {
				caller = f
				break
			}
		}
	case user > 0:
		wait, caller = g.Frames[user-1], g.Frames[user]
	case user == 0:
		wait = g.Frames[0]
	default:
		wait = g.Frames[0]
		for _, f := range g.Frames {
			if !strings.HasPrefix(f, "runtime.") && !strings.HasPrefix(f, "internal/") {
				wait = f
				break
			}
		}
	}
	s := fmt.Sprintf("blocked in %s [%s]", Short(wait), g.State)
	if caller != "" {
		s += " called from " + Short(caller)
	}
	if g.CreatedBy != "" && g.CreatedBy != caller {
		s += ", started by " + Short(g.CreatedBy)
	}
	if h := hint(wait); h != "" {
		s += " (" + h + ")"
	}
	return s
}

// hint names the usual cause of a wait that outlives its test.
func hint(wait string) string {
	switch {
	case strings.HasSuffix(wait, "Listener).Accept"), strings.HasSuffix(wait, "Listener).accept"),
		strings.HasSuffix(wait, "Listener).AcceptTCP"):
		return "a listener that is never closed?"
	case strings.HasPrefix(wait, "net.") && (strings.HasSuffix(wait, ").Read") || strings.HasSuffix(wait, ").read") ||
		strings.HasSuffix(wait, ").Write") || strings.HasSuffix(wait, ").write")):
		return "a connection that is never closed?"
	case strings.HasPrefix(wait, "time.Sleep"):
		return "a sleep that outlives the test?"
	case strings.HasPrefix(wait, "sync.(*Mutex).Lock"), strings.HasPrefix(wait, "sync.(*RWMutex).Lock"),
		strings.HasPrefix(wait, "sync.(*RWMutex).RLock"):
		return "a Lock without its Unlock on some path, or a lock taken twice?"
	}
	return ""
}

// ByBlame orders gs for a reader: goroutines running code that is neither
// the standard library nor a test package (the code under test) first, then
// those running only test code, and it drops those that run only
// standard-library code (testing and synctest machinery) unless nothing else
// is left. The order within each group is kept.
func ByBlame(gs []Goroutine) []Goroutine {
	var under, tests, std []Goroutine
	for _, g := range gs {
		switch g.blame() {
		case 0:
			under = append(under, g)
		case 1:
			tests = append(tests, g)
		default:
			std = append(std, g)
		}
	}
	if len(under)+len(tests) == 0 {
		return std
	}
	return append(under, tests...)
}

// RunsCodeUnderTest reports whether g runs a function that is neither the
// standard library, nor a test package, nor a package whose path contains
// one of the helpers fragments (for example "/internal/katatest.", whose
// hammer starts the goroutines that call the code under test).
func RunsCodeUnderTest(g Goroutine, helpers ...string) bool {
	for _, f := range append(g.Frames, g.CreatedBy) {
		if f == "" || IsStd(f) || IsTest(f) || containsAny(f, helpers) {
			continue
		}
		return true
	}
	return false
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// blame is 0 when g runs code under test, 1 when it runs only test code
// besides the standard library, 2 when it runs only the standard library.
func (g Goroutine) blame() int {
	b := 2
	for _, f := range append(g.Frames, g.CreatedBy) {
		switch {
		case f == "" || IsStd(f):
		case IsTest(f):
			b = min(b, 1)
		default:
			return 0
		}
	}
	return b
}

// Summarize describes the goroutines of gs, one clause per distinct summary
// with a count when several goroutines share it, at most max clauses, and
// how many goroutines the clauses left out:
// "3 goroutines: 2× blocked in ...; blocked in ...".
func Summarize(gs []Goroutine, max int) string {
	if len(gs) == 0 {
		return ""
	}
	var order []string
	count := map[string]int{}
	for _, g := range gs {
		s := g.Summary()
		if count[s] == 0 {
			order = append(order, s)
		}
		count[s]++
	}
	parts := make([]string, 0, max+1)
	shown := 0
	for i, s := range order {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(gs)-shown))
			break
		}
		n := count[s]
		if n > 1 {
			s = fmt.Sprintf("%d× %s", n, s)
		}
		parts = append(parts, s)
		shown += n
	}
	noun := "goroutines"
	if len(gs) == 1 {
		noun = "goroutine"
	}
	return fmt.Sprintf("%d %s: %s", len(gs), noun, strings.Join(parts, "; "))
}
