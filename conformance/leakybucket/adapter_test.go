package leakybucket

import (
	"testing"
	"time"

	"go.uber.org/ratelimit"

	"github.com/microkata/microkata/conformance/internal/harness"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/leakybucket"
)

// libVersion is the ratelimit version go.mod requires.
const libVersion = "go.uber.org/ratelimit v0.3.1"

func TestMain(m *testing.M) { report.Main(m, "leakybucket", "solutions/leakybucket", libVersion) }

// pacer is what both sides offer: Take. The kata's TakeContext and
// WithMaxQueue have no counterpart in ratelimit and are not compared.
type pacer interface{ Take() time.Time }

// config is an explicit configuration: the slack is always given, since
// the two defaults differ (exclusion LB-1).
type config struct {
	per   time.Duration
	slack int
}

// newPacer builds a pacer of rate permissions per c.per with c.slack.
type newPacer func(rate int, c config) pacer

var (
	reference = harness.Impl[newPacer]{Name: "reference", New: newRef}
	library   = harness.Impl[newPacer]{Name: "ratelimit", New: newLib}
)

func newRef(rate int, c config) pacer {
	l, err := ref.New(rate, ref.Per(c.per), ref.WithSlack(c.slack))
	if err != nil {
		panic(err) // the configurations used are valid
	}
	return l
}

func newLib(rate int, c config) pacer {
	return ratelimit.New(rate, ratelimit.Per(c.per), ratelimit.WithSlack(c.slack))
}

// withoutSlack and defaultSlack are ratelimit's WithoutSlack and its
// default (WithSlack(10)), made explicit.
func withoutSlack() config                  { return config{per: time.Second} }
func defaultSlack() config                  { return config{per: time.Second, slack: 10} }
func slack(n int) config                    { return config{per: time.Second, slack: n} }
func (c config) Per(d time.Duration) config { c.per = d; return c }
