//go:build microkata_hidden

package heartbeat_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/heartbeat"
	ref "github.com/microkata/microkata/solutions/heartbeat"
)

const (
	hI = 5 * time.Second
	hT = 15 * time.Second
	// hHangCause is the watchdog's hint.
	hHangCause = "lock held across Probe or OnChange? (a goroutine waiting on a sync.Mutex stops virtual time)"
)

const (
	hU = heartbeat.Unknown
	hA = heartbeat.Alive
	hS = heartbeat.Suspect
	hD = heartbeat.Dead
)

// hErrDown is what a failing fake probe returns.
var hErrDown = errors.New("hidden: node did not answer")

// hEpoch is where the clock of every synctest bubble starts; messages write
// instants as t0+d.
var hEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// hAt writes an instant of a bubble as t0+d.
func hAt(t time.Time) string { return hRel(t, hEpoch, "t0") }

// hRel writes t relative to base, which messages call baseName: S+5s.
func hRel(t, base time.Time, baseName string) string {
	switch d := t.Sub(base); {
	case d == 0:
		return baseName
	case d < 0:
		return baseName + "-" + (-d).String()
	default:
		return baseName + "+" + d.String()
	}
}

// hName writes a Status as the README does, without relying on the code
// under test's String method.
func hName(s heartbeat.Status) string {
	switch s {
	case hU:
		return "unknown"
	case hA:
		return "alive"
	case hS:
		return "suspect"
	case hD:
		return "dead"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// hCfg writes a Config field by field.
func hCfg(c heartbeat.Config) string {
	return fmt.Sprintf("Config{Interval: %v, Timeout: %v, Retries: %d}", c.Interval, c.Timeout, c.Retries)
}

// hEvent writes an event as `a alive→suspect at t0+20s`.
func hEvent(ev heartbeat.Event) string {
	return fmt.Sprintf("%s %s→%s at %s", ev.Node, hName(ev.From), hName(ev.To), hAt(ev.At))
}

// hEvents writes events with their times, or "none".
func hEvents(evs []heartbeat.Event) string {
	if len(evs) == 0 {
		return "none"
	}
	s := make([]string, len(evs))
	for i, ev := range evs {
		s[i] = hEvent(ev)
	}
	return strings.Join(s, ", ")
}

// hEventsRel writes events with their times relative to base, which
// messages call baseName, or "none".
func hEventsRel(evs []heartbeat.Event, base time.Time, baseName string) string {
	if len(evs) == 0 {
		return "none"
	}
	s := make([]string, len(evs))
	for i, ev := range evs {
		s[i] = fmt.Sprintf("%s %s→%s at %s", ev.Node, hName(ev.From), hName(ev.To), hRel(ev.At, base, baseName))
	}
	return strings.Join(s, ", ")
}

// hChanges writes events without their times: `a unknown→alive, a
// alive→suspect`, or "none".
func hChanges(evs []heartbeat.Event) string {
	if len(evs) == 0 {
		return "none"
	}
	s := make([]string, len(evs))
	for i, ev := range evs {
		s[i] = fmt.Sprintf("%s %s→%s", ev.Node, hName(ev.From), hName(ev.To))
	}
	return strings.Join(s, ", ")
}

// hChain writes the changes of node through statuses, as hChanges does.
func hChain(node string, statuses ...heartbeat.Status) string {
	s := make([]string, len(statuses)-1)
	for i := range s {
		s[i] = fmt.Sprintf("%s %s→%s", node, hName(statuses[i]), hName(statuses[i+1]))
	}
	return strings.Join(s, ", ")
}

// hRec records OnChange events and checks each node's chain as they arrive
// (rule 14). forget restarts a node's chain, as Forget does (rule 5).
type hRec struct {
	t      *testing.T
	mu     sync.Mutex
	events []heartbeat.Event
	last   map[string]heartbeat.Status
}

func hNewRec(t *testing.T) *hRec { return &hRec{t: t, last: map[string]heartbeat.Status{}} }

func (r *hRec) on(ev heartbeat.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev := r.last[ev.Node]; ev.From != prev {
		r.t.Errorf("OnChange(%s): From must be the To of the previous event for %q, %s", hEvent(ev), ev.Node, hName(prev))
	}
	if ev.From == ev.To {
		r.t.Errorf("OnChange(%s): From == To", hEvent(ev))
	}
	r.last[ev.Node] = ev.To
	r.events = append(r.events, ev)
}

func (r *hRec) forget(node string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.last, node)
}

// take returns the events recorded since the last take.
func (r *hRec) take() []heartbeat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.events
	r.events = nil
	return got
}

// hCall is one call of a fake prober: which node, when it started and its
// ctx deadline.
type hCall struct {
	Node            string
	Start, Deadline time.Time
}

// hCalls writes probe calls relative to base, which messages call baseName:
// `a at S (deadline S+5s), a at S+5s (deadline S+10s)`, or "none".
func hCalls(calls []hCall, base time.Time, baseName string) string {
	if len(calls) == 0 {
		return "none"
	}
	s := make([]string, len(calls))
	for i, c := range calls {
		dl := "no deadline"
		if !c.Deadline.IsZero() {
			dl = "deadline " + hRel(c.Deadline, base, baseName)
		}
		s[i] = fmt.Sprintf("%s at %s (%s)", c.Node, hRel(c.Start, base, baseName), dl)
	}
	return strings.Join(s, ", ")
}

// hEvery returns the calls a schedule of n probes of node every Interval
// from start makes, each with a deadline one Interval after its start.
func hEvery(node string, start time.Time, n int) []hCall {
	var calls []hCall
	for k := range n {
		s := start.Add(time.Duration(k) * hI)
		calls = append(calls, hCall{node, s, s.Add(hI)})
	}
	return calls
}

// hProber is a fake prober. behave(node, i) says what call i (0-based, over
// all nodes) does: "ok", "fail" (at once), "hang" (until ctx is done),
// "late-nil" (sleeps one Interval, ignoring ctx, then returns nil) or
// "slow-nil" (sleeps 12 s, ignoring ctx, then returns nil).
type hProber struct {
	mu     sync.Mutex
	calls  []hCall
	doneAt []time.Time // when a hung call saw its ctx done
	behave func(node string, i int) string
}

func (p *hProber) Probe(ctx context.Context, node string) error {
	dl, _ := ctx.Deadline()
	p.mu.Lock()
	i := len(p.calls)
	p.calls = append(p.calls, hCall{node, time.Now(), dl})
	p.mu.Unlock()
	switch p.behave(node, i) {
	case "ok":
		return nil
	case "hang":
		<-ctx.Done()
		p.mu.Lock()
		p.doneAt = append(p.doneAt, time.Now())
		p.mu.Unlock()
		return ctx.Err()
	case "late-nil":
		time.Sleep(hI)
		return nil
	case "slow-nil":
		time.Sleep(12 * time.Second)
		return nil
	default:
		return hErrDown
	}
}

func (p *hProber) got() []hCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]hCall(nil), p.calls...)
}

func (p *hProber) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

func hAlways(what string) func(string, int) string {
	return func(string, int) string { return what }
}

// hStartRun starts d.Run in the bubble; the returned stop cancels it and
// requires that it returned nil by the time every goroutine is idle.
func hStartRun(t *testing.T, d *heartbeat.Detector) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			synctest.Wait()
			select {
			case err := <-done:
				assert.NoError(t, err, "Run(ctx) after ctx was cancelled at %s", hAt(time.Now()))
			default:
				t.Errorf("Run(ctx) did not return after ctx was cancelled at %s and every goroutine was idle", hAt(time.Now()))
				<-done
			}
		})
	}
}

func hSleepUntil(at time.Time) {
	time.Sleep(time.Until(at))
	synctest.Wait()
}

// hAwait polls rec every 250 ms of virtual time until it holds at least n
// events or the clock passes limit, and returns every event taken. Tests use
// it to learn the Suspect instant S soon after it, before acting relative
// to S. setup describes the test for the message.
func hAwait(t *testing.T, rec *hRec, n int, limit time.Time, setup string) []heartbeat.Event {
	t.Helper()
	synctest.Wait()
	got := rec.take()
	for len(got) < n && !time.Now().After(limit) {
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		got = append(got, rec.take()...)
	}
	if len(got) < n {
		t.Fatalf("%s: events by %s: %s; want at least %d", setup, hAt(limit), hEvents(got), n)
	}
	return got
}

// hBounds checks lo <= got <= hi.
func hBounds(t *testing.T, got, lo, hi time.Time, what string) {
	t.Helper()
	if got.Before(lo) || got.After(hi) {
		t.Errorf("%s at %s; want it between %s and %s", what, hAt(got), hAt(lo), hAt(hi))
	}
}

// hStatusIs checks a Status, naming it in the message. It may be called from
// any goroutine.
func hStatusIs(t *testing.T, want, got heartbeat.Status, call string, args ...any) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %s, want %s", fmt.Sprintf(call, args...), hName(got), hName(want))
	}
}

// hTry runs fn and returns the value it panicked with, or nil. The stub's
// "not implemented" panic is not recovered.
func hTry(fn func()) (pv any) {
	defer func() {
		pv = recover()
		if pv == "not implemented" { // the stub: the grader reports it as not started
			panic(pv)
		}
	}()
	fn()
	return nil
}

// hNew calls New and stops the test unless it returns a detector and nil.
func hNew(t *testing.T, cfg heartbeat.Config, opts ...heartbeat.Option) *heartbeat.Detector {
	t.Helper()
	var (
		d   *heartbeat.Detector
		err error
	)
	if pv := hTry(func() { d, err = heartbeat.New(cfg, opts...) }); pv != nil {
		t.Fatalf("New(%s, %d options) panicked: %v", hCfg(cfg), len(opts), pv)
	}
	if err != nil || d == nil {
		t.Fatalf("New(%s, %d options) = %s, %s; want a detector, nil", hCfg(cfg), len(opts), hDetector(d != nil), hErr(err))
	}
	return d
}

// hErr writes an error for messages: nil, or its text quoted.
func hErr(err error) string {
	if err == nil {
		return "nil"
	}
	return fmt.Sprintf("%q", err.Error())
}

// hDetector says what New returned in place of the detector.
func hDetector(ok bool) string {
	if ok {
		return "a detector"
	}
	return "nil"
}

// hEqual checks two strings written by the helpers above; msg and args
// describe what was called.
func hEqual(t *testing.T, want, got string, msg string, args ...any) bool {
	t.Helper()
	return assert.Equal(t, want, got, append([]any{msg}, args...)...)
}

// TestHiddenConfigValidation checks the edges of New's validation.
//
// Category: config
func TestHiddenConfigValidation(t *testing.T) {
	katatest.Guard(t)
	valid := []heartbeat.Config{
		{Interval: hI, Timeout: hI, Retries: 0},
		{Interval: 1, Timeout: 1, Retries: 0},
		{Interval: 1, Timeout: 1, Retries: math.MaxInt64 - 2}, // T + R·I = MaxInt64 − 1
		{Interval: time.Hour, Timeout: math.MaxInt64 - 1, Retries: 0},
	}
	for _, cfg := range valid {
		call := "New(" + hCfg(cfg) + ")"
		var (
			d   *heartbeat.Detector
			err error
		)
		if pv := hTry(func() { d, err = heartbeat.New(cfg) }); pv != nil {
			t.Errorf("%s panicked: %v", call, pv)
			continue
		}
		if err != nil || d == nil {
			t.Errorf("%s = %s, %s; want a detector, nil", call, hDetector(d != nil), hErr(err))
		}
	}
	p := heartbeat.ProberFunc(func(context.Context, string) error { return nil })
	invalid := []struct {
		call string
		cfg  heartbeat.Config
		opts []heartbeat.Option
	}{
		{"", heartbeat.Config{Interval: time.Hour, Timeout: time.Hour, Retries: math.MaxInt}, nil}, // T + R·I overflows
		{"", heartbeat.Config{Interval: 1, Timeout: 1, Retries: math.MaxInt64 - 1}, nil},           // T + R·I = MaxInt64
		{"", heartbeat.Config{Interval: time.Hour, Timeout: math.MaxInt64, Retries: 0}, nil},
		{"", heartbeat.Config{Interval: hI, Timeout: 0, Retries: 3}, nil},
		{"", heartbeat.Config{Interval: -1, Timeout: -1, Retries: -1}, nil},
		{"New(DefaultConfig(), WithProber(nil))", heartbeat.DefaultConfig(), []heartbeat.Option{heartbeat.WithProber(nil)}},
		{"New(DefaultConfig(), WithProber(p), WithOnChange(nil))", heartbeat.DefaultConfig(), []heartbeat.Option{heartbeat.WithProber(p), heartbeat.WithOnChange(nil)}},
	}
	for _, tc := range invalid {
		call := tc.call
		if call == "" {
			call = "New(" + hCfg(tc.cfg) + ")"
		}
		var (
			d   *heartbeat.Detector
			err error
		)
		if pv := hTry(func() { d, err = heartbeat.New(tc.cfg, tc.opts...) }); pv != nil {
			t.Errorf("%s panicked: %v", call, pv)
			continue
		}
		if d != nil || !errors.Is(err, heartbeat.ErrInvalidConfig) {
			t.Errorf("%s = %s, %s; want nil, an error matching ErrInvalidConfig", call, hDetector(d != nil), hErr(err))
		}
	}
}

// TestHiddenBoundaryInclusive checks StatusAt at the exact nanosecond of
// each threshold, in both modes.
//
// Category: boundary
func TestHiddenBoundaryInclusive(t *testing.T) {
	p := heartbeat.ProberFunc(func(context.Context, string) error { return nil })
	for _, tc := range []struct {
		name   string
		cfg    heartbeat.Config
		active bool
		at     []time.Duration
		want   []heartbeat.Status
	}{
		{"default passive", heartbeat.DefaultConfig(), false,
			[]time.Duration{-time.Hour, -1, 0, hT, hT + 1, 30 * time.Second, 30*time.Second + 1, time.Hour},
			[]heartbeat.Status{hA, hA, hA, hA, hS, hS, hD, hD}},
		{"{1s,1s,2} passive", heartbeat.Config{Interval: time.Second, Timeout: time.Second, Retries: 2}, false,
			[]time.Duration{time.Second, time.Second + 1, 3 * time.Second, 3*time.Second + 1},
			[]heartbeat.Status{hA, hS, hS, hD}},
		{"{5s,15s,0} passive", heartbeat.Config{Interval: hI, Timeout: hT, Retries: 0}, false,
			[]time.Duration{hT, hT + 1},
			[]heartbeat.Status{hA, hD}},
		{"default active, no Run", heartbeat.DefaultConfig(), true,
			[]time.Duration{-time.Hour, hT, hT + 1, 30*time.Second + 1, 1000 * time.Hour},
			[]heartbeat.Status{hA, hA, hS, hS, hS}},
		{"{5s,15s,0} active", heartbeat.Config{Interval: hI, Timeout: hT, Retries: 0}, true,
			[]time.Duration{hT, hT + 1, time.Hour},
			[]heartbeat.Status{hA, hD, hD}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				var opts []heartbeat.Option
				mode := "passive"
				if tc.active {
					opts = append(opts, heartbeat.WithProber(p))
					mode = "WithProber(...), no Run"
				}
				d := hNew(t, tc.cfg, opts...)
				time.Sleep(time.Hour) // so that negative ages stay after the zero time
				hb := time.Now()
				d.Heartbeat("a", 1)
				for i, at := range tc.at {
					hStatusIs(t, tc.want[i], d.StatusAt("a", hb.Add(at)), "New(%s), %s; Heartbeat(\"a\", 1) at t0+1h; StatusAt(\"a\", %s)", hCfg(tc.cfg), mode, hAt(hb.Add(at)))
				}
			})
		})
	}
}

// hOp is one step of the StatusAt differential test: a Heartbeat or a
// Forget at an offset from the start.
type hOp struct {
	at     time.Duration
	node   string
	seq    uint64
	forget bool
}

// hDiffReplay replays ops from now on a new detector of the code under test
// and of the reference, then returns both answers to StatusAt(node, start +
// q).
func hDiffReplay(cfg heartbeat.Config, ops []hOp, node string, q time.Duration) (got, want heartbeat.Status) {
	start := time.Now()
	d, _ := heartbeat.New(cfg)
	r, _ := ref.New(ref.Config(cfg))
	for _, op := range ops {
		time.Sleep(time.Until(start.Add(op.at)))
		if op.forget {
			d.Forget(op.node)
			r.Forget(op.node)
			continue
		}
		d.Heartbeat(op.node, op.seq)
		r.Heartbeat(op.node, op.seq)
	}
	return d.StatusAt(node, start.Add(q)), heartbeat.Status(r.StatusAt(node, start.Add(q)))
}

// hShrinkOps removes steps from ops while StatusAt(node, start + q) still
// differs from the reference: first every other node's steps, then chunks
// and single steps.
func hShrinkOps(cfg heartbeat.Config, ops []hOp, node string, q time.Duration) []hOp {
	fails := func(ops []hOp) bool { g, w := hDiffReplay(cfg, ops, node, q); return g != w }
	var own []hOp
	for _, op := range ops {
		if op.node == node {
			own = append(own, op)
		}
	}
	if fails(own) {
		ops = own
	}
	for size := len(ops) / 2; size >= 1; size /= 2 {
		for i := 0; i+size <= len(ops); {
			if try := slices.Concat(ops[:i], ops[i+size:]); fails(try) {
				ops = try
			} else {
				i++
			}
		}
	}
	return ops
}

// hDiffCalls writes a shrunk differential case as Go calls.
func hDiffCalls(cfg heartbeat.Config, ops []hOp, node string, q time.Duration) string {
	got, want := hDiffReplay(cfg, ops, node, q)
	var b strings.Builder
	fmt.Fprintf(&b, "d, _ := heartbeat.New(heartbeat.%s); t0 := time.Now()", hCfg(cfg))
	last := time.Duration(0)
	for _, op := range ops {
		if op.at > last {
			fmt.Fprintf(&b, "; time.Sleep(%v)", op.at-last)
			last = op.at
		}
		if op.forget {
			fmt.Fprintf(&b, "; d.Forget(%q)", op.node)
		} else {
			fmt.Fprintf(&b, "; d.Heartbeat(%q, %d)", op.node, op.seq)
		}
	}
	fmt.Fprintf(&b, "; d.StatusAt(%q, t0.Add(%v)) = %s, want %s", node, q, hName(got), hName(want))
	return b.String()
}

// TestHiddenStatusAtDifferential compares StatusAt with the reference after
// random heartbeats (stale ones included) and Forgets. A mismatch is shrunk
// to a short sequence of calls that reproduces it.
//
// Category: differential
func TestHiddenStatusAtDifferential(t *testing.T) {
	for ci, cfg := range []heartbeat.Config{
		heartbeat.DefaultConfig(),
		{Interval: time.Second, Timeout: time.Second, Retries: 2},
		{Interval: 2 * time.Second, Timeout: 7 * time.Second, Retries: 0},
	} {
		t.Run(fmt.Sprint(cfg), func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(42, uint64(ci)))
				nodes := make([]string, 20)
				for i := range nodes {
					nodes[i] = fmt.Sprintf("n%d", i)
				}
				var ops []hOp
				for now := time.Duration(0); now < 3*time.Minute; {
					now += time.Duration(rng.IntN(3000)+1) * time.Millisecond
					n := nodes[rng.IntN(len(nodes))]
					if rng.IntN(20) == 0 {
						ops = append(ops, hOp{at: now, node: n, forget: true})
						continue
					}
					ops = append(ops, hOp{at: now, node: n, seq: uint64(rng.IntN(40))})
				}
				end := ops[len(ops)-1].at

				t0 := time.Now()
				d := hNew(t, cfg)
				r, err := ref.New(ref.Config(cfg))
				require.NoError(t, err)
				for _, op := range ops {
					time.Sleep(time.Until(t0.Add(op.at)))
					if op.forget {
						d.Forget(op.node)
						r.Forget(op.node)
						continue
					}
					d.Heartbeat(op.node, op.seq)
					r.Heartbeat(op.node, op.seq)
				}
				for range 1000 {
					n := nodes[rng.IntN(len(nodes))]
					q := time.Duration(rng.Int64N(int64(end + time.Minute)))
					if d.StatusAt(n, t0.Add(q)) != heartbeat.Status(r.StatusAt(n, t0.Add(q))) {
						small := hShrinkOps(cfg, ops, n, q)
						t.Fatalf("differs from the reference: %s", hDiffCalls(cfg, small, n, q))
					}
				}
			})
		})
	}
}

// TestHiddenNoRunNoTimeEvents checks that without Run nothing is probed and
// only heartbeats produce events, while Status still follows the clock.
//
// Category: behaviour
func TestHiddenNoRunNoTimeEvents(t *testing.T) {
	for _, active := range []bool{false, true} {
		t.Run(fmt.Sprintf("active=%v", active), func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				p := &hProber{behave: hAlways("fail")}
				opts := []heartbeat.Option{heartbeat.WithOnChange(rec.on)}
				setup := `New(DefaultConfig(), WithOnChange(...)), no Run, Heartbeat("a", 1) at t0`
				if active {
					opts = append(opts, heartbeat.WithProber(p))
					setup = `New(DefaultConfig(), WithOnChange(...), WithProber(a prober that fails)), no Run, Heartbeat("a", 1) at t0`
				}
				d := hNew(t, heartbeat.DefaultConfig(), opts...)
				d.Heartbeat("a", 1)
				synctest.Wait()
				hSleepUntil(t0.Add(time.Minute))
				hEqual(t, "a unknown→alive at t0", hEvents(rec.take()), "%s: events by t0+1m (only the heartbeat's)", setup)
				want := hD
				if active {
					want = hS
				}
				hStatusIs(t, want, d.Status("a"), "%s: Status(\"a\") at t0+1m (it follows the clock without Run)", setup)
				hEqual(t, "none", hCalls(p.got(), t0, "t0"), "%s: probes by t0+1m", setup)
			})
		})
	}
}

// TestHiddenStaleHeartbeatIgnored checks that stale and duplicate seqs do
// not refresh a node and emit nothing.
//
// Category: behaviour
func TestHiddenStaleHeartbeatIgnored(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...)), Run from t0; Heartbeat("a", 5) at t0+1ms, Heartbeat("a", 3) at t0+9s, Heartbeat("a", 5) at t0+12s`
		hb := t0.Add(time.Millisecond)
		hSleepUntil(hb)
		d.Heartbeat("a", 5)
		hSleepUntil(t0.Add(9 * time.Second))
		d.Heartbeat("a", 3)
		hSleepUntil(t0.Add(12 * time.Second))
		d.Heartbeat("a", 5)
		synctest.Wait()
		hStatusIs(t, hA, d.StatusAt("a", hb.Add(hT)), "%s; StatusAt(\"a\", t0+15.001s)", setup)
		hStatusIs(t, hS, d.StatusAt("a", hb.Add(hT+1)), "%s; StatusAt(\"a\", t0+15.001s+1ns) (the stale and duplicate heartbeats must not refresh the node)", setup)
		hEqual(t, hChain("a", hU, hA), hChanges(rec.take()), "%s: events by t0+12s (ignored heartbeats emit nothing)", setup)

		hSleepUntil(hb.Add(20*time.Second + 1))
		hEqual(t, hChain("a", hA, hS), hChanges(rec.take()), "%s: events from t0+12s to t0+20.001s+1ns", setup)
		hSleepUntil(t0.Add(21 * time.Second))
		d.Heartbeat("a", 6)
		synctest.Wait()
		hEqual(t, "a suspect→alive at t0+21s", hEvents(rec.take()), "%s; Heartbeat(\"a\", 6) at t0+21s (newer): events", setup)
		hStatusIs(t, hA, d.StatusAt("a", t0.Add(36*time.Second)), "%s; Heartbeat(\"a\", 6) at t0+21s; StatusAt(\"a\", t0+36s)", setup)
		hStatusIs(t, hS, d.StatusAt("a", t0.Add(36*time.Second+1)), "%s; Heartbeat(\"a\", 6) at t0+21s; StatusAt(\"a\", t0+36s+1ns)", setup)
	})
}

// TestHiddenDeadNeedsHigherSeq checks that a Dead node (passive, and
// declared Dead by probes) comes back only with a newer seq.
//
// Category: behaviour
func TestHiddenDeadNeedsHigherSeq(t *testing.T) {
	for _, active := range []bool{false, true} {
		t.Run(fmt.Sprintf("active=%v", active), func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				opts := []heartbeat.Option{heartbeat.WithOnChange(rec.on)}
				setup := `New(DefaultConfig(), WithOnChange(...)), Run from t0, Heartbeat("a", 5) at t0+1ms`
				if active {
					opts = append(opts, heartbeat.WithProber(&hProber{behave: hAlways("fail")}))
					setup = `New(DefaultConfig(), WithOnChange(...), WithProber(a prober that fails)), Run from t0, Heartbeat("a", 5) at t0+1ms`
				}
				d := hNew(t, heartbeat.DefaultConfig(), opts...)
				stop := hStartRun(t, d)
				defer stop()
				hSleepUntil(t0.Add(time.Millisecond))
				d.Heartbeat("a", 5)
				hSleepUntil(t0.Add(40*time.Second + 3*time.Millisecond))
				got := rec.take()
				if !hEqual(t, hChain("a", hU, hA, hS, hD), hChanges(got), "%s: events by t0+40.003s", setup) {
					return
				}
				for _, seq := range []uint64{5, 4, 0} {
					d.Heartbeat("a", seq)
					synctest.Wait()
					hStatusIs(t, hD, d.Status("a"), "%s; dead; Heartbeat(\"a\", %d) at t0+40.003s (not newer than 5); Status(\"a\")", setup, seq)
				}
				hEqual(t, "none", hEvents(rec.take()), "%s; dead; Heartbeat(\"a\", 5), (\"a\", 4), (\"a\", 0) at t0+40.003s: events", setup)
				hSleepUntil(t0.Add(41*time.Second + 7*time.Millisecond))
				d.Heartbeat("a", 6)
				synctest.Wait()
				hEqual(t, "a dead→alive at t0+41.007s", hEvents(rec.take()), "%s; dead; Heartbeat(\"a\", 6) at t0+41.007s: events", setup)
				hStatusIs(t, hA, d.Status("a"), "%s; dead; Heartbeat(\"a\", 6) at t0+41.007s; Status(\"a\")", setup)
			})
		})
	}
}

// TestHiddenRetriesZero checks that with Retries 0 a node goes from Alive
// straight to Dead, in one event, without probes.
//
// Category: timing
func TestHiddenRetriesZero(t *testing.T) {
	for _, active := range []bool{false, true} {
		t.Run(fmt.Sprintf("active=%v", active), func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				p := &hProber{behave: hAlways("fail")}
				opts := []heartbeat.Option{heartbeat.WithOnChange(rec.on)}
				setup := `New(Config{Interval: 5s, Timeout: 15s, Retries: 0}, WithOnChange(...)), Run from t0, Heartbeat("a", 1) at t0+1ms`
				if active {
					opts = append(opts, heartbeat.WithProber(p))
					setup = `New(Config{Interval: 5s, Timeout: 15s, Retries: 0}, WithOnChange(...), WithProber(a prober that fails)), Run from t0, Heartbeat("a", 1) at t0+1ms`
				}
				d := hNew(t, heartbeat.Config{Interval: hI, Timeout: hT, Retries: 0}, opts...)
				stop := hStartRun(t, d)
				defer stop()
				hb := t0.Add(time.Millisecond)
				hSleepUntil(hb)
				d.Heartbeat("a", 1)
				hSleepUntil(hb.Add(hT))
				hStatusIs(t, hA, d.Status("a"), "%s: Status(\"a\") at t0+15.001s", setup)
				hSleepUntil(hb.Add(hT + 1))
				hStatusIs(t, hD, d.Status("a"), "%s: Status(\"a\") at t0+15.001s+1ns", setup)
				hSleepUntil(hb.Add(time.Minute))
				got := rec.take()
				if !hEqual(t, hChain("a", hU, hA, hD), hChanges(got), "%s: events by t0+1m0.001s", setup) {
					return
				}
				hBounds(t, got[1].At, hb.Add(hT+1), hb.Add(hT+hI+1), setup+": the alive→dead event")
				hEqual(t, "none", hCalls(p.got(), t0, "t0"), "%s: probes by t0+1m0.001s (with Retries 0 nothing is probed)", setup)
			})
		})
	}
}

// TestHiddenForgetThenRejoin checks that Forget drops the node and its seq
// history, emits nothing, and that the node rejoins with any seq.
//
// Category: behaviour
func TestHiddenForgetThenRejoin(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...)), Run from t0; Heartbeat("a", 5) and Heartbeat("b", 1) at t0+1ms; Forget("a") and Forget("never-seen") at t0+7s`
		hSleepUntil(t0.Add(time.Millisecond))
		d.Heartbeat("a", 5)
		d.Heartbeat("b", 1)
		hSleepUntil(t0.Add(7 * time.Second))
		d.Forget("a")
		d.Forget("never-seen")
		rec.forget("a")
		hStatusIs(t, hU, d.Status("a"), "%s; Status(\"a\")", setup)
		hStatusIs(t, hU, d.StatusAt("a", t0.Add(time.Millisecond)), "%s; StatusAt(\"a\", t0+1ms)", setup)
		hStatusIs(t, hU, d.Status("never-seen"), "%s; Status(\"never-seen\") (forgetting an unknown node does nothing)", setup)
		hSleepUntil(t0.Add(2*time.Minute + 7*time.Second))
		hEqual(t, hChain("a", hU, hA)+", "+hChain("b", hU, hA, hS, hD), hChanges(rec.take()),
			"%s: events by t0+2m7s (Forget emits nothing, and no event follows for the forgotten node)", setup)
		at := t0.Add(2*time.Minute + 8*time.Second + 3*time.Millisecond)
		hSleepUntil(at)
		d.Heartbeat("a", 0)
		synctest.Wait()
		hEqual(t, "a unknown→alive at t0+2m8.003s", hEvents(rec.take()), "%s; Heartbeat(\"a\", 0) at t0+2m8.003s: events (seq 0 is accepted after Forget)", setup)
		hStatusIs(t, hA, d.Status("a"), "%s; Heartbeat(\"a\", 0) at t0+2m8.003s; Status(\"a\")", setup)
	})
}

// TestHiddenEventTimingBounds checks that 100 nodes each get their Suspect
// and Dead events within one Interval of the change.
//
// Category: timing
func TestHiddenEventTimingBounds(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...)), Run from t0; Heartbeat("n<i>", 0) at t0+1ms+i·137ms for i = 0…99, then silence`
		hb := func(i int) time.Time { return t0.Add(time.Millisecond + time.Duration(i)*137*time.Millisecond) }
		for i := range 100 {
			time.Sleep(time.Until(hb(i)))
			d.Heartbeat(fmt.Sprintf("n%d", i), 0)
		}
		hSleepUntil(hb(99).Add(35*time.Second + 1))
		per := map[string][]heartbeat.Event{}
		for _, ev := range rec.take() {
			per[ev.Node] = append(per[ev.Node], ev)
		}
		for i := range 100 {
			n := fmt.Sprintf("n%d", i)
			evs := per[n]
			if !hEqual(t, hChain(n, hU, hA, hS, hD), hChanges(evs), "%s: events of %s by %s", setup, n, hAt(time.Now())) {
				return
			}
			hEqual(t, hAt(hb(i)), hAt(evs[0].At), "%s: At of %s's unknown→alive event (its heartbeat's time)", setup, n)
			hBounds(t, evs[1].At, hb(i).Add(hT+1), hb(i).Add(hT+hI+1), setup+": "+n+"'s alive→suspect event")
			hBounds(t, evs[2].At, hb(i).Add(30*time.Second+1), hb(i).Add(35*time.Second+1), setup+": "+n+"'s suspect→dead event")
		}
	})
}

// TestHiddenEventsExactlyOnceInOrder runs two minutes of mixed heartbeats on
// five nodes and checks every node's exact list of transitions.
//
// Category: behaviour
func TestHiddenEventsExactlyOnceInOrder(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
		type step struct {
			at     time.Duration
			node   string
			seq    uint64
			forget bool
		}
		ms := time.Millisecond
		var script []step
		for k := range 30 { // n0: every 4 s, always Alive
			script = append(script, step{at: ms + time.Duration(k)*4*time.Second, node: "n0", seq: uint64(k + 1)})
		}
		script = append(script,
			// n1: silent until Dead, back at 61.003 s, silent again.
			step{at: ms, node: "n1", seq: 1},
			step{at: 61*time.Second + 3*ms, node: "n1", seq: 2},
			// n2: Suspect, refuted at 24.007 s, heartbeats until 60.011 s.
			step{at: 2*time.Second + 3*ms, node: "n2", seq: 1},
			step{at: 24*time.Second + 7*ms, node: "n2", seq: 2},
			// n3: stale seqs are ignored; two Suspect spells, one Dead.
			step{at: 3*time.Second + ms, node: "n3", seq: 1},
			step{at: 10*time.Second + 500*ms, node: "n3", seq: 1},
			step{at: 16 * time.Second, node: "n3", seq: 0},
			step{at: 27*time.Second + 300*ms, node: "n3", seq: 2},
			step{at: 40*time.Second + 200*ms, node: "n3", seq: 3},
			step{at: 100*time.Second + 400*ms, node: "n3", seq: 4},
			// n4: Suspect, forgotten at 30.9 s, rejoins with seq 0.
			step{at: 4*time.Second + 200*ms, node: "n4", seq: 9},
			step{at: 30*time.Second + 900*ms, node: "n4", forget: true},
		)
		for k := range 12 {
			script = append(script, step{at: 27*time.Second + 7*ms + time.Duration(k)*3*time.Second, node: "n2", seq: uint64(k + 3)})
		}
		for k := range 15 {
			script = append(script, step{at: 50*time.Second + 700*ms + time.Duration(k)*5*time.Second, node: "n4", seq: uint64(k)})
		}
		slices.SortStableFunc(script, func(a, b step) int { return int(a.at - b.at) })
		// calls writes the script of one node as calls, for messages.
		calls := func(node string) string {
			var s []string
			for _, st := range script {
				switch {
				case st.node != node:
				case st.forget:
					s = append(s, fmt.Sprintf("Forget(%q) at %s", node, hAt(t0.Add(st.at))))
				default:
					s = append(s, fmt.Sprintf("Heartbeat(%q, %d) at %s", node, st.seq, hAt(t0.Add(st.at))))
				}
			}
			return strings.Join(s, ", ")
		}
		for _, s := range script {
			hSleepUntil(t0.Add(s.at))
			if s.forget {
				d.Forget(s.node)
				rec.forget(s.node)
				continue
			}
			d.Heartbeat(s.node, s.seq)
		}
		hSleepUntil(t0.Add(125 * time.Second))

		per := map[string][]heartbeat.Event{}
		for _, ev := range rec.take() {
			per[ev.Node] = append(per[ev.Node], ev)
		}
		want := map[string]string{
			"n0": hChain("n0", hU, hA),
			"n1": hChain("n1", hU, hA, hS, hD, hA, hS, hD),
			"n2": hChain("n2", hU, hA, hS, hA, hS, hD),
			"n3": hChain("n3", hU, hA, hS, hA, hS, hD, hA, hS),
			"n4": hChain("n4", hU, hA, hS) + ", " + hChain("n4", hU, hA),
		}
		for n := range per {
			if _, ok := want[n]; !ok {
				t.Errorf("events for %q, a node no call named: %s", n, hEvents(per[n]))
			}
		}
		for _, n := range []string{"n0", "n1", "n2", "n3", "n4"} {
			hEqual(t, want[n], hChanges(per[n]), "New(DefaultConfig(), WithOnChange(...)), Run from t0; %s: events of %s by t0+2m5s", calls(n), n)
			for i := 1; i < len(per[n]); i++ {
				if per[n][i].At.Before(per[n][i-1].At) {
					t.Errorf("events of %s: %s comes after %s: At goes back in time", n, hEvent(per[n][i]), hEvent(per[n][i-1]))
				}
			}
		}
	})
}

// TestHiddenProbeSuccessOnSecondTry checks that a success ends probing at
// once, revives the node, and that it counts as a heartbeat.
//
// Category: timing
func TestHiddenProbeSuccessOnSecondTry(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		p := &hProber{behave: func(_ string, i int) string {
			if i == 0 {
				return "fail"
			}
			return "ok"
		}}
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
		stop := hStartRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...), WithProber(a prober that fails once, then answers)), Run from t0, Heartbeat("a", 1) at t0+1ms; S = the alive→suspect event's At`
		hb := t0.Add(time.Millisecond)
		hSleepUntil(hb)
		d.Heartbeat("a", 1)
		got := hAwait(t, rec, 2, hb.Add(20*time.Second+1), setup)
		require.Equal(t, hChain("a", hU, hA, hS), hChanges(got), "%s: the first events", setup)
		s := got[1].At
		hSleepUntil(s.Add(5*time.Second + 1))
		hEqual(t, "a suspect→alive at S+5s", hEventsRel(rec.take(), s, "S"), "%s: events by S+5s+1ns (S = %s; the second probe answers)", setup, hAt(s))
		hEqual(t, hCalls(hEvery("a", s, 2), s, "S"), hCalls(p.got(), s, "S"), "%s: probes by S+5s+1ns", setup)
		hStatusIs(t, hA, d.Status("a"), "%s: Status(\"a\") at S+5s+1ns", setup)
		hStatusIs(t, hA, d.StatusAt("a", s.Add(20*time.Second)), "%s: StatusAt(\"a\", S+20s) (the success counts as a heartbeat at S+5s)", setup)
		hStatusIs(t, hS, d.StatusAt("a", s.Add(20*time.Second+1)), "%s: StatusAt(\"a\", S+20s+1ns) (the success counts as a heartbeat at S+5s)", setup)

		hSleepUntil(s.Add(25*time.Second + 1))
		got = rec.take()
		if !hEqual(t, hChain("a", hA, hS, hA), hChanges(got), "%s: events from S+5s+1ns to S+25s+1ns (the next suspicion, answered by its first probe)", setup) {
			return
		}
		hBounds(t, got[0].At, s.Add(20*time.Second+1), s.Add(25*time.Second+1), setup+": the second alive→suspect event")
		hEqual(t, "3", fmt.Sprint(p.count()), "%s: probes by S+25s+1ns", setup)
	})
}

// TestHiddenProbeDeadWhateverNow checks that a node declared Dead by its
// probes is Dead at every instant StatusAt is asked about, even within
// Timeout of its last heartbeat, until a newer heartbeat.
//
// Category: boundary
func TestHiddenProbeDeadWhateverNow(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on), heartbeat.WithProber(&hProber{behave: hAlways("fail")}))
		stop := hStartRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...), WithProber(a prober that fails)), Run from t0, Heartbeat("a", 1) at t0+1ms`
		hb := t0.Add(time.Millisecond)
		hSleepUntil(hb)
		d.Heartbeat("a", 1)
		hSleepUntil(t0.Add(40 * time.Second))
		if !hEqual(t, hChain("a", hU, hA, hS, hD), hChanges(rec.take()), "%s: events by t0+40s", setup) {
			return
		}
		for _, q := range []time.Time{hb.Add(-time.Hour), hb, hb.Add(hT), hb.Add(hT + 1), time.Now()} {
			hStatusIs(t, hD, d.StatusAt("a", q), "%s; declared dead by its probes; StatusAt(\"a\", %s)", setup, hAt(q))
		}
		hStatusIs(t, hD, d.Status("a"), "%s; declared dead by its probes; Status(\"a\") at t0+40s", setup)
	})
}

// TestHiddenForgetDropsQueuedEvents calls Forget while an event for the
// node waits to be delivered behind an OnChange call that is still running:
// once Forget has returned, no event for that node may be delivered (rule
// 5), whether the waiting event came from a Heartbeat or from Run.
//
// Category: behaviour
func TestHiddenForgetDropsQueuedEvents(t *testing.T) {
	// hForgetRec delivers OnChange events to a list and records those for
	// the forgotten node that arrive after Forget returned.
	type hForgetRec struct {
		mu        sync.Mutex
		all       []heartbeat.Event
		forgotten string
		late      []heartbeat.Event
	}
	t.Run("event of a Heartbeat", func(t *testing.T) {
		katatest.Guard(t)
		synctest.Test(t, func(t *testing.T) {
			var (
				r                 hForgetRec
				entered, release  = make(chan struct{}), make(chan struct{})
				blockOnce         sync.Once
				forgetDone, xDone = make(chan struct{}), make(chan struct{})
			)
			onChange := func(ev heartbeat.Event) {
				r.mu.Lock()
				r.all = append(r.all, ev)
				if ev.Node == r.forgotten {
					r.late = append(r.late, ev)
				}
				r.mu.Unlock()
				if ev.Node == "x" {
					blockOnce.Do(func() { close(entered); <-release })
				}
			}
			d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(onChange))
			go func() { d.Heartbeat("x", 1); close(xDone) }()
			<-entered // OnChange(x unknown→alive) is running, and waits for release
			go func() {
				d.Heartbeat("a", 1)
				d.Forget("a")
				r.mu.Lock()
				r.forgotten = "a"
				r.mu.Unlock()
				close(forgetDone)
			}()
			synctest.Wait()
			close(release)
			<-forgetDone
			<-xDone
			synctest.Wait()
			r.mu.Lock()
			defer r.mu.Unlock()
			hEqual(t, "none", hEvents(r.late), `New(DefaultConfig(), WithOnChange(f)), no Run; Heartbeat("x", 1) at t0, and f blocks on that event; meanwhile Heartbeat("a", 1) and Forget("a"); then f returns: events for "a" delivered after Forget("a") returned (all events: %s)`, hEvents(r.all))
		})
	})
	t.Run("event of Run", func(t *testing.T) {
		katatest.Guard(t)
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			var (
				r                hForgetRec
				entered, release = make(chan struct{}), make(chan struct{})
				blockOnce        sync.Once
				blocked          string
			)
			onChange := func(ev heartbeat.Event) {
				r.mu.Lock()
				r.all = append(r.all, ev)
				if ev.Node == r.forgotten {
					r.late = append(r.late, ev)
				}
				r.mu.Unlock()
				if ev.To == hS {
					blockOnce.Do(func() {
						r.mu.Lock()
						blocked = ev.Node
						r.mu.Unlock()
						close(entered)
						<-release
					})
				}
			}
			d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(onChange))
			stop := hStartRun(t, d)
			defer stop()
			hSleepUntil(t0.Add(time.Millisecond))
			d.Heartbeat("x", 1)
			d.Heartbeat("y", 1)
			<-entered // the first alive→suspect event is being delivered, and waits for release
			synctest.Wait()
			r.mu.Lock()
			other := "x"
			if blocked == "x" {
				other = "y"
			}
			r.mu.Unlock()
			when := hAt(time.Now())
			d.Forget(other)
			r.mu.Lock()
			r.forgotten = other
			r.mu.Unlock()
			close(release)
			hSleepUntil(t0.Add(time.Minute))
			r.mu.Lock()
			defer r.mu.Unlock()
			hEqual(t, "none", hEvents(r.late), `New(DefaultConfig(), WithOnChange(f)), Run from t0; Heartbeat("x", 1) and Heartbeat("y", 1) at t0+1ms; f blocks on the first alive→suspect event (%q's, at %s); meanwhile Forget(%q); then f returns: events for %q delivered after Forget returned, by t0+1m (all events: %s)`, blocked, when, other, other, hEvents(r.all))
		})
	})
}

// TestHiddenOnChangeNeverOverlaps holds one OnChange call while other
// goroutines' heartbeats produce events: none of them may be delivered
// until that call returns (rule 14), and then every one is delivered.
//
// Category: concurrency
func TestHiddenOnChangeNeverOverlaps(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var (
			mu               sync.Mutex
			running          []string // the events whose OnChange call is running
			overlaps, all    []string
			entered, release = make(chan struct{}), make(chan struct{})
			blockOnce        sync.Once
			wg               sync.WaitGroup
		)
		onChange := func(ev heartbeat.Event) {
			mu.Lock()
			if len(running) > 0 {
				overlaps = append(overlaps, fmt.Sprintf("OnChange(%s) started while OnChange(%s) was running", hEvent(ev), strings.Join(running, "), OnChange(")))
			}
			running = append(running, hEvent(ev))
			all = append(all, hEvent(ev))
			mu.Unlock()
			if ev.Node == "x" {
				blockOnce.Do(func() { close(entered); <-release })
			}
			mu.Lock()
			running = slices.DeleteFunc(running, func(s string) bool { return s == hEvent(ev) })
			mu.Unlock()
		}
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(onChange))
		wg.Go(func() { d.Heartbeat("x", 1) })
		<-entered // OnChange(x unknown→alive) is running, and waits for release
		for _, n := range []string{"a", "b"} {
			wg.Go(func() { d.Heartbeat(n, 1) })
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		const setup = `New(DefaultConfig(), WithOnChange(f)), no Run; Heartbeat("x", 1) at t0, and f blocks on that event; meanwhile Heartbeat("a", 1) and Heartbeat("b", 1) from two other goroutines; then f returns`
		if len(overlaps) > 0 {
			t.Errorf("%s: %s; OnChange calls must never overlap", setup, overlaps[0])
		}
		slices.Sort(all)
		hEqual(t, "a unknown→alive at t0; b unknown→alive at t0; x unknown→alive at t0", strings.Join(all, "; "), "%s: events delivered, sorted", setup)
	})
}

// TestHiddenNoProbeAfterSuspicionEnds ends a suspicion between two probes,
// with a heartbeat or with Forget: the probes scheduled for that suspicion
// are not made (rules 5, 8, 10).
//
// Category: behaviour
func TestHiddenNoProbeAfterSuspicionEnds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		end   func(d *heartbeat.Detector, rec *hRec)
		call  string
		until time.Duration // after S; the next suspicion comes later
	}{
		{"Heartbeat", func(d *heartbeat.Detector, _ *hRec) { d.Heartbeat("a", 2) }, `Heartbeat("a", 2)`, 16 * time.Second},
		{"Forget", func(d *heartbeat.Detector, rec *hRec) { d.Forget("a"); rec.forget("a") }, `Forget("a")`, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				p := &hProber{behave: hAlways("fail")}
				d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
				stop := hStartRun(t, d)
				defer stop()
				setup := `New(DefaultConfig(), WithOnChange(...), WithProber(a prober that fails at once)), Run from t0, Heartbeat("a", 1) at t0+1ms; S = the alive→suspect event's At`
				hb := t0.Add(time.Millisecond)
				hSleepUntil(hb)
				d.Heartbeat("a", 1)
				got := hAwait(t, rec, 2, hb.Add(20*time.Second+1), setup)
				require.Equal(t, hChain("a", hU, hA, hS), hChanges(got), "%s: the first events", setup)
				s := got[1].At
				hSleepUntil(s.Add(2 * time.Second))
				tc.end(d, rec)
				setup += fmt.Sprintf("; %s at S+2s (S = %s)", tc.call, hAt(s))
				hSleepUntil(s.Add(tc.until))
				hEqual(t, hCalls(hEvery("a", s, 1), s, "S"), hCalls(p.got(), s, "S"), "%s: probes by %s (the suspicion ended at S+2s)", setup, hRel(time.Now(), s, "S"))
			})
		})
	}
}

// TestHiddenProbeIgnoringCtx uses a Prober that ignores its ctx and answers
// nil 12 s after each call: the detector waits for no probe past its
// deadline, so probes still start every Interval, their late answers are
// failures, and the node is Dead when the third probe's deadline passes
// (rules 8, 9). Run waits for the stragglers when it stops (rule 15).
//
// Category: timing
func TestHiddenProbeIgnoringCtx(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		p := &hProber{behave: hAlways("slow-nil")}
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
		stop := hStartRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...), WithProber(a prober that ignores ctx and returns nil 12s after each call)), Run from t0, Heartbeat("a", 1) at t0+1ms; S = the alive→suspect event's At`
		hb := t0.Add(time.Millisecond)
		hSleepUntil(hb)
		d.Heartbeat("a", 1)
		got := hAwait(t, rec, 2, hb.Add(20*time.Second+1), setup)
		require.Equal(t, hChain("a", hU, hA, hS), hChanges(got), "%s: the first events", setup)
		s := got[1].At
		hSleepUntil(s.Add(time.Minute))
		hEqual(t, hCalls(hEvery("a", s, 3), s, "S"), hCalls(p.got(), s, "S"), "%s: probes by S+1m (S = %s)", setup, hAt(s))
		hEqual(t, "a suspect→dead at S+15s", hEventsRel(rec.take(), s, "S"),
			"%s: events by S+1m (S = %s; answers after the deadline are failures)", setup, hAt(s))
	})
}

// TestHiddenConcurrentHeartbeatsAndReads hammers the detector from 32
// goroutines while Run runs, then checks every node's event chain.
//
// Category: concurrency
func TestHiddenConcurrentHeartbeatsAndReads(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...)), Run from t0; 16 goroutines each call Heartbeat("w<g>", seq) and Heartbeat("shared", seq) every second from t0+1ms to t0+59.001s (seqs from one counter), and 16 goroutines read Status and StatusAt every second`
		var (
			seq atomic.Uint64
			wg  sync.WaitGroup
		)
		for g := range 16 {
			own := fmt.Sprintf("w%d", g)
			wg.Go(func() { // writer: one heartbeat per second for a minute
				time.Sleep(time.Millisecond)
				for range 60 {
					d.Heartbeat(own, seq.Add(1))
					d.Heartbeat("shared", seq.Add(1))
					time.Sleep(time.Second)
				}
			})
			wg.Go(func() { // reader, half a second off the writers
				time.Sleep(500 * time.Millisecond)
				for range 120 {
					now := time.Now()
					hStatusIs(t, d.StatusAt(own, now), d.Status(own), "%s: Status(%q) at %s (want StatusAt(%q, time.Now()))", setup, own, hAt(now), own)
					hStatusIs(t, d.StatusAt("shared", now), d.Status("shared"), "%s: Status(\"shared\") at %s (want StatusAt(\"shared\", time.Now()))", setup, hAt(now))
					time.Sleep(time.Second)
				}
			})
		}
		wg.Wait()
		hSleepUntil(t0.Add(125 * time.Second))
		per := map[string][]heartbeat.Event{}
		for _, ev := range rec.take() {
			per[ev.Node] = append(per[ev.Node], ev)
		}
		nodes := []string{"shared"}
		for g := range 16 {
			nodes = append(nodes, fmt.Sprintf("w%d", g))
		}
		for n := range per {
			if !slices.Contains(nodes, n) {
				t.Errorf("%s: events for %q, a node no call named: %s", setup, n, hEvents(per[n]))
			}
		}
		for _, n := range nodes {
			hEqual(t, hChain(n, hU, hA, hS, hD), hChanges(per[n]), "%s: events of %s by t0+2m5s", setup, n)
		}
	})
}

// The tests below can hang a wrong solution (a lock held across a probe or
// a callback stops virtual time); each has a real-time watchdog, so they
// come last.

// TestHiddenProbeSchedule checks probe start times, deadlines, counts and
// the time of the Dead event, for probes that fail at once, hang until
// their deadline, or return nil at their deadline.
//
// Category: timing
func TestHiddenProbeSchedule(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hHangCause)
	for _, tc := range []struct {
		behave  string
		what    string
		retries int
		deadIn  time.Duration // after S
	}{
		{"fail", "fails at once", 3, 10 * time.Second},
		{"hang", "waits for its ctx to be done", 3, 15 * time.Second},
		{"late-nil", "ignores ctx and returns nil one Interval after each call", 3, 15 * time.Second},
		{"fail", "fails at once", 1, 0},
		{"hang", "waits for its ctx to be done", 1, 5 * time.Second},
	} {
		t.Run(fmt.Sprintf("%s R=%d", tc.behave, tc.retries), func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				p := &hProber{behave: hAlways(tc.behave)}
				cfg := heartbeat.Config{Interval: hI, Timeout: hT, Retries: tc.retries}
				d := hNew(t, cfg, heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
				stop := hStartRun(t, d)
				defer stop()
				setup := fmt.Sprintf(`New(%s, WithOnChange(...), WithProber(a prober that %s)), Run from t0, Heartbeat("a", 1) at t0+1ms; S = the alive→suspect event's At`, hCfg(cfg), tc.what)
				hb := t0.Add(time.Millisecond)
				hSleepUntil(hb)
				d.Heartbeat("a", 1)
				got := hAwait(t, rec, 2, hb.Add(20*time.Second+1), setup)
				require.Equal(t, hChain("a", hU, hA, hS), hChanges(got[:2]), "%s: the first events", setup)
				s := got[1].At
				setup += " = " + hAt(s)
				hSleepUntil(s.Add(tc.deadIn))
				require.Equal(t, "a suspect→dead at "+hRel(s.Add(tc.deadIn), s, "S"), hEventsRel(append(got[2:], rec.take()...), s, "S"),
					"%s: events from S to %s (dead when failure number %d is known)", setup, hRel(time.Now(), s, "S"), tc.retries)
				hSleepUntil(s.Add(2 * time.Minute))
				hEqual(t, hCalls(hEvery("a", s, tc.retries), s, "S"), hCalls(p.got(), s, "S"),
					"%s: probes by S+2m (exactly Retries probes, every Interval from S, each with deadline start+Interval)", setup)
				hEqual(t, "none", hEvents(rec.take()), "%s: events after the dead event, by S+2m", setup)
				hStatusIs(t, hD, d.Status("a"), "%s: Status(\"a\") at S+2m", setup)
			})
		})
	}
}

// TestHiddenTwoSuspicions checks that a suspicion ended by a heartbeat
// ignores its late probe result and that the next one counts from zero.
//
// Category: behaviour
func TestHiddenTwoSuspicions(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, katatest.DefaultHang, hHangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		p := &hProber{behave: func(_ string, i int) string {
			if i == 1 {
				return "hang"
			}
			return "fail"
		}}
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
		stop := hStartRun(t, d)
		defer stop()
		setup := `New(DefaultConfig(), WithOnChange(...), WithProber(a prober whose second call waits for its ctx and every other call fails at once)), Run from t0, Heartbeat("a", 1) at t0+1ms; S = the alive→suspect event's At`
		hb := t0.Add(time.Millisecond)
		hSleepUntil(hb)
		d.Heartbeat("a", 1)
		got := hAwait(t, rec, 2, hb.Add(20*time.Second+1), setup)
		require.Equal(t, hChain("a", hU, hA, hS), hChanges(got), "%s: the first events", setup)
		s := got[1].At
		hSleepUntil(s.Add(7 * time.Second))
		d.Heartbeat("a", 2)
		synctest.Wait()
		setup += fmt.Sprintf(` = %s; Heartbeat("a", 2) at S+7s`, hAt(s))
		hEqual(t, "a suspect→alive at S+7s", hEventsRel(rec.take(), s, "S"), "%s: events at S+7s", setup)
		hSleepUntil(s.Add(10*time.Second + 1))
		hEqual(t, "none", hEvents(rec.take()), "%s: events from S+7s to S+10s+1ns (the hung probe's failure belongs to the ended suspicion)", setup)
		hStatusIs(t, hA, d.Status("a"), "%s: Status(\"a\") at S+10s+1ns", setup)
		hEqual(t, hCalls(hEvery("a", s, 2), s, "S"), hCalls(p.got(), s, "S"), "%s: probes by S+10s+1ns (none after the suspicion ended)", setup)

		got = hAwait(t, rec, 1, s.Add(27*time.Second+1), setup)
		require.Equal(t, hChain("a", hA, hS), hChanges(got), "%s: events by S+27s+1ns (the second suspicion)", setup)
		s2 := got[0].At
		hBounds(t, s2, s.Add(22*time.Second+1), s.Add(27*time.Second+1), setup+": the second alive→suspect event")
		hSleepUntil(s2.Add(time.Minute))
		setup += fmt.Sprintf("; S2 = the second alive→suspect event's At = %s", hAt(s2))
		hEqual(t, "a suspect→dead at S2+10s", hEventsRel(rec.take(), s2, "S2"),
			"%s: events by S2+1m (the second suspicion needs three failures of its own)", setup)
		calls := p.got()
		if len(calls) < 2 {
			t.Fatalf("%s: probes by S2+1m: %s; want at least the 2 of the first suspicion", setup, hCalls(calls, s, "S"))
		}
		hEqual(t, hCalls(hEvery("a", s2, 3), s2, "S2"), hCalls(calls[2:], s2, "S2"), "%s: probes of the second suspicion, by S2+1m", setup)
	})
}

// TestHiddenForgetDiscardsProbe checks that the result of a probe running
// when its node was forgotten is discarded.
//
// Category: behaviour
func TestHiddenForgetDiscardsProbe(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, katatest.DefaultHang, hHangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		p := &hProber{behave: hAlways("hang")}
		d := hNew(t, heartbeat.Config{Interval: hI, Timeout: hT, Retries: 1}, heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
		stop := hStartRun(t, d)
		defer stop()
		setup := `New(Config{Interval: 5s, Timeout: 15s, Retries: 1}, WithOnChange(...), WithProber(a prober that waits for its ctx)), Run from t0, Heartbeat("a", 5) at t0+1ms; S = the alive→suspect event's At`
		hSleepUntil(t0.Add(time.Millisecond))
		d.Heartbeat("a", 5)
		got := hAwait(t, rec, 2, t0.Add(20*time.Second+time.Millisecond+1), setup)
		require.Equal(t, hChain("a", hU, hA, hS), hChanges(got), "%s: the first events", setup)
		s := got[1].At
		hSleepUntil(s.Add(2 * time.Second))
		d.Forget("a")
		rec.forget("a")
		setup += fmt.Sprintf(` = %s; Forget("a") at S+2s, while the first probe runs`, hAt(s))
		hSleepUntil(s.Add(time.Minute))
		hEqual(t, "none", hEvents(rec.take()), "%s: events by S+1m (the hung probe's failure must not make a forgotten node dead)", setup)
		hStatusIs(t, hU, d.Status("a"), "%s: Status(\"a\") at S+1m", setup)
		hEqual(t, hCalls(hEvery("a", s, 1), s, "S"), hCalls(p.got(), s, "S"), "%s: probes by S+1m (a forgotten node is not probed)", setup)
	})
}

// TestHiddenRunStopsCleanly checks Run's shutdown, ErrRunning, and that a
// restarted Run resumes detection and probing from zero failures.
//
// Category: behaviour
func TestHiddenRunStopsCleanly(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hHangCause)
	t.Run("cancel during a hung probe", func(t *testing.T) {
		katatest.Guard(t)
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			rec := hNewRec(t)
			p := &hProber{behave: hAlways("hang")}
			d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
			ctx, cancel := context.WithCancel(context.Background())
			defer func() { cancel() }() // whichever Run is running when the test stops
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			setup := `New(DefaultConfig(), WithOnChange(...), WithProber(a prober that waits for its ctx)), Run(ctx) from t0, Heartbeat("a", 1) at t0+1ms; S = the alive→suspect event's At`
			hSleepUntil(t0.Add(time.Millisecond))
			d.Heartbeat("a", 1)
			got := hAwait(t, rec, 2, t0.Add(20*time.Second+time.Millisecond+1), setup)
			require.Equal(t, hChain("a", hU, hA, hS), hChanges(got), "%s: the first events", setup)
			s := got[1].At
			hSleepUntil(s.Add(time.Second))
			cancel()
			setup += fmt.Sprintf(" = %s; ctx cancelled at S+1s", hAt(s))
			require.NoError(t, <-done, "%s: Run(ctx)", setup)
			hEqual(t, "S+1s", hRel(time.Now(), s, "S"), "%s: when Run(ctx) returned", setup)
			synctest.Wait()
			p.mu.Lock()
			doneAt := []string{"never"}
			for i, at := range p.doneAt {
				if i == 0 {
					doneAt = nil
				}
				doneAt = append(doneAt, hRel(at, s, "S"))
			}
			p.mu.Unlock()
			hEqual(t, "S+1s", strings.Join(doneAt, ", "), "%s: when the running probe's ctx was done (it is cancelled with Run's)", setup)
			hSleepUntil(s.Add(time.Minute))
			hEqual(t, hCalls(hEvery("a", s, 1), s, "S"), hCalls(p.got(), s, "S"), "%s: probes by S+1m (none after Run returned)", setup)
			hEqual(t, "none", hEvents(rec.take()), "%s: events from S+1s to S+1m (no Run, and an aborted probe is not a failure)", setup)
			hStatusIs(t, hS, d.Status("a"), "%s: Status(\"a\") at S+1m", setup)

			// Restart: the node is still reported Suspect and is probed from
			// zero failures, the first probe within one Interval.
			ctx, cancel = context.WithCancel(context.Background())
			r := time.Now()
			go func() { done <- d.Run(ctx) }()
			setup += "; Run again from R = S+1m"
			hSleepUntil(r.Add(hI))
			calls := p.got()
			if len(calls) < 2 {
				t.Fatalf("%s: probes by R+5s: %s; want a second one within one Interval of R", setup, hCalls(calls, r, "R"))
			}
			p1 := calls[1].Start
			hBounds(t, p1, r, r.Add(hI), setup+": the first probe after the restart")
			hSleepUntil(p1.Add(time.Minute))
			setup += fmt.Sprintf("; P = the first probe after R = %s", hAt(p1))
			hEqual(t, "a suspect→dead at P+15s", hEventsRel(rec.take(), p1, "P"),
				"%s: events by P+1m (three fresh failures after the restart)", setup)
			hEqual(t, "4", fmt.Sprint(p.count()), "%s: probes by P+1m", setup)
			cancel()
			require.NoError(t, <-done, "%s: the second Run(ctx) after ctx was cancelled", setup)
		})
	})
	t.Run("ErrRunning and passive restart", func(t *testing.T) {
		katatest.Guard(t)
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			rec := hNewRec(t)
			d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
			ctx, cancel := context.WithCancel(context.Background())
			defer func() { cancel() }() // whichever Run is running when the test stops
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			hSleepUntil(t0.Add(time.Millisecond))
			d.Heartbeat("a", 1)
			const setup = `New(DefaultConfig(), WithOnChange(...)), Run(ctx) from t0, Heartbeat("a", 1) at t0+1ms`

			for i, which := range []string{"a second", "a third"} {
				ctx2, cancel2 := context.WithCancel(context.Background())
				second := make(chan error, 1)
				go func() { second <- d.Run(ctx2) }()
				synctest.Wait()
				select {
				case err := <-second:
					if !errors.Is(err, heartbeat.ErrRunning) {
						t.Errorf("%s: %s Run(ctx2) at t0+1ms while the first runs = %s; want an error matching ErrRunning", setup, which, hErr(err))
					}
					cancel2()
				default:
					cancel2()
					<-second
					t.Fatalf("%s: %s Run(ctx2) at t0+1ms while the first runs did not return at once; want ErrRunning (Run calls refused before: %d)", setup, which, i)
				}
			}
			hSleepUntil(t0.Add(20*time.Second + time.Millisecond + 1))
			hEqual(t, hChain("a", hU, hA, hS), hChanges(rec.take()), "%s; two more Run calls refused: events by t0+20.001s+1ns (the first Run still works)", setup)
			cancel()
			require.NoError(t, <-done, "%s: Run(ctx) after ctx was cancelled at t0+20.001s+1ns", setup)
			hSleepUntil(t0.Add(50 * time.Second))
			hEqual(t, "none", hEvents(rec.take()), "%s; Run stopped at t0+20.001s+1ns: events by t0+50s (no Run, no dead event)", setup)

			ctx, cancel = context.WithCancel(context.Background())
			r := time.Now()
			go func() { done <- d.Run(ctx) }()
			hSleepUntil(r.Add(hI))
			got := rec.take()
			if hEqual(t, hChain("a", hS, hD), hChanges(got), "%s; Run stopped at t0+20.001s+1ns and started again at t0+50s: events by t0+55s", setup) {
				hBounds(t, got[0].At, r, r.Add(hI), setup+"; Run again from t0+50s: the suspect→dead event")
			}
			cancel()
			require.NoError(t, <-done, "%s: the restarted Run(ctx) after ctx was cancelled", setup)
		})
	})
}

// TestHiddenHungProbeDoesNotBlockOthers checks that probes that hang until
// their deadline delay neither other nodes' detection nor their probes.
//
// Category: concurrency
func TestHiddenHungProbeDoesNotBlockOthers(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, katatest.DefaultHang, hHangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		p := &hProber{behave: func(node string, _ int) string {
			if node == "b" {
				return "fail"
			}
			return "hang"
		}}
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
		stop := hStartRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...), WithProber(a prober that waits for its ctx for h1, h2, h3 and fails at once for b)), Run from t0; Heartbeat(h1, h2, h3, b; seq 1) at t0+1ms, 2ms, 3ms, 4ms; Heartbeat("b", 2) at t0+12s; Status of each node every second`
		nodes := []string{"h1", "h2", "h3", "b"}
		hb := map[string]time.Time{}
		for i, n := range nodes {
			hSleepUntil(t0.Add(time.Duration(i+1) * time.Millisecond))
			d.Heartbeat(n, 1)
			hb[n] = time.Now()
		}
		hSleepUntil(t0.Add(12 * time.Second))
		d.Heartbeat("b", 2)
		hb["b"] = time.Now()
		for k := 1; k <= 80; k++ {
			hSleepUntil(t0.Add(12*time.Second + time.Duration(k)*time.Second))
			for _, n := range nodes {
				_ = d.Status(n)
			}
		}
		per := map[string][]heartbeat.Event{}
		for _, ev := range rec.take() {
			per[ev.Node] = append(per[ev.Node], ev)
		}
		calls := map[string][]hCall{}
		for _, c := range p.got() {
			calls[c.Node] = append(calls[c.Node], c)
		}
		for _, n := range nodes {
			evs := per[n]
			if !hEqual(t, hChain(n, hU, hA, hS, hD), hChanges(evs), "%s: events of %s by t0+1m32s", setup, n) {
				continue
			}
			s := evs[1].At
			hBounds(t, s, hb[n].Add(hT+1), hb[n].Add(hT+hI+1), setup+": "+n+"'s alive→suspect event")
			hEqual(t, hCalls(hEvery(n, s, 3), s, "S"), hCalls(calls[n], s, "S"), "%s: probes of %s (S = its alive→suspect event's At = %s)", setup, n, hAt(s))
			dead := s.Add(15 * time.Second)
			if n == "b" {
				dead = s.Add(10 * time.Second)
			}
			hEqual(t, hRel(dead, s, "S"), hRel(evs[2].At, s, "S"), "%s: At of %s's suspect→dead event (S = its alive→suspect event's At = %s)", setup, n, hAt(s))
		}
	})
}

// TestHiddenCallbackMayReadStatus checks that OnChange runs without the
// detector's lock and after the detector reflects the event.
//
// Category: concurrency
func TestHiddenCallbackMayReadStatus(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hHangCause)
	for _, tc := range []struct {
		name   string
		behave string // "" is passive
		what   string
		until  time.Duration
		want   string
	}{
		{"passive", "", "", 40 * time.Second, "alive suspect dead"},
		{"active, probes fail", "fail", ", WithProber(a prober that fails at once)", 40 * time.Second, "alive suspect dead"},
		{"active, probe answers", "ok", ", WithProber(a prober that answers)", 30 * time.Second, "alive suspect alive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				setup := `New(DefaultConfig(), WithOnChange(f)` + tc.what + `), Run from t0, Heartbeat("a", 1) at t0+1ms; f calls Status and StatusAt`
				var (
					d    *heartbeat.Detector
					mu   sync.Mutex
					seen []string
				)
				onChange := func(ev heartbeat.Event) {
					st, at := d.Status(ev.Node), d.StatusAt(ev.Node, ev.At)
					hStatusIs(t, ev.To, st, "%s: Status(%q) inside OnChange(%s)", setup, ev.Node, hEvent(ev))
					hStatusIs(t, ev.To, at, "%s: StatusAt(%q, ev.At) inside OnChange(%s)", setup, ev.Node, hEvent(ev))
					mu.Lock()
					seen = append(seen, hName(ev.To))
					mu.Unlock()
				}
				opts := []heartbeat.Option{heartbeat.WithOnChange(onChange)}
				if tc.behave != "" {
					opts = append(opts, heartbeat.WithProber(&hProber{behave: hAlways(tc.behave)}))
				}
				d = hNew(t, heartbeat.DefaultConfig(), opts...)
				stop := hStartRun(t, d)
				defer stop()
				hSleepUntil(t0.Add(time.Millisecond))
				d.Heartbeat("a", 1)
				hSleepUntil(t0.Add(tc.until))
				mu.Lock()
				hEqual(t, tc.want, strings.Join(seen, " "), "%s: the To of each event by %s", setup, hAt(time.Now()))
				mu.Unlock()
			})
		})
	}
}
