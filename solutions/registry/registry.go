// Package registry is a service registry with TTL leases and watches, shaped
// like etcd's lease and watch API: instances register under a lease that a
// heartbeat keeps alive, and consumers list a service, then watch it from the
// next revision to learn of every change.
//
// Every change (a Register, a Deregister, a Revoke or an expiry that deletes
// instances) is one revision. The registry keeps the events of the last H
// revisions so that a watcher can start in the past, and hands each watcher
// its events through a buffered channel: the replay plus at most B live
// events not yet received. A watcher that falls further behind is cancelled
// with ErrSlowWatcher instead of slowing the registry down.
//
// Leases expire at exactly their grant or last keep-alive time plus their
// TTL. One reaper goroutine sleeps on a timer set to the earliest expiry in a
// min-heap of leases; every method also applies the expiries due at
// time.Now() before it does anything else, so a call never observes a lease
// that should be gone, whichever goroutine runs first.
package registry

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Errors returned by the registry; match them with errors.Is.
var (
	ErrInvalidArgument  = errors.New("registry: invalid argument")
	ErrLeaseNotFound    = errors.New("registry: lease not found")
	ErrInstanceNotFound = errors.New("registry: instance not found")
	ErrCompacted        = errors.New("registry: required revision has been compacted")
	ErrSlowWatcher      = errors.New("registry: watcher is too slow")
	ErrClosed           = errors.New("registry: closed")
)

// Defaults of the options.
const (
	DefaultWatchBuffer  = 128  // etcd's chanBufLen
	DefaultHistoryLimit = 1000 // revisions kept for replay
)

// LeaseID names a lease. Leases of a registry are numbered 1, 2, 3, …
type LeaseID int64

// NoLease registers an instance that never expires.
const NoLease LeaseID = 0

// Instance is one registered instance of a service.
type Instance struct {
	Service  string  // e.g. "user-service"
	ID       string  // unique within Service, e.g. "10.0.0.1:8080"
	Addr     string  // where to reach it
	Lease    LeaseID // output: Register's lease argument; ignored on input
	Revision int64   // output: the revision that wrote this version; ignored on input
}

// EventType says what an Event did.
type EventType int

// The event types.
const (
	EventPut EventType = iota + 1
	EventDelete
)

// String returns "PUT", "DELETE", or "EventType(N)" for any other value.
func (t EventType) String() string {
	switch t {
	case EventPut:
		return "PUT"
	case EventDelete:
		return "DELETE"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one change to one instance.
type Event struct {
	Type     EventType
	Revision int64    // the revision of the change
	Instance Instance // PUT: as stored; DELETE: the version that was deleted
}

// options are the settings New applies.
type options struct {
	watchBuffer  int
	historyLimit int
	invalid      []string // the options given a value below 1
}

// Option configures New.
type Option func(*options)

// WithWatchBuffer sets B, how many live events a watcher may leave unread
// before it is cancelled with ErrSlowWatcher. n must be at least 1.
func WithWatchBuffer(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.invalid = append(o.invalid, fmt.Sprintf("WithWatchBuffer(%d)", n))
			return
		}
		o.watchBuffer = n
	}
}

// WithHistoryLimit sets H, how many of the latest revisions are kept for
// replay. n must be at least 1.
func WithHistoryLimit(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.invalid = append(o.invalid, fmt.Sprintf("WithHistoryLimit(%d)", n))
			return
		}
		o.historyLimit = n
	}
}

// Registry is a service registry. Its methods are safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	closed   bool
	rev      int64 // the current revision R
	lastID   LeaseID
	leases   map[LeaseID]*leaseState
	expiries leaseHeap // live leases by (expiry, ID)
	services map[string]*service
	hist     history
	buffer   int       // B
	scratch  []Event   // the events of the change being committed
	recs     []*record // Instances' sorting space
	order    []int32

	timer *time.Timer   // fires at armed; read only by the reaper
	armed time.Time     // zero when no wake-up is pending
	done  chan struct{} // closed by Close: the reaper returns
	wg    sync.WaitGroup
}

// leaseState is a live lease.
type leaseState struct {
	id     LeaseID
	ttl    time.Duration
	expiry time.Time
	index  int                  // in Registry.expiries
	insts  map[*record]struct{} // attached instances; nil until the first
}

// record is a stored instance and the lease it is attached to (nil for
// NoLease).
type record struct {
	inst  Instance
	lease *leaseState
}

// service is the live instances of one service and its watchers. A service
// with neither is removed.
type service struct {
	insts    map[string]*record
	watchers map[*Watcher]struct{}
}

// New returns a registry at revision 0. Options apply in order; an option
// given a value below 1 makes New return nil and an error matching
// ErrInvalidArgument.
func New(opts ...Option) (*Registry, error) {
	o := options{watchBuffer: DefaultWatchBuffer, historyLimit: DefaultHistoryLimit}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if len(o.invalid) > 0 {
		return nil, fmt.Errorf("%w: %s (must be at least 1)", ErrInvalidArgument, strings.Join(o.invalid, ", "))
	}
	r := &Registry{
		leases:   make(map[LeaseID]*leaseState),
		services: make(map[string]*service),
		hist:     history{limit: o.historyLimit},
		buffer:   o.watchBuffer,
		timer:    time.NewTimer(time.Duration(math.MaxInt64)),
		done:     make(chan struct{}),
	}
	r.timer.Stop()
	r.wg.Add(1)
	go r.reap()
	return r, nil
}

// reap applies expiries when the timer fires, so that a lease expires with
// no call at all.
func (r *Registry) reap() {
	defer r.wg.Done()
	for {
		select {
		case <-r.done:
			return
		case <-r.timer.C:
			r.mu.Lock()
			if !r.closed {
				r.armed = time.Time{}
				r.expire(time.Now())
				r.arm()
			}
			r.mu.Unlock()
		}
	}
}

// arm makes sure the timer fires no later than the earliest expiry. A
// wake-up that comes too early (the lease was kept alive or revoked since)
// finds nothing due and arms the timer again.
func (r *Registry) arm() {
	if len(r.expiries) == 0 {
		return
	}
	next := r.expiries[0].expiry
	if !r.armed.IsZero() && !next.Before(r.armed) {
		return
	}
	r.armed = next
	r.timer.Reset(time.Until(next))
}

// expire revokes, in order of expiry and then of ID, every lease whose
// expiry is not after now.
func (r *Registry) expire(now time.Time) {
	for len(r.expiries) > 0 && !now.Before(r.expiries[0].expiry) {
		r.revoke(r.expiries[0])
	}
}

// revoke removes l and deletes its instances in one change.
func (r *Registry) revoke(l *leaseState) {
	heap.Remove(&r.expiries, l.index)
	delete(r.leases, l.id)
	if len(l.insts) == 0 {
		return
	}
	recs := make([]*record, 0, len(l.insts))
	for rec := range l.insts {
		recs = append(recs, rec)
	}
	slices.SortFunc(recs, func(a, b *record) int {
		return cmp.Or(strings.Compare(a.inst.Service, b.inst.Service), strings.Compare(a.inst.ID, b.inst.ID))
	})
	r.rev++
	evs := r.scratch[:0]
	for _, rec := range recs {
		svc := r.services[rec.inst.Service]
		delete(svc.insts, rec.inst.ID)
		rec.lease = nil
		evs = append(evs, Event{Type: EventDelete, Revision: r.rev, Instance: rec.inst})
	}
	r.commit(evs)
}

// commit records the events of revision r.rev (sorted by service, then ID)
// and offers each service's run of them to its watchers.
func (r *Registry) commit(evs []Event) {
	r.hist.push(r.rev, evs)
	for i := 0; i < len(evs); {
		name := evs[i].Instance.Service
		j := i + 1
		for j < len(evs) && evs[j].Instance.Service == name {
			j++
		}
		if svc := r.services[name]; svc != nil {
			for w := range svc.watchers {
				if !w.offer(evs[i:j]) {
					r.endWatch(w, ErrSlowWatcher)
				}
			}
			r.tidy(name, svc)
		}
		i = j
	}
	clear(evs)
	r.scratch = evs[:0]
}

// service returns the entry of name, creating it.
func (r *Registry) service(name string) *service {
	svc := r.services[name]
	if svc == nil {
		svc = &service{insts: make(map[string]*record), watchers: make(map[*Watcher]struct{})}
		r.services[name] = svc
	}
	return svc
}

// tidy removes the entry of a service with no instance and no watcher.
func (r *Registry) tidy(name string, svc *service) {
	if len(svc.insts) == 0 && len(svc.watchers) == 0 {
		delete(r.services, name)
	}
}

// Grant creates a lease with the given TTL and returns its ID: the n-th
// successful Grant returns LeaseID(n). ttl must be positive.
func (r *Registry) Grant(ttl time.Duration) (LeaseID, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return NoLease, ErrClosed
	}
	now := time.Now()
	r.expire(now)
	if ttl <= 0 {
		return NoLease, fmt.Errorf("%w: Grant(%v): the TTL must be positive", ErrInvalidArgument, ttl)
	}
	r.lastID++
	l := &leaseState{id: r.lastID, ttl: ttl, expiry: now.Add(ttl)}
	r.leases[l.id] = l
	heap.Push(&r.expiries, l)
	r.arm()
	return l.id, nil
}

// KeepAlive restarts a live lease's TTL from now.
func (r *Registry) KeepAlive(id LeaseID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	now := time.Now()
	r.expire(now)
	l := r.leases[id]
	if l == nil {
		return fmt.Errorf("%w: lease %d", ErrLeaseNotFound, id)
	}
	// The new expiry is never earlier than the old one, so the timer needs
	// no change: if it fires for the old one, the reaper arms it again.
	l.expiry = now.Add(l.ttl)
	heap.Fix(&r.expiries, l.index)
	return nil
}

// Revoke removes a live lease and deletes its instances in one change, and
// returns the revision after the call.
func (r *Registry) Revoke(id LeaseID) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, ErrClosed
	}
	r.expire(time.Now())
	l := r.leases[id]
	if l == nil {
		return r.rev, fmt.Errorf("%w: lease %d", ErrLeaseNotFound, id)
	}
	r.revoke(l)
	return r.rev, nil
}

// Register stores inst on lease (or on none with NoLease), replacing an
// instance with the same Service and ID, and returns the new revision.
func (r *Registry) Register(inst Instance, lease LeaseID) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, ErrClosed
	}
	r.expire(time.Now())
	if inst.Service == "" || inst.ID == "" {
		return r.rev, fmt.Errorf("%w: Register needs a Service and an ID (got %q and %q)", ErrInvalidArgument, inst.Service, inst.ID)
	}
	var l *leaseState
	if lease != NoLease {
		if l = r.leases[lease]; l == nil {
			return r.rev, fmt.Errorf("%w: lease %d", ErrLeaseNotFound, lease)
		}
	}
	svc := r.service(inst.Service)
	rec := svc.insts[inst.ID]
	if rec == nil {
		rec = &record{}
		svc.insts[inst.ID] = rec
	} else if rec.lease != nil {
		delete(rec.lease.insts, rec)
	}
	r.rev++
	inst.Lease, inst.Revision = lease, r.rev
	rec.inst, rec.lease = inst, l
	if l != nil {
		if l.insts == nil {
			l.insts = make(map[*record]struct{})
		}
		l.insts[rec] = struct{}{}
	}
	r.commit(append(r.scratch[:0], Event{Type: EventPut, Revision: r.rev, Instance: inst}))
	return r.rev, nil
}

// Deregister deletes an instance in one change and returns the new
// revision.
func (r *Registry) Deregister(service, id string) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, ErrClosed
	}
	r.expire(time.Now())
	if service == "" || id == "" {
		return r.rev, fmt.Errorf("%w: Deregister(%q, %q) needs a service and an ID", ErrInvalidArgument, service, id)
	}
	svc := r.services[service]
	var rec *record
	if svc != nil {
		rec = svc.insts[id]
	}
	if rec == nil {
		return r.rev, fmt.Errorf("%w: %s/%s", ErrInstanceNotFound, service, id)
	}
	delete(svc.insts, id)
	if rec.lease != nil {
		delete(rec.lease.insts, rec)
		rec.lease = nil
	}
	r.rev++
	r.commit(append(r.scratch[:0], Event{Type: EventDelete, Revision: r.rev, Instance: rec.inst}))
	return r.rev, nil
}

// Instances returns the live instances of service sorted by ID, and the
// revision they describe.
func (r *Registry) Instances(service string) ([]Instance, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, 0, ErrClosed
	}
	r.expire(time.Now())
	if service == "" {
		return nil, r.rev, fmt.Errorf("%w: Instances needs a service", ErrInvalidArgument)
	}
	svc := r.services[service]
	if svc == nil {
		return []Instance{}, r.rev, nil
	}
	// Sort a permutation, then copy: swapping whole Instances (or even
	// pointers, which need write barriers while the GC runs) costs several
	// times more.
	recs, order := r.recs[:0], r.order[:0]
	for _, rec := range svc.insts {
		order = append(order, int32(len(recs)))
		recs = append(recs, rec)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(recs[a].inst.ID, recs[b].inst.ID) })
	list := make([]Instance, len(recs))
	for i, k := range order {
		list[i] = recs[k].inst
	}
	clear(recs)
	r.recs, r.order = recs[:0], order[:0]
	return list, r.rev, nil
}

// Watch returns a watcher of service's events from revision fromRev on (0:
// from the next revision). The watch ends when ctx is done, when Close is
// called, or when the watcher falls more than B events behind.
func (r *Registry) Watch(ctx context.Context, service string, fromRev int64) (*Watcher, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	r.expire(time.Now())
	if service == "" || fromRev < 0 {
		return nil, fmt.Errorf("%w: Watch(ctx, %q, %d) needs a service and a revision of at least 0", ErrInvalidArgument, service, fromRev)
	}
	if fromRev > 0 && fromRev <= r.rev-int64(r.hist.limit) {
		return nil, fmt.Errorf("%w: Watch from revision %d at revision %d keeping %d", ErrCompacted, fromRev, r.rev, r.hist.limit)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := fromRev
	if start == 0 {
		start = r.rev + 1
	}
	replay := r.hist.replay(service, start)
	w := &Watcher{r: r, start: start, buffer: r.buffer, ch: make(chan Event, len(replay)+r.buffer)}
	for _, ev := range replay {
		w.ch <- ev
	}
	r.service(service).watchers[w] = struct{}{}
	w.svc = service
	r.wg.Add(1)
	w.stop = context.AfterFunc(ctx, func() {
		defer r.wg.Done()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.endWatch(w, ctx.Err())
	})
	return w, nil
}

// endWatch ends w with cause unless it has ended already: the cause is
// kept, Events is closed (its buffered backlog can still be received) and
// the registry forgets w.
func (r *Registry) endWatch(w *Watcher, cause error) {
	if w.cause != nil {
		return
	}
	w.cause = cause
	close(w.ch)
	if svc := r.services[w.svc]; svc != nil {
		delete(svc.watchers, w)
		r.tidy(w.svc, svc)
	}
	if w.stop() {
		r.wg.Done() // the ctx callback will never run
	}
}

// Close ends every watch with ErrClosed, stops the reaper and returns once
// every goroutine the registry started has returned. It always returns nil.
func (r *Registry) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		for _, svc := range r.services {
			for w := range svc.watchers {
				r.endWatch(w, ErrClosed)
			}
		}
		r.services, r.leases, r.expiries = nil, nil, nil
		r.timer.Stop()
		close(r.done)
	}
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}

// Watcher receives the events of one service.
type Watcher struct {
	r      *Registry
	svc    string
	start  int64
	buffer int
	ch     chan Event  // capacity: the replay plus B; closed when the watch ends
	cause  error       // guarded by r.mu
	stop   func() bool // unregisters the ctx callback
}

// offer queues the events of one change, unless that would leave more than
// B events unreceived: then it queues none and returns false. Called with
// r.mu held; the send never blocks, since len(w.ch) + len(evs) <= B <=
// cap(w.ch) and only receivers change len(w.ch) meanwhile.
func (w *Watcher) offer(evs []Event) bool {
	if evs[0].Revision < w.start {
		return true
	}
	if len(w.ch)+len(evs) > w.buffer {
		return false
	}
	for _, ev := range evs {
		w.ch <- ev
	}
	return true
}

// Events returns the channel of the watcher's events, the same on every
// call. It is closed when the watch ends; Err then says why.
func (w *Watcher) Events() <-chan Event { return w.ch }

// Err returns nil while the watch runs, then the cause that ended it:
// ErrSlowWatcher, ErrClosed or the context's error.
func (w *Watcher) Err() error {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return w.cause
}

// history keeps the events of the latest limit revisions in a ring that
// grows up to limit entries, then reuses the oldest.
type history struct {
	limit   int
	entries []revision
	head    int // the oldest entry once the ring is full
}

// revision is the events of one revision.
type revision struct {
	rev    int64
	events []Event
}

// push records the events of rev, dropping the oldest revision when limit
// are kept already.
func (h *history) push(rev int64, evs []Event) {
	if len(h.entries) < h.limit {
		h.entries = append(h.entries, revision{rev: rev, events: slices.Clone(evs)})
		return
	}
	e := &h.entries[h.head]
	clear(e.events)
	e.rev, e.events = rev, append(e.events[:0], evs...)
	h.head++
	if h.head == len(h.entries) {
		h.head = 0
	}
}

// replay returns the kept events of service with revision >= start, in
// order.
func (h *history) replay(service string, start int64) []Event {
	var out []Event
	n := len(h.entries)
	if n == 0 {
		return nil
	}
	// The kept revisions are consecutive, the oldest at head.
	for k := max(start-h.entries[h.head].rev, 0); k < int64(n); k++ {
		e := &h.entries[(h.head+int(k))%n]
		for _, ev := range e.events {
			if ev.Instance.Service == service {
				out = append(out, ev)
			}
		}
	}
	return out
}

// leaseHeap orders live leases by expiry, then by ID.
type leaseHeap []*leaseState

func (h leaseHeap) Len() int { return len(h) }
func (h leaseHeap) Less(i, j int) bool {
	if c := h[i].expiry.Compare(h[j].expiry); c != 0 {
		return c < 0
	}
	return h[i].id < h[j].id
}
func (h leaseHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *leaseHeap) Push(x any) {
	l := x.(*leaseState)
	l.index = len(*h)
	*h = append(*h, l)
}
func (h *leaseHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return l
}
