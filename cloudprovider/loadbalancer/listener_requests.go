package loadbalancer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// listenerAttrs are the attributes the engine manages on one listener, in
// one typed form for all four protocols: the desired values (planned from
// the annotations, listener_plan.go), the values the listing reports
// (listedAttrs) and the differences between them (diffAttrs). A nil field is
// not managed: it is left as the CLB has it and never sent.
//
// The request builders below are the only place where these values are
// written into SDK requests, one function per protocol and action, so
// "find references" on a request field leads here. Where an attribute is
// spelt differently per protocol, the builder of the protocol picks the
// field (HealthCheck is HealthCheckSwitch for TCP and UDP).
type listenerAttrs struct {
	Description    *string
	Scheduler      *string
	Bandwidth      *int
	VServerGroupID *string
	// ForwardPort, for HTTP, makes the listener redirect to that HTTPS
	// port (ListenerForward on); set at creation only.
	ForwardPort *int

	ACLStatus *bool
	ACLType   *string
	// ACLID is a comma-separated list of ACL IDs, compared as a set.
	ACLID *string

	ServerCertificateID *string
	TLSCipherPolicy     *string
	EnableHTTP2         *bool

	PersistenceTimeout     *int
	EstablishedTimeout     *int
	IdleTimeout            *int
	RequestTimeout         *int
	ConnectionDrain        *bool
	ConnectionDrainTimeout *int
	ProxyProtocolV2        *bool

	StickySession     *bool
	StickySessionType *string
	CookieTimeout     *int
	Cookie            *string

	XForwardedForProto         *bool
	XForwardedForSLBPort       *bool
	XForwardedForClientSrcPort *bool

	// HealthCheck is the health-check switch: HealthCheckSwitch of TCP
	// and UDP listeners, HealthCheck of HTTP and HTTPS listeners.
	HealthCheck *bool
	// HealthCheckConnectTimeout is the TCP and UDP check timeout,
	// HealthCheckTimeout the HTTP and HTTPS one.
	HealthCheckConnectTimeout *int
	HealthCheckTimeout        *int
	HealthCheckType           *string
	HealthCheckURI            *string
	HealthCheckDomain         *string
	// HealthCheckHTTPCode is a comma-separated list such as http_2xx,http_3xx.
	HealthCheckHTTPCode    *string
	HealthCheckMethod      *string
	HealthCheckConnectPort *int
	HealthCheckInterval    *int
	HealthyThreshold       *int
	UnhealthyThreshold     *int
}

// empty reports whether no attribute is set (a diff with nothing to write).
func (a *listenerAttrs) empty() bool { return *a == listenerAttrs{} }

// diffAttrs returns the attributes of want that differ from have; the others
// are nil, so an update request sends the changed attributes only. An
// attribute the listing does not report for the protocol (nil in have)
// cannot be compared: it is set at creation only, so an unchanged Service
// never causes a write. Strings compare case-insensitively, ACL IDs as
// sets.
func diffAttrs(want, have *listenerAttrs) listenerAttrs {
	return listenerAttrs{
		Description:                diffStr(want.Description, have.Description),
		Scheduler:                  diffStr(want.Scheduler, have.Scheduler),
		Bandwidth:                  diffVal(want.Bandwidth, have.Bandwidth),
		VServerGroupID:             diffStr(want.VServerGroupID, have.VServerGroupID),
		ForwardPort:                diffVal(want.ForwardPort, have.ForwardPort),
		ACLStatus:                  diffVal(want.ACLStatus, have.ACLStatus),
		ACLType:                    diffStr(want.ACLType, have.ACLType),
		ACLID:                      diffIDSet(want.ACLID, have.ACLID),
		ServerCertificateID:        diffStr(want.ServerCertificateID, have.ServerCertificateID),
		TLSCipherPolicy:            diffStr(want.TLSCipherPolicy, have.TLSCipherPolicy),
		EnableHTTP2:                diffVal(want.EnableHTTP2, have.EnableHTTP2),
		PersistenceTimeout:         diffVal(want.PersistenceTimeout, have.PersistenceTimeout),
		EstablishedTimeout:         diffVal(want.EstablishedTimeout, have.EstablishedTimeout),
		IdleTimeout:                diffVal(want.IdleTimeout, have.IdleTimeout),
		RequestTimeout:             diffVal(want.RequestTimeout, have.RequestTimeout),
		ConnectionDrain:            diffVal(want.ConnectionDrain, have.ConnectionDrain),
		ConnectionDrainTimeout:     diffVal(want.ConnectionDrainTimeout, have.ConnectionDrainTimeout),
		ProxyProtocolV2:            diffVal(want.ProxyProtocolV2, have.ProxyProtocolV2),
		StickySession:              diffVal(want.StickySession, have.StickySession),
		StickySessionType:          diffStr(want.StickySessionType, have.StickySessionType),
		CookieTimeout:              diffVal(want.CookieTimeout, have.CookieTimeout),
		Cookie:                     diffStr(want.Cookie, have.Cookie),
		XForwardedForProto:         diffVal(want.XForwardedForProto, have.XForwardedForProto),
		XForwardedForSLBPort:       diffVal(want.XForwardedForSLBPort, have.XForwardedForSLBPort),
		XForwardedForClientSrcPort: diffVal(want.XForwardedForClientSrcPort, have.XForwardedForClientSrcPort),
		HealthCheck:                diffVal(want.HealthCheck, have.HealthCheck),
		HealthCheckConnectTimeout:  diffVal(want.HealthCheckConnectTimeout, have.HealthCheckConnectTimeout),
		HealthCheckTimeout:         diffVal(want.HealthCheckTimeout, have.HealthCheckTimeout),
		HealthCheckType:            diffStr(want.HealthCheckType, have.HealthCheckType),
		HealthCheckURI:             diffStr(want.HealthCheckURI, have.HealthCheckURI),
		HealthCheckDomain:          diffStr(want.HealthCheckDomain, have.HealthCheckDomain),
		HealthCheckHTTPCode:        diffStr(want.HealthCheckHTTPCode, have.HealthCheckHTTPCode),
		HealthCheckMethod:          diffStr(want.HealthCheckMethod, have.HealthCheckMethod),
		HealthCheckConnectPort:     diffVal(want.HealthCheckConnectPort, have.HealthCheckConnectPort),
		HealthCheckInterval:        diffVal(want.HealthCheckInterval, have.HealthCheckInterval),
		HealthyThreshold:           diffVal(want.HealthyThreshold, have.HealthyThreshold),
		UnhealthyThreshold:         diffVal(want.UnhealthyThreshold, have.UnhealthyThreshold),
	}
}

func diffVal[T comparable](want, have *T) *T {
	if want == nil || have == nil || *want == *have {
		return nil
	}
	return want
}

func diffStr(want, have *string) *string {
	if want == nil || have == nil || strings.EqualFold(*want, *have) {
		return nil
	}
	return want
}

func diffIDSet(want, have *string) *string {
	if want == nil || have == nil || normList(*want) == normList(*have) {
		return nil
	}
	return want
}

// normList sorts a comma-separated list, for comparing it as a set.
func normList(s string) string {
	p := strings.Split(s, ",")
	for i := range p {
		p[i] = strings.TrimSpace(p[i])
	}
	slices.Sort(p)
	return strings.Join(p, ",")
}

func ptr[T any](v T) *T { return &v }

// onOff is the API's spelling of a switch.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Setters from listenerAttrs fields to request fields: nil leaves the
// request field empty, which the SDK does not send.
func setStr(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func setInt(dst *requests.Integer, v *int) {
	if v != nil {
		*dst = requests.NewInteger(*v)
	}
}

func setSwitch(dst *string, v *bool) {
	if v != nil {
		*dst = onOff(*v)
	}
}

func setBool(dst *requests.Boolean, v *bool) {
	if v != nil {
		*dst = requests.NewBoolean(*v)
	}
}

// listenerCall sends one planned listener action: Delete and Start take
// the port and protocol only; Create and Set go through the protocol's
// request builder below.
func (r *Reconciler) listenerCall(ctx context.Context, lbID string, a listenerAction) error {
	switch a.op {
	case opDelete:
		req := slb.CreateDeleteLoadBalancerListenerRequest()
		req.LoadBalancerId, req.ListenerPort, req.ListenerProtocol = lbID, requests.NewInteger(a.port), string(a.proto)
		_, err := r.slb.DeleteLoadBalancerListener(ctx, req)
		if isNotFound(err) {
			return nil
		}
		return err
	case opStart:
		req := slb.CreateStartLoadBalancerListenerRequest()
		req.LoadBalancerId, req.ListenerPort, req.ListenerProtocol = lbID, requests.NewInteger(a.port), string(a.proto)
		_, err := r.slb.StartLoadBalancerListener(ctx, req)
		return err
	}
	var err error
	switch create := a.op == opCreate; {
	case create && a.proto == annotations.ProtocolTCP:
		_, err = r.slb.CreateLoadBalancerTCPListener(ctx, tcpCreateRequest(lbID, a.port, &a.attrs))
	case create && a.proto == annotations.ProtocolUDP:
		_, err = r.slb.CreateLoadBalancerUDPListener(ctx, udpCreateRequest(lbID, a.port, &a.attrs))
	case create && a.proto == annotations.ProtocolHTTP:
		_, err = r.slb.CreateLoadBalancerHTTPListener(ctx, httpCreateRequest(lbID, a.port, &a.attrs))
	case create && a.proto == annotations.ProtocolHTTPS:
		_, err = r.slb.CreateLoadBalancerHTTPSListener(ctx, httpsCreateRequest(lbID, a.port, &a.attrs))
	case a.proto == annotations.ProtocolTCP:
		_, err = r.slb.SetLoadBalancerTCPListenerAttribute(ctx, tcpSetRequest(lbID, a.port, &a.attrs))
	case a.proto == annotations.ProtocolUDP:
		_, err = r.slb.SetLoadBalancerUDPListenerAttribute(ctx, udpSetRequest(lbID, a.port, &a.attrs))
	case a.proto == annotations.ProtocolHTTP:
		_, err = r.slb.SetLoadBalancerHTTPListenerAttribute(ctx, httpSetRequest(lbID, a.port, &a.attrs))
	case a.proto == annotations.ProtocolHTTPS:
		_, err = r.slb.SetLoadBalancerHTTPSListenerAttribute(ctx, httpsSetRequest(lbID, a.port, &a.attrs))
	default:
		err = fmt.Errorf("unsupported listener protocol %q", a.proto)
	}
	return err
}

// The request builders: one Create and one Set builder per listener
// protocol. Create requests get every desired attribute, Set requests the
// changed ones only (diffAttrs).

// tcpCreateRequest builds CreateLoadBalancerTCPListener.
func tcpCreateRequest(lbID string, port int, a *listenerAttrs) *slb.CreateLoadBalancerTCPListenerRequest {
	req := slb.CreateCreateLoadBalancerTCPListenerRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	setStr(&req.Description, a.Description)
	setStr(&req.Scheduler, a.Scheduler)
	setInt(&req.Bandwidth, a.Bandwidth)
	setStr(&req.VServerGroupId, a.VServerGroupID)
	setSwitch(&req.AclStatus, a.ACLStatus)
	setStr(&req.AclType, a.ACLType)
	setStr(&req.AclId, a.ACLID)
	setInt(&req.PersistenceTimeout, a.PersistenceTimeout)
	setInt(&req.EstablishedTimeout, a.EstablishedTimeout)
	setSwitch(&req.ConnectionDrain, a.ConnectionDrain)
	setInt(&req.ConnectionDrainTimeout, a.ConnectionDrainTimeout)
	setBool(&req.ProxyProtocolV2Enabled, a.ProxyProtocolV2)
	setSwitch(&req.HealthCheckSwitch, a.HealthCheck)
	setInt(&req.HealthCheckConnectTimeout, a.HealthCheckConnectTimeout)
	setStr(&req.HealthCheckType, a.HealthCheckType)
	setStr(&req.HealthCheckURI, a.HealthCheckURI)
	setStr(&req.HealthCheckDomain, a.HealthCheckDomain)
	setStr(&req.HealthCheckHttpCode, a.HealthCheckHTTPCode)
	setStr(&req.HealthCheckMethod, a.HealthCheckMethod)
	setInt(&req.HealthCheckConnectPort, a.HealthCheckConnectPort)
	setInt(&req.HealthCheckInterval, a.HealthCheckInterval)
	setInt(&req.HealthyThreshold, a.HealthyThreshold)
	setInt(&req.UnhealthyThreshold, a.UnhealthyThreshold)
	return req
}

// tcpSetRequest builds SetLoadBalancerTCPListenerAttribute.
func tcpSetRequest(lbID string, port int, a *listenerAttrs) *slb.SetLoadBalancerTCPListenerAttributeRequest {
	req := slb.CreateSetLoadBalancerTCPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	setStr(&req.Description, a.Description)
	setStr(&req.Scheduler, a.Scheduler)
	setInt(&req.Bandwidth, a.Bandwidth)
	setStr(&req.VServerGroupId, a.VServerGroupID)
	setSwitch(&req.AclStatus, a.ACLStatus)
	setStr(&req.AclType, a.ACLType)
	setStr(&req.AclId, a.ACLID)
	setInt(&req.PersistenceTimeout, a.PersistenceTimeout)
	setInt(&req.EstablishedTimeout, a.EstablishedTimeout)
	setSwitch(&req.ConnectionDrain, a.ConnectionDrain)
	setInt(&req.ConnectionDrainTimeout, a.ConnectionDrainTimeout)
	setBool(&req.ProxyProtocolV2Enabled, a.ProxyProtocolV2)
	setSwitch(&req.HealthCheckSwitch, a.HealthCheck)
	setInt(&req.HealthCheckConnectTimeout, a.HealthCheckConnectTimeout)
	setStr(&req.HealthCheckType, a.HealthCheckType)
	setStr(&req.HealthCheckURI, a.HealthCheckURI)
	setStr(&req.HealthCheckDomain, a.HealthCheckDomain)
	setStr(&req.HealthCheckHttpCode, a.HealthCheckHTTPCode)
	setStr(&req.HealthCheckMethod, a.HealthCheckMethod)
	setInt(&req.HealthCheckConnectPort, a.HealthCheckConnectPort)
	setInt(&req.HealthCheckInterval, a.HealthCheckInterval)
	setInt(&req.HealthyThreshold, a.HealthyThreshold)
	setInt(&req.UnhealthyThreshold, a.UnhealthyThreshold)
	if a.VServerGroupID != nil {
		req.VServerGroup = "on" // the Set action moves the listener onto the group only with it
	}
	return req
}

// udpCreateRequest builds CreateLoadBalancerUDPListener.
func udpCreateRequest(lbID string, port int, a *listenerAttrs) *slb.CreateLoadBalancerUDPListenerRequest {
	req := slb.CreateCreateLoadBalancerUDPListenerRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	setStr(&req.Description, a.Description)
	setStr(&req.Scheduler, a.Scheduler)
	setInt(&req.Bandwidth, a.Bandwidth)
	setStr(&req.VServerGroupId, a.VServerGroupID)
	setSwitch(&req.AclStatus, a.ACLStatus)
	setStr(&req.AclType, a.ACLType)
	setStr(&req.AclId, a.ACLID)
	setInt(&req.PersistenceTimeout, a.PersistenceTimeout)
	setSwitch(&req.ConnectionDrain, a.ConnectionDrain)
	setInt(&req.ConnectionDrainTimeout, a.ConnectionDrainTimeout)
	setBool(&req.ProxyProtocolV2Enabled, a.ProxyProtocolV2)
	setSwitch(&req.HealthCheckSwitch, a.HealthCheck)
	setInt(&req.HealthCheckConnectTimeout, a.HealthCheckConnectTimeout)
	setStr(&req.HealthCheckType, a.HealthCheckType)
	setStr(&req.HealthCheckURI, a.HealthCheckURI)
	setStr(&req.HealthCheckDomain, a.HealthCheckDomain)
	setStr(&req.HealthCheckHttpCode, a.HealthCheckHTTPCode)
	setStr(&req.HealthCheckMethod, a.HealthCheckMethod)
	setInt(&req.HealthCheckConnectPort, a.HealthCheckConnectPort)
	setInt(&req.HealthCheckInterval, a.HealthCheckInterval)
	setInt(&req.HealthyThreshold, a.HealthyThreshold)
	setInt(&req.UnhealthyThreshold, a.UnhealthyThreshold)
	return req
}

// udpSetRequest builds SetLoadBalancerUDPListenerAttribute.
func udpSetRequest(lbID string, port int, a *listenerAttrs) *slb.SetLoadBalancerUDPListenerAttributeRequest {
	req := slb.CreateSetLoadBalancerUDPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	setStr(&req.Description, a.Description)
	setStr(&req.Scheduler, a.Scheduler)
	setInt(&req.Bandwidth, a.Bandwidth)
	setStr(&req.VServerGroupId, a.VServerGroupID)
	setSwitch(&req.AclStatus, a.ACLStatus)
	setStr(&req.AclType, a.ACLType)
	setStr(&req.AclId, a.ACLID)
	setInt(&req.PersistenceTimeout, a.PersistenceTimeout)
	setSwitch(&req.ConnectionDrain, a.ConnectionDrain)
	setInt(&req.ConnectionDrainTimeout, a.ConnectionDrainTimeout)
	setBool(&req.ProxyProtocolV2Enabled, a.ProxyProtocolV2)
	setSwitch(&req.HealthCheckSwitch, a.HealthCheck)
	setInt(&req.HealthCheckConnectTimeout, a.HealthCheckConnectTimeout)
	setStr(&req.HealthCheckType, a.HealthCheckType)
	setStr(&req.HealthCheckURI, a.HealthCheckURI)
	setStr(&req.HealthCheckDomain, a.HealthCheckDomain)
	setStr(&req.HealthCheckHttpCode, a.HealthCheckHTTPCode)
	setStr(&req.HealthCheckMethod, a.HealthCheckMethod)
	setInt(&req.HealthCheckConnectPort, a.HealthCheckConnectPort)
	setInt(&req.HealthCheckInterval, a.HealthCheckInterval)
	setInt(&req.HealthyThreshold, a.HealthyThreshold)
	setInt(&req.UnhealthyThreshold, a.UnhealthyThreshold)
	if a.VServerGroupID != nil {
		req.VServerGroup = "on" // the Set action moves the listener onto the group only with it
	}
	return req
}

// httpCreateRequest builds CreateLoadBalancerHTTPListener.
// A redirecting listener gets ListenerForward on and its ForwardPort.
func httpCreateRequest(lbID string, port int, a *listenerAttrs) *slb.CreateLoadBalancerHTTPListenerRequest {
	req := slb.CreateCreateLoadBalancerHTTPListenerRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	setStr(&req.Description, a.Description)
	setStr(&req.Scheduler, a.Scheduler)
	setInt(&req.Bandwidth, a.Bandwidth)
	setStr(&req.VServerGroupId, a.VServerGroupID)
	setSwitch(&req.AclStatus, a.ACLStatus)
	setStr(&req.AclType, a.ACLType)
	setStr(&req.AclId, a.ACLID)
	setInt(&req.IdleTimeout, a.IdleTimeout)
	setInt(&req.RequestTimeout, a.RequestTimeout)
	setSwitch(&req.StickySession, a.StickySession)
	setStr(&req.StickySessionType, a.StickySessionType)
	setInt(&req.CookieTimeout, a.CookieTimeout)
	setStr(&req.Cookie, a.Cookie)
	setSwitch(&req.XForwardedForProto, a.XForwardedForProto)
	setSwitch(&req.XForwardedForSLBPORT, a.XForwardedForSLBPort)
	setSwitch(&req.XForwardedForClientSrcPort, a.XForwardedForClientSrcPort)
	setSwitch(&req.HealthCheck, a.HealthCheck)
	setInt(&req.HealthCheckTimeout, a.HealthCheckTimeout)
	setStr(&req.HealthCheckType, a.HealthCheckType)
	setStr(&req.HealthCheckURI, a.HealthCheckURI)
	setStr(&req.HealthCheckDomain, a.HealthCheckDomain)
	setStr(&req.HealthCheckHttpCode, a.HealthCheckHTTPCode)
	setStr(&req.HealthCheckMethod, a.HealthCheckMethod)
	setInt(&req.HealthCheckConnectPort, a.HealthCheckConnectPort)
	setInt(&req.HealthCheckInterval, a.HealthCheckInterval)
	setInt(&req.HealthyThreshold, a.HealthyThreshold)
	setInt(&req.UnhealthyThreshold, a.UnhealthyThreshold)
	if a.ForwardPort != nil {
		req.ListenerForward = "on"
		setInt(&req.ForwardPort, a.ForwardPort)
	}
	return req
}

// httpSetRequest builds SetLoadBalancerHTTPListenerAttribute.
// Forwarding cannot change through it: the planner recreates the listener.
func httpSetRequest(lbID string, port int, a *listenerAttrs) *slb.SetLoadBalancerHTTPListenerAttributeRequest {
	req := slb.CreateSetLoadBalancerHTTPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	setStr(&req.Description, a.Description)
	setStr(&req.Scheduler, a.Scheduler)
	setInt(&req.Bandwidth, a.Bandwidth)
	setStr(&req.VServerGroupId, a.VServerGroupID)
	setSwitch(&req.AclStatus, a.ACLStatus)
	setStr(&req.AclType, a.ACLType)
	setStr(&req.AclId, a.ACLID)
	setInt(&req.IdleTimeout, a.IdleTimeout)
	setInt(&req.RequestTimeout, a.RequestTimeout)
	setSwitch(&req.StickySession, a.StickySession)
	setStr(&req.StickySessionType, a.StickySessionType)
	setInt(&req.CookieTimeout, a.CookieTimeout)
	setStr(&req.Cookie, a.Cookie)
	setSwitch(&req.XForwardedForProto, a.XForwardedForProto)
	setSwitch(&req.XForwardedForSLBPORT, a.XForwardedForSLBPort)
	setSwitch(&req.XForwardedForClientSrcPort, a.XForwardedForClientSrcPort)
	setSwitch(&req.HealthCheck, a.HealthCheck)
	setInt(&req.HealthCheckTimeout, a.HealthCheckTimeout)
	setStr(&req.HealthCheckType, a.HealthCheckType)
	setStr(&req.HealthCheckURI, a.HealthCheckURI)
	setStr(&req.HealthCheckDomain, a.HealthCheckDomain)
	setStr(&req.HealthCheckHttpCode, a.HealthCheckHTTPCode)
	setStr(&req.HealthCheckMethod, a.HealthCheckMethod)
	setInt(&req.HealthCheckConnectPort, a.HealthCheckConnectPort)
	setInt(&req.HealthCheckInterval, a.HealthCheckInterval)
	setInt(&req.HealthyThreshold, a.HealthyThreshold)
	setInt(&req.UnhealthyThreshold, a.UnhealthyThreshold)
	if a.VServerGroupID != nil {
		req.VServerGroup = "on" // the Set action moves the listener onto the group only with it
	}
	return req
}

// httpsCreateRequest builds CreateLoadBalancerHTTPSListener.
func httpsCreateRequest(lbID string, port int, a *listenerAttrs) *slb.CreateLoadBalancerHTTPSListenerRequest {
	req := slb.CreateCreateLoadBalancerHTTPSListenerRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	setStr(&req.Description, a.Description)
	setStr(&req.Scheduler, a.Scheduler)
	setInt(&req.Bandwidth, a.Bandwidth)
	setStr(&req.VServerGroupId, a.VServerGroupID)
	setSwitch(&req.AclStatus, a.ACLStatus)
	setStr(&req.AclType, a.ACLType)
	setStr(&req.AclId, a.ACLID)
	setInt(&req.IdleTimeout, a.IdleTimeout)
	setInt(&req.RequestTimeout, a.RequestTimeout)
	setSwitch(&req.StickySession, a.StickySession)
	setStr(&req.StickySessionType, a.StickySessionType)
	setInt(&req.CookieTimeout, a.CookieTimeout)
	setStr(&req.Cookie, a.Cookie)
	setSwitch(&req.XForwardedForProto, a.XForwardedForProto)
	setSwitch(&req.XForwardedForSLBPORT, a.XForwardedForSLBPort)
	setSwitch(&req.XForwardedForClientSrcPort, a.XForwardedForClientSrcPort)
	setSwitch(&req.HealthCheck, a.HealthCheck)
	setInt(&req.HealthCheckTimeout, a.HealthCheckTimeout)
	setStr(&req.ServerCertificateId, a.ServerCertificateID)
	setStr(&req.TLSCipherPolicy, a.TLSCipherPolicy)
	setSwitch(&req.EnableHttp2, a.EnableHTTP2)
	setStr(&req.HealthCheckType, a.HealthCheckType)
	setStr(&req.HealthCheckURI, a.HealthCheckURI)
	setStr(&req.HealthCheckDomain, a.HealthCheckDomain)
	setStr(&req.HealthCheckHttpCode, a.HealthCheckHTTPCode)
	setStr(&req.HealthCheckMethod, a.HealthCheckMethod)
	setInt(&req.HealthCheckConnectPort, a.HealthCheckConnectPort)
	setInt(&req.HealthCheckInterval, a.HealthCheckInterval)
	setInt(&req.HealthyThreshold, a.HealthyThreshold)
	setInt(&req.UnhealthyThreshold, a.UnhealthyThreshold)
	return req
}

// httpsSetRequest builds SetLoadBalancerHTTPSListenerAttribute.
func httpsSetRequest(lbID string, port int, a *listenerAttrs) *slb.SetLoadBalancerHTTPSListenerAttributeRequest {
	req := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	setStr(&req.Description, a.Description)
	setStr(&req.Scheduler, a.Scheduler)
	setInt(&req.Bandwidth, a.Bandwidth)
	setStr(&req.VServerGroupId, a.VServerGroupID)
	setSwitch(&req.AclStatus, a.ACLStatus)
	setStr(&req.AclType, a.ACLType)
	setStr(&req.AclId, a.ACLID)
	setInt(&req.IdleTimeout, a.IdleTimeout)
	setInt(&req.RequestTimeout, a.RequestTimeout)
	setSwitch(&req.StickySession, a.StickySession)
	setStr(&req.StickySessionType, a.StickySessionType)
	setInt(&req.CookieTimeout, a.CookieTimeout)
	setStr(&req.Cookie, a.Cookie)
	setSwitch(&req.XForwardedForProto, a.XForwardedForProto)
	setSwitch(&req.XForwardedForSLBPORT, a.XForwardedForSLBPort)
	setSwitch(&req.XForwardedForClientSrcPort, a.XForwardedForClientSrcPort)
	setSwitch(&req.HealthCheck, a.HealthCheck)
	setInt(&req.HealthCheckTimeout, a.HealthCheckTimeout)
	setStr(&req.ServerCertificateId, a.ServerCertificateID)
	setStr(&req.TLSCipherPolicy, a.TLSCipherPolicy)
	setSwitch(&req.EnableHttp2, a.EnableHTTP2)
	setStr(&req.HealthCheckType, a.HealthCheckType)
	setStr(&req.HealthCheckURI, a.HealthCheckURI)
	setStr(&req.HealthCheckDomain, a.HealthCheckDomain)
	setStr(&req.HealthCheckHttpCode, a.HealthCheckHTTPCode)
	setStr(&req.HealthCheckMethod, a.HealthCheckMethod)
	setInt(&req.HealthCheckConnectPort, a.HealthCheckConnectPort)
	setInt(&req.HealthCheckInterval, a.HealthCheckInterval)
	setInt(&req.HealthyThreshold, a.HealthyThreshold)
	setInt(&req.UnhealthyThreshold, a.UnhealthyThreshold)
	if a.VServerGroupID != nil {
		req.VServerGroup = "on" // the Set action moves the listener onto the group only with it
	}
	return req
}
