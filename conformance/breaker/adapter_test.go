package breaker

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/microkata/microkata/conformance/internal/harness"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/breaker"
)

// libVersion is the gobreaker version go.mod requires.
const libVersion = "github.com/sony/gobreaker/v2 v2.4.0"

func TestMain(m *testing.M) { report.Main(m, "breaker", "solutions/breaker", libVersion) }

// counts is the kata's Counts (gobreaker's has TotalExclusions too, for
// IsExcluded, which the kata does not have; it is always 0 here).
type counts struct {
	Requests, TotalSuccesses, TotalFailures, ConsecutiveSuccesses, ConsecutiveFailures uint32
}

func (c counts) String() string {
	return fmt.Sprintf("{Requests: %d, TotalSuccesses: %d, TotalFailures: %d, ConsecutiveSuccesses: %d, ConsecutiveFailures: %d}",
		c.Requests, c.TotalSuccesses, c.TotalFailures, c.ConsecutiveSuccesses, c.ConsecutiveFailures)
}

// State numbers are the same in both packages: closed 0, half-open 1, open 2.
const (
	stateClosed   = 0
	stateHalfOpen = 1
	stateOpen     = 2
)

// settings is the kata's Settings with states as ints.
type settings struct {
	Name          string
	MaxRequests   uint32
	Interval      time.Duration
	Timeout       time.Duration
	ReadyToTrip   func(counts) bool
	OnStateChange func(name string, from, to int)
	IsSuccessful  func(err error) bool
	// TwoStep builds gobreaker's TwoStepCircuitBreaker, which has Allow but
	// not Execute; otherwise its CircuitBreaker, which has Execute but not
	// Allow. The kata's Breaker has both; the reference ignores this.
	TwoStep bool
}

type breaker interface {
	Name() string
	State() int
	Counts() counts
	Execute(req func() (int, error)) (int, error)
	Allow() (done func(success bool), err error)
}

// impl is one side: the constructor and State.String.
type impl struct {
	New    func(settings) breaker
	String func(state int) string
}

var (
	reference = harness.Impl[impl]{Name: "reference", New: impl{New: newRef, String: func(s int) string { return ref.State(s).String() }}}
	library   = harness.Impl[impl]{Name: "gobreaker", New: impl{New: newLib, String: func(s int) string { return gobreaker.State(s).String() }}}
)

// errKind names the rejections the same way for both sides (each package
// has its own sentinels, exclusion BR-6); any other error is the request's.
func errKind(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ref.ErrOpenState), errors.Is(err, gobreaker.ErrOpenState):
		return "ErrOpenState"
	case errors.Is(err, ref.ErrTooManyRequests), errors.Is(err, gobreaker.ErrTooManyRequests):
		return "ErrTooManyRequests"
	}
	return err.Error()
}

func newRef(s settings) breaker {
	st := ref.Settings{Name: s.Name, MaxRequests: s.MaxRequests, Interval: s.Interval, Timeout: s.Timeout, IsSuccessful: s.IsSuccessful}
	if s.ReadyToTrip != nil {
		st.ReadyToTrip = func(c ref.Counts) bool { return s.ReadyToTrip(counts(c)) }
	}
	if s.OnStateChange != nil {
		st.OnStateChange = func(name string, from, to ref.State) { s.OnStateChange(name, int(from), int(to)) }
	}
	return refBreaker{ref.New[int](st)}
}

type refBreaker struct{ *ref.Breaker[int] }

func (b refBreaker) State() int     { return int(b.Breaker.State()) }
func (b refBreaker) Counts() counts { return counts(b.Breaker.Counts()) }

func libSettings(s settings) gobreaker.Settings {
	st := gobreaker.Settings{Name: s.Name, MaxRequests: s.MaxRequests, Interval: s.Interval, Timeout: s.Timeout, IsSuccessful: s.IsSuccessful}
	if s.ReadyToTrip != nil {
		st.ReadyToTrip = func(c gobreaker.Counts) bool { return s.ReadyToTrip(libCounts(c)) }
	}
	if s.OnStateChange != nil {
		st.OnStateChange = func(name string, from, to gobreaker.State) { s.OnStateChange(name, int(from), int(to)) }
	}
	return st
}

func libCounts(c gobreaker.Counts) counts {
	return counts{c.Requests, c.TotalSuccesses, c.TotalFailures, c.ConsecutiveSuccesses, c.ConsecutiveFailures}
}

func newLib(s settings) breaker {
	if s.TwoStep {
		return libTwoStep{gobreaker.NewTwoStepCircuitBreaker[int](libSettings(s))}
	}
	return libBreaker{gobreaker.NewCircuitBreaker[int](libSettings(s))}
}

type libBreaker struct {
	*gobreaker.CircuitBreaker[int]
}

func (b libBreaker) State() int     { return int(b.CircuitBreaker.State()) }
func (b libBreaker) Counts() counts { return libCounts(b.CircuitBreaker.Counts()) }
func (b libBreaker) Allow() (func(bool), error) {
	panic("gobreaker's CircuitBreaker has no Allow: build the breaker with settings.TwoStep")
}

type libTwoStep struct {
	*gobreaker.TwoStepCircuitBreaker[int]
}

// errFailed is what done(false) reports to gobreaker's done(err).
var errFailed = errors.New("failed")

func (b libTwoStep) State() int     { return int(b.TwoStepCircuitBreaker.State()) }
func (b libTwoStep) Counts() counts { return libCounts(b.TwoStepCircuitBreaker.Counts()) }
func (b libTwoStep) Execute(func() (int, error)) (int, error) {
	panic("gobreaker's TwoStepCircuitBreaker has no Execute: build the breaker without settings.TwoStep")
}
func (b libTwoStep) Allow() (func(bool), error) {
	done, err := b.TwoStepCircuitBreaker.Allow()
	if err != nil {
		return nil, err
	}
	return func(success bool) {
		if success {
			done(nil)
		} else {
			done(errFailed)
		}
	}, nil
}
