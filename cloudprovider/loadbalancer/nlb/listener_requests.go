package nlb

import (
	"strconv"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// The listener request builders: one per action. Every SDK field is set
// by name; a create gets every declared attribute, an update the changed
// ones only (diffListenerAttrs).

// createListenerRequest builds CreateListener: the port (or StartPort and
// EndPort of a port range, with ListenerPort 0), the protocol, every
// declared attribute, the ownership tags and a ClientToken
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-createlistener).
func (r *Reconciler) createListenerRequest(svc *v1.Service, lbID string, l *annotations.NLBListener, a *listenerAttrs, salt string, now time.Time) *sdknlb.CreateListenerRequest {
	req := sdknlb.CreateCreateListenerRequest()
	req.LoadBalancerId, req.ListenerProtocol = lbID, string(l.Protocol)
	if l.PortRange != nil {
		req.ListenerPort = requests.NewInteger(0)
		req.StartPort, req.EndPort = requests.NewInteger(int(l.PortRange.Start)), requests.NewInteger(int(l.PortRange.End))
	} else {
		req.ListenerPort = requests.NewInteger(int(l.Port))
	}
	reqString(&req.ListenerDescription, a.Description)
	reqString(&req.ServerGroupId, a.GroupID)
	reqInt(&req.IdleTimeout, a.IdleTimeout)
	reqInt(&req.Cps, a.Cps)
	reqBool(&req.ProxyProtocolEnabled, a.ProxyProtocol)
	reqString(&req.SecurityPolicyId, a.SecurityPolicy)
	reqList(&req.CertificateIds, a.CertID)
	reqList(&req.CaCertificateIds, a.CACertID)
	reqBool(&req.CaEnabled, a.CAEnabled)
	reqBool(&req.AlpnEnabled, a.ALPNEnabled)
	reqString(&req.AlpnPolicy, a.ALPNPolicy)
	reqPPv2(req, a)
	tags := make([]sdknlb.CreateListenerTag, 0, 3)
	for _, t := range r.ownershipTags(svc) {
		tags = append(tags, sdknlb.CreateListenerTag{Key: t[0], Value: t[1]})
	}
	req.Tag = &tags
	req.ClientToken = createToken(svc, "listener", lbID+"|"+string(l.Protocol)+"|"+listenerPortName(l), salt, now)
	return req
}

// updateListenerRequest builds UpdateListenerAttribute with the changed
// attributes only; the protocol and ports cannot change
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-updatelistenerattribute).
func updateListenerRequest(listenerID string, a *listenerAttrs) *sdknlb.UpdateListenerAttributeRequest {
	req := sdknlb.CreateUpdateListenerAttributeRequest()
	req.ListenerId = listenerID
	reqString(&req.ListenerDescription, a.Description)
	reqString(&req.ServerGroupId, a.GroupID)
	reqInt(&req.IdleTimeout, a.IdleTimeout)
	reqInt(&req.Cps, a.Cps)
	reqBool(&req.ProxyProtocolEnabled, a.ProxyProtocol)
	reqString(&req.SecurityPolicyId, a.SecurityPolicy)
	reqList(&req.CertificateIds, a.CertID)
	reqList(&req.CaCertificateIds, a.CACertID)
	reqBool(&req.CaEnabled, a.CAEnabled)
	reqBool(&req.AlpnEnabled, a.ALPNEnabled)
	reqString(&req.AlpnPolicy, a.ALPNPolicy)
	reqPPv2(req, a)
	return req
}

// reqPPv2 puts the declared ProxyProtocolV2Config fields on a
// CreateListener or UpdateListenerAttribute request, as the raw body
// parameter cloudapi builds (the SDK has no field for it). It cannot fail:
// the request comes from its SDK constructor.
func reqPPv2(req requests.AcsRequest, a *listenerAttrs) {
	_ = cloudapi.SetProxyProtocolV2Config(req, cloudapi.NLBProxyProtocolV2{VpcID: a.PPv2VpcID, EpID: a.PPv2EpID, EpsID: a.PPv2EpsID})
}

// startListenerRequest builds StartListener.
func startListenerRequest(listenerID string) *sdknlb.StartListenerRequest {
	req := sdknlb.CreateStartListenerRequest()
	req.ListenerId = listenerID
	return req
}

// deleteListenerRequest builds DeleteListener.
func deleteListenerRequest(listenerID string) *sdknlb.DeleteListenerRequest {
	req := sdknlb.CreateDeleteListenerRequest()
	req.ListenerId = listenerID
	return req
}

// tagListenerRequest builds TagResources putting the ownership tags of svc
// on a listener taken over (force-override-listeners, or the official
// CCM's listener on an adopted NLB), so it is found, converged and
// deleted as ours from then on.
func (r *Reconciler) tagListenerRequest(svc *v1.Service, listenerID string) *sdknlb.TagResourcesRequest {
	req := sdknlb.CreateTagResourcesRequest()
	req.ResourceType, req.ResourceId = "listener", &[]string{listenerID}
	tags := make([]sdknlb.TagResourcesTag, 0, 3)
	for _, t := range r.ownershipTags(svc) {
		tags = append(tags, sdknlb.TagResourcesTag{Key: t[0], Value: t[1]})
	}
	req.Tag = &tags
	return req
}

// The field setters leave a field unset (the API's default, or "no
// change") when the value is nil.

func reqString(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func reqBool(dst *requests.Boolean, v *bool) {
	if v != nil {
		*dst = requests.NewBoolean(*v)
	}
}

func reqInt(dst *requests.Integer, v *int) {
	if v != nil {
		*dst = requests.NewInteger(*v)
	}
}

// reqFlag sets a Struct field's boolean member, which the SDK types as a
// string.
func reqFlag(dst *string, v *bool) {
	if v != nil {
		*dst = strconv.FormatBool(*v)
	}
}

// reqIntString sets a Struct field's integer member, typed as a string.
func reqIntString(dst *string, v *int) {
	if v != nil {
		*dst = strconv.Itoa(*v)
	}
}

// reqList sets a repeated field to the one value v.
func reqList(dst **[]string, v *string) {
	if v != nil {
		*dst = &[]string{*v}
	}
}

// declared is nil for "" (unset), else a pointer to s.
func declared(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func ptrTo[T any](v T) *T { return &v }
