package heartbeat_test

import (
	"context"
	"strconv"
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
		r.t.Errorf("event %v: From is %v, but the previous event for %q ended in %v", ev, ev.From, ev.Node, prev)
	}
	if ev.From == ev.To {
		r.t.Errorf("event %v: From == To", ev)
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

// change is an event without its time.
type change struct {
	Node     string
	From, To heartbeat.Status
}

func changes(evs []heartbeat.Event) []change {
	out := make([]change, len(evs))
	for i, ev := range evs {
		out[i] = change{ev.Node, ev.From, ev.To}
	}
	return out
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
				assert.NoError(t, err, "Run after its ctx was cancelled")
			default:
				t.Errorf("Run did not return once its ctx was cancelled and every goroutine was idle")
				<-done
			}
		})
	}
}

// sleepUntil advances the bubble's clock to at and lets the detector act.
func sleepUntil(at time.Time) {
	time.Sleep(time.Until(at))
	synctest.Wait()
}

// inBounds asserts lo <= at <= hi.
func inBounds(t *testing.T, at, lo, hi time.Time, what string) {
	t.Helper()
	assert.False(t, at.Before(lo), "%s at %v, before the earliest allowed %v", what, at, lo)
	assert.False(t, at.After(hi), "%s at %v, after the latest allowed %v", what, at, hi)
}

func TestConfigValidation(t *testing.T) {
	require.Equal(t, heartbeat.Config{Interval: 5 * time.Second, Timeout: 15 * time.Second, Retries: 3}, heartbeat.DefaultConfig())
	d, err := heartbeat.New(heartbeat.DefaultConfig())
	require.NoError(t, err, "New(DefaultConfig())")
	require.NotNil(t, d)

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
			d, err := heartbeat.New(tc.cfg)
			assert.ErrorIs(t, err, heartbeat.ErrInvalidConfig, "New(%+v)", tc.cfg)
			assert.Nil(t, d, "New(%+v) must return a nil detector with its error", tc.cfg)
		})
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[heartbeat.Status]string{
		heartbeat.Unknown:    "unknown",
		heartbeat.Alive:      "alive",
		heartbeat.Suspect:    "suspect",
		heartbeat.Dead:       "dead",
		heartbeat.Status(7):  "Status(7)",
		heartbeat.Status(-1): "Status(-1)",
	} {
		assert.Equal(t, want, s.String(), "Status(%d).String()", int(s))
	}
}

func TestStatusAt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		d, err := heartbeat.New(heartbeat.DefaultConfig())
		require.NoError(t, err)
		d.Heartbeat("a", 1)
		for _, tc := range []struct {
			after time.Duration
			want  heartbeat.Status
		}{
			{0, heartbeat.Alive},
			{10 * time.Second, heartbeat.Alive},
			{20 * time.Second, heartbeat.Suspect},
			{31 * time.Second, heartbeat.Dead},
		} {
			assert.Equal(t, tc.want, d.StatusAt("a", t0.Add(tc.after)), "StatusAt(heartbeat + %v)", tc.after)
		}
		assert.Equal(t, heartbeat.Unknown, d.StatusAt("b", t0), "a node never heard from")
		assert.Equal(t, heartbeat.Unknown, d.Status("b"), "a node never heard from")

		for _, after := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 31 * time.Second} {
			sleepUntil(t0.Add(after))
			assert.Equal(t, d.StatusAt("a", time.Now()), d.Status("a"), "Status at heartbeat + %v, without Run", after)
		}
		assert.Equal(t, heartbeat.Dead, d.Status("a"), "Status at heartbeat + 31s")
	})
}

func TestHeartbeatRefutesSuspicion(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := newRecorder(t)
		d, err := heartbeat.New(heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		require.NoError(t, err)
		stop := startRun(t, d)
		defer stop()

		hb := t0.Add(time.Millisecond)
		sleepUntil(hb)
		d.Heartbeat("a", 1)
		sleepUntil(hb.Add(20*time.Second + 1))
		got := rec.take()
		require.Equal(t, []change{
			{"a", heartbeat.Unknown, heartbeat.Alive},
			{"a", heartbeat.Alive, heartbeat.Suspect},
		}, changes(got), "events by the latest instant the Suspect event may come")
		assert.Equal(t, hb, got[0].At, "Unknown→Alive is reported at the heartbeat")
		inBounds(t, got[1].At, hb.Add(15*time.Second+1), hb.Add(20*time.Second+1), "Alive→Suspect")

		sleepUntil(t0.Add(21 * time.Second))
		d.Heartbeat("a", 2)
		synctest.Wait()
		assert.Equal(t, []heartbeat.Event{{Node: "a", From: heartbeat.Suspect, To: heartbeat.Alive, At: t0.Add(21 * time.Second)}},
			rec.take(), "a newer heartbeat refutes the suspicion at once")
		assert.Equal(t, heartbeat.Alive, d.Status("a"))
	})
}

func TestPassiveDead(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		rec := newRecorder(t)
		d, err := heartbeat.New(heartbeat.DefaultConfig(), heartbeat.WithOnChange(rec.on))
		require.NoError(t, err)
		stop := startRun(t, d)
		defer stop()

		hb := t0.Add(time.Millisecond)
		sleepUntil(hb)
		d.Heartbeat("a", 1)
		sleepUntil(hb.Add(35*time.Second + 1))
		got := rec.take()
		require.Equal(t, []change{
			{"a", heartbeat.Unknown, heartbeat.Alive},
			{"a", heartbeat.Alive, heartbeat.Suspect},
			{"a", heartbeat.Suspect, heartbeat.Dead},
		}, changes(got), "a silent node, passive")
		inBounds(t, got[1].At, hb.Add(15*time.Second+1), hb.Add(20*time.Second+1), "Alive→Suspect")
		inBounds(t, got[2].At, hb.Add(30*time.Second+1), hb.Add(35*time.Second+1), "Suspect→Dead")
		assert.Equal(t, heartbeat.Dead, d.Status("a"))

		sleepUntil(hb.Add(2 * time.Minute))
		assert.Empty(t, rec.take(), "a Dead node stays Dead: no more events")
	})
}

// probeCall is one call of a fake prober.
type probeCall struct {
	start, deadline time.Time
}

func TestProberRecovers(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var (
			mu    sync.Mutex
			calls []probeCall
		)
		prober := heartbeat.ProberFunc(func(ctx context.Context, node string) error {
			dl, ok := ctx.Deadline()
			assert.True(t, ok, "a probe's ctx has a deadline")
			assert.Equal(t, "a", node)
			mu.Lock()
			calls = append(calls, probeCall{time.Now(), dl})
			mu.Unlock()
			return nil
		})
		rec := newRecorder(t)
		d, err := heartbeat.New(heartbeat.DefaultConfig(), heartbeat.WithProber(prober), heartbeat.WithOnChange(rec.on))
		require.NoError(t, err)
		stop := startRun(t, d)
		defer stop()

		hb := t0.Add(time.Millisecond)
		sleepUntil(hb)
		d.Heartbeat("a", 1)
		sleepUntil(hb.Add(20*time.Second + 1))
		got := rec.take()
		require.Equal(t, []change{
			{"a", heartbeat.Unknown, heartbeat.Alive},
			{"a", heartbeat.Alive, heartbeat.Suspect},
			{"a", heartbeat.Suspect, heartbeat.Alive},
		}, changes(got), "the first probe answers")
		s := got[1].At
		inBounds(t, s, hb.Add(15*time.Second+1), hb.Add(20*time.Second+1), "Alive→Suspect")
		assert.Equal(t, s, got[2].At, "Suspect→Alive comes when the probe returns, at the Suspect event's instant")
		mu.Lock()
		assert.Equal(t, []probeCall{{s, s.Add(5 * time.Second)}}, calls, "one probe, at the Suspect event, deadline one Interval later")
		mu.Unlock()
		assert.Equal(t, heartbeat.Alive, d.Status("a"))
	})
}

func TestRunStops(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hangCause)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		d, err := heartbeat.New(heartbeat.DefaultConfig())
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(time.Millisecond)
		d.Heartbeat("a", 1)
		time.Sleep(12 * time.Second)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Run returned %v before its ctx was done", err)
		default:
		}
		cancel()
		err = <-done
		assert.NoError(t, err, "Run returns nil once its ctx is done")
		assert.Equal(t, t0.Add(12*time.Second+time.Millisecond), time.Now(), "Run returns at once")
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
