package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// The user's NLB TestNLBReuse reuses, with a listener and a server group
// of the user's, a tag and a security group it joined by hand
// (userNLBHandSG); the Service joins it to userNLBSG too.
const (
	userNLB       = "nlb-e2euser"
	userNLBSGP    = "sgp-e2euser"
	userNLBPort   = 8080
	userNLBHandSG = "sg-e2ehand"
	userNLBSG     = "sg-e2eannotated"
)

// sgAndTags renders an NLB's security groups (svc's owned group shown as
// "owned") and tags, sorted.
func (w *lbWorld) sgAndTags(lb *sdknlb.LoadbalancerInfo, svc *corev1.Service) string {
	owned := map[string]bool{}
	for _, g := range w.ownedSGs(svc) {
		owned[g.SecurityGroupID] = true
	}
	var groups, tags []string
	for _, id := range lb.SecurityGroupIds {
		if owned[id] {
			id = "owned"
		}
		groups = append(groups, id)
	}
	for _, t := range lb.Tags {
		tags = append(tags, t.Key+"="+t.Value)
	}
	slices.Sort(groups)
	slices.Sort(tags)
	return fmt.Sprintf("groups %v tags %v", groups, tags)
}

// nlbWritesNaming lists the NLB write calls of the audit log with a
// parameter naming one of ids.
func (w *lbWorld) nlbWritesNaming(ids ...string) []string {
	var out []string
	for _, a := range w.emu.Emulator.Audit() {
		if a.Product != "Nlb" || strings.HasPrefix(a.Action, "List") || strings.HasPrefix(a.Action, "Get") {
			continue
		}
		for k, v := range a.Params {
			for _, id := range ids {
				if strings.Contains(v, id) {
					out = append(out, fmt.Sprintf("%s %s=%s", a.Action, k, v))
				}
			}
		}
	}
	return out
}

// reusedView is the user's NLB in the emulator's state: its listeners by
// port and whether the server group with id is tagged with svc's UID.
type reusedView struct {
	lb        *sdknlb.LoadbalancerInfo
	listeners map[int]sdknlb.ListenerInfo
	owned     map[string]bool
	groups    map[string]bool // every server group that exists
	members   map[string][]string
}

func (w *lbWorld) reusedView(t *testing.T, svc *corev1.Service) reusedView {
	t.Helper()
	s := w.nlbState(t)
	v := reusedView{listeners: map[int]sdknlb.ListenerInfo{}, owned: map[string]bool{}, groups: map[string]bool{}, members: map[string][]string{}}
	for i := range s.LoadBalancers {
		if l := &s.LoadBalancers[i]; l.LB.LoadBalancerId == userNLB {
			v.lb = &l.LB
			for _, li := range l.Listeners {
				v.listeners[li.ListenerPort] = li
			}
		}
	}
	for _, g := range s.ServerGroups {
		id := g.Group.ServerGroupId
		v.groups[id] = true
		for _, tag := range g.Group.Tags {
			v.owned[id] = v.owned[id] || tag.Key == tagServiceUID && tag.Value == string(svc.UID)
		}
		for _, srv := range g.Servers {
			v.members[id] = append(v.members[id], fmt.Sprintf("%s:%d", srv.ServerId, srv.Port))
		}
		slices.Sort(v.members[id])
	}
	return v
}

// ownedGroups counts the server groups tagged with the Service's UID.
func (v reusedView) ownedGroups() int {
	n := 0
	for _, o := range v.owned {
		if o {
			n++
		}
	}
	return n
}

// TestNLBReuse runs an NLB Service reusing a user's NLB (the id
// annotation) through the CCM binary: the Service gets the NLB's DNS name
// and a listener with an owned server group on its port, and the user's
// listener and server group get no write; a Service port on the user's
// listener is a ListenerPortConflict Warning Event and no write to it;
// with force-override-listeners the listener is taken over (the same
// listener, now on an owned group); the Service's security-group-ids group
// and its source-ranges group are joined next to the user's own group;
// the Service's deletion removes what the CCM made or took over and
// never the NLB or the user's group, and leaves the NLB in exactly the
// security groups and with the tags it had before.
func TestNLBReuse(t *testing.T) {
	w := newLBWorld(t)
	inst := w.emu.Instances[0].InstanceID
	userSG := func(id string) emulator.SecurityGroup {
		return emulator.SecurityGroup{SecurityGroupID: id, VpcID: w.emu.VpcID, Name: "user",
			Rules: []emulator.SecurityGroupRule{{IPProtocol: "TCP", PortRange: "22/22", SourceCidrIP: "10.9.0.0/16", Policy: "Accept", Priority: 5}}}
	}
	err := w.emu.Emulator.Seed(emulator.SeedState{
		SecurityGroups: []emulator.SecurityGroup{userSG(userNLBHandSG), userSG(userNLBSG)},
		NLBServerGroups: []emulator.SeedNLBServerGroup{{ServerGroupID: userNLBSGP, Name: "users", VpcID: w.emu.VpcID,
			Servers: []emulator.SeedNLBServer{{ServerID: inst, Type: "Ecs", Port: 9000}}}},
		NLBs: []emulator.SeedNLB{{LoadBalancerID: userNLB, Name: "users-nlb", VpcID: w.emu.VpcID,
			Tags: []emulator.Tag{{Key: "team", Value: "users"}}, SecurityGroupIDs: []string{userNLBHandSG},
			Zones:     []emulator.SeedNLBZone{{ZoneID: w.emu.Zones[0], VSwitchID: w.emu.VSwitches[0]}, {ZoneID: w.emu.Zones[1], VSwitchID: w.emu.VSwitches[1]}},
			Listeners: []emulator.SeedNLBListener{{Protocol: "TCP", Port: userNLBPort, ServerGroupID: userNLBSGP, Description: "users"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.emu.Emulator.ResetAudit()
	class := nlbClass
	svc, err := w.cs.CoreV1().Services("default").Create(framework.Ctx(t), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "reuse", Namespace: "default", Annotations: map[string]string{annoPrefix + "type": "nlb", annoPrefix + "id": userNLB,
			annoPrefix + "security-group-ids": userNLBSG}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: &class, Selector: map[string]string{"app": "reuse"},
			LoadBalancerSourceRanges: []string{"10.0.0.0/8"},
			Ports:                    []corev1.ServicePort{{Name: "tcp-80", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := w.reusedView(t, svc)
	userListener := v.listeners[userNLBPort]
	if v.lb == nil || userListener.ListenerId == "" {
		t.Fatalf("seeded NLB %s or its listener on %d missing", userNLB, userNLBPort)
	}
	userMembers := strings.Join(v.members[userNLBSGP], " ")
	userGroupsAndTags := w.sgAndTags(v.lb, svc)
	foreign := []string{userListener.ListenerId, userNLBSGP}

	// converged waits until the user's NLB has listeners on exactly ports
	// and each port in ownedPorts forwards to its own owned server group.
	converged := func(desc string, ports []int, ownedPorts ...int) reusedView {
		t.Helper()
		var last string
		framework.WaitFor(t, lbTimeout, desc, func() (bool, error) {
			v = w.reusedView(t, svc)
			var got []int
			for p := range v.listeners {
				got = append(got, p)
			}
			slices.Sort(got)
			last = fmt.Sprintf("listeners %v, %d owned groups", got, v.ownedGroups())
			if !slices.Equal(got, ports) || v.ownedGroups() != len(ownedPorts) {
				return false, nil
			}
			for _, p := range ownedPorts {
				if !v.owned[v.listeners[p].ServerGroupId] {
					return false, nil
				}
			}
			return true, nil
		})
		t.Logf("%s: %s", desc, last)
		return v
	}

	host := w.waitHostname(t, "reuse")
	if host != v.lb.DNSName {
		t.Errorf("status hostname %q, the reused NLB's DNS name %q", host, v.lb.DNSName)
	}
	v = converged("a listener with an owned group on port 80", []int{80, userNLBPort}, 80)
	if got := v.listeners[userNLBPort]; got.ServerGroupId != userNLBSGP || got.ListenerId != userListener.ListenerId {
		t.Errorf("the user's listener changed: %+v", got)
	}
	if wr := w.nlbWritesNaming(foreign...); len(wr) != 0 {
		t.Errorf("writes naming the user's listener or group: %v", wr)
	}
	framework.WaitFor(t, lbTimeout, "the NLB joined to the annotated and the source-ranges groups", func() (bool, error) {
		v = w.reusedView(t, svc)
		return strings.HasPrefix(w.sgAndTags(v.lb, svc), fmt.Sprintf("groups [owned %s %s]", userNLBSG, userNLBHandSG)), nil
	})

	// A Service port on the user's listener: a conflict, no write to it.
	w.updateService(t, "default", "reuse", func(s *corev1.Service) {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "tcp-8080", Port: userNLBPort, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP})
	})
	ev := w.waitEvent(t, "default", "reuse", "ListenerPortConflict")
	if ev.Type != corev1.EventTypeWarning || !strings.Contains(ev.Message, userListener.ListenerId) || !strings.Contains(ev.Message, "force-override-listeners") {
		t.Errorf("conflict event %s %q: want a Warning naming %s and force-override-listeners", ev.Type, ev.Message, userListener.ListenerId)
	}
	if wr := w.nlbWritesNaming(foreign...); len(wr) != 0 {
		t.Errorf("writes naming the user's listener or group after the conflict: %v", wr)
	}
	v = w.reusedView(t, svc)
	if got := v.listeners[userNLBPort]; got.ServerGroupId != userNLBSGP {
		t.Errorf("the user's listener moved to %s without force-override-listeners", got.ServerGroupId)
	}

	// force-override-listeners: the same listener, now on an owned group.
	w.updateService(t, "default", "reuse", setAnnotations("force-override-listeners", "true"))
	v = converged("the user's listener taken over", []int{80, userNLBPort}, 80, userNLBPort)
	if got := v.listeners[userNLBPort].ListenerId; got != userListener.ListenerId {
		t.Errorf("the listener on %d was replaced (%s -> %s), want it taken over", userNLBPort, userListener.ListenerId, got)
	}
	if wr := w.nlbWritesNaming(userNLBSGP); len(wr) != 0 {
		t.Errorf("writes naming the user's server group: %v", wr)
	}

	// The Service's deletion: the NLB and the user's group stay.
	w.deleteAndWait(t, "default", "reuse")
	v = converged("the CCM's listeners and groups deleted", nil)
	if v.lb == nil {
		t.Fatalf("the reused NLB %s was deleted", userNLB)
	}
	if !v.groups[userNLBSGP] || strings.Join(v.members[userNLBSGP], " ") != userMembers {
		t.Errorf("the user's server group changed: exists %v, members %v, want %s", v.groups[userNLBSGP], v.members[userNLBSGP], userMembers)
	}
	if got := w.sgAndTags(v.lb, svc); got != userGroupsAndTags {
		t.Errorf("the reused NLB after the Service's deletion: %s, want as before: %s", got, userGroupsAndTags)
	}
	if g := w.ownedSGs(svc); len(g) != 0 {
		t.Errorf("the Service's source-ranges group is left: %+v", g)
	}
	if n := w.emu.Emulator.CallCount("DeleteLoadBalancer", "OK"); n != 0 {
		t.Errorf("%d DeleteLoadBalancer calls", n)
	}
	if wr := w.nlbWritesNaming(userNLBSGP); len(wr) != 0 {
		t.Errorf("writes naming the user's server group: %v", wr)
	}
}
