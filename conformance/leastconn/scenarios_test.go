package leastconn

import (
	"reflect"
	"sync"
	"testing"

	"github.com/microkata/microkata/conformance/internal/harness"
)

// The tests of grpc-go v1.84.0's balancer/leastrequest
// (leastrequest_test.go), ported to the kata's API with their assertions.
// grpc's tests run real servers and RPCs: a stream left open is a pick
// whose done is not called, an RPC that finishes is a pick and its done,
// and the address a stream lands on is the Item picked. They inject draws
// as indexes into grpc's picker, whose order they learn first (its
// endpoints come from a map); here a draw is a position in the set, which
// the adapter maps to grpc's index (see libPicker.draw), so the
// round-robin warm-ups and the peerAtIndex probes are not needed.
var scenarios = []harness.Case[newPicker]{
	{
		Name:    "leastrequest_test.go/TestLeastRequestE2E",
		Adapted: "the nine streams are picks never released; the draw pairs are given in the kata's protocol, and the two pairs that draw one endpoint twice ((0, 0) and (2, 2): grpc draws with replacement, LC-1) draw the next endpoint as the second, which at those loads picks the same",
		Run:     testLeastRequestE2E,
	},
	{
		Name:    "leastrequest_test.go/TestLeastRequestPersistsCounts",
		Adapted: "choiceCount 3 (grpc samples three; the kata's P2C two) becomes pairs that always hold the least loaded endpoint, which picks as comparing all three does; the self-pairs of the first phase draw the other endpoint (LC-1)",
		Run:     testLeastRequestPersistsCounts,
	},
	{
		Name:    "leastrequest_test.go/TestConcurrentRPCs",
		Adapted: "500 RPCs on 100 goroutines become 500 picks released at once, with the default random source; like the library's test it asserts nothing but what -race and a panic show",
		Run:     testConcurrentRPCs,
	},
}

func TestScenarios(t *testing.T) {
	harness.Scenarios(t, reference, library, scenarios)
	harness.NotPorted(map[string]string{
		"leastrequest_test.go/TestParseConfig":                             "choiceCount's JSON configuration: the kata's P2C always draws two",
		"leastrequest_test.go/TestLeastRequestEndpoints_MultipleAddresses": "endpoints of several addresses, with pick_first falling back inside one: a kata backend is one Item",
		"leastrequest_test.go/TestLeastRequestEndpoints_ResolverError":     "resolver errors: the kata has no resolver",
	})
}

// pairs returns an rnd that makes each pick draw the given positions (i,
// j), i ≠ j, in the kata's protocol: i = rnd(n), then j′ = rnd(n−1) with
// j = j′ if j′ < i, else j′ + 1.
func pairs(ps ...[2]int) func(n int) int {
	var draws []int
	for _, p := range ps {
		j := p[1]
		if j > p[0] {
			j--
		}
		draws = append(draws, p[0], j)
	}
	k := 0
	return func(n int) int {
		d := draws[k%len(draws)]
		k++
		return d
	}
}

func mustNew(t *testing.T, f newPicker, items []string, rnd func(int) int) picker {
	t.Helper()
	p, err := f(items, rnd)
	if err != nil {
		t.Fatalf("New(%v): %v", items, err)
	}
	return p
}

func testLeastRequestE2E(t *testing.T, f newPicker) {
	addresses := []string{"a", "b", "c"}
	// indexes = 0, 0, 0, 1, 1, 2, 0, 3, 1, 0, 2, 0, 0, 0, 2, 2, 2, 1 in grpc's test
	rnd := pairs(
		[2]int{0, 1}, // Causes first stream to be on first address (grpc: 0, 0).
		[2]int{0, 1}, // Compares first address (one RPC) to second (no RPCs), so choose second.
		[2]int{1, 2}, // Compares second address (one RPC) to third (no RPCs), so choose third.
		[2]int{0, 1}, // Causes another stream on first address (grpc: 0, 3 % 3).
		[2]int{1, 0}, // Compares second address (one RPC) to first (two RPCs), so choose second.
		[2]int{2, 0}, // Compares third address (one RPC) to first (two RPCs), so choose third.
		[2]int{0, 1}, // Causes another stream on first address (grpc: 0, 0).
		[2]int{2, 0}, // Causes a stream on third address (grpc: 2, 2).
		[2]int{2, 1}, // Compares third address (three RPCs) to second (two RPCs), so choose third.
	)
	p := mustNew(t, f, addresses, rnd)
	wantIndex := []int{0, 1, 2, 0, 1, 2, 0, 2, 1}

	// Start streaming RPC's, but do not finish them. Each created stream should
	// be started based on the least request algorithm and injected randomness
	// (see indexes slice above for exact expectations).
	for _, wantIndex := range wantIndex {
		item, _, err := p.Pick()
		if err != nil {
			t.Fatalf("testServiceClient.FullDuplexCall failed: %v", err)
		}
		if item != addresses[wantIndex] {
			t.Fatalf("testServiceClient.FullDuplexCall's Peer got: %v, want: %v", item, addresses[wantIndex])
		}
	}
}

func testLeastRequestPersistsCounts(t *testing.T, f newPicker) {
	addresses := []string{"a", "b", "c"}
	var mu sync.Mutex
	phase := pairs([2]int{0, 1}, [2]int{1, 0}) // grpc: 0, 0, 1, 1
	rnd := func(n int) int { mu.Lock(); defer mu.Unlock(); return phase(n) }
	p := mustNew(t, f, addresses[:2], rnd)

	// Start 50 streaming RPCs, and leave them unfinished for the duration of
	// the test. This will populate the first two addresses with many active
	// RPCs.
	for i := 0; i < 50; i++ {
		if _, _, err := p.Pick(); err != nil {
			t.Fatalf("testServiceClient.FullDuplexCall failed: %v", err)
		}
	}

	// Update the least request balancer to three addresses. Alongside the
	// injected randomness, this should trigger the least request balancer
	// to compare the new address with one of the others: since address 3
	// is new and the first two are populated with RPCs, all new streams
	// should be started on address 3.
	mu.Lock()
	phase = pairs([2]int{2, 0}, [2]int{2, 1}) // grpc: choiceCount 3, indexes 0, 1, 2, 3, 4, 5
	mu.Unlock()
	if err := p.Update(addresses); err != nil {
		t.Fatalf("Update(%v): %v", addresses, err)
	}

	// Start 25 rpcs, but don't finish them. They should all start on address 3,
	// since the first two addresses both have 25 RPCs.
	for i := 0; i < 25; i++ {
		item, _, err := p.Pick()
		if err != nil {
			t.Fatalf("testServiceClient.FullDuplexCall failed: %v", err)
		}
		if item != addresses[2] {
			t.Fatalf("testServiceClient.FullDuplexCall's Peer got: %v, want: %v", item, addresses[2])
		}
	}

	// Now 25 RPC's are active on each address, the next three RPC's should
	// round robin, since the injected pairs make each pick compare the two
	// least loaded addresses.
	mu.Lock()
	phase = pairs([2]int{0, 1}, [2]int{1, 2}, [2]int{2, 0})
	mu.Unlock()
	wantAddrCount := map[string]int{
		addresses[0]: 1,
		addresses[1]: 1,
		addresses[2]: 1,
	}
	gotAddrCount := make(map[string]int)
	for i := 0; i < len(addresses); i++ {
		item, _, err := p.Pick()
		if err != nil {
			t.Fatalf("testServiceClient.FullDuplexCall failed: %v", err)
		}
		gotAddrCount[item]++
	}
	if !reflect.DeepEqual(gotAddrCount, wantAddrCount) {
		t.Fatalf("addr count (-got:, +want): %v, %v", gotAddrCount, wantAddrCount)
	}
}

func testConcurrentRPCs(t *testing.T, f newPicker) {
	p := mustNew(t, f, []string{"a", "b"}, nil)

	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if _, done, err := p.Pick(); err == nil {
					done()
				}
			}
		}()
	}
	wg.Wait()
}
