package command

import (
	"context"
	"strings"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestLeaseRelease pins the SIGTERM handover's Lease update: it clears the
// holder only while the Lease names this process, and a renewal by the
// still-running elector between the read and the update (a conflict) makes
// it read again rather than leave the standby waiting for the lease to
// expire.
func TestLeaseRelease(t *testing.T) {
	const ns, name, me = "kube-system", "ccm", "me_1"
	lease := func(holder string) *coordinationv1.Lease {
		d, n := int32(15), int32(3)
		return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &d, LeaseTransitions: &n}}
	}
	for _, tt := range []struct {
		name      string
		lease     *coordinationv1.Lease
		identity  string
		conflicts int // updates refused with a conflict before one succeeds
		released  bool
		holder    string // afterwards; "-" when there is no Lease
		wantErr   string
		updates   int
	}{
		{name: "ours: released", lease: lease(me), identity: me, released: true, updates: 1},
		{name: "a renewal between read and update: read again, released", lease: lease(me), identity: me, conflicts: 1, released: true, updates: 2},
		{name: "conflicts every time: an error, the Lease left alone", lease: lease(me), identity: me, conflicts: 100, holder: me,
			wantErr: "releasing Lease kube-system/ccm", updates: 5},
		{name: "another replica holds it: untouched", lease: lease("other_2"), identity: me, holder: "other_2"},
		{name: "no Lease", identity: me, holder: "-"},
		{name: "never led: nothing read or written", lease: lease(me), holder: me},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var objs []runtime.Object
			if tt.lease != nil {
				objs = append(objs, tt.lease)
			}
			cs := fake.NewClientset(objs...)
			updates, conflicts := 0, tt.conflicts
			cs.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
				updates++
				if conflicts > 0 {
					conflicts--
					return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, name, nil)
				}
				return false, nil, nil
			})
			h := &leaseHandover{client: cs, namespace: ns, name: name, identity: tt.identity}
			released, err := h.release(context.Background())
			if released != tt.released || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("release = %v, %v; want %v, error containing %q", released, err, tt.released, tt.wantErr)
			}
			if updates != tt.updates {
				t.Errorf("%d updates, want %d", updates, tt.updates)
			}
			got, err := cs.CoordinationV1().Leases(ns).Get(context.Background(), name, metav1.GetOptions{})
			holder := "-"
			if err == nil {
				holder = *got.Spec.HolderIdentity
			}
			if holder != tt.holder {
				t.Errorf("holder afterwards %q, want %q", holder, tt.holder)
			}
			if tt.released && (*got.Spec.LeaseDurationSeconds != 1 || *got.Spec.LeaseTransitions != 3) {
				t.Errorf("released spec %+v, want duration 1 s and the transitions kept", got.Spec)
			}
		})
	}
}

// TestStillLeads pins when the shutdown may make the provider's last
// writes (the verified-backends record): only while the Lease still names
// this process, or without leader election. A replica whose lease another
// one took meanwhile must not write a record the new leader does not know
// about (it would never remove it before changing members).
func TestStillLeads(t *testing.T) {
	const ns, name, me = "kube-system", "ccm", "me_1"
	lease := func(holder string) *coordinationv1.Lease {
		return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder}}
	}
	for _, tt := range []struct {
		name     string
		noLE     bool // leader election off: no client
		lease    *coordinationv1.Lease
		identity string
		getErr   bool
		want     bool
	}{
		{name: "leader election off", noLE: true, want: true},
		{name: "the Lease names us", lease: lease(me), identity: me, want: true},
		{name: "another replica took it", lease: lease("other_2"), identity: me},
		{name: "never led", lease: lease("other_2")},
		{name: "no Lease", identity: me},
		{name: "the Lease cannot be read", lease: lease(me), identity: me, getErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &leaseHandover{namespace: ns, name: name, identity: tt.identity}
			if !tt.noLE {
				var objs []runtime.Object
				if tt.lease != nil {
					objs = append(objs, tt.lease)
				}
				cs := fake.NewClientset(objs...)
				if tt.getErr {
					cs.PrependReactor("get", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
						return true, nil, apierrors.NewServiceUnavailable("etcd down")
					})
				}
				h.client = cs
			}
			if got := h.stillLeads(context.Background()); got != tt.want {
				t.Errorf("stillLeads = %v, want %v", got, tt.want)
			}
		})
	}
}
