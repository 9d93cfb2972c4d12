package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// ownedSGs are the security groups tagged as svc's.
func (w *lbWorld) ownedSGs(svc *corev1.Service) []emulator.SecurityGroup {
	var out []emulator.SecurityGroup
	for _, g := range w.emu.Emulator.Dump().SecurityGroups {
		if slices.Contains(g.Tags, emulator.Tag{Key: "alicloud-ccm/service-uid", Value: string(svc.UID)}) {
			out = append(out, g)
		}
	}
	return out
}

// sgRuleSet renders a group's rules, sorted.
func sgRuleSet(g emulator.SecurityGroup) string {
	var out []string
	for _, r := range g.Rules {
		src := r.SourceCidrIP
		if src == "" {
			src = r.Ipv6SourceCidrIP
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %d", r.IPProtocol, r.PortRange, src, r.Policy, r.Priority))
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

// TestNLBSourceRanges runs spec.loadBalancerSourceRanges through the CCM
// binary: set -> a CCM-owned security group, joined to the NLB next to the
// user's group, accepting the ranges on the listener port and dropping the
// rest; changed -> the rules follow; cleared -> the NLB leaves the group
// and it is deleted; the user's group and its rules are never changed; the
// Service's deletion leaves no group of the CCM. A DualStack NLB's IPv6
// ranges are rules too, with a Drop of every other IPv6 source.
func TestNLBSourceRanges(t *testing.T) {
	w := newLBWorld(t)
	user := emulator.SecurityGroup{SecurityGroupID: "sg-e2euser", VpcID: w.emu.VpcID, Name: "user",
		Rules: []emulator.SecurityGroupRule{{IPProtocol: "TCP", PortRange: "22/22", SourceCidrIP: "10.9.0.0/16", Policy: "Accept", Priority: 5}}}
	if err := w.emu.Emulator.Seed(emulator.SeedState{SecurityGroups: []emulator.SecurityGroup{user}}); err != nil {
		t.Fatal(err)
	}
	userRules := sgRuleSet(user)
	svc := w.createNLBService(t, "ranges", 80)
	class := nlbClass
	svc6, err := w.cs.CoreV1().Services("default").Create(framework.Ctx(t), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "ranges6", Namespace: "default", Annotations: map[string]string{annoPrefix + "ip-version": "DualStack"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: &class, Selector: map[string]string{"app": "ranges6"},
			LoadBalancerSourceRanges: []string{"10.0.0.0/8", "2001:db8::/32"}, Ports: []corev1.ServicePort{{Name: "tcp-80", Port: 80, Protocol: corev1.ProtocolTCP}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.updateService(t, "default", "ranges", func(s *corev1.Service) {
		s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
		s.Annotations = map[string]string{annoPrefix + "security-group-ids": user.SecurityGroupID}
	})
	w.waitHostname(t, "ranges")
	// converged waits until the owned group has rules and the NLB's groups
	// are joined (owned shown as "owned").
	converged := func(desc, rules string, joined ...string) {
		t.Helper()
		framework.WaitFor(t, lbTimeout, desc, func() (bool, error) {
			owned := w.ownedSGs(svc)
			lbs := w.nlbState(t).ourNLBs(svc)
			if len(lbs) != 1 || len(owned) > 1 || (rules == "") != (len(owned) == 0) {
				return false, nil
			}
			var got []string
			for _, id := range lbs[0].SecurityGroupIds {
				if len(owned) == 1 && id == owned[0].SecurityGroupID {
					id = "owned"
				}
				got = append(got, id)
			}
			slices.Sort(got)
			return slices.Equal(got, joined) && (rules == "" || sgRuleSet(owned[0]) == rules), nil
		})
	}
	converged("the owned group joined with the range", "TCP 80/80 0.0.0.0/0 Drop 100; TCP 80/80 10.0.0.0/8 Accept 1", "owned", user.SecurityGroupID)
	g := w.ownedSGs(svc)[0]
	if g.VpcID != w.emu.VpcID || !slices.Contains(g.Tags, emulator.Tag{Key: tagClusterID, Value: nlbTag(w.nlbState(t).ourNLBs(svc)[0], tagClusterID)}) {
		t.Errorf("owned group %+v", g)
	}

	w.updateService(t, "default", "ranges", func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/16", "1.2.3.0/24"} })
	converged("the rules following the ranges", "TCP 80/80 0.0.0.0/0 Drop 100; TCP 80/80 1.2.3.0/24 Accept 1; TCP 80/80 10.0.0.0/16 Accept 1",
		"owned", user.SecurityGroupID)
	if got := w.ownedSGs(svc)[0].SecurityGroupID; got != g.SecurityGroupID {
		t.Errorf("a changed range replaced the group: %s -> %s", g.SecurityGroupID, got)
	}

	w.updateService(t, "default", "ranges", func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = nil })
	converged("the owned group left and deleted", "", user.SecurityGroupID)

	for _, sg := range w.emu.Emulator.Dump().SecurityGroups {
		if sg.SecurityGroupID == user.SecurityGroupID && sgRuleSet(sg) != userRules {
			t.Errorf("the user's group's rules changed: %s -> %s", userRules, sgRuleSet(sg))
		}
	}
	w.updateService(t, "default", "ranges", func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"} })
	converged("the owned group back", "TCP 80/80 0.0.0.0/0 Drop 100; TCP 80/80 10.0.0.0/8 Accept 1", "owned", user.SecurityGroupID)
	w.deleteAndWait(t, "default", "ranges")
	framework.WaitFor(t, lbTimeout, "no group of the CCM after the Service's deletion", func() (bool, error) {
		return len(w.ownedSGs(svc)) == 0, nil
	})

	want6 := "TCP 80/80 0.0.0.0/0 Drop 100; TCP 80/80 10.0.0.0/8 Accept 1; TCP 80/80 2001:db8::/32 Accept 1; TCP 80/80 ::/0 Drop 100"
	var last6 string
	framework.WaitFor(t, lbTimeout, "the DualStack NLB's group with IPv6 rules", func() (bool, error) {
		owned := w.ownedSGs(svc6)
		lbs := w.nlbState(t).ourNLBs(svc6)
		if len(owned) != 1 || len(lbs) != 1 {
			return false, nil
		}
		last6 = sgRuleSet(owned[0])
		return last6 == want6 && slices.Contains(lbs[0].SecurityGroupIds, owned[0].SecurityGroupID), nil
	})
	t.Logf("DualStack rules: %s", last6)
	w.deleteAndWait(t, "default", "ranges6")
	if g := w.ownedSGs(svc6); len(g) != 0 {
		t.Errorf("the DualStack Service's group is left: %+v", g)
	}
	found := false
	for _, sg := range w.emu.Emulator.Dump().SecurityGroups {
		found = found || sg.SecurityGroupID == user.SecurityGroupID
	}
	if !found {
		t.Error("the user's group was deleted")
	}
	if _, err := w.cs.CoreV1().Services("default").Get(framework.Ctx(t), "ranges", metav1.GetOptions{}); err == nil {
		t.Error("the Service is still there")
	}
}
