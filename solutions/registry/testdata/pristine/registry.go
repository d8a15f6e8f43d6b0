// Package registry is a service registry with TTL leases and watches, shaped
// like etcd's lease and watch API. Service instances register under a lease
// that a heartbeat (KeepAlive) keeps alive; a lease that is not kept alive
// expires at exactly its grant or last keep-alive time plus its TTL, and its
// instances are deleted with no call needed. Consumers list a service with
// Instances and watch it from the next revision with Watch.
//
// Every change (a Register, a Deregister, or a Revoke or expiry that deletes
// instances) is one revision. The registry keeps the events of the last H
// revisions for watchers that start in the past, and a watcher that falls
// more than B events behind is cancelled with ErrSlowWatcher instead of
// slowing the registry down.
//
// Read katas/registry/README.md and implement the API below. Every body
// panics "not implemented" until you do.
package registry

import (
	"context"
	"errors"
	"time"
)

// Errors returned by the registry; they may be wrapped, so match them with
// errors.Is.
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

// LeaseID names a lease. The leases of a registry are numbered 1, 2, 3, …
// in the order they are granted, and never reused.
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
	panic("not implemented")
}

// Event is one change to one instance.
type Event struct {
	Type     EventType
	Revision int64    // the revision of the change
	Instance Instance // PUT: as stored; DELETE: the version that was deleted
}

// options are the settings New applies. They are yours to design.
type options struct{}

// Option configures New.
type Option func(*options)

// WithWatchBuffer sets B, how many events a watcher may have committed and
// not yet received before a change that would exceed it cancels the watcher
// with ErrSlowWatcher. The default is DefaultWatchBuffer; n < 1 makes New
// fail with ErrInvalidArgument.
func WithWatchBuffer(n int) Option {
	panic("not implemented")
}

// WithHistoryLimit sets H, how many of the latest revisions are kept for
// watchers that start in the past. The default is DefaultHistoryLimit; n < 1
// makes New fail with ErrInvalidArgument.
func WithHistoryLimit(n int) Option {
	panic("not implemented")
}

// Registry is a service registry. Its methods are safe for concurrent use.
type Registry struct{}

// New returns a registry at revision 0 with no history, after applying the
// options in order. An option given a value below 1 makes it return nil and
// an error matching ErrInvalidArgument.
func New(opts ...Option) (*Registry, error) {
	panic("not implemented")
}

// Grant creates a lease that expires ttl after now unless kept alive, and
// returns its ID: the n-th successful Grant returns LeaseID(n). ttl <= 0
// returns NoLease and ErrInvalidArgument.
func (r *Registry) Grant(ttl time.Duration) (LeaseID, error) {
	panic("not implemented")
}

// KeepAlive sets a live lease's expiry to now plus its TTL. An unknown,
// revoked or expired lease returns ErrLeaseNotFound.
func (r *Registry) KeepAlive(id LeaseID) error {
	panic("not implemented")
}

// Revoke removes a live lease and deletes every instance attached to it in
// one change. It returns the revision after the call.
func (r *Registry) Revoke(id LeaseID) (rev int64, err error) {
	panic("not implemented")
}

// Register stores inst, attached to lease (to none with NoLease), replacing
// an instance with the same Service and ID, and emits one PUT. It returns the
// revision after the call.
func (r *Registry) Register(inst Instance, lease LeaseID) (rev int64, err error) {
	panic("not implemented")
}

// Deregister deletes an instance in one change and emits one DELETE. It
// returns the revision after the call.
func (r *Registry) Deregister(service, id string) (rev int64, err error) {
	panic("not implemented")
}

// Instances returns the live instances of service sorted by ID, and the
// revision R they describe.
func (r *Registry) Instances(service string) ([]Instance, int64, error) {
	panic("not implemented")
}

// Watch returns a watcher of service's events from revision fromRev on, or
// from the next revision when fromRev is 0. The watch ends when ctx is done,
// when the registry is closed, or when the watcher falls more than B events
// behind.
func (r *Registry) Watch(ctx context.Context, service string, fromRev int64) (*Watcher, error) {
	panic("not implemented")
}

// Close ends every watch with ErrClosed and returns once every goroutine the
// registry started has returned. It returns nil, also when called again.
func (r *Registry) Close() error {
	panic("not implemented")
}

// Watcher receives the events of one service.
type Watcher struct{}

// Events returns the channel of the watcher's events, the same channel on
// every call. It is closed when the watch ends.
func (w *Watcher) Events() <-chan Event {
	panic("not implemented")
}

// Err returns nil while the watch runs, and the cause that ended it once a
// receive from Events has returned ok == false: ErrSlowWatcher, ErrClosed or
// the context's error.
func (w *Watcher) Err() error {
	panic("not implemented")
}
