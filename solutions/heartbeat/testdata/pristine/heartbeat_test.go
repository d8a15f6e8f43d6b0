package heartbeat_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
)

// hangCause is the watchdog's hint: virtual time stops when a goroutine
// waits on a mutex that another holds across a wait.
const hangCause = "lock held across Probe or OnChange, or Run never returns?"

// epoch is where the clock of every synctest bubble starts; messages write
// instants as t0+d.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// at writes an instant of a bubble as t0+d.
func at(t time.Time) string {
	switch d := t.Sub(epoch); {
	case d == 0:
		return "t0"
	case d < 0:
		return "t0-" + (-d).String()
	default:
		return "t0+" + d.String()
	}
}

// name writes a Status as the README does, without relying on the code
// under test's String method.
func name(s heartbeat.Status) string {
	switch s {
	case heartbeat.Unknown:
		return "unknown"
	case heartbeat.Alive:
		return "alive"
	case heartbeat.Suspect:
		return "suspect"
	case heartbeat.Dead:
		return "dead"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// cfgString writes a Config field by field.
func cfgString(c heartbeat.Config) string {
	return fmt.Sprintf("Config{Interval: %v, Timeout: %v, Retries: %d}", c.Interval, c.Timeout, c.Retries)
}

// eventString writes an event as `a alive→suspect at t0+20s`.
func eventString(ev heartbeat.Event) string {
	return fmt.Sprintf("%s %s→%s at %s", ev.Node, name(ev.From), name(ev.To), at(ev.At))
}

// events writes events with their times, or "none".
func events(evs []heartbeat.Event) string {
	if len(evs) == 0 {
		return "none"
	}
	s := make([]string, len(evs))
	for i, ev := range evs {
		s[i] = eventString(ev)
	}
	return strings.Join(s, ", ")
}

// changes writes events without their times: `a unknown→alive, a
// alive→suspect`, or "none".
func changes(evs []heartbeat.Event) string {
	if len(evs) == 0 {
		return "none"
	}
	s := make([]string, len(evs))
	for i, ev := range evs {
		s[i] = fmt.Sprintf("%s %s→%s", ev.Node, name(ev.From), name(ev.To))
	}
	return strings.Join(s, ", ")
}

// chain writes the changes of node through statuses, as changes does.
func chain(node string, statuses ...heartbeat.Status) string {
	s := make([]string, len(statuses)-1)
	for i := range s {
		s[i] = fmt.Sprintf("%s %s→%s", node, name(statuses[i]), name(statuses[i+1]))
	}
	return strings.Join(s, ", ")
}

// recorder collects OnChange events and checks each node's chain (rule 14)
// as they arrive.
type recorder struct {
	t      *testing.T
	mu     sync.Mutex
	events []heartbeat.Event
	last   map[string]heartbeat.Status
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{t: t, last: map[string]heartbeat.Status{}}
}

func (r *recorder) on(ev heartbeat.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev := r.last[ev.Node]; ev.From != prev {
		r.t.Errorf("OnChange(%s): From must be the To of the previous event for %q, %s", eventString(ev), ev.Node, name(prev))
	}
	if ev.From == ev.To {
		r.t.Errorf("OnChange(%s): From == To", eventString(ev))
	}
	r.last[ev.Node] = ev.To
	r.events = append(r.events, ev)
}

// take returns the events recorded since the last take.
func (r *recorder) take() []heartbeat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.events
	r.events = nil
	return got
}

// startRun runs d.Run in the bubble and returns a function that cancels it
// and requires that it returns nil at once.
func startRun(t *testing.T, d *heartbeat.Detector) (stop func()) {
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
				assert.NoError(t, err, "Run(ctx) after ctx was cancelled at %s", at(time.Now()))
			default:
				t.Errorf("Run(ctx) did not return after ctx was cancelled at %s and every goroutine was idle", at(time.Now()))
				<-done
			}
		})
	}
}

// sleepUntil advances the bubble's clock to t and lets the detector act.
func sleepUntil(t time.Time) {
	time.Sleep(time.Until(t))
	synctest.Wait()
}

// inBounds checks lo <= got <= hi.
func inBounds(t *testing.T, got, lo, hi time.Time, what string) {
	t.Helper()
	if got.Before(lo) || got.After(hi) {
		t.Errorf("%s at %s; want it between %s and %s", what, at(got), at(lo), at(hi))
	}
}

// statusIs checks a Status, naming it in the message.
func statusIs(t *testing.T, want, got heartbeat.Status, call string, args ...any) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %s, want %s", fmt.Sprintf(call, args...), name(got), name(want))
	}
}

// errString writes an error for messages: nil, or its text quoted.
func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return fmt.Sprintf("%q", err.Error())
}

// detector says what New returned in place of the detector.
func detector(ok bool) string {
	if ok {
		return "a detector"
	}
	return "nil"
}

// try runs fn and returns the value it panicked with, or nil. The stub's
// "not implemented" panic is not recovered.
func try(fn func()) (pv any) {
	defer func() {
		pv = recover()
		if pv == "not implemented" { // the stub: the grader reports it as not started
			panic(pv)
		}
	}()
	fn()
	return nil
}

// Rules 1, 2: DefaultConfig is {5s, 15s, 3} and valid; Interval 0, Timeout
// below Interval, negative Retries and the zero Config are refused.
func TestConfigValidation(t *testing.T) {
	katatest.Guard(t)
	want := heartbeat.Config{Interval: 5 * time.Second, Timeout: 15 * time.Second, Retries: 3}
	var def heartbeat.Config
	if pv := try(func() { def = heartbeat.DefaultConfig() }); pv != nil {
		t.Fatalf("DefaultConfig() panicked: %v", pv)
	}
	require.Equal(t, cfgString(want), cfgString(def), "DefaultConfig()")
	var (
		d   *heartbeat.Detector
		err error
	)
	if pv := try(func() { d, err = heartbeat.New(def) }); pv != nil {
		t.Fatalf("New(DefaultConfig()) panicked: %v", pv)
	}
	if err != nil || d == nil {
		t.Fatalf("New(DefaultConfig()) = %s, %s; want a detector, nil", detector(d != nil), errString(err))
	}

	for _, tc := range []struct {
		name string
		cfg  heartbeat.Config
	}{
		{"zero config", heartbeat.Config{}},
		{"interval 0", heartbeat.Config{Interval: 0, Timeout: 15 * time.Second, Retries: 3}},
		{"negative interval", heartbeat.Config{Interval: -time.Second, Timeout: 15 * time.Second, Retries: 3}},
		{"timeout < interval", heartbeat.Config{Interval: 5 * time.Second, Timeout: 5*time.Second - 1, Retries: 3}},
		{"retries -1", heartbeat.Config{Interval: 5 * time.Second, Timeout: 15 * time.Second, Retries: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call := "New(" + cfgString(tc.cfg) + ")"
			var (
				d   *heartbeat.Detector
				err error
			)
			if pv := try(func() { d, err = heartbeat.New(tc.cfg) }); pv != nil {
				t.Fatalf("%s panicked: %v", call, pv)
			}
			if d != nil || !errors.Is(err, heartbeat.ErrInvalidConfig) {
				t.Errorf("%s = %s, %s; want nil, an error matching ErrInvalidConfig", call, detector(d != nil), errString(err))
			}
		})
	}
}

// Status.String names the four statuses and writes others as Status(N).
func TestStatusString(t *testing.T) {
	katatest.Guard(t)
	for _, tc := range []struct {
		s    heartbeat.Status
		want string
	}{
		{heartbeat.Unknown, "unknown"},
		{heartbeat.Alive, "alive"},
		{heartbeat.Suspect, "suspect"},
		{heartbeat.Dead, "dead"},
		{heartbeat.Status(7), "Status(7)"},
		{heartbeat.Status(-1), "Status(-1)"},
	} {
		var got string
		if pv := try(func() { got = tc.s.String() }); pv != nil {
			t.Fatalf("Status(%d).String() panicked: %v", int(tc.s), pv)
		}
		assert.Equal(t, tc.want, got, "Status(%d).String()", int(tc.s))
	}
}

// Rules 6, 7: StatusAt follows the age of the last heartbeat (passive
// mode), and Status equals StatusAt(time.Now()) without Run.
func TestStatusAt(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		d, err := heartbeat.New(heartbeat.DefaultConfig())
		require.NoError(t, err, "New(DefaultConfig())")
		d.Heartbeat("a", 1)
		const setup = `New(DefaultConfig()); Heartbeat("a", 1) at t0`
		for _, tc := range []struct {
			after time.Duration
			want  heartbeat.Status
		}{
			{0, heartbeat.Alive},
			{10 * time.Second, heartbeat.Alive},
			{20 * time.Second, heartbeat.Suspect},
			{31 * time.Second, heartbeat.Dead},
		} {
			statusIs(t, tc.want, d.StatusAt("a", t0.Add(tc.after)), "%s; StatusAt(\"a\", %s)", setup, at(t0.Add(tc.after)))
		}
		statusIs(t, heartbeat.Unknown, d.StatusAt("b", t0), "%s; StatusAt(\"b\", t0) (never heard from)", setup)
		statusIs(t, heartbeat.Unknown, d.Status("b"), "%s; Status(\"b\") (never heard from)", setup)

		for _, after := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 31 * time.Second} {
			sleepUntil(t0.Add(after))
			statusIs(t, d.StatusAt("a", time.Now()), d.Status("a"), "%s; Status(\"a\") at %s, without Run (want StatusAt(\"a\", time.Now()))", setup, at(time.Now()))
		}
		statusIs(t, heartbeat.Dead, d.Status("a"), "%s; Status(\"a\") at t0+31s", setup)
	})
}

// Rules 4, 12, 13: a silent node is reported Suspect within one Interval of
// its timeout, and a newer heartbeat refutes the suspicion at once.
func TestHeartbeatRefutesSuspicion(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, katatest.DefaultHang, hangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := newRecorder(t)
		d, err := heartbeat.New(heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		require.NoError(t, err, "New(DefaultConfig(), WithOnChange(...))")
		stop := startRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...)), Run from t0, Heartbeat("a", 1) at t0+1ms`

		hb := t0.Add(time.Millisecond)
		sleepUntil(hb)
		d.Heartbeat("a", 1)
		sleepUntil(hb.Add(20*time.Second + 1))
		got := rec.take()
		require.Equal(t, chain("a", heartbeat.Unknown, heartbeat.Alive, heartbeat.Suspect), changes(got),
			"%s: events by %s, the latest the suspicion may be reported", setup, at(time.Now()))
		assert.Equal(t, at(hb), at(got[0].At), "%s: At of the unknown→alive event (the heartbeat's time)", setup)
		inBounds(t, got[1].At, hb.Add(15*time.Second+1), hb.Add(20*time.Second+1), setup+": the alive→suspect event")

		sleepUntil(t0.Add(21 * time.Second))
		d.Heartbeat("a", 2)
		synctest.Wait()
		assert.Equal(t, `a suspect→alive at t0+21s`, events(rec.take()), "%s; Heartbeat(\"a\", 2) at t0+21s: events", setup)
		statusIs(t, heartbeat.Alive, d.Status("a"), "%s; Heartbeat(\"a\", 2) at t0+21s; Status(\"a\")", setup)
	})
}

// Rules 12, 13: a silent node goes Alive → Suspect → Dead in passive mode,
// each event within one Interval of its change, and stays Dead.
func TestPassiveDead(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, katatest.DefaultHang, hangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := newRecorder(t)
		d, err := heartbeat.New(heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		require.NoError(t, err, "New(DefaultConfig(), WithOnChange(...))")
		stop := startRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithOnChange(...)), Run from t0, Heartbeat("a", 1) at t0+1ms, then silence`

		hb := t0.Add(time.Millisecond)
		sleepUntil(hb)
		d.Heartbeat("a", 1)
		sleepUntil(hb.Add(35*time.Second + 1))
		got := rec.take()
		require.Equal(t, chain("a", heartbeat.Unknown, heartbeat.Alive, heartbeat.Suspect, heartbeat.Dead), changes(got),
			"%s: events by %s", setup, at(time.Now()))
		inBounds(t, got[1].At, hb.Add(15*time.Second+1), hb.Add(20*time.Second+1), setup+": the alive→suspect event")
		inBounds(t, got[2].At, hb.Add(30*time.Second+1), hb.Add(35*time.Second+1), setup+": the suspect→dead event")
		statusIs(t, heartbeat.Dead, d.Status("a"), "%s: Status(\"a\") at %s", setup, at(time.Now()))

		sleepUntil(hb.Add(2 * time.Minute))
		assert.Equal(t, "none", events(rec.take()), "%s: events after the dead event, up to %s (a Dead node stays Dead)", setup, at(time.Now()))
	})
}

// Rules 8, 9: in active mode the first probe starts when the suspicion is
// reported, with a deadline one Interval later; a nil answer brings the
// node back at once.
func TestProberRecovers(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, katatest.DefaultHang, hangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var (
			mu    sync.Mutex
			calls []string
		)
		prober := heartbeat.ProberFunc(func(ctx context.Context, node string) error {
			dl, ok := ctx.Deadline()
			mu.Lock()
			defer mu.Unlock()
			if !ok {
				calls = append(calls, fmt.Sprintf("Probe(%q) at %s with no deadline", node, at(time.Now())))
				return nil
			}
			calls = append(calls, fmt.Sprintf("Probe(%q) at %s, deadline %s", node, at(time.Now()), at(dl)))
			return nil
		})
		rec := newRecorder(t)
		d, err := heartbeat.New(heartbeat.DefaultConfig(), heartbeat.WithProber(prober), heartbeat.WithOnChange(rec.on))
		require.NoError(t, err, "New(DefaultConfig(), WithProber(...), WithOnChange(...))")
		stop := startRun(t, d)
		defer stop()
		const setup = `New(DefaultConfig(), WithProber(a prober that returns nil), WithOnChange(...)), Run from t0, Heartbeat("a", 1) at t0+1ms`

		hb := t0.Add(time.Millisecond)
		sleepUntil(hb)
		d.Heartbeat("a", 1)
		sleepUntil(hb.Add(20*time.Second + 1))
		got := rec.take()
		require.Equal(t, chain("a", heartbeat.Unknown, heartbeat.Alive, heartbeat.Suspect, heartbeat.Alive), changes(got),
			"%s: events by %s (the first probe answers)", setup, at(time.Now()))
		s := got[1].At
		inBounds(t, s, hb.Add(15*time.Second+1), hb.Add(20*time.Second+1), setup+": the alive→suspect event")
		assert.Equal(t, at(s), at(got[2].At), "%s: At of the suspect→alive event (when the probe returned, the instant of the suspect event)", setup)
		mu.Lock()
		assert.Equal(t, fmt.Sprintf("Probe(%q) at %s, deadline %s", "a", at(s), at(s.Add(5*time.Second))), strings.Join(calls, "; "),
			"%s: probes (one, at the suspect event, deadline one Interval later)", setup)
		mu.Unlock()
		statusIs(t, heartbeat.Alive, d.Status("a"), "%s: Status(\"a\") at %s", setup, at(time.Now()))
	})
}

// Rule 15: Run blocks until its ctx is done, then returns nil at once and
// leaves no goroutine behind.
func TestRunStops(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, katatest.DefaultHang, hangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		d, err := heartbeat.New(heartbeat.DefaultConfig())
		require.NoError(t, err, "New(DefaultConfig())")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(time.Millisecond)
		d.Heartbeat("a", 1)
		time.Sleep(12 * time.Second)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Run(ctx) started at t0 returned %s at %s, before ctx was done", errString(err), at(time.Now()))
		default:
		}
		cancel()
		err = <-done
		assert.NoError(t, err, "Run(ctx) after ctx was cancelled at t0+12.001s")
		assert.Equal(t, at(t0.Add(12*time.Second+time.Millisecond)), at(time.Now()), "when Run(ctx) returned after ctx was cancelled at t0+12.001s")
		// The bubble fails the test if any goroutine Run started remains.
	})
}

// loaded returns a detector with 1024 known nodes and their names.
func loaded(b *testing.B) (*heartbeat.Detector, []string) {
	d, err := heartbeat.New(heartbeat.DefaultConfig())
	require.NoError(b, err)
	names := make([]string, 1024)
	for i := range names {
		names[i] = "node-" + strconv.Itoa(i)
		d.Heartbeat(names[i], 0)
	}
	return d, names
}

func BenchmarkHeartbeat(b *testing.B) {
	d, names := loaded(b)
	seq := uint64(0)
	for b.Loop() {
		seq++
		d.Heartbeat(names[seq%1024], seq)
	}
}

func BenchmarkHeartbeatParallel(b *testing.B) {
	d, names := loaded(b)
	var next atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			seq := next.Add(1)
			d.Heartbeat(names[seq%1024], seq)
		}
	})
}

func BenchmarkStatusAt(b *testing.B) {
	d, names := loaded(b)
	now := time.Now().Add(20 * time.Second)
	i := 0
	for b.Loop() {
		i++
		if d.StatusAt(names[i%1024], now) != heartbeat.Suspect {
			b.Fatal("want Suspect")
		}
	}
}

func BenchmarkStatus(b *testing.B) {
	d, names := loaded(b)
	i := 0
	for b.Loop() {
		i++
		if d.Status(names[i%1024]) != heartbeat.Alive {
			b.Fatal("want Alive")
		}
	}
}
