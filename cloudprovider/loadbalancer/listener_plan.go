package loadbalancer

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
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
	proto annotations.Protocol
	// attrs are all desired attributes of a create, the changed ones of
	// an update.
	attrs listenerAttrs
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

// listenerKey identifies a listener on a CLB: TCP and UDP may share a port.
type listenerKey struct {
	Port  int
	Proto annotations.Protocol
}

// keyOf is the key of a desired listener.
func keyOf(l *annotations.Listener) listenerKey { return listenerKey{int(l.Port), l.Protocol} }

// listedKey is the key of a listed listener.
func listedKey(a *slb.ListenerInDescribeLoadBalancerListeners) listenerKey {
	return listenerKey{a.ListenerPort, annotations.Protocol(a.ListenerProtocol)}
}

// tcpFamily groups protocols that share a port space: TCP, HTTP and HTTPS
// listeners exclude each other on one port, UDP is separate.
func tcpFamily(p annotations.Protocol) bool { return p != annotations.ProtocolUDP }

// desiredAttrs is the one planning function for a listener's attributes:
// the declared ones (declaredAttrs), the health-check port resolved for
// the backends, ownership, group and ACL bindings, and the defaults of
// externalTrafficPolicy Local.
func (r *Reconciler) desiredAttrs(svc *v1.Service, cfg *annotations.Config, l *annotations.Listener, groupID, aclID, staleACL string) listenerAttrs {
	a := declaredAttrs(l)
	a.HealthCheckConnectPort = l.HealthCheckPort(cfg.Backend.Type)
	a.Description = ptr(keyFor(svc, r.opts.ClusterID, int(l.Port)).listenerDescription())
	if l.ForwardPort > 0 {
		a.ForwardPort = ptr(int(l.ForwardPort))
	} else if groupID != "" {
		a.VServerGroupID = &groupID
	}
	if aclID != "" {
		a.ACLStatus, a.ACLType, a.ACLID = ptr(true), ptr("white"), &aclID
	} else if staleACL != "" && l.ACL.Status == nil {
		a.ACLStatus = ptr(false) // source ranges removed: unbind our ACL
	}
	// externalTrafficPolicy Local: an HTTP check on healthCheckNodePort
	// makes nodes without local endpoints fail and get no traffic, unless
	// the user chose a health check.
	b := &cfg.Backend
	if b.Local() && b.HealthCheckNodePort > 0 && l.Protocol == annotations.ProtocolTCP &&
		a.HealthCheckType == nil && a.HealthCheckConnectPort == nil {
		a.HealthCheckType, a.HealthCheckURI = ptr("http"), ptr("/healthz")
		a.HealthCheckConnectPort = ptr(int(b.HealthCheckNodePort))
	}
	// Local weights are endpoint counts; only wrr honours them.
	if b.Local() && a.Scheduler == nil {
		a.Scheduler = ptr("wrr")
	}
	return a
}

// declaredAttrs are the listener attributes the annotations declare;
// unset values stay nil. The parser already gave each listener only the
// health-check values of its protocol (annotations.HealthCheck).
func declaredAttrs(l *annotations.Listener) listenerAttrs {
	hc := &l.HealthCheck
	a := listenerAttrs{
		Scheduler:           nonEmpty(l.Scheduler),
		ServerCertificateID: nonEmpty(l.CertID),
		TLSCipherPolicy:     nonEmpty(l.TLSCipherPolicy),
		EnableHTTP2:         l.HTTP2,
		ACLStatus:           l.ACL.Status,
		ACLType:             nonEmpty(l.ACL.Type),
		ACLID:               nonEmpty(strings.Join(l.ACL.IDs, ",")),
		PersistenceTimeout:  l.PersistenceTimeout,
		EstablishedTimeout:  l.EstablishedTimeout,
		IdleTimeout:         l.IdleTimeout,
		RequestTimeout:      l.RequestTimeout,
		ConnectionDrain:     l.ConnectionDrain,
		ProxyProtocolV2:     l.ProxyProtocol,

		StickySession:     l.StickySession.Enabled,
		StickySessionType: nonEmpty(l.StickySession.Type),
		CookieTimeout:     l.StickySession.CookieTimeout,
		Cookie:            nonEmpty(l.StickySession.Cookie),

		XForwardedForProto:         l.XForwardedFor.Proto,
		XForwardedForSLBPort:       l.XForwardedFor.SLBPort,
		XForwardedForClientSrcPort: l.XForwardedFor.ClientSrcPort,

		HealthCheck:               hc.Enabled,
		HealthCheckConnectTimeout: hc.ConnectTimeout,
		HealthCheckTimeout:        hc.Timeout,
		HealthCheckType:           nonEmpty(hc.Type),
		HealthCheckURI:            nonEmpty(hc.URI),
		HealthCheckDomain:         nonEmpty(hc.Domain),
		HealthCheckHTTPCode:       nonEmpty(strings.Join(hc.HTTPCodes, ",")),
		HealthCheckMethod:         nonEmpty(hc.Method),
		HealthCheckConnectPort:    hc.ConnectPort,
		HealthCheckInterval:       hc.Interval,
		HealthyThreshold:          hc.HealthyThreshold,
		UnhealthyThreshold:        hc.UnhealthyThreshold,
	}
	// The drain timeout means something only with the drain on.
	if l.ConnectionDrain != nil && *l.ConnectionDrain {
		a.ConnectionDrainTimeout = l.ConnectionDrainTimeout
	}
	return a
}

// nonEmpty is nil for "" (unset), else a pointer to s.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// listedAttrs reads the managed attributes of a listener from
// DescribeLoadBalancerListeners, which carries each protocol's full
// configuration, so no per-listener Describe*ListenerAttribute call is
// needed. Attributes the protocol's configuration does not carry stay nil.
func listedAttrs(l *slb.ListenerInDescribeLoadBalancerListeners) listenerAttrs {
	ids := slices.Clone(l.AclIds)
	if len(ids) == 0 && l.AclId != "" {
		ids = strings.Split(l.AclId, ",")
	}
	slices.Sort(ids)
	a := listenerAttrs{
		Description: &l.Description, Scheduler: &l.Scheduler, Bandwidth: &l.Bandwidth,
		VServerGroupID: &l.VServerGroupId, ACLStatus: listedSwitch(l.AclStatus), ACLType: &l.AclType,
		ACLID: ptr(strings.Join(ids, ",")),
	}
	switch annotations.Protocol(l.ListenerProtocol) {
	case annotations.ProtocolTCP:
		c := &l.TCPListenerConfig
		a.PersistenceTimeout, a.EstablishedTimeout = &c.PersistenceTimeout, &c.EstablishedTimeout
		a.ConnectionDrain, a.ConnectionDrainTimeout = listedSwitch(c.ConnectionDrain), &c.ConnectionDrainTimeout
		a.ProxyProtocolV2 = listedSwitch(c.ProxyProtocolV2Enabled)
		a.HealthCheck, a.HealthCheckConnectTimeout = listedSwitch(c.HealthCheckSwitch), &c.HealthCheckConnectTimeout
		a.HealthCheckType, a.HealthCheckURI, a.HealthCheckDomain = &c.HealthCheckType, &c.HealthCheckURI, &c.HealthCheckDomain
		a.HealthCheckHTTPCode, a.HealthCheckMethod = &c.HealthCheckHttpCode, &c.HealthCheckMethod
		a.HealthCheckConnectPort, a.HealthCheckInterval = &c.HealthCheckConnectPort, &c.HealthCheckInterval
		a.HealthyThreshold, a.UnhealthyThreshold = &c.HealthyThreshold, &c.UnhealthyThreshold
	case annotations.ProtocolUDP:
		c := &l.UDPListenerConfig
		a.PersistenceTimeout = &c.PersistenceTimeout
		a.ConnectionDrain, a.ConnectionDrainTimeout = listedSwitch(c.ConnectionDrain), &c.ConnectionDrainTimeout
		a.ProxyProtocolV2 = listedSwitch(c.ProxyProtocolV2Enabled)
		a.HealthCheck, a.HealthCheckConnectTimeout = listedSwitch(c.HealthCheckSwitch), &c.HealthCheckConnectTimeout
		a.HealthCheckType, a.HealthCheckURI, a.HealthCheckDomain = &c.HealthCheckType, &c.HealthCheckURI, &c.HealthCheckDomain
		a.HealthCheckHTTPCode, a.HealthCheckMethod = &c.HealthCheckHttpCode, &c.HealthCheckMethod
		a.HealthCheckConnectPort, a.HealthCheckInterval = &c.HealthCheckConnectPort, &c.HealthCheckInterval
		a.HealthyThreshold, a.UnhealthyThreshold = &c.HealthyThreshold, &c.UnhealthyThreshold
	case annotations.ProtocolHTTP:
		c := &l.HTTPListenerConfig
		if c.ListenerForward == "on" {
			a.ForwardPort = &c.ForwardPort
		}
		a.IdleTimeout, a.RequestTimeout = &c.IdleTimeout, &c.RequestTimeout
		a.StickySession, a.StickySessionType = listedSwitch(c.StickySession), &c.StickySessionType
		a.CookieTimeout, a.Cookie = &c.CookieTimeout, &c.Cookie
		a.XForwardedForProto, a.XForwardedForSLBPort = listedSwitch(c.XForwardedForProto), listedSwitch(c.XForwardedForSLBPORT)
		a.XForwardedForClientSrcPort = listedSwitch(c.XForwardedForClientSrcPort)
		a.HealthCheck, a.HealthCheckTimeout = listedSwitch(c.HealthCheck), &c.HealthCheckTimeout
		a.HealthCheckType, a.HealthCheckURI, a.HealthCheckDomain = &c.HealthCheckType, &c.HealthCheckURI, &c.HealthCheckDomain
		a.HealthCheckHTTPCode, a.HealthCheckMethod = &c.HealthCheckHttpCode, &c.HealthCheckMethod
		a.HealthCheckConnectPort, a.HealthCheckInterval = &c.HealthCheckConnectPort, &c.HealthCheckInterval
		a.HealthyThreshold, a.UnhealthyThreshold = &c.HealthyThreshold, &c.UnhealthyThreshold
	case annotations.ProtocolHTTPS:
		c := &l.HTTPSListenerConfig
		a.ServerCertificateID, a.TLSCipherPolicy = &c.ServerCertificateId, &c.TLSCipherPolicy
		a.EnableHTTP2 = listedSwitch(c.EnableHttp2)
		a.IdleTimeout, a.RequestTimeout = &c.IdleTimeout, &c.RequestTimeout
		a.StickySession, a.StickySessionType = listedSwitch(c.StickySession), &c.StickySessionType
		a.CookieTimeout, a.Cookie = &c.CookieTimeout, &c.Cookie
		a.XForwardedForProto, a.XForwardedForSLBPort = listedSwitch(c.XForwardedForProto), listedSwitch(c.XForwardedForSLBPORT)
		a.XForwardedForClientSrcPort = listedSwitch(c.XForwardedForClientSrcPort)
		a.HealthCheck, a.HealthCheckTimeout = listedSwitch(c.HealthCheck), &c.HealthCheckTimeout
		a.HealthCheckType, a.HealthCheckURI, a.HealthCheckDomain = &c.HealthCheckType, &c.HealthCheckURI, &c.HealthCheckDomain
		a.HealthCheckHTTPCode, a.HealthCheckMethod = &c.HealthCheckHttpCode, &c.HealthCheckMethod
		a.HealthCheckConnectPort, a.HealthCheckInterval = &c.HealthCheckConnectPort, &c.HealthCheckInterval
		a.HealthyThreshold, a.UnhealthyThreshold = &c.HealthyThreshold, &c.UnhealthyThreshold
	}
	return a
}

// listedSwitch reads a switch the listing reports as on/off or
// true/false; any other value (none reported) is nil: not comparable.
func listedSwitch(s string) *bool {
	switch strings.ToLower(s) {
	case "on", "true":
		return ptr(true)
	case "off", "false":
		return ptr(false)
	}
	return nil
}

// withCreateDefaults fills what a create needs when not declared:
// Bandwidth -1 (no per-listener cap; required for TCP, UDP and HTTPS) and
// the health check off for HTTP(S) (required; the official CCM's
// default).
func withCreateDefaults(proto annotations.Protocol, a listenerAttrs) listenerAttrs {
	if a.Bandwidth == nil {
		a.Bandwidth = ptr(-1)
	}
	if proto.IsHTTP() && a.HealthCheck == nil {
		a.HealthCheck = ptr(false)
	}
	return a
}

// planListeners diffs the desired listeners with the CLB's. manage says
// whether listeners may be created, changed and deleted at all: always on
// our CLB; on a reused one only with force-override-listeners, as with the
// official CCM ("without it, listeners of a reused LB are untouched"; the
// Service's vServer groups are still managed, for listeners the user points
// at them). Listeners not ours are never changed or deleted; a needed port
// they hold is a conflict.
func (r *Reconciler) planListeners(svc *v1.Service, cfg *annotations.Config, actual []slb.ListenerInDescribeLoadBalancerListeners,
	groups map[listenerKey]string, aclID, staleACL string, manage bool) ([]listenerAction, error) {
	if !manage {
		return nil, nil
	}
	have := map[listenerKey]*slb.ListenerInDescribeLoadBalancerListeners{}
	for i := range actual {
		a := &actual[i]
		have[listedKey(a)] = a
	}
	ours := func(a *slb.ListenerInDescribeLoadBalancerListeners) bool {
		return ownedBy(a.Description, svc, r.opts.ClusterID)
	}
	var acts []listenerAction
	deleted := map[listenerKey]bool{}
	wanted := map[listenerKey]bool{}
	del := func(a *slb.ListenerInDescribeLoadBalancerListeners) {
		k := listedKey(a)
		if !deleted[k] {
			deleted[k] = true
			acts = append(acts, listenerAction{op: opDelete, port: a.ListenerPort, proto: k.Proto,
				forward: a.HTTPListenerConfig.ListenerForward == "on"})
		}
	}
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		key := keyOf(l)
		port, forwardPort := key.Port, int(l.ForwardPort)
		wanted[key] = true
		want := r.desiredAttrs(svc, cfg, l, groups[key], aclID, staleACL)
		create := func() {
			a := withCreateDefaults(l.Protocol, want)
			acts = append(acts, listenerAction{op: opCreate, port: port, proto: l.Protocol, attrs: a, forward: forwardPort > 0},
				listenerAction{op: opStart, port: port, proto: l.Protocol, forward: forwardPort > 0, afterCreate: true})
		}
		if a := have[key]; a != nil {
			if !ours(a) {
				return nil, &ListenerConflictError{Port: port, Protocol: string(l.Protocol), Holder: a.Description, Reason: "the port is used by a listener this Service does not own; it is left alone"}
			}
			forwardWas := a.HTTPListenerConfig.ListenerForward == "on"
			if l.Protocol == annotations.ProtocolHTTP && (forwardWas != (forwardPort > 0) || (forwardWas && a.HTTPListenerConfig.ForwardPort != forwardPort)) {
				// Forwarding cannot be changed in place: the Set action
				// takes no ListenerForward or ForwardPort.
				del(a)
				create()
				continue
			}
			have := listedAttrs(a)
			if d := diffAttrs(&want, &have); !d.empty() {
				acts = append(acts, listenerAction{op: opUpdate, port: port, proto: l.Protocol, attrs: d})
			}
			if a.Status == "stopped" {
				acts = append(acts, listenerAction{op: opStart, port: port, proto: l.Protocol})
			}
			continue
		}
		// A listener of another protocol on the same port space: ours is a
		// protocol change (delete, then create); anyone else's a conflict.
		for _, a := range actual {
			if a.ListenerPort != port || tcpFamily(annotations.Protocol(a.ListenerProtocol)) != tcpFamily(l.Protocol) {
				continue
			}
			if !ours(&a) {
				return nil, &ListenerConflictError{Port: port, Protocol: string(l.Protocol), Holder: a.Description, Reason: fmt.Sprintf("the port is used by a %s listener this Service does not own", a.ListenerProtocol)}
			}
			a := a
			del(&a)
		}
		create()
	}
	for i := range actual {
		a := &actual[i]
		if ours(a) && !wanted[listedKey(a)] {
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
