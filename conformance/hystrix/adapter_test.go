package hystrix

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/afex/hystrix-go/hystrix"
	metricCollector "github.com/afex/hystrix-go/hystrix/metric_collector"

	"github.com/microkata/microkata/conformance/internal/harness"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/hystrix"
)

// libVersion is the hystrix-go version go.mod requires (its last commit;
// the module has no tags).
const libVersion = "github.com/afex/hystrix-go v0.0.0-20180502004556-fa1af6a1f4f5"

func TestMain(m *testing.M) { report.Main(m, "hystrix", "solutions/hystrix", libVersion) }

// config is the kata's Config. hystrix-go's CommandConfig counts Timeout
// and SleepWindow in whole milliseconds: the adapter converts, and refuses
// a duration that is not a whole number of them.
type config struct {
	Timeout                time.Duration
	MaxConcurrentRequests  int
	RequestVolumeThreshold int
	SleepWindow            time.Duration
	ErrorPercentThreshold  int

	// RealTime is not the kata's: New is called outside a synctest bubble
	// (see testSlowFallbackOpenCircuit), so the cleanup does not wait.
	RealTime bool
}

func (c config) kata() ref.Config {
	return ref.Config{Timeout: c.Timeout, MaxConcurrentRequests: c.MaxConcurrentRequests, RequestVolumeThreshold: c.RequestVolumeThreshold,
		SleepWindow: c.SleepWindow, ErrorPercentThreshold: c.ErrorPercentThreshold}
}

// libDefaults are hystrix-go's defaults (settings.go), which the ported
// tests rely on when they configure nothing; the kata has no implicit
// defaults (HX-1) and its DefaultConfig differs (HX-2).
var libDefaults = config{Timeout: time.Second, MaxConcurrentRequests: 10, RequestVolumeThreshold: 20, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50}

// metrics is the kata's Metrics without State (see command.Open).
type metrics struct {
	Requests, Successes, Failures, Timeouts, ShortCircuits, Rejections int64
	ErrorPercent                                                       int
	InFlight                                                           int
}

func (m metrics) String() string {
	return fmt.Sprintf("{Requests: %d, Successes: %d, Failures: %d, Timeouts: %d, ShortCircuits: %d, Rejections: %d, ErrorPercent: %d, InFlight: %d}",
		m.Requests, m.Successes, m.Failures, m.Timeouts, m.ShortCircuits, m.Rejections, m.ErrorPercent, m.InFlight)
}

type (
	runFunc      = func(ctx context.Context) (int, error)
	fallbackFunc = func(ctx context.Context, cause error) (int, error)
)

// command is the part of the kata's Command that hystrix-go offers too.
type command interface {
	// Execute is the kata's Execute; hystrix-go's DoC with its run and
	// fallback wrapped to carry a value (its functions return only an error).
	Execute(ctx context.Context, run runFunc, fallback fallbackFunc) (int, error)
	// Open is State() != StateClosed on the reference and IsOpen() on
	// hystrix-go, which has no half-open state (HX-7) and whose IsOpen trips
	// an unhealthy circuit as it answers, as it does before every request
	// (HX-5).
	Open() bool
	// Metrics is the reference's Metrics and, for hystrix-go, the sums of
	// its default metric collector at the current instant, its own
	// ErrorPercent and its executor pool's ActiveCount.
	Metrics() metrics
}

// impl is one side: the constructor and the side's defaults. New must be
// called inside a synctest bubble: when t ends, virtual time moves on an
// hour so that every run returns before the bubble ends, and hystrix-go's
// circuit goroutines are stopped.
type impl struct {
	New      func(t *testing.T, cfg config) (command, error)
	Defaults func() config
}

var (
	reference = harness.Impl[impl]{Name: "reference", New: impl{New: newRef, Defaults: refDefaults}}
	library   = harness.Impl[impl]{Name: "hystrix-go", New: impl{New: newLib, Defaults: libSettings}}
)

// mustNew builds a command or ends the test.
func mustNew(t *testing.T, f impl, cfg config) command {
	t.Helper()
	c, err := f.New(t, cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return c
}

// errKind names the rejections the same way for both sides (each package
// has its own sentinels, exclusion HX-13); any other error is printed.
func errKind(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ref.ErrTimeout), errors.Is(err, hystrix.ErrTimeout):
		return "ErrTimeout"
	case errors.Is(err, ref.ErrCircuitOpen), errors.Is(err, hystrix.ErrCircuitOpen):
		return "ErrCircuitOpen"
	case errors.Is(err, ref.ErrMaxConcurrency), errors.Is(err, hystrix.ErrMaxConcurrency):
		return "ErrMaxConcurrency"
	}
	return err.Error()
}

// --- the reference ---

type refCommand struct{ *ref.Command[int] }

func newRef(t *testing.T, cfg config) (command, error) {
	c, err := ref.New[int](cfg.kata())
	if err != nil {
		return nil, err
	}
	if !cfg.RealTime {
		t.Cleanup(func() { time.Sleep(time.Hour) }) // let every run return before the bubble ends
	}
	return refCommand{c}, nil
}

func refDefaults() config {
	d := ref.DefaultConfig()
	return config{Timeout: d.Timeout, MaxConcurrentRequests: d.MaxConcurrentRequests, RequestVolumeThreshold: d.RequestVolumeThreshold,
		SleepWindow: d.SleepWindow, ErrorPercentThreshold: d.ErrorPercentThreshold}
}

func (c refCommand) Open() bool { return c.State() != ref.StateClosed }

func (c refCommand) Metrics() metrics {
	m := c.Command.Metrics()
	return metrics{m.Requests, m.Successes, m.Failures, m.Timeouts, m.ShortCircuits, m.Rejections, m.ErrorPercent, m.InFlight}
}

// --- hystrix-go ---

// Every command gets a circuit of its own name: hystrix-go keeps circuits
// and settings in package-level maps by name.
var circuitSeq atomic.Int64

type libCommand struct {
	name    string
	circuit *hystrix.CircuitBreaker
	// Read through reflection (hystrix-go has no getter): the circuit's
	// metric exchange and executor pool.
	exchange interface {
		DefaultCollector() *metricCollector.DefaultMetricCollector
		ErrorPercent(now time.Time) int
	}
	pool interface{ ActiveCount() int }
}

func ms(d time.Duration) (int, error) {
	if d%time.Millisecond != 0 || d <= 0 {
		return 0, fmt.Errorf("hystrix-go counts durations in whole milliseconds, not %v", d)
	}
	return int(d / time.Millisecond), nil
}

// newLib configures a fresh circuit. hystrix-go replaces a zero field by
// its default and takes anything else (HX-1): the adapter passes the
// values through, so a zero field gets hystrix-go's default.
//
// A circuit starts two goroutines that nothing stops (afex/hystrix-go#95,
// HX-14): its metric exchange's and its executor pool's monitors, each
// ranging over a channel. Inside a synctest bubble they would keep the
// bubble from ending, so the adapter closes both channels when t ends,
// after virtual time has let every run return (the cleanup sleeps an hour
// first: the tests' runs are shorter), and removes the circuit.
func newLib(t *testing.T, cfg config) (command, error) {
	timeout, err := ms(cfg.Timeout)
	if cfg.Timeout == 0 {
		timeout, err = 0, nil
	}
	if err != nil {
		return nil, err
	}
	sleep, err := ms(cfg.SleepWindow)
	if cfg.SleepWindow == 0 {
		sleep, err = 0, nil
	}
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("conformance-%d", circuitSeq.Add(1))
	hystrix.ConfigureCommand(name, hystrix.CommandConfig{
		Timeout:                timeout,
		MaxConcurrentRequests:  cfg.MaxConcurrentRequests,
		RequestVolumeThreshold: cfg.RequestVolumeThreshold,
		SleepWindow:            sleep,
		ErrorPercentThreshold:  cfg.ErrorPercentThreshold,
	})
	cb, _, err := hystrix.GetCircuit(name)
	if err != nil {
		return nil, err
	}
	c := &libCommand{name: name, circuit: cb}
	v := reflect.ValueOf(cb).Elem()
	c.exchange = unexported(v.FieldByName("metrics")).Interface().(interface {
		DefaultCollector() *metricCollector.DefaultMetricCollector
		ErrorPercent(now time.Time) int
	})
	c.pool = unexported(v.FieldByName("executorPool")).Interface().(interface{ ActiveCount() int })
	t.Cleanup(func() {
		if cfg.RealTime {
			stopMonitors(cb)
			return
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		stopMonitors(cb)
		synctest.Wait()
	})
	return c, nil
}

// unexported makes an unexported field's value usable (reading only).
func unexported(f reflect.Value) reflect.Value {
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// stopMonitors ends the two goroutines a circuit started, by closing the
// channels they range over, and forgets the circuit.
func stopMonitors(cb *hystrix.CircuitBreaker) {
	v := reflect.ValueOf(cb).Elem()
	unexported(v.FieldByName("metrics")).Elem().FieldByName("Updates").Close()
	unexported(v.FieldByName("executorPool")).Elem().FieldByName("Metrics").Elem().FieldByName("Updates").Close()
	hystrix.Flush()
}

// libSettings returns the settings hystrix-go gives a command that was
// configured with nothing.
func libSettings() config {
	name := fmt.Sprintf("conformance-defaults-%d", circuitSeq.Add(1))
	hystrix.ConfigureCommand(name, hystrix.CommandConfig{})
	s := hystrix.GetCircuitSettings()[name]
	return config{Timeout: s.Timeout, MaxConcurrentRequests: s.MaxConcurrentRequests, RequestVolumeThreshold: int(s.RequestVolumeThreshold),
		SleepWindow: s.SleepWindow, ErrorPercentThreshold: s.ErrorPercentThreshold}
}

// Execute calls DoC. hystrix-go's run and fallback return only an error,
// so the wrappers keep the value: DoC returns nil after either succeeded,
// and the value is the fallback's when it was called and succeeded,
// otherwise the run's. A run may return after DoC (after a timeout), so
// the values are kept under a mutex.
func (c *libCommand) Execute(ctx context.Context, run runFunc, fallback fallbackFunc) (int, error) {
	var (
		mu           sync.Mutex
		runV, fbV    int
		fallbackUsed bool
	)
	runC := func(ctx context.Context) error {
		v, err := run(ctx)
		if err == nil {
			mu.Lock()
			runV = v
			mu.Unlock()
		}
		return err
	}
	var fallbackC func(ctx context.Context, cause error) error
	if fallback != nil {
		fallbackC = func(ctx context.Context, cause error) error {
			v, err := fallback(ctx, cause)
			if err == nil {
				mu.Lock()
				fbV, fallbackUsed = v, true
				mu.Unlock()
			}
			return err
		}
	}
	if err := hystrix.DoC(ctx, c.name, runC, fallbackC); err != nil {
		return 0, err
	}
	mu.Lock()
	defer mu.Unlock()
	if fallbackUsed {
		return fbV, nil
	}
	return runV, nil
}

func (c *libCommand) Open() bool { return c.circuit.IsOpen() }

func (c *libCommand) Metrics() metrics {
	now := time.Now()
	d := c.exchange.DefaultCollector()
	sum := func(n interface{ Sum(time.Time) float64 }) int64 { return int64(n.Sum(now)) }
	return metrics{
		Requests:      sum(d.NumRequests()),
		Successes:     sum(d.Successes()),
		Failures:      sum(d.Failures()),
		Timeouts:      sum(d.Timeouts()),
		ShortCircuits: sum(d.ShortCircuits()),
		Rejections:    sum(d.Rejects()),
		ErrorPercent:  c.exchange.ErrorPercent(now),
		InFlight:      c.pool.ActiveCount(),
	}
}
