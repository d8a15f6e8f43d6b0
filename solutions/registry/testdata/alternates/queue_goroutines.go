// Alternate: a lazy expiry heap (a keep-alive pushes a new entry, stale ones are skipped) behind one time.AfterFunc, a flat event log for history, and per-watcher queues forwarded by one goroutine each through an unbuffered channel.

// Package registry is a service registry with TTL leases and watches. This
// version differs from the reference in three ways. Expiries live in a heap
// that is never fixed in place: KeepAlive pushes a new entry with a new
// generation and the old one is skipped when it surfaces, and a single
// time.AfterFunc (no goroutine of the registry's own) fires at the earliest
// entry. History is one flat slice of events with the index of each kept
// revision's first event, trimmed from the front. Each watcher has an
// unbounded queue and a goroutine that hands the queue's events over an
// unbuffered channel, one at a time; its backlog is the queue plus the event
// the goroutine holds.
package registry

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"
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

// LeaseID names a lease.
type LeaseID int64

// NoLease registers an instance that never expires.
const NoLease LeaseID = 0

// Instance is one registered instance of a service.
type Instance struct {
	Service  string
	ID       string
	Addr     string
	Lease    LeaseID
	Revision int64
}

// EventType says what an Event did.
type EventType int

// The event types.
const (
	EventPut EventType = iota + 1
	EventDelete
)

// String returns "PUT", "DELETE", or "EventType(N)".
func (t EventType) String() string {
	if t == EventPut {
		return "PUT"
	}
	if t == EventDelete {
		return "DELETE"
	}
	return "EventType(" + fmt.Sprint(int(t)) + ")"
}

// Event is one change to one instance.
type Event struct {
	Type     EventType
	Revision int64
	Instance Instance
}

type options struct {
	buffer, history int
	bad             bool
}

// Option configures New.
type Option func(*options)

// WithWatchBuffer sets B.
func WithWatchBuffer(n int) Option {
	return func(o *options) { o.buffer, o.bad = n, o.bad || n < 1 }
}

// WithHistoryLimit sets H.
func WithHistoryLimit(n int) Option {
	return func(o *options) { o.history, o.bad = n, o.bad || n < 1 }
}

type key struct{ svc, id string }

type leaseRec struct {
	ttl     time.Duration
	expiry  time.Time
	gen     uint64
	members map[key]struct{}
}

type expiryEntry struct {
	at  time.Time
	id  LeaseID
	gen uint64
}

type expiryQueue []expiryEntry

func (q expiryQueue) Len() int { return len(q) }
func (q expiryQueue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].id < q[j].id
	}
	return q[i].at.Before(q[j].at)
}
func (q expiryQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *expiryQueue) Push(x any)   { *q = append(*q, x.(expiryEntry)) }
func (q *expiryQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// Registry is a service registry.
type Registry struct {
	mu        sync.Mutex
	closed    bool
	quit      chan struct{}
	rev       int64
	nextLease LeaseID
	leases    map[LeaseID]*leaseRec
	queue     expiryQueue
	svcs      map[string]map[string]Instance
	watchers  map[string]map[*Watcher]bool
	log       eventLog
	bufLimit  int

	timer   *time.Timer // time.AfterFunc(fire)
	timerAt time.Time
	pending sync.WaitGroup // scheduled or running fires, and watcher goroutines
}

// New returns a registry.
func New(opts ...Option) (*Registry, error) {
	o := options{buffer: DefaultWatchBuffer, history: DefaultHistoryLimit}
	for _, f := range opts {
		f(&o)
	}
	if o.bad {
		return nil, fmt.Errorf("New: %w", ErrInvalidArgument)
	}
	return &Registry{
		quit:     make(chan struct{}),
		leases:   map[LeaseID]*leaseRec{},
		svcs:     map[string]map[string]Instance{},
		watchers: map[string]map[*Watcher]bool{},
		log:      eventLog{limit: o.history},
		bufLimit: o.buffer,
	}, nil
}

func (r *Registry) fire() {
	defer r.pending.Done()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.timerAt = time.Time{}
	r.expire(time.Now())
	r.schedule()
}

func (r *Registry) schedule() {
	if len(r.queue) == 0 {
		return
	}
	next := r.queue[0].at
	if !r.timerAt.IsZero() && !next.Before(r.timerAt) {
		return
	}
	r.timerAt = next
	d := time.Until(next)
	if r.timer == nil {
		r.pending.Add(1)
		r.timer = time.AfterFunc(d, r.fire)
	} else if !r.timer.Reset(d) {
		r.pending.Add(1)
	}
}

func (r *Registry) expire(now time.Time) {
	for len(r.queue) > 0 && !r.queue[0].at.After(now) {
		e := heap.Pop(&r.queue).(expiryEntry)
		if l := r.leases[e.id]; l != nil && l.gen == e.gen {
			r.drop(e.id, l)
		}
	}
}

// drop removes a lease and deletes its members in one change.
func (r *Registry) drop(id LeaseID, l *leaseRec) {
	delete(r.leases, id)
	if len(l.members) == 0 {
		return
	}
	keys := make([]key, 0, len(l.members))
	for k := range l.members {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].svc != keys[j].svc {
			return keys[i].svc < keys[j].svc
		}
		return keys[i].id < keys[j].id
	})
	r.rev++
	evs := make([]Event, 0, len(keys))
	for _, k := range keys {
		evs = append(evs, Event{EventDelete, r.rev, r.svcs[k.svc][k.id]})
		delete(r.svcs[k.svc], k.id)
		if len(r.svcs[k.svc]) == 0 {
			delete(r.svcs, k.svc)
		}
	}
	r.publish(evs)
}

func (r *Registry) publish(evs []Event) {
	r.log.push(r.rev, evs)
	for i := 0; i < len(evs); {
		j := i
		for j < len(evs) && evs[j].Instance.Service == evs[i].Instance.Service {
			j++
		}
		svc := evs[i].Instance.Service
		for w := range r.watchers[svc] {
			if !w.offer(evs[i:j], r.bufLimit) {
				r.unwatch(w)
			}
		}
		i = j
	}
}

func (r *Registry) unwatch(w *Watcher) {
	if set := r.watchers[w.svc]; set != nil {
		delete(set, w)
		if len(set) == 0 {
			delete(r.watchers, w.svc)
		}
	}
}

// begin locks, refuses a closed registry and applies due expiries.
func (r *Registry) begin() bool {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false
	}
	r.expire(time.Now())
	return true
}

// Grant creates a lease.
func (r *Registry) Grant(ttl time.Duration) (LeaseID, error) {
	if !r.begin() {
		return NoLease, ErrClosed
	}
	defer r.mu.Unlock()
	if ttl <= 0 {
		return NoLease, fmt.Errorf("Grant(%v): %w", ttl, ErrInvalidArgument)
	}
	r.nextLease++
	id := r.nextLease
	l := &leaseRec{ttl: ttl, expiry: time.Now().Add(ttl)}
	r.leases[id] = l
	heap.Push(&r.queue, expiryEntry{l.expiry, id, 0})
	r.schedule()
	return id, nil
}

// KeepAlive restarts a lease's TTL from now.
func (r *Registry) KeepAlive(id LeaseID) error {
	if !r.begin() {
		return ErrClosed
	}
	defer r.mu.Unlock()
	l := r.leases[id]
	if l == nil {
		return fmt.Errorf("KeepAlive(%d): %w", id, ErrLeaseNotFound)
	}
	l.gen++
	l.expiry = time.Now().Add(l.ttl)
	heap.Push(&r.queue, expiryEntry{l.expiry, id, l.gen})
	if len(r.queue) > 2*len(r.leases)+32 {
		r.queue = r.queue[:0]
		for id, l := range r.leases {
			r.queue = append(r.queue, expiryEntry{l.expiry, id, l.gen})
		}
		heap.Init(&r.queue)
	}
	return nil
}

// Revoke removes a lease and deletes its instances.
func (r *Registry) Revoke(id LeaseID) (int64, error) {
	if !r.begin() {
		return 0, ErrClosed
	}
	defer r.mu.Unlock()
	l := r.leases[id]
	if l == nil {
		return r.rev, fmt.Errorf("Revoke(%d): %w", id, ErrLeaseNotFound)
	}
	r.drop(id, l)
	return r.rev, nil
}

// Register stores an instance.
func (r *Registry) Register(inst Instance, lease LeaseID) (int64, error) {
	if !r.begin() {
		return 0, ErrClosed
	}
	defer r.mu.Unlock()
	if inst.Service == "" || inst.ID == "" {
		return r.rev, fmt.Errorf("Register: %w", ErrInvalidArgument)
	}
	var l *leaseRec
	if lease != NoLease {
		if l = r.leases[lease]; l == nil {
			return r.rev, fmt.Errorf("Register on lease %d: %w", lease, ErrLeaseNotFound)
		}
	}
	k := key{inst.Service, inst.ID}
	if old, ok := r.svcs[k.svc][k.id]; ok && old.Lease != NoLease {
		if ol := r.leases[old.Lease]; ol != nil {
			delete(ol.members, k)
		}
	}
	r.rev++
	inst.Lease, inst.Revision = lease, r.rev
	if r.svcs[k.svc] == nil {
		r.svcs[k.svc] = map[string]Instance{}
	}
	r.svcs[k.svc][k.id] = inst
	if l != nil {
		if l.members == nil {
			l.members = map[key]struct{}{}
		}
		l.members[k] = struct{}{}
	}
	r.publish([]Event{{EventPut, r.rev, inst}})
	return r.rev, nil
}

// Deregister deletes an instance.
func (r *Registry) Deregister(service, id string) (int64, error) {
	if !r.begin() {
		return 0, ErrClosed
	}
	defer r.mu.Unlock()
	if service == "" || id == "" {
		return r.rev, fmt.Errorf("Deregister: %w", ErrInvalidArgument)
	}
	old, ok := r.svcs[service][id]
	if !ok {
		return r.rev, fmt.Errorf("Deregister(%q, %q): %w", service, id, ErrInstanceNotFound)
	}
	delete(r.svcs[service], id)
	if len(r.svcs[service]) == 0 {
		delete(r.svcs, service)
	}
	if l := r.leases[old.Lease]; l != nil {
		delete(l.members, key{service, id})
	}
	r.rev++
	r.publish([]Event{{EventDelete, r.rev, old}})
	return r.rev, nil
}

// Instances lists a service.
func (r *Registry) Instances(service string) ([]Instance, int64, error) {
	if !r.begin() {
		return nil, 0, ErrClosed
	}
	defer r.mu.Unlock()
	if service == "" {
		return nil, r.rev, fmt.Errorf("Instances: %w", ErrInvalidArgument)
	}
	var out []Instance
	for _, inst := range r.svcs[service] {
		out = append(out, inst)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, r.rev, nil
}

// Watch starts a watch.
func (r *Registry) Watch(ctx context.Context, service string, fromRev int64) (*Watcher, error) {
	if !r.begin() {
		return nil, ErrClosed
	}
	defer r.mu.Unlock()
	switch {
	case service == "" || fromRev < 0:
		return nil, fmt.Errorf("Watch: %w", ErrInvalidArgument)
	case fromRev > 0 && fromRev <= r.rev-int64(r.log.limit):
		return nil, fmt.Errorf("Watch from %d: %w", fromRev, ErrCompacted)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	start := fromRev
	if start == 0 {
		start = r.rev + 1
	}
	w := &Watcher{
		r: r, svc: service, start: start, ctx: ctx,
		ch:    make(chan Event),
		wake:  make(chan struct{}, 1),
		queue: r.log.since(service, start),
	}
	if r.watchers[service] == nil {
		r.watchers[service] = map[*Watcher]bool{}
	}
	r.watchers[service][w] = true
	r.pending.Add(1)
	go w.forward()
	return w, nil
}

// Close ends every watch and waits for the registry's goroutines.
func (r *Registry) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		if r.timer != nil && r.timer.Stop() {
			r.pending.Done()
		}
		for _, set := range r.watchers {
			for w := range set {
				w.mu.Lock()
				if w.cause == nil {
					w.cause = ErrClosed
				}
				w.mu.Unlock()
			}
		}
		r.watchers = nil
		close(r.quit)
	}
	r.mu.Unlock()
	r.pending.Wait()
	return nil
}

// Watcher receives the events of one service.
type Watcher struct {
	r     *Registry
	svc   string
	start int64
	ctx   context.Context
	ch    chan Event
	wake  chan struct{}

	mu       sync.Mutex
	queue    []Event
	holding  bool // the goroutine holds an event it has not handed over yet
	overflow bool
	cause    error
}

// offer queues one change's events for w; false if that would exceed limit.
func (w *Watcher) offer(evs []Event, limit int) bool {
	if evs[0].Revision < w.start {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	backlog := len(w.queue)
	if w.holding {
		backlog++
	}
	if backlog+len(evs) > limit {
		w.overflow = true
		if w.cause == nil {
			w.cause = ErrSlowWatcher
		}
	} else {
		w.queue = append(w.queue, evs...)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return !w.overflow
}

func (w *Watcher) end(cause error) {
	w.mu.Lock()
	if w.cause == nil {
		w.cause = cause
	}
	w.mu.Unlock()
	w.r.mu.Lock()
	w.r.unwatch(w)
	w.r.mu.Unlock()
}

func (w *Watcher) forward() {
	defer w.r.pending.Done()
	defer close(w.ch)
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			over := w.overflow
			w.mu.Unlock()
			if over {
				return
			}
			select {
			case <-w.wake:
				continue
			case <-w.ctx.Done():
				w.end(w.ctx.Err())
				return
			case <-w.r.quit:
				return
			}
		}
		ev := w.queue[0]
		w.queue[0] = Event{}
		w.queue = w.queue[1:]
		w.holding = true
		w.mu.Unlock()
		select {
		case w.ch <- ev:
			w.mu.Lock()
			w.holding = false
			w.mu.Unlock()
		case <-w.ctx.Done():
			w.end(w.ctx.Err())
			return
		case <-w.r.quit:
			return
		}
	}
}

// Events returns the watcher's channel.
func (w *Watcher) Events() <-chan Event { return w.ch }

// Err returns why the watch ended, or nil.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cause
}

// eventLog is the kept history: events of consecutive revisions.
type eventLog struct {
	limit  int
	events []Event
	off    int   // absolute index of events[0]
	starts []int // absolute index of each kept revision's first event
	first  int64 // revision of starts[0]
}

func (l *eventLog) push(rev int64, evs []Event) {
	if len(l.starts) == 0 {
		l.first = rev
	}
	l.starts = append(l.starts, l.off+len(l.events))
	l.events = append(l.events, evs...)
	if len(l.starts) > l.limit {
		l.starts = l.starts[1:]
		l.first++
		if dead := l.starts[0] - l.off; dead > 64 && dead > len(l.events)/2 {
			n := copy(l.events, l.events[dead:])
			clear(l.events[n:])
			l.events = l.events[:n]
			l.off += dead
		}
	}
}

// since copies the kept events of svc from revision start on.
func (l *eventLog) since(svc string, start int64) []Event {
	var out []Event
	if len(l.starts) == 0 || start > l.first+int64(len(l.starts))-1 {
		return out
	}
	i := max(start-l.first, 0)
	for _, ev := range l.events[l.starts[i]-l.off:] {
		if ev.Instance.Service == svc {
			out = append(out, ev)
		}
	}
	return out
}
