package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// state is the part of the emulator's dump (GET /state) the report shows,
// decoded from its JSON so it reads exactly what a user's curl would.
type state struct {
	RouteTables []emulator.DumpRouteTab `json:"routeTables"`
	SLB         struct {
		LoadBalancers []clbView `json:"loadBalancers"`
	} `json:"slb"`
}

// clbView is one CLB with its listeners and vServer groups.
type clbView struct {
	LoadBalancer struct {
		LoadBalancerID     string `json:"LoadBalancerId"`
		LoadBalancerName   string `json:"LoadBalancerName"`
		LoadBalancerStatus string `json:"LoadBalancerStatus"`
		Address            string `json:"Address"`
		AddressType        string `json:"AddressType"`
		NetworkType        string `json:"NetworkType"`
		VpcID              string `json:"VpcId"`
		VSwitchID          string `json:"VSwitchId"`
		LoadBalancerSpec   string `json:"LoadBalancerSpec"`
		Tags               struct {
			Tag []struct{ TagKey, TagValue string } `json:"Tag"`
		} `json:"Tags"`
	} `json:"loadBalancer"`
	Listeners []struct {
		ListenerPort      int    `json:"ListenerPort"`
		ListenerProtocol  string `json:"ListenerProtocol"`
		Status            string `json:"Status"`
		VServerGroupID    string `json:"VServerGroupId"`
		Scheduler         string `json:"Scheduler"`
		BackendServerPort int    `json:"BackendServerPort"`
	} `json:"listeners"`
	VServerGroups []struct {
		VServerGroupID   string `json:"vServerGroupId"`
		VServerGroupName string `json:"vServerGroupName"`
		BackendServers   []struct {
			ServerID string `json:"serverId"`
			ServerIP string `json:"serverIp"`
			Type     string `json:"type"`
			Port     int    `json:"port"`
			Weight   int    `json:"weight"`
		} `json:"backendServers"`
	} `json:"vServerGroups"`
}

// findings is what the CCM did, read back from Kubernetes and the emulator.
type findings struct {
	svc      *corev1.Service
	events   []corev1.Event
	nodes    []corev1.Node
	st       state
	healthz  string
	noLB     bool // the CCM log says the provider has no LoadBalancer capability
	noRoutes bool // ... no Routes capability
	waited   time.Duration
	errs     []error
}

// ingressIP returns the Service's first status.loadBalancer.ingress IP.
func (f *findings) ingressIP() string {
	if f.svc == nil {
		return ""
	}
	for _, in := range f.svc.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			return in.IP
		}
	}
	return ""
}

// clb returns the CLB whose address is the Service's, else the only one.
func (f *findings) clb() *clbView {
	lbs := f.st.SLB.LoadBalancers
	for i := range lbs {
		if ip := f.ingressIP(); ip != "" && lbs[i].LoadBalancer.Address == ip {
			return &lbs[i]
		}
	}
	if len(lbs) == 1 {
		return &lbs[0]
	}
	return nil
}

// route returns the custom route entry for a destination CIDR.
func (f *findings) route(cidr string) *emulator.DumpRouteEntr {
	for _, rt := range f.st.RouteTables {
		for i, e := range rt.Entries {
			if e.DestinationCidrBlock == cidr {
				return &rt.Entries[i]
			}
		}
	}
	return nil
}

// node returns the named Node as last read.
func (f *findings) node(name string) *corev1.Node {
	for i := range f.nodes {
		if f.nodes[i].Name == name {
			return &f.nodes[i]
		}
	}
	return nil
}

// initialized reports whether a node lost the uninitialized taint.
func initialized(n *corev1.Node) bool {
	return n != nil && !nodeclass.IsUninitialized(n)
}

// complete reports whether everything the CCM should do is visible: the
// Service's address, its CLB with a listener and backends, every ECS node
// initialised, and a route for every node that had a providerID from the
// start (a node initialised later gets its route at the next
// --route-reconciliation-period, 3 minutes).
func (d *demo) complete(f *findings) bool {
	if f.ingressIP() == "" && !f.noLB {
		return false
	}
	if lb := f.clb(); !f.noLB && (lb == nil || len(lb.Listeners) == 0 || len(lb.VServerGroups) == 0 ||
		len(lb.VServerGroups[0].BackendServers) == 0) {
		return false
	}
	for _, p := range d.nodes {
		if !p.virtual && !initialized(f.node(p.name)) {
			return false
		}
		if p.providerID != "" && !f.noRoutes && f.route(p.podCIDR) == nil {
			return false
		}
	}
	return true
}

// read takes one snapshot of the Kubernetes objects and emulator state.
func (d *demo) read(ctx context.Context) *findings {
	f := &findings{}
	cs := d.cp.Client
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	svc, err := cs.CoreV1().Services("default").Get(ctx, "nginx", metav1.GetOptions{})
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("reading Service default/nginx: %w", err))
	} else {
		f.svc = svc
	}
	if nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
		f.errs = append(f.errs, fmt.Errorf("listing nodes: %w", err))
	} else {
		f.nodes = nodes.Items
	}
	evs, err := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=nginx"})
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("listing events: %w", err))
	} else {
		f.events = evs.Items
		sort.SliceStable(f.events, func(i, j int) bool { return f.events[i].LastTimestamp.Before(&f.events[j].LastTimestamp) })
	}
	b, err := json.Marshal(d.emu.Emulator.Dump())
	if err == nil {
		err = json.Unmarshal(b, &f.st)
	}
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("reading the emulator state: %w", err))
	}
	if log, err := os.ReadFile(d.ccmLog); err == nil {
		f.noLB = strings.Contains(string(log), "does not support external load balancers")
		f.noRoutes = strings.Contains(string(log), "does not support routes")
	}
	return f
}

// observe is step 7's waiting part: snapshots until complete or the wait
// bound passes.
func (d *demo) observe(ctx context.Context) *findings {
	d.step("7/8 Waiting up to %s for the CCM to do its work", d.o.wait)
	start := time.Now()
	var f *findings
	_ = pollCtx(ctx, d.o.wait, func() (bool, error) {
		f = d.read(ctx)
		return d.complete(f), nil
	})
	f.waited = time.Since(start)
	code, body, err := d.ccm.PlainGet("/healthz")
	f.healthz = fmt.Sprintf("%d %s", code, body)
	if err != nil {
		f.healthz = err.Error()
	}
	return f
}

// report prints the findings.
func (d *demo) report(f *findings) {
	w := func(format string, args ...any) { d.say(format, args...) }
	if d.complete(f) {
		w("done after %s", f.waited.Round(100*time.Millisecond))
	} else {
		w("still incomplete after %s; showing what exists", f.waited.Round(100*time.Millisecond))
	}
	for _, err := range f.errs {
		w("error: %v", err)
	}

	fmt.Fprintln(d.o.out, "\n  Nodes (kubectl get nodes):")
	for _, p := range d.nodes {
		n := f.node(p.name)
		if n == nil {
			w("%-22s missing", p.name)
			continue
		}
		state := "initialised"
		switch {
		case p.virtual:
			state = "VNode, left alone"
			if n.Spec.ProviderID != "" {
				state = "VNode, but providerID was set (unexpected)"
			}
		case !initialized(n):
			state = "STILL uninitialized (taint present)"
		case p.taint:
			state = "initialised by the CCM (taint removed, providerID set)"
		}
		w("%-22s %s", p.name, state)
		if n.Spec.ProviderID != "" {
			w("    providerID %s", n.Spec.ProviderID)
		}
		var labels []string
		for _, k := range []string{corev1.LabelTopologyRegion, corev1.LabelTopologyZone, corev1.LabelInstanceTypeStable, "type"} {
			if v := n.Labels[k]; v != "" {
				labels = append(labels, k+"="+v)
			}
		}
		if len(labels) > 0 {
			w("    labels %s", strings.Join(labels, " "))
		}
		var addrs []string
		for _, a := range n.Status.Addresses {
			addrs = append(addrs, string(a.Type)+"="+a.Address)
		}
		if len(addrs) > 0 {
			w("    addresses %s", strings.Join(addrs, " "))
		}
	}

	fmt.Fprintln(d.o.out, "\n  Service default/nginx (kubectl get svc nginx):")
	switch {
	case f.ingressIP() != "":
		w("EXTERNAL-IP %s (status.loadBalancer.ingress)", f.ingressIP())
	case f.noLB:
		w("no external IP: this build's provider has no LoadBalancer capability yet (the CCM log says so)")
	default:
		w("no external IP yet (see the events below and %s)", d.ccmLog)
	}
	for _, e := range f.events {
		w("event %s %s: %s", e.Type, e.Reason, e.Message)
	}

	fmt.Fprintf(d.o.out, "\n  CLB in the emulator (curl %s/state | jq .slb):\n", d.emu.ControlURL)
	d.reportCLB(f)

	fmt.Fprintf(d.o.out, "\n  VPC route entries (curl %s/state | jq .routeTables):\n", d.emu.ControlURL)
	d.reportRoutes(f)

	fmt.Fprintln(d.o.out, "\n  Health (the guide's livenessProbe):")
	w("curl http://127.0.0.1:%d/healthz  ->  %s", d.ccm.Port, f.healthz)

	fmt.Fprintf(d.o.out, "\n  API calls the CCM made, by action (curl %s/audit | jq .counts):\n", d.emu.ControlURL)
	counts := d.emu.Emulator.Counts()
	actions := make([]string, 0, len(counts))
	for a := range counts {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	total := 0
	for _, a := range actions {
		var parts []string
		n := 0
		for code, c := range counts[a] {
			n += c
			if code != "OK" {
				parts = append(parts, fmt.Sprintf("%d %s", c, code))
			}
		}
		total += n
		extra := ""
		if len(parts) > 0 {
			sort.Strings(parts)
			extra = " (" + strings.Join(parts, ", ") + ")"
		}
		w("%4d  %s%s", n, a, extra)
	}
	w("%4d  in total", total)
}

// reportCLB prints the Service's CLB with listeners, vServer groups and backends.
func (d *demo) reportCLB(f *findings) {
	w := func(format string, args ...any) { d.say(format, args...) }
	lb := f.clb()
	if lb == nil {
		switch {
		case f.noLB:
			w("none: the LoadBalancer capability is not implemented in this build yet")
		case len(f.st.SLB.LoadBalancers) > 1:
			w("%d CLBs, none with the Service's address", len(f.st.SLB.LoadBalancers))
		default:
			w("none yet: the CCM has not created a CLB (see the Service events and %s)", d.ccmLog)
		}
		return
	}
	l := lb.LoadBalancer
	w("%s %q  address %s (%s, %s)  status %s", l.LoadBalancerID, l.LoadBalancerName, l.Address, l.AddressType, l.NetworkType, l.LoadBalancerStatus)
	w("    spec %s  vpc %s  vswitch %s", orDash(l.LoadBalancerSpec), l.VpcID, l.VSwitchID)
	for _, t := range l.Tags.Tag {
		w("    tag %s=%s", t.TagKey, t.TagValue)
	}
	if len(lb.Listeners) == 0 {
		w("    no listeners yet")
	}
	for _, li := range lb.Listeners {
		w("    listener %s:%d  status %s  scheduler %s  -> vServer group %s", li.ListenerProtocol, li.ListenerPort,
			li.Status, orDash(li.Scheduler), orDash(li.VServerGroupID))
	}
	if len(lb.VServerGroups) == 0 {
		w("    no vServer groups yet")
	}
	for _, g := range lb.VServerGroups {
		w("    vServer group %s %q, %d backends", g.VServerGroupID, g.VServerGroupName, len(g.BackendServers))
		for _, b := range g.BackendServers {
			w("        %s %s:%d weight %d (%s)", b.Type, b.ServerID, b.Port, b.Weight, d.describeServer(b.ServerID, b.ServerIP))
		}
	}
}

// describeServer names the node behind a backend server ID.
func (d *demo) describeServer(id, ip string) string {
	for _, p := range d.nodes {
		if p.instanceID == id {
			return "node " + p.name
		}
	}
	if ip != "" {
		return ip
	}
	return "not a demo node"
}

// reportRoutes prints every non-system route entry of the VPC's tables and
// says which node routes are missing.
func (d *demo) reportRoutes(f *findings) {
	w := func(format string, args ...any) { d.say(format, args...) }
	for _, rt := range f.st.RouteTables {
		shown := 0
		for _, e := range rt.Entries {
			if e.Type == "System" {
				continue
			}
			owner := "not the CCM's (outside --cluster-cidr, left alone)"
			for _, p := range d.nodes {
				if p.podCIDR == e.DestinationCidrBlock {
					owner = "pod CIDR of node " + p.name
				}
			}
			w("%s  %-16s -> %s %s  %s  (%s)", rt.RouteTableID, e.DestinationCidrBlock, e.NextHopType, e.NextHopID, e.Status, owner)
			shown++
		}
		if shown == 0 {
			w("%s (%s): no custom routes", rt.RouteTableID, rt.Type)
		}
	}
	for _, p := range d.nodes {
		if p.podCIDR == "" || f.route(p.podCIDR) != nil {
			continue
		}
		switch {
		case f.noRoutes:
			w("no route for %s (%s): the Routes capability is not implemented in this build yet", p.name, p.podCIDR)
		case p.taint:
			w("no route for %s (%s) yet: it had no providerID when the route controller last ran;", p.name, p.podCIDR)
			w("    it is added at the next reconciliation (--route-reconciliation-period=3m)")
		default:
			w("no route for %s (%s) yet (see %s)", p.name, p.podCIDR, d.ccmLog)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// verdict is check mode's result: what the implemented capabilities must
// have produced.
func (d *demo) verdict(f *findings) error {
	var errs []error
	if !d.complete(f) {
		errs = append(errs, errors.New("the CCM's work is incomplete (see the report above)"))
	}
	if !f.noLB {
		if f.ingressIP() == "" {
			errs = append(errs, errors.New("the Service default/nginx has no status.loadBalancer.ingress IP"))
		}
		if f.clb() == nil {
			errs = append(errs, errors.New("no CLB for Service default/nginx in the emulator"))
		}
	}
	for _, p := range d.nodes {
		if n := f.node(p.name); p.virtual && n != nil && n.Spec.ProviderID != "" {
			errs = append(errs, fmt.Errorf("VNode %s got providerID %q", p.name, n.Spec.ProviderID))
		}
	}
	if f.healthz != "200 ok" {
		errs = append(errs, fmt.Errorf("plain-HTTP /healthz answered %q", f.healthz))
	}
	if len(errs) > 0 {
		return fmt.Errorf("check failed: %w", errors.Join(errs...))
	}
	fmt.Fprintln(d.o.out, "\ncheck passed")
	return nil
}

// nextSteps is step 8: how to go on.
func (d *demo) nextSteps() {
	d.step("8/8 Running. Try it yourself (in another terminal):")
	w := func(format string, args ...any) { d.say(format, args...) }
	w("export KUBECONFIG=%s", d.kubeconfig)
	w("kubectl get svc,nodes -o wide          # kubectl is not installed by the demo; any recent one works")
	w("kubectl describe svc nginx             # the CCM's events")
	w("curl -s %s/state | jq               # everything in the emulated cloud", d.emu.ControlURL)
	w("curl -s %s/audit | jq .counts       # every API call the CCM made", d.emu.ControlURL)
	w("tail -f %s", d.ccmLog)
	w("kubectl apply -f examples/services/internet-bandwidth.yaml   # or any file there: one Service per")
	w("        # annotation group; edit one and re-apply to watch the CLB follow (reuse-*.yaml use the seeded")
	w("        # lb-demo-existing; files naming resources the emulator lacks get a warning Event instead)")
	w("Changes (addresses, CLBs, routes, nodes) are printed below as they happen.")
	w("Press Ctrl-C to stop everything and remove %s (DEMO_KEEP=1 keeps it).", d.dir)
}
