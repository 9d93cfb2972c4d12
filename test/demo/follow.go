package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// followInterval is how often the running demo looks for changes.
const followInterval = 2 * time.Second

// follow runs until ctx ends (Ctrl-C), printing what changes in the cluster
// and the emulated cloud: Services getting addresses, CLBs, route entries
// and node providerIDs. That makes the route the 3-minute reconciliation
// adds, and whatever the user applies from examples/services/, visible.
func (d *demo) follow(ctx context.Context) error {
	prev, err := d.summary(ctx)
	if err != nil {
		prev = map[string]bool{}
	}
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(d.o.out, "\nCtrl-C: stopping the CCM, the emulator, kube-apiserver and etcd ...")
			return nil
		case <-d.ccm.Done():
			return fmt.Errorf("the cloud-controller-manager exited: %v (log: %s)", d.ccm.ExitError(), d.ccmLog)
		case <-tick.C:
		}
		cur, err := d.summary(ctx)
		if err != nil {
			continue // transient; the next tick tries again
		}
		var changes []string
		for l := range cur {
			if !prev[l] {
				changes = append(changes, "+ "+l)
			}
		}
		for l := range prev {
			if !cur[l] {
				changes = append(changes, "- "+l)
			}
		}
		sort.Slice(changes, func(i, j int) bool { return changes[i][2:] < changes[j][2:] })
		for _, c := range changes {
			fmt.Fprintf(d.o.out, "%s %s\n", time.Now().Format("15:04:05"), c)
		}
		prev = cur
	}
}

// summary is the set of one-line facts follow compares between ticks.
func (d *demo) summary(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	out := map[string]bool{}
	svcs, err := d.cp.Client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	for _, s := range svcs.Items {
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		ip := "<pending>"
		for _, in := range s.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				ip = in.IP
			} else if in.Hostname != "" {
				ip = in.Hostname
			}
		}
		out[fmt.Sprintf("Service %s/%s EXTERNAL-IP %s", s.Namespace, s.Name, ip)] = true
	}
	nodes, err := d.cp.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	for _, n := range nodes.Items {
		out[fmt.Sprintf("Node %s providerID %q initialised %t", n.Name, n.Spec.ProviderID, initialized(&n))] = true
	}
	var st state
	b, err := json.Marshal(d.emu.Emulator.Dump())
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the emulator state: %w", err)
	}
	for _, lb := range st.SLB.LoadBalancers {
		backends := 0
		for _, g := range lb.VServerGroups {
			backends += len(g.BackendServers)
		}
		out[fmt.Sprintf("CLB %s %s (%s): %d listeners, %d vServer groups, %d backends", lb.LoadBalancer.LoadBalancerID,
			lb.LoadBalancer.Address, lb.LoadBalancer.AddressType, len(lb.Listeners), len(lb.VServerGroups), backends)] = true
	}
	for _, rt := range st.RouteTables {
		for _, e := range rt.Entries {
			if e.Type != "System" {
				out[fmt.Sprintf("route %s %s -> %s %s (%s)", rt.RouteTableID, e.DestinationCidrBlock, e.NextHopType, e.NextHopID, e.Status)] = true
			}
		}
	}
	return out, nil
}
