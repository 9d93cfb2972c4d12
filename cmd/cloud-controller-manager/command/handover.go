package command

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/retry"
	cloudcontrollerconfig "k8s.io/cloud-provider/app/config"
	"k8s.io/klog/v2"
)

// leaseHandover releases the leader-election Lease when the process stops on
// SIGTERM, so a standby replica takes over at its next retry
// (--leader-elect-retry-period) instead of waiting for the lease to expire
// (--leader-elect-lease-duration): a DaemonSet rolling update then hands over
// in about a retry period.
//
// client-go's elector does this itself with ReleaseOnCancel, but
// k8s.io/cloud-provider's app.Run builds the elector inside the command with
// context.TODO() and without ReleaseOnCancel, and exposes neither the elector
// nor its identity (hostname + random UUID). So we learn the identity from
// the "<identity> became leader" Event the lock records through the config's
// EventRecorder (which we wrap before Run builds the lock), and on shutdown
// clear the holder exactly as client-go's release does (empty holder, 1 s
// duration), with an optimistic-concurrency update that changes nothing
// unless the Lease still names us.
//
// The release happens after app.Run returned and just before the process
// exits. The framework's controllers cannot be stopped first (their context
// is the elector's, derived from context.TODO()), so they run for the few
// milliseconds until exit; the new leader first has to notice the release at
// its next retry and sync its informers before it acts, so the two never act
// together in practice, and a write cut off by the exit is no different from
// one cut off by SIGKILL, which the controllers converge from.
type leaseHandover struct {
	mu        sync.Mutex
	client    kubernetes.Interface
	namespace string
	name      string
	identity  string // set when this process became leader
}

// watch prepares the handover for cfg: it must run before app.Run creates the
// lock, i.e. from the cloud initializer.
func (h *leaseHandover) watch(cfg *cloudcontrollerconfig.CompletedConfig) {
	le := cfg.ComponentConfig.Generic.LeaderElection
	if !le.LeaderElect || cfg.Client == nil || cfg.EventRecorder == nil {
		return
	}
	h.mu.Lock()
	h.client, h.namespace, h.name = cfg.Client, le.ResourceNamespace, le.ResourceName
	h.mu.Unlock()
	cfg.EventRecorder = &identityRecorder{EventRecorder: cfg.EventRecorder, h: h}
}

// becameLeader records identity as this process's lock identity.
func (h *leaseHandover) becameLeader(identity string) {
	h.mu.Lock()
	h.identity = identity
	h.mu.Unlock()
}

// release clears the Lease holder if it is still this process. It returns
// whether the Lease was released.
//
// The elector keeps renewing until the process exits, so a renewal can land
// between our read and our update: the update then fails with a conflict,
// and the Lease is read again (and released if it still names us) instead
// of leaving the standby to wait for the lease to expire.
func (h *leaseHandover) release(ctx context.Context) (bool, error) {
	h.mu.Lock()
	client, ns, name, id := h.client, h.namespace, h.name, h.identity
	h.mu.Unlock()
	if client == nil || id == "" {
		return false, nil
	}
	leases := client.CoordinationV1().Leases(ns)
	released := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		lease, err := leases.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != id {
			return nil // another replica already holds it
		}
		lease.Spec = releasedSpec(lease.Spec, time.Now())
		// The update carries the resourceVersion we read: if the Lease
		// changed since, it fails with a conflict and is read again.
		if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
			return err
		}
		released = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("releasing Lease %s/%s: %w", ns, name, err)
	}
	return released, nil
}

// stillLeads reports whether this process may still act as the leader at
// shutdown: leader election is off, or the Lease still names it. A Lease
// that cannot be read, another holder, or a process that never led: no.
func (h *leaseHandover) stillLeads(ctx context.Context) bool {
	h.mu.Lock()
	client, ns, name, id := h.client, h.namespace, h.name, h.identity
	h.mu.Unlock()
	if client == nil {
		return true
	}
	if id == "" {
		return false
	}
	lease, err := client.CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		klog.V(2).InfoS("Cannot tell whether this process still leads at shutdown", "lease", ns+"/"+name, "err", err)
		return false
	}
	return lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity == id
}

// stillLeadsWithin is stillLeads bounded by timeout.
func (h *leaseHandover) stillLeadsWithin(timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return h.stillLeads(ctx)
}

// releasedSpec is spec as client-go's LeaderElector.release writes it: no
// holder, a 1 s duration, acquire and renew times now, transitions kept.
func releasedSpec(spec coordinationv1.LeaseSpec, now time.Time) coordinationv1.LeaseSpec {
	empty := ""
	one := int32(1)
	t := metav1.NewMicroTime(now)
	return coordinationv1.LeaseSpec{
		HolderIdentity:       &empty,
		LeaseDurationSeconds: &one,
		AcquireTime:          &t,
		RenewTime:            &t,
		LeaseTransitions:     spec.LeaseTransitions,
	}
}

// releaseOnShutdown releases the Lease (bounded by timeout) and logs the
// outcome; failure only means the standby waits for the lease to expire.
func (h *leaseHandover) releaseOnShutdown(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ok, err := h.release(ctx)
	switch {
	case err != nil:
		klog.Warningf("Shutting down without releasing leadership (a standby takes over when the lease expires): %v", err)
	case ok:
		klog.Infof("Released the leader-election Lease %s/%s for a standby replica", h.namespace, h.name)
	}
}

// identityRecorder passes every Event on and notes the identity in the
// leader-election lock's "<identity> became leader" Event for our Lease.
type identityRecorder struct {
	record.EventRecorder
	h *leaseHandover
}

// becameLeaderSuffix is the text client-go's lock appends to its identity in
// the Event it records on acquiring the lease (LeaderElector.acquire).
const becameLeaderSuffix = " became leader"

// Eventf notes our identity from the lock's Event, then records it.
func (r *identityRecorder) Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...interface{}) {
	if reason == "LeaderElection" {
		if l, ok := obj.(*coordinationv1.Lease); ok && l.Name == r.h.name && l.Namespace == r.h.namespace {
			if id, ok := strings.CutSuffix(fmt.Sprintf(messageFmt, args...), becameLeaderSuffix); ok && id != "" {
				r.h.becameLeader(id)
			}
		}
	}
	r.EventRecorder.Eventf(obj, eventtype, reason, messageFmt, args...)
}
