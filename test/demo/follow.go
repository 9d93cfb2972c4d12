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
		prev = map[string]string{}
	}
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(d.o.out, "\nCtrl-C: stopping the CCM, the emulator, kube-apiserver and etcd ...")
			return nil
		case <-d.ccm.Done():
			return fmt.Errorf("the cloud-controller-manager exited: %w (log: %s)", d.ccm.ExitError(), d.ccmLog)
		case <-tick.C:
		}
		cur, err := d.summary(ctx)
		if err != nil {
			continue // transient; the next tick tries again
		}
		var changes []string
		for k, v := range cur {
			if old, ok := prev[k]; !ok {
				changes = append(changes, k+": "+v)
			} else if old != v {
				changes = append(changes, k+": "+old+" -> "+v)
			}
		}
		for k, v := range prev {
			if _, ok := cur[k]; !ok {
				changes = append(changes, k+": gone (was "+v+")")
			}
		}
		sort.Strings(changes)
		for _, c := range changes {
			fmt.Fprintf(d.o.out, "%s %s\n", time.Now().Format("15:04:05"), c)
		}
		prev = cur
	}
}

// summary maps each watched thing (a Service, node, CLB or route) to a
// one-line description of its state; follow compares them between ticks.
func (d *demo) summary(ctx context.Context) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	out := map[string]string{}
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
		out["Service "+s.Namespace+"/"+s.Name] = "EXTERNAL-IP " + ip
	}
	nodes, err := d.cp.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	for _, n := range nodes.Items {
		init := "initialised"
		if !initialized(&n) {
			init = "uninitialized"
		}
		out["Node "+n.Name] = fmt.Sprintf("%s, providerID %q", init, n.Spec.ProviderID)
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
		out["CLB "+lb.LoadBalancer.LoadBalancerID] = fmt.Sprintf("%s (%s), %d listeners, %d vServer groups, %d backends",
			lb.LoadBalancer.Address, lb.LoadBalancer.AddressType, len(lb.Listeners), len(lb.VServerGroups), backends)
	}
	for _, rt := range st.RouteTables {
		for _, e := range rt.Entries {
			if e.Type != "System" {
				out["route "+rt.RouteTableID+" "+e.DestinationCidrBlock] = fmt.Sprintf("-> %s %s (%s)", e.NextHopType, e.NextHopID, e.Status)
			}
		}
	}
	return out, nil
}
