package cloudapi

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// sslListener creates an NLB, a TCP group without client IP preservation
// and a TCPSSL listener on 443 with cert as its default certificate, lets
// the jobs end and returns the NLB and listener IDs.
func (e *nlbEnv) sslListener(t *testing.T, cert string) (lbID, listenerID string) {
	t.Helper()
	ctx := context.Background()
	lbID = e.createLB(t, "ssl", nil).LoadbalancerId
	e.clock.Advance(e.job)
	g := nlb.CreateCreateServerGroupRequest()
	g.ServerGroupName, g.VpcId, g.PreserveClientIpEnabled = "ssl", nlbTestVPC, requests.NewBoolean(false)
	gr, err := e.nlb.CreateServerGroup(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(e.job)
	r := nlb.CreateCreateListenerRequest()
	r.LoadBalancerId, r.ServerGroupId, r.ListenerProtocol = lbID, gr.ServerGroupId, "TCPSSL"
	r.ListenerPort, r.CertificateIds = requests.NewInteger(443), &[]string{cert}
	lr, err := e.nlb.CreateListener(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(e.job)
	return lbID, lr.ListenerId
}

// certSummary renders certificates as id(default) lists.
func certSummary(certs []nlb.Certificate) string {
	out := ""
	for _, c := range certs {
		out += c.CertificateId
		if c.IsDefault {
			out += "(default)"
		}
		out += " "
	}
	return out
}

// The certificate calls reach the emulator through the SDK, return their
// job, list every page, and are counted in the request metrics.
func TestNLBListenerCertificateCalls(t *testing.T) {
	e := newNLBEnv(t, 5*time.Second)
	ctx := context.Background()
	_, lsn := e.sslListener(t, "cert-default")
	before := counter(t, requestsTotal.WithLabelValues("nlb", "AssociateAdditionalCertificatesWithListener", CodeSuccess))

	ids := make([]string, MaxNLBCertsPerCall)
	for i := range ids {
		ids[i] = fmt.Sprintf("cert-%02d", i)
	}
	a := nlb.CreateAssociateAdditionalCertificatesWithListenerRequest()
	a.ListenerId, a.AdditionalCertificateIds = lsn, &ids
	ar, err := e.nlb.AssociateAdditionalCertificatesWithListener(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.nlb.CheckJobs(ctx, ar.JobId); err == nil {
		t.Fatal("the associate job ended at once; it runs until the clock moves")
	}
	e.clock.Advance(e.job)
	got, err := e.nlb.ListAllListenerCertificates(ctx, lsn, "Server")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1+MaxNLBCertsPerCall || !got[0].IsDefault || got[0].CertificateId != "cert-default" {
		t.Fatalf("listed %s", certSummary(got))
	}

	d := nlb.CreateDisassociateAdditionalCertificatesWithListenerRequest()
	d.ListenerId, d.AdditionalCertificateIds = lsn, &[]string{"cert-00"}
	if _, err := e.nlb.DisassociateAdditionalCertificatesWithListener(ctx, d); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(e.job)
	got, err = e.nlb.ListAllListenerCertificates(ctx, lsn, "Server")
	if err != nil || len(got) != MaxNLBCertsPerCall {
		t.Fatalf("after disassociate: %s %v", certSummary(got), err)
	}
	if _, err := e.nlb.ListAllListenerCertificates(ctx, "lsn-missing@1", ""); Code(err) != "ResourceNotFound.listener" {
		t.Fatalf("a missing listener: %v", err)
	}
	if d := counter(t, requestsTotal.WithLabelValues("nlb", "AssociateAdditionalCertificatesWithListener", CodeSuccess)) - before; d != 1 {
		t.Errorf("AssociateAdditionalCertificatesWithListener counted %v times, want 1", d)
	}
	if n := sum(e.calls("ListListenerCertificates")); n != 3 {
		t.Errorf("ListListenerCertificates calls %d, want 3 (one page each)", n)
	}
}

func boolPtr(b bool) *bool { return &b }

// ppv2String renders a config for comparisons.
func ppv2String(p NLBProxyProtocolV2) string {
	s := func(b *bool) string {
		if b == nil {
			return "-"
		}
		return fmt.Sprint(*b)
	}
	return "vpc=" + s(p.VpcID) + " ep=" + s(p.EpID) + " eps=" + s(p.EpsID)
}

// ProxyProtocolV2Config goes out as one JSON body parameter (only the set
// fields) and comes back from the raw ListListeners answers.
func TestNLBProxyProtocolV2Config(t *testing.T) {
	e := newNLBEnv(t, 0)
	ctx := context.Background()
	lbID := e.createLB(t, "pp", nil).LoadbalancerId
	g := e.ipGroup(t)

	create := func(port int, p NLBProxyProtocolV2) string {
		r := nlb.CreateCreateListenerRequest()
		r.LoadBalancerId, r.ServerGroupId, r.ListenerProtocol = lbID, g, "TCP"
		r.ListenerPort, r.ProxyProtocolEnabled = requests.NewInteger(port), requests.NewBoolean(true)
		if err := SetProxyProtocolV2Config(r, p); err != nil {
			t.Fatal(err)
		}
		resp, err := e.nlb.CreateListener(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return resp.ListenerId
	}
	on := create(80, NLBProxyProtocolV2{VpcID: boolPtr(true), EpsID: boolPtr(true)})
	off := create(81, NLBProxyProtocolV2{})

	u := nlb.CreateUpdateListenerAttributeRequest()
	u.ListenerId = on
	if err := SetProxyProtocolV2Config(u, NLBProxyProtocolV2{EpID: boolPtr(true), EpsID: boolPtr(false)}); err != nil {
		t.Fatal(err)
	}
	if got := u.FormParams["ProxyProtocolV2Config"]; got != `{"Ppv2PrivateLinkEpIdEnabled":true,"Ppv2PrivateLinkEpsIdEnabled":false}` {
		t.Fatalf("body parameter %s", got)
	}
	if _, err := e.nlb.UpdateListenerAttribute(ctx, u); err != nil {
		t.Fatal(err)
	}

	r := nlb.CreateListListenersRequest()
	r.LoadBalancerIds = &[]string{lbID}
	listed, ppv2, err := e.nlb.ListAllListenersWithPPv2(ctx, r)
	if err != nil || len(listed) != 2 {
		t.Fatalf("listed %d listeners, %v", len(listed), err)
	}
	want := map[string]string{on: "vpc=true ep=true eps=false", off: "vpc=false ep=false eps=false"}
	for id, w := range want {
		if got := ppv2String(ppv2[id]); got != w {
			t.Errorf("listener %s: %s, want %s", id, got, w)
		}
	}
}

// SetProxyProtocolV2Config sends nothing for an empty config and refuses
// a request without form parameters; listedPPv2 reads what the answer has.
func TestNLBProxyProtocolV2Wire(t *testing.T) {
	empty := nlb.CreateUpdateListenerAttributeRequest()
	if err := SetProxyProtocolV2Config(empty, NLBProxyProtocolV2{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := empty.FormParams["ProxyProtocolV2Config"]; ok {
		t.Fatal("an empty config was sent")
	}
	bare := &nlb.UpdateListenerAttributeRequest{RpcRequest: &requests.RpcRequest{}}
	if err := SetProxyProtocolV2Config(bare, NLBProxyProtocolV2{VpcID: boolPtr(true)}); err == nil {
		t.Fatal("a request without form parameters was accepted")
	}
	tests := []struct {
		name, raw string
		want      map[string]string
		wantErr   bool
	}{
		{"shown", `{"Listeners":[{"ListenerId":"a","ProxyProtocolV2Config":{"Ppv2VpcIdEnabled":true}}]}`,
			map[string]string{"a": "vpc=true ep=- eps=-"}, false},
		{"not shown", `{"Listeners":[{"ListenerId":"b"}]}`, map[string]string{"b": "vpc=- ep=- eps=-"}, false},
		{"no listeners", `{"TotalCount":0}`, map[string]string{}, false},
		{"not JSON", `<xml/>`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]NLBProxyProtocolV2{}
			err := listedPPv2([]byte(tt.raw), got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			if tt.wantErr {
				return
			}
			rendered := map[string]string{}
			for id, p := range got {
				rendered[id] = ppv2String(p)
			}
			a, _ := json.Marshal(rendered)
			b, _ := json.Marshal(tt.want)
			if string(a) != string(b) {
				t.Fatalf("read %s, want %s", a, b)
			}
		})
	}
}
