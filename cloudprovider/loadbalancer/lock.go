package loadbalancer

import "sync"

// KeyedLocks serialises work per Service: the framework's service
// controller, its node sync and the endpoints controller may all
// reconcile the same Service; two concurrent reconciles would both see "no
// load balancer" and race their creates, or interleave backend diffs. The
// CLB and NLB engines each keep one.
type KeyedLocks struct {
	mu    sync.Mutex
	locks map[string]*refLock
}

type refLock struct {
	sync.Mutex
	refs int
}

// Lock takes the lock of key and returns its release function. Idle locks
// are freed, so the map holds only keys with holders or waiters.
func (k *KeyedLocks) Lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*refLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &refLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
