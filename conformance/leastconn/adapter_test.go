package leastconn

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/leastrequest"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"

	"github.com/microkata/microkata/conformance/internal/harness"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/leastconn"
)

// libVersion is the grpc-go version go.mod requires: the one the main
// module pins.
const libVersion = "google.golang.org/grpc/balancer/leastrequest v1.84.0"

func TestMain(m *testing.M) { report.Main(m, "leastconn", "solutions/leastconn", libVersion) }

// randuint32 is grpc's random source for the least-request picker, a
// package variable that its own tests replace ("a global to stub out in
// tests"). The adapter replaces it the same way, through go:linkname, so
// that both sides draw the same backends.
//
//go:linkname randuint32 google.golang.org/grpc/balancer/leastrequest.randuint32
var randuint32 func() uint32

// picker is the kata's Picker for Items that are strings, without weights:
// grpc's least-request policy has none, so every Weight is 1 (the kata's
// Weight 0). The kata's LeastConn (a scan from a cursor) has no
// counterpart: grpc's picker only samples (choiceCount 2 is P2C).
type picker interface {
	Pick() (item string, done func(), err error)
	Update(items []string) error
	InFlight(item string) int
}

// newPicker builds a picker on items; rnd is the kata's random source
// (rnd(n) in [0, n)), nil for the default.
type newPicker func(items []string, rnd func(n int) int) (picker, error)

var (
	reference = harness.Impl[newPicker]{Name: "reference", New: newRef}
	library   = harness.Impl[newPicker]{Name: "grpc", New: newLib}
)

func backends(items []string) []ref.Backend[string] {
	bs := make([]ref.Backend[string], len(items))
	for i, it := range items {
		bs[i] = ref.Backend[string]{Item: it}
	}
	return bs
}

type refPicker struct{ *ref.P2C[string] }

func (p refPicker) Update(items []string) error { return p.P2C.Update(backends(items)) }

func newRef(items []string, rnd func(n int) int) (picker, error) {
	p, err := ref.NewP2C(backends(items), rnd)
	if err != nil {
		return nil, err
	}
	return refPicker{p}, nil
}

// --- grpc ---

// fakeCC is the ClientConn the balancer talks to. grpc requires an
// implementation to embed the interface (EnforceClientConnEmbedding); the
// embedded one is nil, and only the methods below are called.
type fakeCC struct {
	balancer.ClientConn
	picker  balancer.Picker
	state   connectivity.State
	pending []*fakeSubConn // made by the last update, not yet READY
}

func (cc *fakeCC) NewSubConn(addrs []resolver.Address, opts balancer.NewSubConnOptions) (balancer.SubConn, error) {
	sc := &fakeSubConn{addr: addrs[0].Addr, listener: opts.StateListener}
	cc.pending = append(cc.pending, sc)
	return sc, nil
}
func (cc *fakeCC) UpdateState(s balancer.State)          { cc.picker, cc.state = s.Picker, s.ConnectivityState }
func (cc *fakeCC) RemoveSubConn(balancer.SubConn)        {}
func (cc *fakeCC) ResolveNow(resolver.ResolveNowOptions) {}
func (cc *fakeCC) Target() string                        { return "conformance" }

// fakeSubConn connects when the adapter says so: it is a backend.
type fakeSubConn struct {
	balancer.SubConn
	addr     string
	listener func(balancer.SubConnState)
	health   func(balancer.SubConnState)
}

func (sc *fakeSubConn) Connect()                                             {}
func (sc *fakeSubConn) Shutdown()                                            {}
func (sc *fakeSubConn) UpdateAddresses([]resolver.Address)                   {}
func (sc *fakeSubConn) RegisterHealthListener(l func(balancer.SubConnState)) { sc.health = l }

// libPicker is grpc's least-request balancer (choiceCount 2) with a
// ClientConn of its own: Update sends the Items as endpoints of one
// address each and makes every new SubConn READY at once (a real channel
// connects first), so the picker it publishes holds the whole set.
type libPicker struct {
	b      balancer.Balancer
	cc     *fakeCC
	cfg    serviceconfig.LoadBalancingConfig
	counts *resolver.EndpointMap[*atomic.Int32] // the balancer's per-endpoint counters, read by reflection
	rnd    func(n int) int

	// What the current grpc picker holds: its endpoints in its own order
	// (endpointsharding builds it from a map, so the order changes with
	// every update), and each Item's index there.
	items []string
	index map[string]uint32
	order []string // the Items of the last Update, duplicates dropped: the kata's positions

	mu     sync.Mutex // draws: the kata's draw protocol turned into grpc's
	second bool       // the next randuint32 call is a pick's second draw
	first  int        // the first draw's position
	learn  *uint32    // while learning the order: the index to return
	calls  int        // randuint32 calls (exclusion LC-5)
	raw    []int      // positions to return as they are, one per call (exclusion LC-1)
}

// current is the picker whose draws randuint32 serves: one at a time.
var current atomic.Pointer[libPicker]

// grpcRand is grpc's own random source, for the benchmarks.
var grpcRand func() uint32

// stubRand serves the current picker's draws.
func stubRand() uint32 { return current.Load().draw() }

func init() {
	grpcRand = randuint32
	randuint32 = stubRand
}

func newLib(items []string, rnd func(n int) int) (picker, error) {
	cfg, err := balancer.Get(leastrequest.Name).(balancer.ConfigParser).ParseConfig(json.RawMessage(`{"choiceCount": 2}`))
	if err != nil {
		return nil, err
	}
	if rnd == nil {
		rnd = rand.IntN
	}
	p := &libPicker{cc: &fakeCC{}, cfg: cfg, rnd: rnd}
	p.b = balancer.Get(leastrequest.Name).Build(p.cc, balancer.BuildOptions{})
	f := reflect.ValueOf(p.b).Elem().FieldByName("endpointRPCCounts")
	p.counts = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*resolver.EndpointMap[*atomic.Int32])
	current.Store(p)
	if err := p.Update(items); err != nil {
		return nil, err
	}
	return p, nil
}

func endpoint(item string) resolver.Endpoint {
	return resolver.Endpoint{Addresses: []resolver.Address{{Addr: item}}}
}

func (p *libPicker) Update(items []string) error {
	eps := make([]resolver.Endpoint, len(items))
	for i, it := range items {
		eps[i] = endpoint(it)
	}
	p.order = p.order[:0:0]
	for i, it := range items {
		if !slices.Contains(items[:i], it) {
			p.order = append(p.order, it)
		}
	}
	err := p.b.UpdateClientConnState(balancer.ClientConnState{ResolverState: resolver.State{Endpoints: eps}, BalancerConfig: p.cfg})
	for len(p.cc.pending) > 0 {
		sc := p.cc.pending[0]
		p.cc.pending = p.cc.pending[1:]
		sc.listener(balancer.SubConnState{ConnectivityState: connectivity.Connecting})
		sc.listener(balancer.SubConnState{ConnectivityState: connectivity.Ready})
		if sc.health != nil {
			sc.health(balancer.SubConnState{ConnectivityState: connectivity.Ready})
		}
	}
	p.learnOrder(len(items))
	return err
}

// learnOrder finds which endpoint the new picker holds at each index, as
// grpc's TestLeastRequestE2E does (peerAtIndex): a pick whose two draws
// are both that index, released at once.
func (p *libPicker) learnOrder(n int) {
	p.items, p.index = nil, map[string]uint32{}
	if p.cc.state != connectivity.Ready {
		return
	}
	for k := uint32(0); k < uint32(n); k++ {
		p.mu.Lock()
		p.learn = &k
		p.mu.Unlock()
		res, err := p.cc.picker.Pick(balancer.PickInfo{})
		p.mu.Lock()
		p.learn = nil
		p.mu.Unlock()
		if err != nil {
			panic(fmt.Sprintf("grpc's picker: %v", err))
		}
		res.Done(balancer.DoneInfo{})
		item := res.SubConn.(*fakeSubConn).addr
		if _, seen := p.index[item]; seen {
			break // fewer endpoints than Items (duplicates, LC-4)
		}
		p.items = append(p.items, item)
		p.index[item] = k
	}
	p.calls = 0
}

// draw serves grpc's randuint32: a pick's first call returns the index of
// the kata's first draw i = rnd(n), its second the index of j (j′ = rnd(n−1),
// j = j′ if j′ < i, else j′ + 1), so that both sides compare the same two
// backends. With one backend it calls no rnd, as the kata's P2C does.
func (p *libPicker) draw() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.learn != nil {
		return *p.learn
	}
	p.calls++
	if len(p.raw) > 0 {
		i := p.raw[0]
		p.raw = p.raw[1:]
		return p.index[p.pos(i)]
	}
	n := len(p.order)
	if n < 2 {
		return 0
	}
	if !p.second {
		p.second, p.first = true, p.rnd(n)
		return p.index[p.pos(p.first)]
	}
	p.second = false
	j := p.rnd(n - 1)
	if j >= p.first {
		j++
	}
	return p.index[p.pos(j)]
}

// pos is the Item at the kata's position i: the order of the last Update.
func (p *libPicker) pos(i int) string { return p.order[i] }

func (p *libPicker) Pick() (string, func(), error) {
	res, err := p.cc.picker.Pick(balancer.PickInfo{})
	if err != nil {
		return "", nil, err
	}
	return res.SubConn.(*fakeSubConn).addr, func() { res.Done(balancer.DoneInfo{}) }, nil
}

func (p *libPicker) InFlight(item string) int {
	if c, ok := p.counts.Get(endpoint(item)); ok {
		return int(c.Load())
	}
	return 0
}
