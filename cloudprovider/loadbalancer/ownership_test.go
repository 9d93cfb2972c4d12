package loadbalancer

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestOwnerMarksFitEveryValidClusterID: every cluster ID the config
// validator accepts (1-128 characters of letters, digits and ._:/@-) gives
// names and descriptions within the API's limits that ownedBy reads back
// for the same cluster only.
func TestOwnerMarksFitEveryValidClusterID(t *testing.T) {
	odd := "acme.example/prod:cn-hangzhou@dr_site-"
	odd += strings.Repeat("x", 128-len(odd))
	aclNameRE := regexp.MustCompile(`^[A-Za-z0-9./_-]{1,80}$`)
	ids := []string{"c", "clusterid", "team/prod", "a:b@c", odd}
	svcs := []*v1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "u1"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "s" + strings.Repeat("s", 62), Namespace: "n" + strings.Repeat("n", 62), UID: "u2"}},
	}
	for _, id := range ids {
		for _, svc := range svcs {
			for _, port := range []int{0, 80, 65535} {
				k := keyFor(svc, id, port)
				g, l := k.groupName(), k.listenerDescription()
				if len(g) > maxGroupNameLen || len(l) > maxListenerDescLen {
					t.Errorf("%q/%s: group name %d, listener description %d characters", id, svc.Name, len(g), len(l))
				}
				for _, d := range []string{g, l} {
					if !ownedBy(d, svc, id) || !managedByAnyCCM(d) {
						t.Errorf("%q: %q not read back as ours", id, d)
					}
					if ownedBy(d, svc, id+"2") || ownedBy(d, svc, "other") {
						t.Errorf("%q: %q read as another cluster's", id, d)
					}
				}
				r := &Reconciler{opts: Options{ClusterID: id}}
				if n := r.aclName(svc); !aclNameRE.MatchString(n) {
					t.Errorf("%q: ACL name %q is not a valid AclName", id, n)
				}
				if n := r.aclAltName(svc); !aclNameRE.MatchString(n) {
					t.Errorf("%q: ACL name %q is not a valid AclName", id, n)
				}
			}
		}
	}
	// Keys that fit are written unchanged, so existing objects keep their
	// names.
	k := keyFor(svcs[0], "team/prod", 30080)
	if k.groupName() != "k8s/30080/web/default/team/prod" || k.listenerDescription() != k.groupName() {
		t.Errorf("short key rewritten: %q, %q", k.groupName(), k.listenerDescription())
	}
}

// TestOwnershipComparesTheExactOwner: a CLB is ours only with this
// Service's UID and one of our cluster IDs; the legacy default counts only
// where the caller says tags prove the object ours.
func TestOwnershipComparesTheExactOwner(t *testing.T) {
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "u1"}}
	r := &Reconciler{opts: Options{ClusterID: "uid-a"}}
	r.SetClusterID("uid-a", LegacyClusterID)
	for _, tc := range []struct {
		name string
		tags map[string]string
		want ownership
	}{
		{"ours", map[string]string{TagServiceUID: "u1", TagClusterID: "uid-a"}, ownOurs},
		{"ours under the legacy default", map[string]string{TagServiceUID: "u1", TagClusterID: LegacyClusterID}, ownOurs},
		{"another cluster's", map[string]string{TagServiceUID: "u1", TagClusterID: "uid-b"}, ownForeign},
		{"another Service's", map[string]string{TagServiceUID: "u2", TagClusterID: "uid-a"}, ownForeign},
	} {
		if got := classify(tc.tags, "lb-1", svc, r.ids(true), ""); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	legacy := keyFor(svc, LegacyClusterID, 80).String()
	if ownedBy(legacy, svc, r.ids(false)...) {
		t.Error("a legacy description is ours on a CLB whose tags do not prove it")
	}
	if !ownedBy(legacy, svc, r.ids(true)...) {
		t.Error("a legacy description is not ours on our own CLB")
	}
	if ownedBy(keyFor(svc, "uid-b", 80).String(), svc, r.ids(true)...) {
		t.Error("another cluster's description is ours")
	}
}

// An upgrade from the legacy default to a cluster identity of its own
// keeps a Service's CLB, listeners, groups and members as they are: only
// the CLB's cluster tag is rewritten. Edits and the delete still work.
func TestUpgradeFromLegacyClusterIDKeepsOwnCLB(t *testing.T) {
	e := newEnv(t, envOpts{options: func(o *Options) { o.ClusterID = "" }})
	svc := service("web", nil, port{"http", 80, 30080, ""}, port{"https", 443, 30443, ""})
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	e.ensure(svc)
	before := e.groupMembers(e.lbs()[0].LoadBalancerId)

	e.restart()
	e.r.SetClusterID("uid-of-kube-system", LegacyClusterID)
	e.emu.ResetAudit()
	e.ensure(svc)
	if w := e.writes(); len(w) != 1 || w[0] != "TagResources" {
		t.Errorf("writes after the upgrade: %v, want only the cluster tag rewritten", w)
	}
	if got := e.groupMembers(e.lbs()[0].LoadBalancerId); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Errorf("groups changed on the upgrade:\nbefore %v\nafter  %v", before, got)
	}
	e.emu.ResetAudit()
	e.ensure(svc)
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes on a steady reconcile after the upgrade: %v", w)
	}

	// A port removed: its legacy listener and group are ours to delete.
	svc.Spec.Ports = svc.Spec.Ports[:1]
	e.ensure(svc)
	lbID := e.lbs()[0].LoadBalancerId
	if ls := e.listeners(lbID); len(ls) != 1 || ls[0].ListenerPort != 80 {
		t.Errorf("listeners after removing 443: %+v", ls)
	}
	if gs := e.groupMembers(lbID); len(gs) != 1 {
		t.Errorf("groups after removing 443: %v", gs)
	}
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "", svc); err != nil {
		t.Fatal(err)
	}
	if n := len(e.lbs()); n != 0 {
		t.Errorf("%d CLBs after the delete", n)
	}
	if ids, err := e.r.ourACLs(context.Background(), svc); err != nil || len(ids) != 0 {
		t.Errorf("ACLs after the delete: %v %v", ids, err)
	}
}
