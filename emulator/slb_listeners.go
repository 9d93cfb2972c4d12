package emulator

// CLB listeners: Create/Set/Describe for TCP, UDP, HTTP and HTTPS,
// DescribeLoadBalancerListeners, Start/Stop/DeleteLoadBalancerListener.
// Doc pages: https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-<action-lowercase>

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// slbEmpty is the answer of actions that return only RequestId.
type slbEmpty struct {
	RequestId string `json:"RequestId"` //nolint:revive // marshalWithRequestID fills the field named as in the SDK's answers
}

// tcpFamily reports whether a protocol uses the TCP port space: a port can
// carry one TCP/HTTP/HTTPS listener plus one UDP listener.
func tcpFamily(proto string) bool { return proto != "udp" }

// listenerPort reads ListenerPort (InvalidParam.ListenerPort outside 1-65535).
func listenerPort(c *call) (int, error) {
	v, err := c.required("ListenerPort")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, Errf(http.StatusBadRequest, "InvalidParam.ListenerPort", "The specified ListenerPort is invalid.")
	}
	return n, nil
}

// slbCreateListener builds the CreateLoadBalancer<Proto>Listener handler.
// New listeners are "stopped": "call the StartLoadBalancerListener operation
// to enable the listener" (CreateLoadBalancerTCPListener page).
func slbCreateListener(proto string, reqType reflect.Type) handler {
	return func(c *call) (any, error) {
		s := c.e.slb
		lb, err := s.lb(c.str("LoadBalancerId"))
		if err != nil {
			return nil, err
		}
		port, err := listenerPort(c)
		if err != nil {
			return nil, err
		}
		if proto == "udp" && port == 4789 {
			return nil, Errf(http.StatusBadRequest, "OperationDenied.SpecialListenerPortNotAllowed", "The operation is not allowed because port 4789 is reserved by the system.")
		}
		if err := checkBusy(c, lb, busyListener); err != nil {
			return nil, err
		}
		for k := range lb.listeners {
			if k.port == port && tcpFamily(k.proto) == tcpFamily(proto) {
				return nil, Errf(http.StatusBadRequest, "ListenerAlreadyExists", "A listener with the specified port already exists")
			}
		}
		// slb_quota_listeners_num (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/quotas).
		if len(lb.listeners) >= c.e.cfg.Limits.ListenersPerLB {
			return nil, Errf(http.StatusBadRequest, "ListenerNumberOverLimit", "The maximum number of listeners is exceeded.")
		}
		// Bandwidth is required for TCP, UDP and HTTPS; HealthCheck for
		// HTTP and HTTPS (the Create*Listener pages).
		if proto != "http" && !c.has("Bandwidth") {
			return nil, errMissing("Bandwidth")
		}
		if (proto == "http" || proto == "https") && !c.has("HealthCheck") {
			return nil, errMissing("HealthCheck")
		}
		upd, err := s.readAttrs(c, reqType)
		if err != nil {
			return nil, err
		}
		attrs := listenerDefaults(proto)
		for k, v := range upd {
			attrs[k] = v
		}
		tags := c.tags()
		if err := validateTags(tags, c.e.cfg.Limits.TagsPerResource); err != nil {
			return nil, err
		}
		if err := s.checkListenerRefs(c, lb, proto, attrs); err != nil {
			return nil, err
		}
		lb.listeners[listenerKey{port, proto}] = &listener{lbID: lb.ID, port: port, proto: proto, status: "stopped", attrs: attrs, tags: tags}
		touch(c, lb)
		return &slbEmpty{}, nil
	}
}

// slbSetListener builds the SetLoadBalancer<Proto>ListenerAttribute handler.
func slbSetListener(proto string, reqType reflect.Type) handler {
	return func(c *call) (any, error) {
		s := c.e.slb
		lb, l, err := s.findListener(c, proto)
		if err != nil {
			return nil, err
		}
		if err := checkBusy(c, lb, busyListener); err != nil {
			return nil, err
		}
		upd, err := s.readAttrs(c, reqType)
		if err != nil {
			return nil, err
		}
		merged := make(map[string]string, len(l.attrs)+len(upd))
		for k, v := range l.attrs {
			merged[k] = v
		}
		for k, v := range upd {
			merged[k] = v
		}
		// VServerGroup=on|off switches the listener onto/off a vServer group.
		switch c.str("VServerGroup") {
		case "", "on":
			if c.str("VServerGroup") == "on" && upd["VServerGroupId"] == "" {
				return nil, Errf(http.StatusBadRequest, "MissingParam.VServerGroupId", "The parameter VServerGroupId is missing.")
			}
		case "off":
			if merged["BackendServerPort"] == "" {
				return nil, Errf(http.StatusBadRequest, "OperationFailed.ServerGroupInUse", "The VServerGroup or MasterSlaveServerGroup can not be close for this listener.")
			}
			delete(merged, "VServerGroupId")
		default:
			return nil, errInvalid("VServerGroup", c.str("VServerGroup"))
		}
		if err := s.checkListenerRefs(c, lb, proto, merged); err != nil {
			return nil, err
		}
		l.attrs = merged
		touch(c, lb)
		return &slbEmpty{}, nil
	}
}

// checkListenerRefs validates a listener's references and dependent
// settings: vServer group, ACL, certificate, forwarding, sticky session.
func (s *slbState) checkListenerRefs(c *call, lb *clb, proto string, a map[string]string) error {
	if id := a["VServerGroupId"]; id != "" {
		g, ok := s.groups[id]
		if !ok {
			return Errf(http.StatusBadRequest, "ResourceNotFound.VServerGroup", "The specified VServerGroupId %s does not exist.", id)
		}
		if g.LBID != lb.ID {
			return Errf(http.StatusBadRequest, "InvalidParam.VServerGroupId", "The specified VServerGroupId is invalid.")
		}
	} else if a["BackendServerPort"] == "" && a["ListenerForward"] != "on" {
		return Errf(http.StatusBadRequest, "MissingParameter", "The BackendServerPort or VServerGroupId is required at lease one.")
	}
	if a["AclStatus"] == "on" {
		if a["AclId"] == "" {
			return errMissing("AclId")
		}
		if a["AclType"] == "" {
			return errMissing("AclType")
		}
	}
	for _, id := range listenerACLs(a) {
		if _, ok := s.acls[id]; !ok {
			return errACLNotFound()
		}
	}
	if proto == "https" {
		id := a["ServerCertificateId"]
		if id == "" {
			return Errf(http.StatusBadRequest, "MissingParam.ServerCertificates", "Server certificates are required.")
		}
		if _, ok := c.e.slb.serverCerts[id]; !ok {
			return Errf(http.StatusBadRequest, "CertificateNotExist", "The specified CertificateId does not exist.")
		}
	}
	if a["StickySession"] == "on" {
		switch a["StickySessionType"] {
		case "":
			return errMissing("StickySessionType")
		case "insert":
			if a["CookieTimeout"] == "" {
				return errMissing("CookieTimeout")
			}
		case "server":
			if a["Cookie"] == "" {
				return errMissing("Cookie")
			}
		}
	}
	if a["HealthCheck"] == "on" && a["HealthCheckHttpVersion"] == "http1.1" && a["HealthCheckDomain"] == "" && (proto == "http" || proto == "https") {
		return Errf(http.StatusBadRequest, "MissingParam.HealthCheckDomain", "The HealthCheckDomain is required when HealthCheckHttpVersion is http1.1.")
	}
	if proto == "http" && a["ListenerForward"] == "on" {
		fp := atoiOr(a["ForwardPort"], 0)
		if _, ok := lb.listeners[listenerKey{fp, "https"}]; !ok {
			return Errf(http.StatusBadRequest, "InvalidParameter", "The specified ListenerPort or ForwardPort is invalid.")
		}
	}
	return nil
}

// findListener resolves (LoadBalancerId, ListenerPort) for a protocol.
func (s *slbState) findListener(c *call, proto string) (*clb, *listener, error) {
	lb, err := s.lb(c.str("LoadBalancerId"))
	if err != nil {
		return nil, nil, err
	}
	port, err := listenerPort(c)
	if err != nil {
		return nil, nil, err
	}
	l, ok := lb.listeners[listenerKey{port, proto}]
	if !ok {
		return nil, nil, errListenerNotFound()
	}
	return lb, l, nil
}

// findAnyListener resolves (LoadBalancerId, ListenerPort[, ListenerProtocol]);
// ListenerProtocol is required only when several protocols share the port
// (TooManyListeners, StartLoadBalancerListener page).
func (s *slbState) findAnyListener(c *call, notFound *APIError) (*clb, *listener, error) {
	lb, err := s.lb(c.str("LoadBalancerId"))
	if err != nil {
		return nil, nil, err
	}
	port, err := listenerPort(c)
	if err != nil {
		return nil, nil, err
	}
	proto := c.str("ListenerProtocol")
	var found []*listener
	for k, l := range lb.listeners {
		if k.port == port && (proto == "" || k.proto == proto) {
			found = append(found, l)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil, notFound
	case 1:
		return lb, found[0], nil
	}
	return nil, nil, Errf(http.StatusBadRequest, "TooManyListeners", "More than 1 listener is found, please be more specified.")
}

// slbStartLoadBalancerListener starts a stopped listener. "You can call the
// operation only when the listener is in the Stopped state" (page), so a
// running listener answers Operation.NotAllowed. The documented transient
// "Starting" state is folded into the busy window: the listener reports
// running at once.
func slbStartLoadBalancerListener(c *call) (any, error) {
	lb, l, err := c.e.slb.findAnyListener(c, errListenerNotFound())
	if err != nil {
		return nil, err
	}
	if err := checkBusy(c, lb, busyListener); err != nil {
		return nil, err
	}
	if l.status != "stopped" {
		return nil, Errf(http.StatusBadRequest, "Operation.NotAllowed", "The specified listener is not allowed to operate.")
	}
	l.status = "running"
	touch(c, lb)
	return &slbEmpty{}, nil
}

// slbStopLoadBalancerListener stops a listener ("the listener enters the
// stopped state"); stopping a stopped listener is a no-op.
func slbStopLoadBalancerListener(c *call) (any, error) {
	lb, l, err := c.e.slb.findAnyListener(c, errListenerNotFound())
	if err != nil {
		return nil, err
	}
	if err := checkBusy(c, lb, busyListener); err != nil {
		return nil, err
	}
	l.status = "stopped"
	touch(c, lb)
	return &slbEmpty{}, nil
}

// slbDeleteLoadBalancerListener deletes a listener with its domain
// extensions. Not found is 404 ResourceNotFound.Listener (its page); an HTTPS
// listener an HTTP listener forwards to answers ListenerForwardExist.
func slbDeleteLoadBalancerListener(c *call) (any, error) {
	s := c.e.slb
	lb, l, err := s.findAnyListener(c, Errf(http.StatusNotFound, "ResourceNotFound.Listener", "The specified listener is not found."))
	if err != nil {
		return nil, err
	}
	if err := checkBusy(c, lb, busyListener); err != nil {
		return nil, err
	}
	if l.proto == "https" {
		for k, o := range lb.listeners {
			if k.proto == "http" && o.attrs["ListenerForward"] == "on" && atoiOr(o.attrs["ForwardPort"], 0) == l.port {
				return nil, Errf(http.StatusBadRequest, "ListenerForwardExist", "The specified listener is forwarded by the other listener, the ListenerForward relationship should be deleted firstly.")
			}
		}
	}
	for id, d := range s.domains {
		if d.LBID == lb.ID && d.Port == l.port {
			delete(s.domains, id)
		}
	}
	delete(lb.listeners, listenerKey{l.port, l.proto})
	touch(c, lb)
	return &slbEmpty{}, nil
}

// aclIDs renders AclIds.
func aclIDs(l *listener) []string {
	if ids := listenerACLs(l.attrs); ids != nil {
		return ids
	}
	return []string{}
}

// listenerACLs splits a listener's AclId: one ACL ID or several separated
// by commas. The documentation describes one ID, but the official CCM
// passes its acl-id annotation through unchanged as AclId
// (setGenericListenerValue in
// https://github.com/kubernetes/cloud-provider-alibaba-cloud/blob/master/pkg/provider/alibaba/slb/listener.go)
// and compares the listener's AclIds list with that comma list
// (IsListenerACLIDsEqual), so the cloud binds every ACL of the list.
func listenerACLs(a map[string]string) []string {
	if a["AclId"] == "" {
		return nil
	}
	var ids []string
	for id := range strings.SplitSeq(a["AclId"], ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// slbDescribeListener builds the DescribeLoadBalancer<Proto>ListenerAttribute handler.
func slbDescribeListener(proto string) handler {
	return func(c *call) (any, error) {
		s := c.e.slb
		_, l, err := s.findListener(c, proto)
		if err != nil {
			return nil, err
		}
		return s.listenerAttribute(c.e, l), nil
	}
}

// listenerAttribute renders a listener as its Describe*ListenerAttribute answer.
func (s *slbState) listenerAttribute(e *Emulator, l *listener) any {
	acls := aclIDs(l)
	switch l.proto {
	case "tcp":
		r := &slb.DescribeLoadBalancerTCPListenerAttributeResponse{}
		s.fill(r, l.attrs)
		r.LoadBalancerId, r.ListenerPort, r.Status = l.lbID, l.port, l.status
		r.AclIds.AclId, r.Tags.Tag, r.PortRanges.PortRange = acls, tagView(l.tags), []slb.PortRange{}
		return r
	case "udp":
		r := &slb.DescribeLoadBalancerUDPListenerAttributeResponse{}
		s.fill(r, l.attrs)
		r.LoadBalancerId, r.ListenerPort, r.Status = l.lbID, l.port, l.status
		r.AclIds.AclId, r.Tags.Tag, r.PortRanges.PortRange = acls, tagView(l.tags), []slb.PortRange{}
		return r
	case "http":
		r := &slb.DescribeLoadBalancerHTTPListenerAttributeResponse{}
		s.fill(r, l.attrs)
		r.LoadBalancerId, r.ListenerPort, r.Status = l.lbID, l.port, l.status
		r.AclIds.AclId, r.Tags.Tag, r.Rules.Rule = acls, tagView(l.tags), []slb.Rule{}
		return r
	}
	r := &slb.DescribeLoadBalancerHTTPSListenerAttributeResponse{}
	s.fill(r, l.attrs)
	r.LoadBalancerId, r.ListenerPort, r.Status = l.lbID, l.port, l.status
	r.AclIds.AclId, r.Tags.Tag, r.Rules.Rule = acls, tagView(l.tags), []slb.Rule{}
	r.ServerCertificates.ServerCertificate = []slb.ServerCertificate{}
	if cert, ok := e.slb.serverCerts[l.attrs["ServerCertificateId"]]; ok {
		r.ServerCertificates.ServerCertificate = append(r.ServerCertificates.ServerCertificate,
			slb.ServerCertificate{CertificateId: cert.ServerCertificateID, BindingType: "Server"})
	}
	r.DomainExtensions.DomainExtension = s.domainViews(l.lbID, l.port, "")
	return r
}

// listenerItem renders a listener as DescribeLoadBalancerListeners lists it.
func (s *slbState) listenerItem(l *listener) slb.ListenerInDescribeLoadBalancerListeners {
	it := slb.ListenerInDescribeLoadBalancerListeners{}
	s.fill(&it, l.attrs)
	it.LoadBalancerId, it.ListenerPort, it.ListenerProtocol, it.Status = l.lbID, l.port, l.proto, l.status
	it.AclIds, it.Tags = aclIDs(l), tagView(l.tags)
	switch l.proto {
	case "tcp":
		s.fill(&it.TCPListenerConfig, l.attrs)
		it.TCPListenerConfig.PortRanges = []slb.PortRange{}
	case "udp":
		s.fill(&it.UDPListenerConfig, l.attrs)
		it.UDPListenerConfig.PortRanges = []slb.PortRange{}
	case "http":
		s.fill(&it.HTTPListenerConfig, l.attrs)
	case "https":
		s.fill(&it.HTTPSListenerConfig, l.attrs)
		it.HTTPSListenerConfig.ServerCertificates = []slb.ServerCertificate{}
	}
	return it
}

// slbDescribeLoadBalancerListeners lists listeners, paged by MaxResults
// (1-100, default 20) and NextToken.
func slbDescribeLoadBalancerListeners(c *call) (any, error) {
	s := c.e.slb
	ids := c.list("LoadBalancerId")
	if len(ids) > c.e.cfg.Limits.LBIDsPerDescribe {
		return nil, Errf(http.StatusBadRequest, "IllegalParamSize.LoadBalancerId", "The param size of LoadBalancerId is illegal.")
	}
	proto := c.str("ListenerProtocol")
	switch proto {
	case "", "tcp", "udp", "http", "https":
	default:
		return nil, Errf(http.StatusBadRequest, "IllegalParam.ListenerProtocol", "The param of ListenerProtocol is illegal.")
	}
	limit, err := c.integer("MaxResults", 20)
	if err != nil || limit < 1 || limit > 100 {
		return nil, Errf(http.StatusBadRequest, "IllegalParam.MaxResults", "The param of MaxResults is illegal.")
	}
	port, err := c.integer("ListenerPort", 0)
	if err != nil {
		return nil, Errf(http.StatusBadRequest, "InvalidParam.ListenerPort", "The specified ListenerPort is invalid.")
	}
	want := c.tags()
	desc := c.str("Description")
	lbs := s.order
	if len(ids) > 0 {
		lbs = nil
		for _, id := range ids {
			if lb, ok := s.lbs[id]; ok {
				lbs = append(lbs, lb)
			}
		}
	}
	var all []*listener
	for _, lb := range lbs {
		for _, l := range sortedListeners(lb) {
			if (proto == "" || l.proto == proto) && (port == 0 || l.port == port) &&
				(desc == "" || l.attrs["Description"] == desc) && matchTags(l.tags, want) {
				all = append(all, l)
			}
		}
	}
	start := 0
	if tok := c.str("NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(all) {
			return nil, Errf(http.StatusBadRequest, "IllegalParam.NextToken", "The param of NextToken is illegal.")
		}
		start = n
	}
	end, next := start+limit, ""
	if end < len(all) {
		next = strconv.Itoa(end)
	} else {
		end = len(all)
	}
	resp := &slb.DescribeLoadBalancerListenersResponse{NextToken: next, MaxResults: limit, TotalCount: len(all),
		Listeners: make([]slb.ListenerInDescribeLoadBalancerListeners, 0, end-start)}
	for _, l := range all[start:end] {
		resp.Listeners = append(resp.Listeners, s.listenerItem(l))
	}
	return resp, nil
}
