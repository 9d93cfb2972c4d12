package cloudapi

// ProxyProtocolV2Config of NLB listeners: the one place that handles a
// field the API has and the Go SDK (v1.63.107, the newest) lacks.
//
// CreateListener and UpdateListenerAttribute take ProxyProtocolV2Config,
// an object of three booleans (Ppv2VpcIdEnabled, Ppv2PrivateLinkEpIdEnabled,
// Ppv2PrivateLinkEpsIdEnabled): whether the proxy protocol v2 header
// carries the client's VPC ID, PrivateLink endpoint ID and endpoint
// service ID. GetListenerAttribute and ListListeners return it
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-createlistener,
// -updatelistenerattribute, -listlisteners). The official SDKs send it
// as one body (form) parameter holding the object's JSON, where the SDK
// request puts its other fields (position Body); it is read back from the
// raw JSON answer.

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// NLBProxyProtocolV2 is a listener's ProxyProtocolV2Config. In a request,
// nil fields are not sent (the API keeps them); in an answer, nil means the
// API did not show the field (false, its default).
type NLBProxyProtocolV2 struct {
	VpcID *bool `json:"Ppv2VpcIdEnabled,omitempty"`
	EpID  *bool `json:"Ppv2PrivateLinkEpIdEnabled,omitempty"`
	EpsID *bool `json:"Ppv2PrivateLinkEpsIdEnabled,omitempty"`
}

// Empty reports whether no field is set.
func (p NLBProxyProtocolV2) Empty() bool { return p.VpcID == nil && p.EpID == nil && p.EpsID == nil }

// ppv2Param is the body parameter's name.
const ppv2Param = "ProxyProtocolV2Config"

// SetProxyProtocolV2Config puts p on a CreateListener or
// UpdateListenerAttribute request built by its SDK constructor (which
// makes the form map); an empty p sends nothing.
func SetProxyProtocolV2Config(req requests.AcsRequest, p NLBProxyProtocolV2) error {
	if p.Empty() {
		return nil
	}
	form := formParams(req)
	if form == nil {
		return fmt.Errorf("cloudapi: %T has no form parameters (not built by its SDK constructor)", req)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	form[ppv2Param] = string(b)
	return nil
}

// formParams returns req's form map, nil for a request not built by its
// SDK constructor (whose base request is missing: the getter panics).
func formParams(req requests.AcsRequest) (form map[string]string) {
	defer func() {
		if recover() != nil {
			form = nil
		}
	}()
	return req.GetFormParams()
}

// listedPPv2 reads ProxyProtocolV2Config of every listener of a raw
// ListListeners answer, by listener ID.
func listedPPv2(raw []byte, into map[string]NLBProxyProtocolV2) error {
	var page struct {
		Listeners []struct {
			ListenerID string             `json:"ListenerId"`
			PPv2       NLBProxyProtocolV2 `json:"ProxyProtocolV2Config"`
		} `json:"Listeners"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return fmt.Errorf("read %s of ListListeners: %w", ppv2Param, err)
	}
	for _, l := range page.Listeners {
		into[l.ListenerID] = l.PPv2
	}
	return nil
}

// ListAllListenersWithPPv2 is ListAllListeners that also returns each
// listener's ProxyProtocolV2Config by listener ID, read from the same
// answers (no extra call).
func (n *NLB) ListAllListenersWithPPv2(ctx context.Context, req *nlb.ListListenersRequest) ([]nlb.ListenerInfo, map[string]NLBProxyProtocolV2, error) {
	if req == nil {
		req = nlb.CreateListListenersRequest()
	}
	var out []nlb.ListenerInfo
	ppv2 := map[string]NLBProxyProtocolV2{}
	for _, batch := range idBatches(req.LoadBalancerIds, MaxNLBIDsPerCall) {
		err := ForEachPage(ctx, func(token string) (string, error) {
			r := *req
			r.RpcRequest = freshRPC(nlb.CreateListListenersRequest().RpcRequest, req.RpcRequest)
			r.LoadBalancerIds = ptr(batch)
			r.NextToken = token
			r.MaxResults = requests.NewInteger(nlbMaxResults)
			resp, err := n.ListListeners(ctx, &r)
			if err != nil {
				return "", err
			}
			if err := listedPPv2(resp.GetHttpContentBytes(), ppv2); err != nil {
				return "", err
			}
			out = append(out, resp.Listeners...)
			return resp.NextToken, nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("list NLB listeners: %w", err)
		}
	}
	return out, ppv2, nil
}
