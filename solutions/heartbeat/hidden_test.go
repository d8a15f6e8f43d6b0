//go:build microkata_hidden

package heartbeat_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
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

// hErrDown is what a failing fake probe returns.
var hErrDown = errors.New("hidden: node did not answer")

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
		r.t.Errorf("event %v→%v for %q at %v: From must be the previous event's To, %v", ev.From, ev.To, ev.Node, ev.At, prev)
	}
	if ev.From == ev.To {
		r.t.Errorf("event for %q at %v has From == To (%v)", ev.Node, ev.At, ev.From)
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

// hChange is an event without its time.
type hChange struct {
	Node     string
	From, To heartbeat.Status
}

func hChanges(evs []heartbeat.Event) []hChange {
	out := make([]hChange, len(evs))
	for i, ev := range evs {
		out[i] = hChange{ev.Node, ev.From, ev.To}
	}
	return out
}

const (
	hU = heartbeat.Unknown
	hA = heartbeat.Alive
	hS = heartbeat.Suspect
	hD = heartbeat.Dead
)

// hCall is one call of a fake prober: when it started, its ctx deadline, and
// when its ctx was done (zero if the probe returned first).
type hCall struct {
	Node            string
	Start, Deadline time.Time
}

// hProber is a fake prober. behave(i) says what call i (0-based, over all
// nodes) does: "ok", "fail" (at once), "hang" (until ctx is done), or
// "late-nil" (sleeps one Interval, ignoring ctx, then returns nil).
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
				assert.NoError(t, err, "Run's result after its ctx was cancelled")
			default:
				t.Errorf("Run did not return after its ctx was cancelled")
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
// to S.
func hAwait(t *testing.T, rec *hRec, n int, limit time.Time) []heartbeat.Event {
	t.Helper()
	synctest.Wait()
	got := rec.take()
	for len(got) < n && !time.Now().After(limit) {
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		got = append(got, rec.take()...)
	}
	require.GreaterOrEqual(t, len(got), n, "events by %v: %v", limit, got)
	return got
}

func hBounds(t *testing.T, at, lo, hi time.Time, what string) {
	t.Helper()
	assert.False(t, at.Before(lo), "%s at %v, before the earliest allowed %v", what, at, lo)
	assert.False(t, at.After(hi), "%s at %v, after the latest allowed %v", what, at, hi)
}

func hNew(t *testing.T, cfg heartbeat.Config, opts ...heartbeat.Option) *heartbeat.Detector {
	t.Helper()
	d, err := heartbeat.New(cfg, opts...)
	require.NoError(t, err, "New(%+v)", cfg)
	return d
}

// TestHiddenConfigValidation checks the edges of New's validation.
//
// Category: config
func TestHiddenConfigValidation(t *testing.T) {
	valid := []heartbeat.Config{
		{Interval: hI, Timeout: hI, Retries: 0},
		{Interval: 1, Timeout: 1, Retries: 0},
		{Interval: 1, Timeout: 1, Retries: math.MaxInt64 - 2}, // T + R·I = MaxInt64 − 1
		{Interval: time.Hour, Timeout: math.MaxInt64 - 1, Retries: 0},
	}
	for _, cfg := range valid {
		var (
			d   *heartbeat.Detector
			err error
		)
		require.NotPanics(t, func() { d, err = heartbeat.New(cfg) }, "New(%+v)", cfg)
		assert.NoError(t, err, "New(%+v)", cfg)
		assert.NotNil(t, d, "New(%+v)", cfg)
	}
	p := heartbeat.ProberFunc(func(context.Context, string) error { return nil })
	invalid := []struct {
		name string
		cfg  heartbeat.Config
		opts []heartbeat.Option
	}{
		{"T+R·I overflows", heartbeat.Config{Interval: time.Hour, Timeout: time.Hour, Retries: math.MaxInt}, nil},
		{"T+R·I = MaxInt64", heartbeat.Config{Interval: 1, Timeout: 1, Retries: math.MaxInt64 - 1}, nil},
		{"T = MaxInt64", heartbeat.Config{Interval: time.Hour, Timeout: math.MaxInt64, Retries: 0}, nil},
		{"Timeout 0", heartbeat.Config{Interval: hI, Timeout: 0, Retries: 3}, nil},
		{"negative everything", heartbeat.Config{Interval: -1, Timeout: -1, Retries: -1}, nil},
		{"nil prober", heartbeat.DefaultConfig(), []heartbeat.Option{heartbeat.WithProber(nil)}},
		{"nil callback", heartbeat.DefaultConfig(), []heartbeat.Option{heartbeat.WithProber(p), heartbeat.WithOnChange(nil)}},
	}
	for _, tc := range invalid {
		var (
			d   *heartbeat.Detector
			err error
		)
		require.NotPanics(t, func() { d, err = heartbeat.New(tc.cfg, tc.opts...) }, tc.name)
		assert.ErrorIs(t, err, heartbeat.ErrInvalidConfig, tc.name)
		assert.Nil(t, d, "%s: the detector must be nil with an error", tc.name)
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
			synctest.Test(t, func(t *testing.T) {
				var opts []heartbeat.Option
				if tc.active {
					opts = append(opts, heartbeat.WithProber(p))
				}
				d := hNew(t, tc.cfg, opts...)
				time.Sleep(time.Hour) // so that negative ages stay after the zero time
				hb := time.Now()
				d.Heartbeat("a", 1)
				for i, at := range tc.at {
					assert.Equal(t, tc.want[i], d.StatusAt("a", hb.Add(at)), "StatusAt(heartbeat %+v)", at)
				}
			})
		})
	}
}

// TestHiddenStatusAtDifferential compares StatusAt with the reference after
// random heartbeats (stale ones included) and Forgets.
//
// Category: differential
func TestHiddenStatusAtDifferential(t *testing.T) {
	for ci, cfg := range []heartbeat.Config{
		heartbeat.DefaultConfig(),
		{Interval: time.Second, Timeout: time.Second, Retries: 2},
		{Interval: 2 * time.Second, Timeout: 7 * time.Second, Retries: 0},
	} {
		t.Run(fmt.Sprint(cfg), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(42, uint64(ci)))
				t0 := time.Now()
				d := hNew(t, cfg)
				r, err := ref.New(ref.Config(cfg))
				require.NoError(t, err)
				nodes := make([]string, 20)
				for i := range nodes {
					nodes[i] = fmt.Sprintf("n%d", i)
				}
				for now := time.Duration(0); now < 3*time.Minute; {
					now += time.Duration(rng.IntN(3000)+1) * time.Millisecond
					time.Sleep(time.Until(t0.Add(now)))
					n := nodes[rng.IntN(len(nodes))]
					if rng.IntN(20) == 0 {
						d.Forget(n)
						r.Forget(n)
						continue
					}
					seq := uint64(rng.IntN(40))
					d.Heartbeat(n, seq)
					r.Heartbeat(n, seq)
				}
				end := time.Now()
				for range 1000 {
					n := nodes[rng.IntN(len(nodes))]
					at := t0.Add(time.Duration(rng.Int64N(int64(end.Sub(t0) + time.Minute))))
					require.Equal(t, heartbeat.Status(r.StatusAt(n, at)), d.StatusAt(n, at), "StatusAt(%q, t0+%v)", n, at.Sub(t0))
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
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				p := &hProber{behave: hAlways("fail")}
				opts := []heartbeat.Option{heartbeat.WithOnChange(rec.on)}
				if active {
					opts = append(opts, heartbeat.WithProber(p))
				}
				d := hNew(t, heartbeat.DefaultConfig(), opts...)
				d.Heartbeat("a", 1)
				synctest.Wait()
				hSleepUntil(t0.Add(time.Minute))
				assert.Equal(t, []heartbeat.Event{{Node: "a", From: hU, To: hA, At: t0}}, rec.take(), "only the heartbeat's event")
				want := hD
				if active {
					want = hS
				}
				assert.Equal(t, want, d.Status("a"), "Status follows the clock without Run")
				assert.Zero(t, p.count(), "no probe without Run")
			})
		})
	}
}

// TestHiddenStaleHeartbeatIgnored checks that stale and duplicate seqs do
// not refresh a node and emit nothing.
//
// Category: behaviour
func TestHiddenStaleHeartbeatIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
		hb := t0.Add(time.Millisecond)
		hSleepUntil(hb)
		d.Heartbeat("a", 5)
		hSleepUntil(t0.Add(9 * time.Second))
		d.Heartbeat("a", 3)
		hSleepUntil(t0.Add(12 * time.Second))
		d.Heartbeat("a", 5)
		synctest.Wait()
		assert.Equal(t, hA, d.StatusAt("a", hb.Add(hT)), "15s after the accepted heartbeat")
		assert.Equal(t, hS, d.StatusAt("a", hb.Add(hT+1)), "the stale (seq 3) and duplicate (seq 5) heartbeats must not refresh the node")
		assert.Equal(t, []hChange{{"a", hU, hA}}, hChanges(rec.take()), "ignored heartbeats emit nothing")

		hSleepUntil(hb.Add(20*time.Second + 1))
		assert.Equal(t, []hChange{{"a", hA, hS}}, hChanges(rec.take()))
		hSleepUntil(t0.Add(21 * time.Second))
		d.Heartbeat("a", 6)
		synctest.Wait()
		assert.Equal(t, []heartbeat.Event{{Node: "a", From: hS, To: hA, At: t0.Add(21 * time.Second)}}, rec.take(), "seq 6 is newer")
		assert.Equal(t, hA, d.StatusAt("a", t0.Add(36*time.Second)), "seq 6 refreshed the node")
		assert.Equal(t, hS, d.StatusAt("a", t0.Add(36*time.Second+1)))
	})
}

// TestHiddenDeadNeedsHigherSeq checks that a Dead node (passive, and
// declared Dead by probes) comes back only with a newer seq.
//
// Category: behaviour
func TestHiddenDeadNeedsHigherSeq(t *testing.T) {
	for _, active := range []bool{false, true} {
		t.Run(fmt.Sprintf("active=%v", active), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				opts := []heartbeat.Option{heartbeat.WithOnChange(rec.on)}
				if active {
					opts = append(opts, heartbeat.WithProber(&hProber{behave: hAlways("fail")}))
				}
				d := hNew(t, heartbeat.DefaultConfig(), opts...)
				stop := hStartRun(t, d)
				defer stop()
				hSleepUntil(t0.Add(time.Millisecond))
				d.Heartbeat("a", 5)
				hSleepUntil(t0.Add(40*time.Second + 3*time.Millisecond))
				require.Equal(t, []hChange{{"a", hU, hA}, {"a", hA, hS}, {"a", hS, hD}}, hChanges(rec.take()))
				for _, seq := range []uint64{5, 4, 0} {
					d.Heartbeat("a", seq)
					synctest.Wait()
					assert.Equal(t, hD, d.Status("a"), "after a heartbeat with seq %d (not newer than 5)", seq)
				}
				assert.Empty(t, rec.take(), "heartbeats with old seqs emit nothing")
				hSleepUntil(t0.Add(41*time.Second + 7*time.Millisecond))
				d.Heartbeat("a", 6)
				synctest.Wait()
				assert.Equal(t, []heartbeat.Event{{Node: "a", From: hD, To: hA, At: t0.Add(41*time.Second + 7*time.Millisecond)}}, rec.take())
				assert.Equal(t, hA, d.Status("a"))
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
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				p := &hProber{behave: hAlways("fail")}
				opts := []heartbeat.Option{heartbeat.WithOnChange(rec.on)}
				if active {
					opts = append(opts, heartbeat.WithProber(p))
				}
				d := hNew(t, heartbeat.Config{Interval: hI, Timeout: hT, Retries: 0}, opts...)
				stop := hStartRun(t, d)
				defer stop()
				hb := t0.Add(time.Millisecond)
				hSleepUntil(hb)
				d.Heartbeat("a", 1)
				hSleepUntil(hb.Add(hT))
				assert.Equal(t, hA, d.Status("a"))
				hSleepUntil(hb.Add(hT + 1))
				assert.Equal(t, hD, d.Status("a"))
				hSleepUntil(hb.Add(time.Minute))
				got := rec.take()
				require.Equal(t, []hChange{{"a", hU, hA}, {"a", hA, hD}}, hChanges(got))
				hBounds(t, got[1].At, hb.Add(hT+1), hb.Add(hT+hI+1), "Alive→Dead")
				assert.Zero(t, p.count(), "with Retries 0 nothing is probed")
			})
		})
	}
}

// TestHiddenForgetThenRejoin checks that Forget drops the node and its seq
// history, emits nothing, and that the node rejoins with any seq.
//
// Category: behaviour
func TestHiddenForgetThenRejoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
		hSleepUntil(t0.Add(time.Millisecond))
		d.Heartbeat("a", 5)
		d.Heartbeat("b", 1)
		hSleepUntil(t0.Add(7 * time.Second))
		d.Forget("a")
		d.Forget("never-seen")
		rec.forget("a")
		assert.Equal(t, hU, d.Status("a"), "after Forget")
		assert.Equal(t, hU, d.StatusAt("a", t0.Add(time.Millisecond)), "after Forget")
		assert.Equal(t, hU, d.Status("never-seen"), "forgetting an unknown node does nothing")
		hSleepUntil(t0.Add(2*time.Minute + 7*time.Second))
		assert.Equal(t, []hChange{{"a", hU, hA}, {"b", hU, hA}, {"b", hA, hS}, {"b", hS, hD}}, hChanges(rec.take()),
			"Forget emits nothing, and no event follows for the forgotten node")
		at := t0.Add(2*time.Minute + 8*time.Second + 3*time.Millisecond)
		hSleepUntil(at)
		d.Heartbeat("a", 0)
		synctest.Wait()
		assert.Equal(t, []heartbeat.Event{{Node: "a", From: hU, To: hA, At: at}}, rec.take(), "seq 0 is accepted after Forget")
		assert.Equal(t, hA, d.Status("a"))
	})
}

// TestHiddenEventTimingBounds checks that 100 nodes each get their Suspect
// and Dead events within one Interval of the change.
//
// Category: timing
func TestHiddenEventTimingBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
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
		require.Len(t, per, 100)
		for i := range 100 {
			n := fmt.Sprintf("n%d", i)
			evs := per[n]
			require.Equal(t, []hChange{{n, hU, hA}, {n, hA, hS}, {n, hS, hD}}, hChanges(evs), n)
			assert.Equal(t, hb(i), evs[0].At, "%s: Unknown→Alive at its heartbeat", n)
			hBounds(t, evs[1].At, hb(i).Add(hT+1), hb(i).Add(hT+hI+1), n+" Alive→Suspect")
			hBounds(t, evs[2].At, hb(i).Add(30*time.Second+1), hb(i).Add(35*time.Second+1), n+" Suspect→Dead")
		}
	})
}

// TestHiddenEventsExactlyOnceInOrder runs two minutes of mixed heartbeats on
// five nodes and checks every node's exact list of transitions.
//
// Category: behaviour
func TestHiddenEventsExactlyOnceInOrder(t *testing.T) {
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
		// Run the script in time order.
		for len(script) > 0 {
			first := 0
			for i, s := range script {
				if s.at < script[first].at {
					first = i
				}
			}
			s := script[first]
			script = append(script[:first], script[first+1:]...)
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
		want := map[string][]hChange{
			"n0": {{"n0", hU, hA}},
			"n1": {{"n1", hU, hA}, {"n1", hA, hS}, {"n1", hS, hD}, {"n1", hD, hA}, {"n1", hA, hS}, {"n1", hS, hD}},
			"n2": {{"n2", hU, hA}, {"n2", hA, hS}, {"n2", hS, hA}, {"n2", hA, hS}, {"n2", hS, hD}},
			"n3": {{"n3", hU, hA}, {"n3", hA, hS}, {"n3", hS, hA}, {"n3", hA, hS}, {"n3", hS, hD}, {"n3", hD, hA}, {"n3", hA, hS}},
			"n4": {{"n4", hU, hA}, {"n4", hA, hS}, {"n4", hU, hA}},
		}
		assert.Len(t, per, len(want))
		for n, w := range want {
			assert.Equal(t, w, hChanges(per[n]), "transitions of %s", n)
			for i := 1; i < len(per[n]); i++ {
				assert.False(t, per[n][i].At.Before(per[n][i-1].At), "%s: event %d's At goes back in time", n, i)
			}
		}
	})
}

// TestHiddenProbeSuccessOnSecondTry checks that a success ends probing at
// once, revives the node, and that it counts as a heartbeat.
//
// Category: timing
func TestHiddenProbeSuccessOnSecondTry(t *testing.T) {
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
		hb := t0.Add(time.Millisecond)
		hSleepUntil(hb)
		d.Heartbeat("a", 1)
		got := hAwait(t, rec, 2, hb.Add(20*time.Second+1))
		require.Equal(t, []hChange{{"a", hU, hA}, {"a", hA, hS}}, hChanges(got))
		s := got[1].At
		hSleepUntil(s.Add(5*time.Second + 1))
		assert.Equal(t, []heartbeat.Event{{Node: "a", From: hS, To: hA, At: s.Add(5 * time.Second)}}, rec.take(), "the second probe answers")
		assert.Equal(t, []hCall{{"a", s, s.Add(hI)}, {"a", s.Add(hI), s.Add(2 * hI)}}, p.got())
		assert.Equal(t, hA, d.Status("a"))
		assert.Equal(t, hA, d.StatusAt("a", s.Add(20*time.Second)), "the success counts as a heartbeat at S+5s")
		assert.Equal(t, hS, d.StatusAt("a", s.Add(20*time.Second+1)), "the success counts as a heartbeat at S+5s")

		hSleepUntil(s.Add(25*time.Second + 1))
		got = rec.take()
		require.Equal(t, []hChange{{"a", hA, hS}, {"a", hS, hA}}, hChanges(got), "the next suspicion, answered by its first probe")
		hBounds(t, got[0].At, s.Add(20*time.Second+1), s.Add(25*time.Second+1), "second Alive→Suspect")
		assert.Equal(t, 3, p.count())
	})
}

// TestHiddenConcurrentHeartbeatsAndReads hammers the detector from 32
// goroutines while Run runs, then checks every node's event chain.
//
// Category: concurrency
func TestHiddenConcurrentHeartbeatsAndReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		stop := hStartRun(t, d)
		defer stop()
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
					s := d.Status(own)
					assert.Equal(t, d.StatusAt(own, now), s, "Status(%s) at t0+%v", own, now.Sub(t0))
					assert.Equal(t, d.StatusAt("shared", now), d.Status("shared"))
					time.Sleep(time.Second)
				}
			})
		}
		wg.Wait()
		hSleepUntil(t0.Add(125 * time.Second))
		per := map[string][]hChange{}
		for _, c := range hChanges(rec.take()) {
			per[c.Node] = append(per[c.Node], c)
		}
		assert.Len(t, per, 17)
		for n, cs := range per {
			assert.Equal(t, []hChange{{n, hU, hA}, {n, hA, hS}, {n, hS, hD}}, cs, n)
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
		retries int
		deadIn  time.Duration // after S
	}{
		{"fail", 3, 10 * time.Second},
		{"hang", 3, 15 * time.Second},
		{"late-nil", 3, 15 * time.Second},
		{"fail", 1, 0},
		{"hang", 1, 5 * time.Second},
	} {
		t.Run(fmt.Sprintf("%s R=%d", tc.behave, tc.retries), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				rec := hNewRec(t)
				p := &hProber{behave: hAlways(tc.behave)}
				d := hNew(t, heartbeat.Config{Interval: hI, Timeout: hT, Retries: tc.retries},
					heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
				stop := hStartRun(t, d)
				defer stop()
				hb := t0.Add(time.Millisecond)
				hSleepUntil(hb)
				d.Heartbeat("a", 1)
				got := hAwait(t, rec, 2, hb.Add(20*time.Second+1))
				require.Equal(t, []hChange{{"a", hU, hA}, {"a", hA, hS}}, hChanges(got[:2]))
				s := got[1].At
				hSleepUntil(s.Add(tc.deadIn))
				require.Equal(t, []heartbeat.Event{{Node: "a", From: hS, To: hD, At: s.Add(tc.deadIn)}}, append(got[2:], rec.take()...),
					"Dead when failure number %d is known", tc.retries)
				hSleepUntil(s.Add(2 * time.Minute))
				var want []hCall
				for k := range tc.retries {
					start := s.Add(time.Duration(k) * hI)
					want = append(want, hCall{"a", start, start.Add(hI)})
				}
				assert.Equal(t, want, p.got(), "exactly Retries probes, every Interval from S, each with deadline start+Interval")
				assert.Empty(t, rec.take(), "no event after Dead")
				assert.Equal(t, hD, d.Status("a"))
			})
		})
	}
}

// TestHiddenTwoSuspicions checks that a suspicion ended by a heartbeat
// ignores its late probe result and that the next one counts from zero.
//
// Category: behaviour
func TestHiddenTwoSuspicions(t *testing.T) {
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
		hb := t0.Add(time.Millisecond)
		hSleepUntil(hb)
		d.Heartbeat("a", 1)
		got := hAwait(t, rec, 2, hb.Add(20*time.Second+1))
		require.Equal(t, []hChange{{"a", hU, hA}, {"a", hA, hS}}, hChanges(got))
		s := got[1].At
		hSleepUntil(s.Add(7 * time.Second))
		d.Heartbeat("a", 2)
		synctest.Wait()
		assert.Equal(t, []heartbeat.Event{{Node: "a", From: hS, To: hA, At: s.Add(7 * time.Second)}}, rec.take())
		hSleepUntil(s.Add(10*time.Second + 1))
		assert.Empty(t, rec.take(), "the hung probe's failure belongs to the ended suspicion")
		assert.Equal(t, hA, d.Status("a"))
		assert.Equal(t, 2, p.count(), "no probe after the suspicion ended")

		got = hAwait(t, rec, 1, s.Add(27*time.Second+1))
		require.Equal(t, []hChange{{"a", hA, hS}}, hChanges(got), "the second suspicion")
		s2 := got[0].At
		hBounds(t, s2, s.Add(22*time.Second+1), s.Add(27*time.Second+1), "second Alive→Suspect")
		hSleepUntil(s2.Add(time.Minute))
		assert.Equal(t, []heartbeat.Event{{Node: "a", From: hS, To: hD, At: s2.Add(10 * time.Second)}}, rec.take(),
			"the second suspicion needs three failures of its own")
		calls := p.got()
		require.Len(t, calls, 5)
		assert.Equal(t, []hCall{
			{"a", s2, s2.Add(hI)}, {"a", s2.Add(hI), s2.Add(2 * hI)}, {"a", s2.Add(2 * hI), s2.Add(3 * hI)},
		}, calls[2:])
	})
}

// TestHiddenForgetDiscardsProbe checks that the result of a probe running
// when its node was forgotten is discarded.
//
// Category: behaviour
func TestHiddenForgetDiscardsProbe(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hHangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := hNewRec(t)
		p := &hProber{behave: hAlways("hang")}
		d := hNew(t, heartbeat.Config{Interval: hI, Timeout: hT, Retries: 1}, heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
		stop := hStartRun(t, d)
		defer stop()
		hSleepUntil(t0.Add(time.Millisecond))
		d.Heartbeat("a", 5)
		got := hAwait(t, rec, 2, t0.Add(20*time.Second+time.Millisecond+1))
		require.Equal(t, []hChange{{"a", hU, hA}, {"a", hA, hS}}, hChanges(got))
		s := got[1].At
		hSleepUntil(s.Add(2 * time.Second))
		d.Forget("a")
		rec.forget("a")
		hSleepUntil(s.Add(time.Minute))
		assert.Empty(t, rec.take(), "the hung probe's failure must not make a forgotten node Dead")
		assert.Equal(t, hU, d.Status("a"))
		assert.Equal(t, 1, p.count(), "a forgotten node is not probed")
	})
}

// TestHiddenRunStopsCleanly checks Run's shutdown, ErrRunning, and that a
// restarted Run resumes detection and probing from zero failures.
//
// Category: behaviour
func TestHiddenRunStopsCleanly(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hHangCause)
	t.Run("cancel during a hung probe", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			rec := hNewRec(t)
			p := &hProber{behave: hAlways("hang")}
			d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on), heartbeat.WithProber(p))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			hSleepUntil(t0.Add(time.Millisecond))
			d.Heartbeat("a", 1)
			got := hAwait(t, rec, 2, t0.Add(20*time.Second+time.Millisecond+1))
			require.Equal(t, []hChange{{"a", hU, hA}, {"a", hA, hS}}, hChanges(got))
			s := got[1].At
			hSleepUntil(s.Add(time.Second))
			cancel()
			require.NoError(t, <-done, "Run's result")
			assert.Equal(t, s.Add(time.Second), time.Now(), "Run returns as soon as its ctx is done")
			synctest.Wait()
			p.mu.Lock()
			assert.Equal(t, []time.Time{s.Add(time.Second)}, p.doneAt, "the in-flight probe's ctx is cancelled with Run's")
			p.mu.Unlock()
			hSleepUntil(s.Add(time.Minute))
			assert.Equal(t, 1, p.count(), "no probe after Run returned")
			assert.Empty(t, rec.take(), "no time-driven event after Run returned (an aborted probe is not a failure)")
			assert.Equal(t, hS, d.Status("a"))

			// Restart: the node is still reported Suspect and is probed from
			// zero failures, the first probe within one Interval.
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			r := time.Now()
			go func() { done <- d.Run(ctx) }()
			hSleepUntil(r.Add(hI))
			calls := p.got()
			require.GreaterOrEqual(t, len(calls), 2, "a probe within one Interval of the restart")
			p1 := calls[1].Start
			hBounds(t, p1, r, r.Add(hI), "first probe after the restart")
			hSleepUntil(p1.Add(time.Minute))
			assert.Equal(t, []heartbeat.Event{{Node: "a", From: hS, To: hD, At: p1.Add(15 * time.Second)}}, rec.take(),
				"three fresh failures after the restart")
			assert.Equal(t, 4, p.count())
			cancel()
			require.NoError(t, <-done)
		})
	})
	t.Run("ErrRunning and passive restart", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			rec := hNewRec(t)
			d := hNew(t, heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			hSleepUntil(t0.Add(time.Millisecond))
			d.Heartbeat("a", 1)

			ctx2, cancel2 := context.WithCancel(context.Background())
			defer cancel2()
			second := make(chan error, 1)
			go func() { second <- d.Run(ctx2) }()
			synctest.Wait()
			select {
			case err := <-second:
				assert.ErrorIs(t, err, heartbeat.ErrRunning, "a second Run while one runs")
			default:
				cancel2()
				<-second
				t.Fatal("a second Run while one runs must return ErrRunning at once")
			}
			hSleepUntil(t0.Add(20*time.Second + time.Millisecond + 1))
			assert.Equal(t, []hChange{{"a", hU, hA}, {"a", hA, hS}}, hChanges(rec.take()), "the first Run still works")
			cancel()
			require.NoError(t, <-done)
			hSleepUntil(t0.Add(50 * time.Second))
			assert.Empty(t, rec.take(), "no Run, no Dead event")

			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			r := time.Now()
			go func() { done <- d.Run(ctx) }()
			hSleepUntil(r.Add(hI))
			got := rec.take()
			require.Equal(t, []hChange{{"a", hS, hD}}, hChanges(got), "a restarted Run reports changes again")
			hBounds(t, got[0].At, r, r.Add(hI), "Suspect→Dead after the restart")
			cancel()
			require.NoError(t, <-done)
		})
	})
}

// TestHiddenHungProbeDoesNotBlockOthers checks that probes that hang until
// their deadline delay neither other nodes' detection nor their probes.
//
// Category: concurrency
func TestHiddenHungProbeDoesNotBlockOthers(t *testing.T) {
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
			require.Equal(t, []hChange{{n, hU, hA}, {n, hA, hS}, {n, hS, hD}}, hChanges(evs), n)
			s := evs[1].At
			hBounds(t, s, hb[n].Add(hT+1), hb[n].Add(hT+hI+1), n+" Alive→Suspect")
			var want []hCall
			for k := range 3 {
				start := s.Add(time.Duration(k) * hI)
				want = append(want, hCall{n, start, start.Add(hI)})
			}
			assert.Equal(t, want, calls[n], "%s's probes", n)
			dead := s.Add(15 * time.Second)
			if n == "b" {
				dead = s.Add(10 * time.Second)
			}
			assert.Equal(t, dead, evs[2].At, "%s Suspect→Dead", n)
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
		until  time.Duration
		want   []heartbeat.Status
	}{
		{"passive", "", 40 * time.Second, []heartbeat.Status{hA, hS, hD}},
		{"active, probes fail", "fail", 40 * time.Second, []heartbeat.Status{hA, hS, hD}},
		{"active, probe answers", "ok", 30 * time.Second, []heartbeat.Status{hA, hS, hA}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				var (
					d    *heartbeat.Detector
					mu   sync.Mutex
					seen []heartbeat.Status
				)
				onChange := func(ev heartbeat.Event) {
					st, at := d.Status(ev.Node), d.StatusAt(ev.Node, ev.At)
					assert.Equal(t, ev.To, st, "Status(%q) inside OnChange(%v→%v)", ev.Node, ev.From, ev.To)
					assert.Equal(t, ev.To, at, "StatusAt(%q, ev.At) inside OnChange(%v→%v)", ev.Node, ev.From, ev.To)
					mu.Lock()
					seen = append(seen, ev.To)
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
				assert.Equal(t, tc.want, seen)
				mu.Unlock()
			})
		})
	}
}
