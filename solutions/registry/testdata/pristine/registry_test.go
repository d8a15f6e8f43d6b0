package registry_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/registry"
)

// The tests read events the way the README's rule 12 promises they can be
// read: after synctest.Wait (every goroutine idle), a pending event can be
// received at once. They never block on a receive a wrong solution might
// never satisfy.

// errName names an error by the sentinel it matches.
func errName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, registry.ErrInvalidArgument):
		return "ErrInvalidArgument"
	case errors.Is(err, registry.ErrLeaseNotFound):
		return "ErrLeaseNotFound"
	case errors.Is(err, registry.ErrInstanceNotFound):
		return "ErrInstanceNotFound"
	case errors.Is(err, registry.ErrCompacted):
		return "ErrCompacted"
	case errors.Is(err, registry.ErrSlowWatcher):
		return "ErrSlowWatcher"
	case errors.Is(err, registry.ErrClosed):
		return "ErrClosed"
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	}
	return fmt.Sprintf("error %q", err.Error())
}

// typeName names an EventType by the kata's constants, so a message stays
// readable even when String is what is wrong.
func typeName(t registry.EventType) string {
	switch t {
	case registry.EventPut:
		return "PUT"
	case registry.EventDelete:
		return "DELETE"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// instString prints an Instance field by field.
func instString(i registry.Instance) string {
	return fmt.Sprintf("{Service:%q ID:%q Addr:%q Lease:%d Revision:%d}", i.Service, i.ID, i.Addr, i.Lease, i.Revision)
}

// listString prints a list of instances.
func listString(l []registry.Instance) string {
	parts := make([]string, len(l))
	for i, inst := range l {
		parts[i] = instString(inst)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// evString prints an event as "PUT@3 {Service:... Revision:3}".
func evString(e registry.Event) string {
	return fmt.Sprintf("%s@%d %s", typeName(e.Type), e.Revision, instString(e.Instance))
}

// evsString prints a list of events, one per line.
func evsString(evs []registry.Event) string {
	if len(evs) == 0 {
		return "no events"
	}
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = evString(e)
	}
	return strings.Join(parts, ", ")
}

// received is what a drain found: the events, in order, and whether Events
// was closed after them.
type received struct {
	events []registry.Event
	closed bool
}

func (r received) String() string {
	s := evsString(r.events)
	if r.closed {
		s += ", then Events() closed"
	} else {
		s += ", Events() still open"
	}
	return s
}

// drain receives every event that is ready, inside a synctest bubble: it
// waits for all goroutines to be idle, then receives without blocking, and
// waits again after each receive so that a solution which forwards events
// from a goroutine can hand over the next one.
func drain(w *registry.Watcher) received {
	var got received
	for {
		synctest.Wait()
		select {
		case e, ok := <-w.Events():
			if !ok {
				got.closed = true
				return got
			}
			got.events = append(got.events, e)
		default:
			return got
		}
	}
}

// newRegistry calls New and stops the test if it fails; call names the call
// in messages.
func newRegistry(t *testing.T, call string, opts ...registry.Option) *registry.Registry {
	t.Helper()
	r, err := registry.New(opts...)
	if err != nil || r == nil {
		t.Fatalf("%s = (registry == nil: %v, %s), want a registry and nil", call, r == nil, errName(err))
	}
	return r
}

// mustRev checks the revision and error of a call that should succeed.
func mustRev(t *testing.T, call string, rev int64, err error, want int64) {
	t.Helper()
	if err != nil || rev != want {
		t.Fatalf("%s = (%d, %s), want (%d, nil)", call, rev, errName(err), want)
	}
}

// grant calls Grant and stops the test if it fails.
func grant(t *testing.T, r *registry.Registry, ttl time.Duration, want registry.LeaseID) registry.LeaseID {
	t.Helper()
	id, err := r.Grant(ttl)
	if err != nil || id != want {
		t.Fatalf("Grant(%v) = (%d, %s), want (%d, nil)", ttl, id, errName(err), want)
	}
	return id
}

// leaseName prints a lease argument: NoLease or its number.
func leaseName(id registry.LeaseID) string {
	if id == registry.NoLease {
		return "NoLease"
	}
	return fmt.Sprint(int64(id))
}

// user returns instance n of the seed's user-service: ID and Addr
// 10.0.0.n:8080.
func user(n int) registry.Instance {
	addr := fmt.Sprintf("10.0.0.%d:8080", n)
	return registry.Instance{Service: "user-service", ID: addr, Addr: addr}
}

// stored is inst as the registry stores it.
func stored(inst registry.Instance, lease registry.LeaseID, rev int64) registry.Instance {
	inst.Lease, inst.Revision = lease, rev
	return inst
}

// wantList checks Instances(service).
func wantList(t *testing.T, r *registry.Registry, after, service string, want []registry.Instance, wantRev int64) bool {
	t.Helper()
	got, rev, err := r.Instances(service)
	if err != nil || rev != wantRev || listString(got) != listString(want) {
		t.Errorf("%s; Instances(%q) = (%s, %d, %s), want (%s, %d, nil)", after, service, listString(got), rev, errName(err), listString(want), wantRev)
		return false
	}
	return true
}

// Rules 2, 3, 7 and 10: the seed's user-service at 10.0.0.1–3:8080 on one
// lease, registered out of order. Each Register is one revision; Instances
// lists them sorted by ID, each with its lease and the revision that wrote
// it.
func TestRegisterAndList(t *testing.T) {
	katatest.Guard(t)
	r := newRegistry(t, "New()")
	defer r.Close()
	id := grant(t, r, time.Hour, 1)
	for i, n := range []int{3, 1, 2} {
		rev, err := r.Register(user(n), id)
		mustRev(t, fmt.Sprintf("Register(%s, %d)", instString(user(n)), id), rev, err, int64(i+1))
	}
	want := []registry.Instance{stored(user(1), 1, 2), stored(user(2), 1, 3), stored(user(3), 1, 1)}
	wantList(t, r, "Grant(1h); Register 10.0.0.3, 10.0.0.1, 10.0.0.2 on lease 1", "user-service", want, 3)
}

// Rules 4 and 5: the seed's heartbeat. A lease with a TTL of 15 s kept alive
// every 5 s keeps its instance for a minute; once the heartbeats stop, the
// instance is still there 14 s later and gone 16 s later, and the lease is
// gone for good.
func TestLeaseLivesWhileKeptAlive(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, "New()")
		defer r.Close()
		id := grant(t, r, 15*time.Second, 1)
		rev, err := r.Register(user(1), id)
		mustRev(t, "Grant(15s) at 0s; Register(10.0.0.1:8080, 1)", rev, err, 1)
		for s := 5; s <= 60; s += 5 {
			time.Sleep(5 * time.Second)
			if err := r.KeepAlive(id); err != nil {
				t.Fatalf("Grant(15s) at 0s; Register(10.0.0.1:8080, 1); KeepAlive(1) every 5s: KeepAlive(1) at %ds = %s, want nil", s, errName(err))
			}
		}
		const setup = "Grant(15s) at 0s; Register(10.0.0.1:8080, 1); KeepAlive(1) every 5s until 60s"
		want := []registry.Instance{stored(user(1), 1, 1)}
		wantList(t, r, setup+"; at 60s", "user-service", want, 1)
		time.Sleep(14 * time.Second)
		wantList(t, r, setup+"; at 74s", "user-service", want, 1)
		time.Sleep(2 * time.Second)
		wantList(t, r, setup+"; at 76s (the lease expired at 75s: one change)", "user-service", nil, 2)
		if err := r.KeepAlive(id); !errors.Is(err, registry.ErrLeaseNotFound) {
			t.Errorf("%s; KeepAlive(1) at 76s = %s, want ErrLeaseNotFound (an expired lease stays gone)", setup, errName(err))
		}
	})
}

// Rule 6: Revoke deletes every instance on the lease in one change, and
// leaves the instances of other leases alone. A revoked lease is gone.
func TestRevokeDeletesAttached(t *testing.T) {
	katatest.Guard(t)
	r := newRegistry(t, "New()")
	defer r.Close()
	a := grant(t, r, time.Hour, 1)
	b := grant(t, r, time.Hour, 2)
	for n := 1; n <= 4; n++ {
		lease := a
		if n == 4 {
			lease = b
		}
		rev, err := r.Register(user(n), lease)
		mustRev(t, fmt.Sprintf("Grant(1h) twice; Register(10.0.0.%d:8080, %d)", n, lease), rev, err, int64(n))
	}
	const setup = "Grant(1h) = 1, Grant(1h) = 2; Register 10.0.0.1, .2 and .3 on lease 1 and 10.0.0.4 on lease 2 (revisions 1-4)"
	rev, err := r.Revoke(a)
	if err != nil || rev != 5 {
		t.Errorf("%s; Revoke(1) = (%d, %s), want (5, nil): one revision for the whole lease", setup, rev, errName(err))
	}
	wantList(t, r, setup+"; Revoke(1)", "user-service", []registry.Instance{stored(user(4), 2, 4)}, 5)
	rev, err = r.Revoke(a)
	if !errors.Is(err, registry.ErrLeaseNotFound) || rev != 5 {
		t.Errorf("%s; Revoke(1); Revoke(1) = (%d, %s), want (5, ErrLeaseNotFound)", setup, rev, errName(err))
	}
}

// Rule 9: Deregister deletes an instance in one change; an absent instance
// or an empty argument changes nothing. Every call returns the revision
// after it, also on error.
func TestDeregister(t *testing.T) {
	katatest.Guard(t)
	r := newRegistry(t, "New()")
	defer r.Close()
	for n := 1; n <= 2; n++ {
		rev, err := r.Register(user(n), registry.NoLease)
		mustRev(t, fmt.Sprintf("Register(10.0.0.%d:8080, NoLease)", n), rev, err, int64(n))
	}
	calls := "Register 10.0.0.1:8080 and 10.0.0.2:8080 with NoLease"
	cases := []struct {
		service, id string
		rev         int64
		err         error
	}{
		{"user-service", "10.0.0.1:8080", 3, nil},
		{"user-service", "10.0.0.1:8080", 3, registry.ErrInstanceNotFound},
		{"user-service", "", 3, registry.ErrInvalidArgument},
		{"", "10.0.0.2:8080", 3, registry.ErrInvalidArgument},
		{"order-service", "10.0.0.2:8080", 3, registry.ErrInstanceNotFound},
	}
	for _, tc := range cases {
		call := fmt.Sprintf("Deregister(%q, %q)", tc.service, tc.id)
		rev, err := r.Deregister(tc.service, tc.id)
		if rev != tc.rev || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("%s; %s = (%d, %s), want (%d, %s)", calls, call, rev, errName(err), tc.rev, errName(tc.err))
		}
		calls += "; " + call
	}
	wantList(t, r, calls, "user-service", []registry.Instance{stored(user(2), registry.NoLease, 2)}, 3)
}

// Rules 11 and 12: a watch from revision 2 first replays the kept events of
// revisions 2 and 3, then delivers the live changes as they happen. A
// DELETE carries the instance as it was stored.
func TestWatchReplaysThenStreams(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, "New()")
		defer r.Close()
		for n := 1; n <= 3; n++ {
			rev, err := r.Register(user(n), registry.NoLease)
			mustRev(t, fmt.Sprintf("Register(10.0.0.%d:8080, NoLease)", n), rev, err, int64(n))
		}
		const setup = "Register 10.0.0.1, .2 and .3 with NoLease (revisions 1-3)"
		w, err := r.Watch(context.Background(), "user-service", 2)
		if err != nil || w == nil {
			t.Fatalf("%s; Watch(ctx, \"user-service\", 2) = (watcher == nil: %v, %s), want a watcher and nil", setup, w == nil, errName(err))
		}
		want := received{events: []registry.Event{
			{Type: registry.EventPut, Revision: 2, Instance: stored(user(2), registry.NoLease, 2)},
			{Type: registry.EventPut, Revision: 3, Instance: stored(user(3), registry.NoLease, 3)},
		}}
		if got := drain(w); got.String() != want.String() {
			t.Fatalf("%s; Watch(ctx, \"user-service\", 2): received %s, want %s", setup, got, want)
		}
		rev, err := r.Register(user(4), registry.NoLease)
		mustRev(t, setup+"; Watch from 2; Register(10.0.0.4:8080, NoLease)", rev, err, 4)
		rev, err = r.Deregister("user-service", "10.0.0.1:8080")
		mustRev(t, setup+"; Watch from 2; Register(10.0.0.4:8080, NoLease); Deregister(\"user-service\", \"10.0.0.1:8080\")", rev, err, 5)
		want = received{events: []registry.Event{
			{Type: registry.EventPut, Revision: 4, Instance: stored(user(4), registry.NoLease, 4)},
			{Type: registry.EventDelete, Revision: 5, Instance: stored(user(1), registry.NoLease, 1)},
		}}
		if got := drain(w); got.String() != want.String() {
			t.Errorf("%s; Watch from 2 (replay received); Register(10.0.0.4:8080, NoLease); Deregister(10.0.0.1:8080): received %s, want %s", setup, got, want)
		}
		if err := w.Err(); err != nil {
			t.Errorf("%s; Watch from 2; two live changes received: Err() = %s, want nil (the watch is still running)", setup, errName(err))
		}
	})
}

// Rules 10 and 12: client-side discovery. A consumer lists the service at
// revision R, watches from R + 1 and applies each event to its own map;
// after 50 random calls and a long sleep (changes on another service,
// revocations, expiries) its map is exactly what Instances says.
func TestListThenWatch(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, "New()")
		defer r.Close()
		var calls []string
		call := func(s string, rev int64, err error) {
			calls = append(calls, fmt.Sprintf("%s → (%d, %s)", s, rev, errName(err)))
		}
		id, err := r.Grant(10 * time.Second)
		calls = append(calls, fmt.Sprintf("Grant(10s) → (%d, %s)", id, errName(err)))
		for n := 1; n <= 4; n++ {
			rev, err := r.Register(user(n), id)
			call(fmt.Sprintf("Register(10.0.0.%d:8080, %d)", n, id), rev, err)
		}
		list, rev, err := r.Instances("user-service")
		if err != nil {
			t.Fatalf("%s; Instances(\"user-service\") = (%s, %d, %s), want nil error", strings.Join(calls, "; "), listString(list), rev, errName(err))
		}
		calls = append(calls, fmt.Sprintf("Instances(\"user-service\") → (%s, %d, nil)", listString(list), rev))
		local := map[string]registry.Instance{}
		for _, inst := range list {
			local[inst.ID] = inst
		}
		w, err := r.Watch(context.Background(), "user-service", rev+1)
		if err != nil {
			t.Fatalf("%s; Watch(ctx, \"user-service\", %d) = %s, want nil", strings.Join(calls, "; "), rev+1, errName(err))
		}
		calls = append(calls, fmt.Sprintf("Watch(ctx, \"user-service\", %d)", rev+1))
		rng := rand.New(rand.NewPCG(1, 2))
		leases := []registry.LeaseID{id} // granted, newest last
		pick := func() registry.LeaseID {
			if k := rng.IntN(3); k < len(leases) && k < 2 {
				return leases[len(leases)-1-k]
			}
			return registry.NoLease
		}
		for range 50 {
			n := 1 + rng.IntN(8)
			switch k := rng.IntN(10); {
			case k < 4:
				lease := pick()
				rev, err := r.Register(user(n), lease)
				call(fmt.Sprintf("Register(10.0.0.%d:8080, %s)", n, leaseName(lease)), rev, err)
			case k < 6:
				rev, err := r.Deregister("user-service", user(n).ID)
				call(fmt.Sprintf("Deregister(\"user-service\", %q)", user(n).ID), rev, err)
			case k < 7:
				lease := pick()
				inst := registry.Instance{Service: "order-service", ID: user(n).ID, Addr: user(n).Addr}
				rev, err := r.Register(inst, lease)
				call(fmt.Sprintf("Register(order-service 10.0.0.%d:8080, %s)", n, leaseName(lease)), rev, err)
			case k < 8:
				lease := leases[rng.IntN(len(leases))]
				rev, err := r.Revoke(lease)
				call(fmt.Sprintf("Revoke(%d)", lease), rev, err)
			case k < 9:
				ttl := time.Duration(5+rng.IntN(11)) * time.Second
				id, err := r.Grant(ttl)
				calls = append(calls, fmt.Sprintf("Grant(%v) → (%d, %s)", ttl, id, errName(err)))
				if err == nil {
					leases = append(leases, id)
				}
			default:
				d := time.Duration(1+rng.IntN(4)) * time.Second
				time.Sleep(d)
				calls = append(calls, fmt.Sprintf("time.Sleep(%v)", d))
			}
		}
		time.Sleep(16 * time.Second) // every lease granted so far has expired
		calls = append(calls, "time.Sleep(16s)")
		got := drain(w)
		for _, e := range got.events {
			switch e.Type {
			case registry.EventPut:
				local[e.Instance.ID] = e.Instance
			case registry.EventDelete:
				delete(local, e.Instance.ID)
			}
		}
		want, wantRev, err := r.Instances("user-service")
		if err != nil {
			t.Fatalf("Instances(\"user-service\") = %s at the end, want nil", errName(err))
		}
		var mine []registry.Instance
		for _, inst := range want {
			if l, ok := local[inst.ID]; ok {
				mine = append(mine, l)
			}
		}
		if len(local) != len(want) || listString(mine) != listString(want) || got.closed {
			t.Errorf("%s: the list at revision %d with the events of the watch applied = %v (watch %s), want Instances = %s at revision %d",
				strings.Join(calls, "; "), rev, local, got, listString(want), wantRev)
		}
	})
}

// Rules 13 and 14: with B = 2 a watcher may leave two events unread; the
// change that would make it three cancels it instead. The two events are
// still delivered, then Events is closed with ErrSlowWatcher, and a new
// watch from the next revision resumes without a gap.
func TestSlowWatcherIsCancelled(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, "New(WithWatchBuffer(2))", registry.WithWatchBuffer(2))
		defer r.Close()
		w, err := r.Watch(context.Background(), "user-service", 0)
		if err != nil {
			t.Fatalf("New(WithWatchBuffer(2)); Watch(ctx, \"user-service\", 0) = %s, want nil", errName(err))
		}
		for n := 1; n <= 2; n++ {
			rev, err := r.Register(user(n), registry.NoLease)
			mustRev(t, fmt.Sprintf("New(WithWatchBuffer(2)); Watch from 0; Register(10.0.0.%d:8080, NoLease)", n), rev, err, int64(n))
		}
		const setup = "New(WithWatchBuffer(2)); Watch(ctx, \"user-service\", 0); Register 10.0.0.1 and 10.0.0.2, not received"
		synctest.Wait()
		if err := w.Err(); err != nil {
			t.Fatalf("%s: Err() = %s, want nil (a backlog of exactly B is allowed)", setup, errName(err))
		}
		rev, err := r.Register(user(3), registry.NoLease)
		mustRev(t, setup+"; Register(10.0.0.3:8080, NoLease)", rev, err, 3)
		want := received{events: []registry.Event{
			{Type: registry.EventPut, Revision: 1, Instance: stored(user(1), registry.NoLease, 1)},
			{Type: registry.EventPut, Revision: 2, Instance: stored(user(2), registry.NoLease, 2)},
		}, closed: true}
		if got := drain(w); got.String() != want.String() {
			t.Fatalf("%s; Register(10.0.0.3:8080, NoLease): received %s, want %s", setup, got, want)
		}
		if err := w.Err(); !errors.Is(err, registry.ErrSlowWatcher) {
			t.Errorf("%s; Register(10.0.0.3); Events() closed: Err() = %s, want ErrSlowWatcher", setup, errName(err))
		}
		w2, err := r.Watch(context.Background(), "user-service", 3)
		if err != nil {
			t.Fatalf("%s; Register(10.0.0.3); Watch(ctx, \"user-service\", 3) to resume = %s, want nil", setup, errName(err))
		}
		want = received{events: []registry.Event{{Type: registry.EventPut, Revision: 3, Instance: stored(user(3), registry.NoLease, 3)}}}
		if got := drain(w2); got.String() != want.String() {
			t.Errorf("%s; Register(10.0.0.3); Watch(ctx, \"user-service\", 3): received %s, want %s", setup, got, want)
		}
	})
}

// Rules 11 and 15: with H = 3, five changes later revisions 3 to 5 are
// kept; a watch from an older revision fails with ErrCompacted, one from 3
// replays all three.
func TestHistoryIsBounded(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, "New(WithHistoryLimit(3))", registry.WithHistoryLimit(3))
		defer r.Close()
		for n := 1; n <= 5; n++ {
			rev, err := r.Register(user(n), registry.NoLease)
			mustRev(t, fmt.Sprintf("New(WithHistoryLimit(3)); Register(10.0.0.%d:8080, NoLease)", n), rev, err, int64(n))
		}
		const setup = "New(WithHistoryLimit(3)); Register 10.0.0.1 to 10.0.0.5 (revisions 1-5)"
		for _, from := range []int64{1, 2} {
			w, err := r.Watch(context.Background(), "user-service", from)
			if w != nil || !errors.Is(err, registry.ErrCompacted) {
				t.Errorf("%s; Watch(ctx, \"user-service\", %d) = (watcher == nil: %v, %s), want (nil, ErrCompacted): only revisions 3-5 are kept", setup, from, w == nil, errName(err))
			}
		}
		w, err := r.Watch(context.Background(), "user-service", 3)
		if err != nil {
			t.Fatalf("%s; Watch(ctx, \"user-service\", 3) = %s, want nil (revision 3 is kept)", setup, errName(err))
		}
		var want received
		for n := 3; n <= 5; n++ {
			want.events = append(want.events, registry.Event{Type: registry.EventPut, Revision: int64(n), Instance: stored(user(n), registry.NoLease, int64(n))})
		}
		if got := drain(w); got.String() != want.String() {
			t.Errorf("%s; Watch(ctx, \"user-service\", 3): received %s, want %s", setup, got, want)
		}
	})
}

// Rules 14 and 16: Close ends every watch with ErrClosed, then every method
// returns ErrClosed (revision 0, NoLease, nil list and watcher), and a second
// Close returns nil.
func TestCloseEndsWatches(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, "New()")
		id := grant(t, r, time.Minute, 1)
		rev, err := r.Register(user(1), id)
		mustRev(t, "Grant(1m); Register(10.0.0.1:8080, 1)", rev, err, 1)
		w, err := r.Watch(context.Background(), "user-service", 1)
		if err != nil {
			t.Fatalf("Grant(1m); Register(10.0.0.1:8080, 1); Watch(ctx, \"user-service\", 1) = %s, want nil", errName(err))
		}
		const setup = "Grant(1m); Register(10.0.0.1:8080, 1); Watch(ctx, \"user-service\", 1), not received"
		if err := r.Close(); err != nil {
			t.Errorf("%s; Close() = %s, want nil", setup, errName(err))
		}
		got := drain(w)
		if !got.closed || len(got.events) > 1 {
			t.Errorf("%s; Close(): received %s, want Events() closed (after at most the replayed PUT@1)", setup, got)
		}
		if err := w.Err(); !errors.Is(err, registry.ErrClosed) {
			t.Errorf("%s; Close(); Events() closed: Err() = %s, want ErrClosed", setup, errName(err))
		}
		inst := user(2)
		calls := []struct {
			call string
			got  func() string
		}{
			{"Grant(time.Minute)", func() string { id, err := r.Grant(time.Minute); return fmt.Sprintf("(%d, %s)", id, errName(err)) }},
			{"KeepAlive(1)", func() string { return errName(r.KeepAlive(1)) }},
			{"Revoke(1)", func() string { rev, err := r.Revoke(1); return fmt.Sprintf("(%d, %s)", rev, errName(err)) }},
			{"Register(10.0.0.2:8080, NoLease)", func() string {
				rev, err := r.Register(inst, registry.NoLease)
				return fmt.Sprintf("(%d, %s)", rev, errName(err))
			}},
			{"Deregister(\"user-service\", \"10.0.0.1:8080\")", func() string {
				rev, err := r.Deregister("user-service", "10.0.0.1:8080")
				return fmt.Sprintf("(%d, %s)", rev, errName(err))
			}},
			{"Instances(\"user-service\")", func() string {
				l, rev, err := r.Instances("user-service")
				return fmt.Sprintf("(list == nil: %v, %d, %s)", l == nil, rev, errName(err))
			}},
			{"Watch(ctx, \"user-service\", 0)", func() string {
				w, err := r.Watch(context.Background(), "user-service", 0)
				return fmt.Sprintf("(watcher == nil: %v, %s)", w == nil, errName(err))
			}},
			{"Close()", func() string { return errName(r.Close()) }},
		}
		wants := []string{"(0, ErrClosed)", "ErrClosed", "(0, ErrClosed)", "(0, ErrClosed)", "(0, ErrClosed)",
			"(list == nil: true, 0, ErrClosed)", "(watcher == nil: true, ErrClosed)", "nil"}
		for i, c := range calls {
			if got := c.got(); got != wants[i] {
				t.Errorf("%s; Close(); %s = %s, want %s", setup, c.call, got, wants[i])
			}
		}
	})
}

// Rules 2, 10 and 17: 8 goroutines register 100 instances each at the same
// time, then deregister their even ones, while a watcher receives every
// event. Run it with -race: every change gets its own revision, none is lost,
// and the watcher sees revisions 1 to 1200 in order.
func TestConcurrentRegister(t *testing.T) {
	katatest.Guard(t)
	r := newRegistry(t, "New(WithWatchBuffer(2000))", registry.WithWatchBuffer(2000))
	w, err := r.Watch(context.Background(), "user-service", 0)
	if err != nil {
		t.Fatalf("New(WithWatchBuffer(2000)); Watch(ctx, \"user-service\", 0) = %s, want nil", errName(err))
	}
	var (
		got  []registry.Event
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for e := range w.Events() {
			got = append(got, e)
			if len(got) == 1200 {
				return
			}
		}
	}()
	var (
		mu   sync.Mutex
		errs []string
	)
	katatest.Hammer(8, 150, func(g, i int) {
		var call string
		var err error
		if i < 100 {
			inst := registry.Instance{Service: "user-service", ID: fmt.Sprintf("%d-%02d", g, i), Addr: fmt.Sprintf("10.0.%d.%d:8080", g, i)}
			call = fmt.Sprintf("Register(%s, NoLease)", instString(inst))
			_, err = r.Register(inst, registry.NoLease)
		} else {
			id := fmt.Sprintf("%d-%02d", g, 2*(i-100))
			call = fmt.Sprintf("Deregister(\"user-service\", %q)", id)
			_, err = r.Deregister("user-service", id)
		}
		if err != nil {
			mu.Lock()
			errs = append(errs, fmt.Sprintf("%s = %s", call, errName(err)))
			mu.Unlock()
		}
	})
	const setup = "8 goroutines at once: each registers IDs g-00 to g-99 (g its number), then deregisters g-00, g-02, ..., g-98"
	if len(errs) > 0 {
		t.Errorf("%s: %d calls failed, the first: %s", setup, len(errs), errs[0])
	}
	var want []registry.Instance
	for g := range 8 {
		for i := 1; i < 100; i += 2 {
			want = append(want, registry.Instance{Service: "user-service", ID: fmt.Sprintf("%d-%02d", g, i), Addr: fmt.Sprintf("10.0.%d.%d:8080", g, i)})
		}
	}
	list, rev, err := r.Instances("user-service")
	if err != nil || rev != 1200 || len(list) != len(want) {
		t.Errorf("%s; Instances(\"user-service\") = (%d instances, %d, %s), want (400 instances, 1200, nil)", setup, len(list), rev, errName(err))
	} else {
		for i := range want {
			if list[i].ID != want[i].ID || list[i].Addr != want[i].Addr {
				t.Errorf("%s; Instances(\"user-service\")[%d] = %s, want ID %q and Addr %q (sorted by ID)", setup, i, instString(list[i]), want[i].ID, want[i].Addr)
				break
			}
		}
	}
	if !katatest.Within(t, 2*time.Second, setup+": the watcher (WithWatchBuffer(2000), read all along) did not receive 1200 events", func() { <-done }) {
		r.Close()
		return
	}
	for i, e := range got {
		if e.Revision != int64(i+1) {
			t.Errorf("%s: the watcher's event #%d is %s, want revision %d (every revision once, in order)", setup, i+1, evString(e), i+1)
			break
		}
	}
	r.Close()
}

// Rule 1: New refuses a watch buffer or history limit below 1.
func TestNewRejectsBadOptions(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		call string
		opts []registry.Option
	}{
		{"New(WithWatchBuffer(0))", []registry.Option{registry.WithWatchBuffer(0)}},
		{"New(WithWatchBuffer(-1))", []registry.Option{registry.WithWatchBuffer(-1)}},
		{"New(WithHistoryLimit(0))", []registry.Option{registry.WithHistoryLimit(0)}},
		{"New(WithWatchBuffer(4), WithHistoryLimit(-3))", []registry.Option{registry.WithWatchBuffer(4), registry.WithHistoryLimit(-3)}},
	}
	for _, tc := range cases {
		r, err := registry.New(tc.opts...)
		if r != nil || !errors.Is(err, registry.ErrInvalidArgument) {
			t.Errorf("%s = (registry == nil: %v, %s), want (nil, ErrInvalidArgument)", tc.call, r == nil, errName(err))
			if r != nil {
				r.Close()
			}
		}
	}
	r := newRegistry(t, "New(WithWatchBuffer(1), WithHistoryLimit(1))", registry.WithWatchBuffer(1), registry.WithHistoryLimit(1))
	r.Close()
}

// The names of the event types.
func TestEventTypeString(t *testing.T) {
	cases := []struct {
		name string
		t    registry.EventType
		want string
	}{
		{"EventPut", registry.EventPut, "PUT"},
		{"EventDelete", registry.EventDelete, "DELETE"},
		{"EventType(0)", 0, "EventType(0)"},
		{"EventType(7)", 7, "EventType(7)"},
	}
	for _, tc := range cases {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("%s.String() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// benchRegistry returns a registry for a benchmark; its Close runs at the
// end.
func benchRegistry(b *testing.B, opts ...registry.Option) *registry.Registry {
	r, err := registry.New(opts...)
	if err != nil {
		b.Fatalf("New: %s", errName(err))
	}
	b.Cleanup(func() { r.Close() })
	return r
}

// BenchmarkKeepAlive measures a heartbeat among 1,000 leases, each with an
// instance.
func BenchmarkKeepAlive(b *testing.B) {
	r := benchRegistry(b)
	var mid registry.LeaseID
	for i := range 1000 {
		id, err := r.Grant(time.Hour)
		if err != nil {
			b.Fatalf("Grant(1h): %s", errName(err))
		}
		if _, err := r.Register(registry.Instance{Service: "user-service", ID: fmt.Sprint(i)}, id); err != nil {
			b.Fatalf("Register: %s", errName(err))
		}
		if i == 500 {
			mid = id
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.KeepAlive(mid); err != nil {
			b.Fatalf("KeepAlive(%d): %s", mid, errName(err))
		}
	}
}

// BenchmarkRegister measures re-registering one instance on a lease, with
// the default history limit.
func BenchmarkRegister(b *testing.B) {
	r := benchRegistry(b)
	id, _ := r.Grant(time.Hour)
	inst := user(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Register(inst, id); err != nil {
			b.Fatalf("Register: %s", errName(err))
		}
	}
}

// BenchmarkRegisterWatched is BenchmarkRegister with one watcher that
// receives each event.
func BenchmarkRegisterWatched(b *testing.B) {
	r := benchRegistry(b)
	id, _ := r.Grant(time.Hour)
	w, err := r.Watch(context.Background(), "user-service", 0)
	if err != nil {
		b.Fatalf("Watch: %s", errName(err))
	}
	inst := user(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Register(inst, id); err != nil {
			b.Fatalf("Register: %s", errName(err))
		}
		if _, ok := <-w.Events(); !ok {
			b.Fatalf("Events() closed: %s", errName(w.Err()))
		}
	}
}

// BenchmarkInstances100 measures listing a service of 100 instances.
func BenchmarkInstances100(b *testing.B) {
	r := benchRegistry(b)
	for i := range 100 {
		if _, err := r.Register(registry.Instance{Service: "user-service", ID: fmt.Sprintf("10.0.0.%d:8080", i)}, registry.NoLease); err != nil {
			b.Fatalf("Register: %s", errName(err))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if l, _, err := r.Instances("user-service"); err != nil || len(l) != 100 {
			b.Fatalf("Instances: %d instances, %s", len(l), errName(err))
		}
	}
}

// BenchmarkGrantRegisterRevoke measures the life of a short lease among
// 1,000 others.
func BenchmarkGrantRegisterRevoke(b *testing.B) {
	r := benchRegistry(b)
	for range 1000 {
		if _, err := r.Grant(time.Hour); err != nil {
			b.Fatalf("Grant(1h): %s", errName(err))
		}
	}
	inst := user(1)
	b.ReportAllocs()
	for b.Loop() {
		id, err := r.Grant(time.Hour)
		if err != nil {
			b.Fatalf("Grant(1h): %s", errName(err))
		}
		if _, err := r.Register(inst, id); err != nil {
			b.Fatalf("Register: %s", errName(err))
		}
		if _, err := r.Revoke(id); err != nil {
			b.Fatalf("Revoke(%d): %s", id, errName(err))
		}
	}
}
