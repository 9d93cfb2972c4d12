package emulator

import (
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// TestNLBListenerLifecycle drives a TCP listener through create, the busy
// answers while jobs run, stop/start, update, get, list and delete.
func TestNLBListenerLifecycle(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, c := nlbEnv(t, withJobs(fc, 5*time.Second))
	lb := mustNLB(t, c)
	g := mustGroupNLB(t, c, "Instance", "TCP", false)
	r := tcpListenerReq(lb, g, 80)
	_, err := c.CreateListener(r)
	wantErr(t, err, "IncorrectStatus.loadbalancer", 400) // the NLB is still Provisioning
	fc.Advance(5 * time.Second)

	r = tcpListenerReq(lb, g, 80)
	r.ListenerDescription, r.ProxyProtocolEnabled, r.Cps = "k8s.80.TCP.web.default.c1", requests.NewBoolean(true), requests.NewInteger(100)
	r.Tag = &[]nlb.CreateListenerTag{{Key: "owner", Value: "ccm"}}
	resp, err := c.CreateListener(r)
	if err != nil {
		t.Fatal(err)
	}
	id := resp.ListenerId
	if !strings.HasPrefix(id, "lsn-") || !strings.HasSuffix(id, "@80") {
		t.Fatalf("listener id %q", id)
	}
	get := func() *nlb.GetListenerAttributeResponse {
		gr := nlb.CreateGetListenerAttributeRequest()
		gr.ListenerId = id
		a, err := c.GetListenerAttribute(gr)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := get(); a.ListenerStatus != "Provisioning" || a.IdleTimeout != 900 || !a.ProxyProtocolEnabled || a.Cps != 100 ||
		a.ServerGroupId != g || len(a.Tags) != 1 || a.ListenerDescription != "k8s.80.TCP.web.default.c1" {
		t.Fatalf("attributes: %+v", a)
	}
	stop := nlb.CreateStopListenerRequest()
	stop.ListenerId = id
	_, err = c.StopListener(stop)
	wantErr(t, err, "IncorrectStatus.listener", 400)
	_, err = c.CreateListener(tcpListenerReq(lb, g, 81))
	wantErr(t, err, "IncorrectStatus.loadbalancer", 400) // a listener job holds its NLB too
	fc.Advance(5 * time.Second)
	if s := get().ListenerStatus; s != "Running" {
		t.Fatalf("status %s", s)
	}
	sr, err := c.StopListener(stop)
	if err != nil {
		t.Fatal(err)
	}
	if s := get().ListenerStatus; s != "Stopping" || jobStatus(t, c, sr.JobId) != "Processing" {
		t.Fatalf("status %s", s)
	}
	fc.Advance(5 * time.Second)
	if s := get().ListenerStatus; s != "Stopped" {
		t.Fatalf("status %s", s)
	}
	start := nlb.CreateStartListenerRequest()
	start.ListenerId = id
	if _, err := c.StartListener(start); err != nil {
		t.Fatal(err)
	}
	if s := get().ListenerStatus; s != "Starting" {
		t.Fatalf("status %s", s)
	}
	fc.Advance(5 * time.Second)

	u := nlb.CreateUpdateListenerAttributeRequest()
	u.ListenerId, u.IdleTimeout, u.ProxyProtocolEnabled = id, requests.NewInteger(60), requests.NewBoolean(false)
	if _, err := c.UpdateListenerAttribute(u); err != nil {
		t.Fatal(err)
	}
	if a := get(); a.ListenerStatus != "Configuring" || a.IdleTimeout != 60 || a.ProxyProtocolEnabled || a.Cps != 100 {
		t.Fatalf("after update: %+v", a)
	}
	fc.Advance(5 * time.Second)
	u = nlb.CreateUpdateListenerAttributeRequest()
	u.ListenerId, u.IdleTimeout = id, requests.NewInteger(901)
	_, err = c.UpdateListenerAttribute(u)
	wantErr(t, err, "IllegalParam.IdleTimeout", 400)

	l := nlb.CreateListListenersRequest()
	l.LoadBalancerIds = &[]string{lb}
	l.Tag = &[]nlb.ListListenersTag{{Key: "owner", Value: "ccm"}}
	if lr, err := c.ListListeners(l); err != nil || lr.TotalCount != 1 || lr.Listeners[0].ListenerId != id || lr.Listeners[0].ListenerStatus != "Running" {
		t.Fatalf("ListListeners: %+v %v", lr, err)
	}
	d := nlb.CreateDeleteListenerRequest()
	d.ListenerId = id
	if _, err := c.DeleteListener(d); err != nil {
		t.Fatal(err)
	}
	fc.Advance(5 * time.Second)
	gr := nlb.CreateGetListenerAttributeRequest()
	gr.ListenerId = id
	_, err = c.GetListenerAttribute(gr)
	wantErr(t, err, "ResourceNotFound.listener", 404)
}

// TestNLBListenerRules covers protocols, port conflicts, port ranges,
// certificates, server group compatibility and the listener quota.
func TestNLBListenerRules(t *testing.T) {
	_, c := nlbEnv(t, func(cfg *Config) { cfg.Limits.NLBListenersPerLB = 4 })
	lb := mustNLB(t, c)
	tcp := mustGroupNLB(t, c, "Instance", "TCP", false)
	udp := mustGroupNLB(t, c, "Instance", "UDP", false)
	both := mustGroupNLB(t, c, "Instance", "TCP_UDP", false)
	anyPort := mustGroupNLB(t, c, "Ip", "TCP", true)
	sslGroup := mustSSLGroup(t, c)
	if _, err := c.CreateListener(tcpListenerReq(lb, tcp, 443)); err != nil {
		t.Fatal(err)
	}
	udpReq := func(port int, group string) *nlb.CreateListenerRequest {
		r := tcpListenerReq(lb, group, port)
		r.ListenerProtocol = "UDP"
		return r
	}
	if _, err := c.CreateListener(udpReq(443, both)); err != nil {
		t.Fatalf("UDP on a TCP listener's port: %v", err)
	}
	ssl := func(port int, group string, certs ...string) *nlb.CreateListenerRequest {
		r := tcpListenerReq(lb, group, port)
		r.ListenerProtocol, r.SecurityPolicyId = "TCPSSL", "tls_cipher_policy_1_2"
		if len(certs) > 0 {
			r.CertificateIds = &certs
		}
		return r
	}
	rangeReq := func(from, to int, group string) *nlb.CreateListenerRequest {
		r := tcpListenerReq(lb, group, 0)
		r.StartPort, r.EndPort = requests.NewInteger(from), requests.NewInteger(to)
		return r
	}
	cases := []struct {
		name   string
		req    *nlb.CreateListenerRequest
		code   string
		status int
	}{
		{"tcp port taken", tcpListenerReq(lb, tcp, 443), "Conflict.Port", 400},
		{"tcpssl shares the tcp ports", ssl(443, tcp, "cert-1"), "Conflict.Port", 400},
		{"udp listener on a tcp group", udpReq(53, tcp), "Mismatch.Protocol", 400},
		{"tcp listener on a udp group", tcpListenerReq(lb, udp, 80), "Mismatch.Protocol", 400},
		{"tcpssl without a certificate", ssl(8443, tcp), "MissingParam.Certificate", 400},
		{"tcpssl with two certificates", ssl(8443, tcp, "cert-1", "cert-2"), "IllegalParamSize.certificateIds", 400},
		{"tcpssl on a client-ip group", ssl(8443, tcp, "cert-1"), "IllegalParam.PreserveClientIpSwitch", 400},
		{"no server group", tcpListenerReq(lb, "", 80), "MissingParam.ServerGroupId", 400},
		{"unknown server group", tcpListenerReq(lb, "sgp-nope", 80), "ResourceNotFound.serverGroup", 404},
		{"range on a one-port group", rangeReq(1000, 2000, tcp), "IllegalParam.AnyPortListenerConflictWithNonAnyPortServerGroup", 400},
		{"one port on an all-port group", tcpListenerReq(lb, anyPort, 80), "IllegalParam.NonAnyPortListenerConflictWithAnyPortServerGroup", 400},
		{"inverted range", rangeReq(2000, 1000, anyPort), "IllegalParam.Port", 400},
		{"range over a listener", rangeReq(400, 500, anyPort), "Conflict.Port", 400},
		{"unknown nlb", tcpListenerReq("nlb-nope", tcp, 80), "ResourceNotFound.loadBalancer", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateListener(tc.req)
			wantErr(t, err, tc.code, tc.status)
		})
	}
	rr, err := c.CreateListener(rangeReq(1000, 2000, anyPort))
	if err != nil || !strings.HasSuffix(rr.ListenerId, "@1000-2000") {
		t.Fatalf("port range listener: %+v %v", rr, err)
	}
	_, err = c.CreateListener(rangeReq(3000, 4000, anyPort))
	wantErr(t, err, "DuplicatedParam.listener", 400)
	sr, err := c.CreateListener(ssl(8443, sslGroup, "cert-1"))
	if err != nil {
		t.Fatal(err)
	}
	gr := nlb.CreateGetListenerAttributeRequest()
	gr.ListenerId = sr.ListenerId
	a, err := c.GetListenerAttribute(gr)
	if err != nil || a.SecurityPolicyId != "tls_cipher_policy_1_2" || len(a.CertificateIds) != 1 || a.ListenerPort != 8443 {
		t.Fatalf("TCPSSL listener: %+v %v", a, err)
	}
	lr, err := c.ListListeners(nlb.CreateListListenersRequest())
	if err != nil || lr.TotalCount != 4 || lr.Listeners[2].StartPort != "1000" || lr.Listeners[2].EndPort != "2000" {
		t.Fatalf("ListListeners: %+v %v", lr, err)
	}
	_, err = c.CreateListener(tcpListenerReq(lb, tcp, 9000))
	wantErr(t, err, "QuotaExceeded.QuotaInsufficient", 400)
	// A server group that serves a listener cannot be deleted.
	dg := nlb.CreateDeleteServerGroupRequest()
	dg.ServerGroupId = tcp
	_, err = c.DeleteServerGroup(dg)
	wantErr(t, err, "ResourceInUse.ServerGroup", 400)
	// Deleting the NLB takes its listeners along; the server groups stay.
	d := nlb.CreateDeleteLoadBalancerRequest()
	d.LoadBalancerId = lb
	if _, err := c.DeleteLoadBalancer(d); err != nil {
		t.Fatal(err)
	}
	if lr, err := c.ListListeners(nlb.CreateListListenersRequest()); err != nil || lr.TotalCount != 0 {
		t.Fatalf("listeners after the NLB: %+v %v", lr, err)
	}
	if _, err := c.DeleteServerGroup(dg); err != nil {
		t.Fatal(err)
	}
}

// TestNLBListenerCertificates covers additional certificates on a TCPSSL
// listener, ListListenerCertificates and DescribeZones.
func TestNLBListenerCertificates(t *testing.T) {
	_, c := nlbEnv(t, func(cfg *Config) { cfg.Limits.NLBAdditionalCertsPerLB = 2 })
	lb := mustNLB(t, c)
	g := mustSSLGroup(t, c)
	r := tcpListenerReq(lb, g, 443)
	r.ListenerProtocol, r.CertificateIds, r.CaCertificateIds, r.CaEnabled = "TCPSSL", &[]string{"cert-default"}, &[]string{"ca-1"}, requests.NewBoolean(true)
	lr, err := c.CreateListener(r)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.CreateListener(tcpListenerReq(lb, g, 80))
	if err != nil {
		t.Fatal(err)
	}
	assoc := func(listener string, ids ...string) error {
		a := nlb.CreateAssociateAdditionalCertificatesWithListenerRequest()
		a.ListenerId, a.AdditionalCertificateIds = listener, &ids
		resp, err := c.AssociateAdditionalCertificatesWithListener(a)
		if err == nil && resp.JobId == "" {
			t.Fatal("no JobId")
		}
		return err
	}
	if err := assoc(lr.ListenerId, "cert-a", "cert-b"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, assoc(lr.ListenerId, "cert-a"), "ResourceAlreadyAssociated.Certificate", 400)
	wantErr(t, assoc(lr.ListenerId, "cert-c"), "QuotaExceeded.QuotaInsufficient", 400)
	wantErr(t, assoc(plain.ListenerId, "cert-c"), "IllegalParam.ListenerProtocol", 400)
	list := func(certType string) *nlb.ListListenerCertificatesResponse {
		l := nlb.CreateListListenerCertificatesRequest()
		l.ListenerId, l.CertType = lr.ListenerId, certType
		resp, err := c.ListListenerCertificates(l)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if got := list(""); got.TotalCount != 4 || !got.Certificates[0].IsDefault || got.Certificates[1].IsDefault || got.Certificates[3].CertificateType != "Ca" {
		t.Fatalf("certificates: %+v", got)
	}
	if got := list("Server"); strings.Join(got.CertificateIds, ",") != "cert-default,cert-a,cert-b" {
		t.Fatalf("server certificates: %+v", got)
	}
	d := nlb.CreateDisassociateAdditionalCertificatesWithListenerRequest()
	d.ListenerId, d.AdditionalCertificateIds = lr.ListenerId, &[]string{"cert-a"}
	if _, err := c.DisassociateAdditionalCertificatesWithListener(d); err != nil {
		t.Fatal(err)
	}
	_, err = c.DisassociateAdditionalCertificatesWithListener(d)
	wantErr(t, err, "ResourceNotFound.Certificate", 400)
	if got := list("Server"); strings.Join(got.CertificateIds, ",") != "cert-default,cert-b" {
		t.Fatalf("after disassociate: %+v", got)
	}
	z, err := c.DescribeZones(nlb.CreateDescribeZonesRequest())
	if err != nil || len(z.Zones) != 2 || z.Zones[0].ZoneId != "cn-hangzhou-h" {
		t.Fatalf("DescribeZones: %+v %v", z, err)
	}
}
