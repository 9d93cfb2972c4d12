package loadbalancer

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// Listener operations, in the order they run.
const (
	opDelete = "delete"
	opCreate = "create"
	opUpdate = "update"
	opStart  = "start"
)

// listenerAction is one planned listener call.
type listenerAction struct {
	op    string
	port  int
	proto string
	attrs map[string]string
	// forward: an HTTP listener redirecting to HTTPS; created after and
	// deleted before the others (the API refuses to delete an HTTPS
	// listener another one forwards to: ListenerForwardExist).
	forward bool
	// afterCreate: the start of a listener this plan creates ("Newly
	// created listeners are in the stopped state", CreateLoadBalancerTCPListener page).
	afterCreate bool
}

// ListenerConflictError reports a listener port held by a listener this
// Service does not own; the engine never takes it over.
type ListenerConflictError struct {
	Port     int
	Protocol string
	Holder   string // the holder's description
	Reason   string
}

// Error names the port and the holder.
func (e *ListenerConflictError) Error() string {
	return fmt.Sprintf("listener port %d/%s: %s (listener description %q)", e.Port, e.Protocol, e.Reason, e.Holder)
}

// tcpFamily groups protocols that share a port space: TCP, HTTP and HTTPS
// listeners exclude each other on one port, UDP is separate.
func tcpFamily(p string) bool { return p != ProtoUDP }

// desiredAttrs are the attributes the engine manages on a listener: the
// declared ones plus ownership, group and ACL bindings.
func (r *Reconciler) desiredAttrs(svc *v1.Service, spec *Spec, l *ListenerSpec, groupID, aclID, staleACL string) map[string]string {
	a := make(map[string]string, len(l.Attrs)+8)
	for k, v := range l.Attrs {
		a[k] = v
	}
	a["Description"] = keyFor(svc, r.opts.ClusterID, l.Port).listenerDescription()
	if l.ForwardPort > 0 {
		a["ListenerForward"] = "on"
		a["ForwardPort"] = strconv.Itoa(l.ForwardPort)
	} else if groupID != "" {
		a["VServerGroupId"] = groupID
	}
	if aclID != "" {
		a["AclStatus"], a["AclType"], a["AclId"] = "on", "white", aclID
	} else if _, declared := l.Attrs["AclStatus"]; staleACL != "" && !declared {
		a["AclStatus"] = "off" // source ranges removed: unbind our ACL
	}
	// externalTrafficPolicy Local: an HTTP check on healthCheckNodePort
	// makes nodes without local endpoints fail and get no traffic
	// (user-needs.md §5), unless the user chose a health check.
	if spec.Backend.Local && spec.Backend.HealthCheckNodePort > 0 && l.Protocol == ProtoTCP {
		if _, set := anyKey(l.Attrs, "HealthCheckType", "HealthCheckConnectPort"); !set {
			a["HealthCheckType"], a["HealthCheckURI"] = "http", "/healthz"
			a["HealthCheckConnectPort"] = strconv.Itoa(spec.Backend.HealthCheckNodePort)
		}
	}
	// Local weights are endpoint counts; only wrr honours them.
	if _, set := l.Attrs["Scheduler"]; spec.Backend.Local && !set {
		a["Scheduler"] = "wrr"
	}
	return a
}

func anyKey(m map[string]string, keys ...string) (string, bool) {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v, true
		}
	}
	return "", false
}

// createDefaults are filled at creation when not declared: Bandwidth -1
// (no per-listener cap; required for TCP, UDP and HTTPS) and HealthCheck
// off for HTTP(S) (required; the incumbent's default).
func createDefaults(proto string, a map[string]string) {
	if _, ok := a["Bandwidth"]; !ok {
		a["Bandwidth"] = "-1"
	}
	if proto == ProtoHTTP || proto == ProtoHTTPS {
		if _, ok := a["HealthCheck"]; !ok {
			a["HealthCheck"] = "off"
		}
	}
}

// planListeners diffs the desired listeners with the CLB's. manage says
// whether listeners may be created, changed and deleted at all: always on
// our CLB; on a reused one only with force-override-listeners, as with the
// incumbent ("without it, listeners of a reused LB are untouched"; the
// Service's vServer groups are still managed, for listeners the user points
// at them). Listeners not ours are never changed or deleted; a needed port
// they hold is a conflict.
func (r *Reconciler) planListeners(svc *v1.Service, spec *Spec, actual []slb.ListenerInDescribeLoadBalancerListeners,
	groups map[listenerKey]string, aclID, staleACL string, manage bool) ([]listenerAction, error) {
	if !manage {
		return nil, nil
	}
	have := map[listenerKey]*slb.ListenerInDescribeLoadBalancerListeners{}
	for i := range actual {
		a := &actual[i]
		have[listenerKey{a.ListenerPort, a.ListenerProtocol}] = a
	}
	ours := func(a *slb.ListenerInDescribeLoadBalancerListeners) bool {
		return ownedBy(a.Description, svc, r.opts.ClusterID)
	}
	var acts []listenerAction
	deleted := map[listenerKey]bool{}
	wanted := map[listenerKey]bool{}
	del := func(a *slb.ListenerInDescribeLoadBalancerListeners) {
		k := listenerKey{a.ListenerPort, a.ListenerProtocol}
		if !deleted[k] {
			deleted[k] = true
			acts = append(acts, listenerAction{op: opDelete, port: a.ListenerPort, proto: a.ListenerProtocol,
				forward: a.HTTPListenerConfig.ListenerForward == "on"})
		}
	}
	for i := range spec.Listeners {
		l := &spec.Listeners[i]
		wanted[l.key()] = true
		want := r.desiredAttrs(svc, spec, l, groups[l.key()], aclID, staleACL)
		create := func() {
			a := make(map[string]string, len(want)+2)
			for k, v := range want {
				a[k] = v
			}
			createDefaults(l.Protocol, a)
			acts = append(acts, listenerAction{op: opCreate, port: l.Port, proto: l.Protocol, attrs: a, forward: l.ForwardPort > 0},
				listenerAction{op: opStart, port: l.Port, proto: l.Protocol, forward: l.ForwardPort > 0, afterCreate: true})
		}
		if a := have[l.key()]; a != nil {
			if !ours(a) {
				return nil, &ListenerConflictError{Port: l.Port, Protocol: l.Protocol, Holder: a.Description, Reason: "the port is used by a listener this Service does not own; it is left alone"}
			}
			forwardWas := a.HTTPListenerConfig.ListenerForward == "on"
			if l.Protocol == ProtoHTTP && (forwardWas != (l.ForwardPort > 0) || (forwardWas && a.HTTPListenerConfig.ForwardPort != l.ForwardPort)) {
				// Forwarding cannot be changed in place (incumbent-ccm.md
				// §1.3b forward-port: "R").
				del(a)
				create()
				continue
			}
			if d := diffAttrs(want, actualAttrs(a)); len(d) > 0 {
				acts = append(acts, listenerAction{op: opUpdate, port: l.Port, proto: l.Protocol, attrs: d})
			}
			if a.Status == "stopped" {
				acts = append(acts, listenerAction{op: opStart, port: l.Port, proto: l.Protocol})
			}
			continue
		}
		// A listener of another protocol on the same port space: ours is a
		// protocol change (delete, then create); anyone else's a conflict.
		for _, a := range actual {
			if a.ListenerPort != l.Port || tcpFamily(a.ListenerProtocol) != tcpFamily(l.Protocol) {
				continue
			}
			if !ours(&a) {
				return nil, &ListenerConflictError{Port: l.Port, Protocol: l.Protocol, Holder: a.Description, Reason: fmt.Sprintf("the port is used by a %s listener this Service does not own", a.ListenerProtocol)}
			}
			a := a
			del(&a)
		}
		create()
	}
	for i := range actual {
		a := &actual[i]
		if ours(a) && !wanted[listenerKey{a.ListenerPort, a.ListenerProtocol}] {
			del(a)
		}
	}
	sortActions(acts)
	return acts, nil
}

// sortActions puts actions in execution order (actionRank).
func sortActions(acts []listenerAction) {
	sort.SliceStable(acts, func(i, j int) bool { return actionRank(acts[i]) < actionRank(acts[j]) })
}

// actionRank orders: forwarding deletes, other deletes, plain creates
// (each with its start), forwarding creates, updates, starts of stopped
// listeners. The sort is stable, so a start stays after its create.
func actionRank(a listenerAction) int {
	switch {
	case a.op == opDelete && a.forward:
		return 0
	case a.op == opDelete:
		return 1
	case (a.op == opCreate || a.afterCreate) && !a.forward:
		return 2
	case a.op == opCreate || a.afterCreate:
		return 3
	case a.op == opUpdate:
		return 4
	}
	return 5
}

// applyListeners runs the planned actions in order.
func (r *Reconciler) applyListeners(ctx context.Context, svc *v1.Service, lbID string, acts []listenerAction) error {
	for _, a := range acts {
		klog.V(2).InfoS("Listener change", "service", klog.KObj(svc), "loadBalancer", lbID, "op", a.op, "port", a.port, "protocol", a.proto)
		if err := r.listenerCall(ctx, lbID, a); err != nil {
			return classifyErr(fmt.Sprintf("%s listener %d/%s", a.op, a.port, a.proto), err)
		}
	}
	return nil
}

func (r *Reconciler) listenerCall(ctx context.Context, lbID string, a listenerAction) error {
	switch a.op {
	case opDelete:
		req := slb.CreateDeleteLoadBalancerListenerRequest()
		req.LoadBalancerId, req.ListenerPort, req.ListenerProtocol = lbID, requests.NewInteger(a.port), a.proto
		_, err := r.slb.DeleteLoadBalancerListener(ctx, req)
		if isNotFound(err) {
			return nil
		}
		return err
	case opStart:
		req := slb.CreateStartLoadBalancerListenerRequest()
		req.LoadBalancerId, req.ListenerPort, req.ListenerProtocol = lbID, requests.NewInteger(a.port), a.proto
		_, err := r.slb.StartLoadBalancerListener(ctx, req)
		return err
	}
	req, err := listenerRequest(a.op == opCreate, a.proto)
	if err != nil {
		return err
	}
	attrs := map[string]string{"LoadBalancerId": lbID, "ListenerPort": strconv.Itoa(a.port)}
	for k, v := range a.attrs {
		attrs[k] = v
	}
	if a.op == opUpdate {
		if _, ok := attrs["VServerGroupId"]; ok {
			attrs["VServerGroup"] = "on" // switch the listener onto the group
		}
	}
	if unknown := setParams(req, attrs); len(unknown) > 0 {
		klog.InfoS("Listener attributes the action does not take were not sent", "port", a.port, "protocol", a.proto, "attributes", unknown)
	}
	switch q := req.(type) {
	case *slb.CreateLoadBalancerTCPListenerRequest:
		_, err = r.slb.CreateLoadBalancerTCPListener(ctx, q)
	case *slb.CreateLoadBalancerUDPListenerRequest:
		_, err = r.slb.CreateLoadBalancerUDPListener(ctx, q)
	case *slb.CreateLoadBalancerHTTPListenerRequest:
		_, err = r.slb.CreateLoadBalancerHTTPListener(ctx, q)
	case *slb.CreateLoadBalancerHTTPSListenerRequest:
		_, err = r.slb.CreateLoadBalancerHTTPSListener(ctx, q)
	case *slb.SetLoadBalancerTCPListenerAttributeRequest:
		_, err = r.slb.SetLoadBalancerTCPListenerAttribute(ctx, q)
	case *slb.SetLoadBalancerUDPListenerAttributeRequest:
		_, err = r.slb.SetLoadBalancerUDPListenerAttribute(ctx, q)
	case *slb.SetLoadBalancerHTTPListenerAttributeRequest:
		_, err = r.slb.SetLoadBalancerHTTPListenerAttribute(ctx, q)
	case *slb.SetLoadBalancerHTTPSListenerAttributeRequest:
		_, err = r.slb.SetLoadBalancerHTTPSListenerAttribute(ctx, q)
	}
	return err
}

// listListeners reads all listeners of the CLB in one paged listing.
func (r *Reconciler) listListeners(ctx context.Context, lbID string) ([]slb.ListenerInDescribeLoadBalancerListeners, error) {
	req := slb.CreateDescribeLoadBalancerListenersRequest()
	req.LoadBalancerId = &[]string{lbID}
	ls, err := r.slb.ListLoadBalancerListeners(ctx, req)
	if err != nil {
		return nil, classifyErr("listing listeners", err)
	}
	return ls, nil
}
