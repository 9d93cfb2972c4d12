package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// uploadCert uploads a fresh self-signed certificate and returns its ID.
func uploadCert(t testing.TB, c *slb.Client, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now(), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	r := slb.CreateUploadServerCertificateRequest()
	r.ServerCertificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	r.PrivateKey = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	r.ServerCertificateName = cn
	resp, err := c.UploadServerCertificate(r)
	if err != nil {
		t.Fatalf("UploadServerCertificate: %v", err)
	}
	if resp.CommonName != cn || resp.Fingerprint == "" || resp.ExpireTimeStamp == 0 {
		t.Fatalf("upload answer: %+v", resp)
	}
	return resp.ServerCertificateId
}

func tcpListener(id string, port int) *slb.CreateLoadBalancerTCPListenerRequest {
	r := slb.CreateCreateLoadBalancerTCPListenerRequest()
	r.LoadBalancerId, r.ListenerPort, r.BackendServerPort, r.Bandwidth = id, requests.NewInteger(port), requests.NewInteger(port), requests.NewInteger(-1)
	return r
}

func TestSLBTCPListenerRoundTrip(t *testing.T) {
	_, c := slbEnv(t)
	id := mustLB(t, c, "l")
	acl := mustACL(t, c, "white1")
	r := tcpListener(id, 443)
	r.Scheduler, r.PersistenceTimeout, r.EstablishedTimeout = "rr", requests.NewInteger(60), requests.NewInteger(300)
	r.HealthCheckSwitch, r.HealthCheckType, r.HealthCheckConnectPort = "on", "http", requests.NewInteger(8080)
	r.HealthCheckConnectTimeout, r.HealthCheckInterval = requests.NewInteger(7), requests.NewInteger(9)
	r.HealthyThreshold, r.UnhealthyThreshold = requests.NewInteger(4), requests.NewInteger(5)
	r.HealthCheckURI, r.HealthCheckDomain, r.HealthCheckHttpCode = "/healthz", "example.com", "http_2xx,http_3xx"
	r.AclStatus, r.AclId, r.AclType = "on", acl, "white"
	r.ConnectionDrain, r.ConnectionDrainTimeout = "on", requests.NewInteger(30)
	r.ProxyProtocolV2Enabled, r.Description = requests.NewBoolean(true), "k8s/ns/svc/443"
	r.Tag = &[]slb.CreateLoadBalancerTCPListenerTag{{Key: "owner", Value: "ccm"}}
	if _, err := c.CreateLoadBalancerTCPListener(r); err != nil {
		t.Fatal(err)
	}
	d := slb.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	d.LoadBalancerId, d.ListenerPort = id, requests.NewInteger(443)
	a, err := c.DescribeLoadBalancerTCPListenerAttribute(d)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != "stopped" || a.Scheduler != "rr" || a.PersistenceTimeout != 60 || a.EstablishedTimeout != 300 ||
		a.HealthCheck != "on" || a.HealthCheckType != "http" || a.HealthCheckConnectPort != 8080 || a.HealthCheckConnectTimeout != 7 ||
		a.HealthCheckInterval != 9 || a.HealthyThreshold != 4 || a.UnhealthyThreshold != 5 || a.HealthCheckURI != "/healthz" ||
		a.HealthCheckDomain != "example.com" || a.HealthCheckHttpCode != "http_2xx,http_3xx" || a.AclStatus != "on" ||
		a.AclId != acl || a.AclType != "white" || len(a.AclIds.AclId) != 1 || a.ConnectionDrain != "on" ||
		a.ConnectionDrainTimeout != 30 || !a.ProxyProtocolV2Enabled || a.Description != "k8s/ns/svc/443" ||
		a.BackendServerPort != 443 || a.Bandwidth != -1 || len(a.Tags.Tag) != 1 {
		t.Fatalf("attribute: %+v", a)
	}
	// The Set action spells HealthCheckInterval with a capital H.
	s := slb.CreateSetLoadBalancerTCPListenerAttributeRequest()
	s.LoadBalancerId, s.ListenerPort, s.HealthCheckInterval, s.ProxyProtocolV2Enabled = id, requests.NewInteger(443), requests.NewInteger(11), requests.NewBoolean(false)
	if _, err := c.SetLoadBalancerTCPListenerAttribute(s); err != nil {
		t.Fatal(err)
	}
	a, _ = c.DescribeLoadBalancerTCPListenerAttribute(d)
	if a.HealthCheckInterval != 11 || a.ProxyProtocolV2Enabled || a.Scheduler != "rr" {
		t.Fatalf("after set: interval %d proxy %v scheduler %s", a.HealthCheckInterval, a.ProxyProtocolV2Enabled, a.Scheduler)
	}
	// The name trap: Create*TCPListener ignores "HealthCheckInterval".
	r2 := tcpListener(id, 444)
	r2.QueryParams["HealthCheckInterval"] = "33"
	if _, err := c.CreateLoadBalancerTCPListener(r2); err != nil {
		t.Fatal(err)
	}
	d.ListenerPort = requests.NewInteger(444)
	if a, _ := c.DescribeLoadBalancerTCPListenerAttribute(d); a.HealthCheckInterval != 2 {
		t.Fatalf("capitalised HealthCheckInterval was honoured on create: %d", a.HealthCheckInterval)
	}
}

func TestSLBUDPHTTPHTTPSListeners(t *testing.T) {
	_, c := slbEnv(t)
	id := mustLB(t, c, "l")
	u := slb.CreateCreateLoadBalancerUDPListenerRequest()
	u.LoadBalancerId, u.ListenerPort, u.BackendServerPort, u.Bandwidth = id, requests.NewInteger(53), requests.NewInteger(53), requests.NewInteger(-1)
	u.HealthCheckReq, u.HealthCheckExp, u.HealthCheckInterval = "ping", "pong", requests.NewInteger(4)
	if _, err := c.CreateLoadBalancerUDPListener(u); err != nil {
		t.Fatal(err)
	}
	ud := slb.CreateDescribeLoadBalancerUDPListenerAttributeRequest()
	ud.LoadBalancerId, ud.ListenerPort = id, requests.NewInteger(53)
	ua, err := c.DescribeLoadBalancerUDPListenerAttribute(ud)
	if err != nil || ua.HealthCheckReq != "ping" || ua.HealthCheckExp != "pong" || ua.HealthCheckInterval != 4 || ua.HealthCheckSwitch != "on" {
		t.Fatalf("udp: %+v %v", ua, err)
	}
	u.ListenerPort = requests.NewInteger(4789)
	_, err = c.CreateLoadBalancerUDPListener(u)
	wantErr(t, err, "OperationDenied.SpecialListenerPortNotAllowed", 400)

	cert := uploadCert(t, c, "example.com")
	hs := slb.CreateCreateLoadBalancerHTTPSListenerRequest()
	hs.LoadBalancerId, hs.ListenerPort, hs.BackendServerPort, hs.Bandwidth = id, requests.NewInteger(443), requests.NewInteger(80), requests.NewInteger(-1)
	hs.HealthCheck, hs.ServerCertificateId = "off", "nope"
	_, err = c.CreateLoadBalancerHTTPSListener(hs)
	wantErr(t, err, "CertificateNotExist", 400)
	hs.ServerCertificateId, hs.TLSCipherPolicy, hs.EnableHttp2 = cert, "tls_cipher_policy_1_2", "off"
	hs.StickySession, hs.StickySessionType = "on", "insert"
	_, err = c.CreateLoadBalancerHTTPSListener(hs)
	wantErr(t, err, "MissingCookieTimeout", 400)
	hs.CookieTimeout = requests.NewInteger(500)
	if _, err := c.CreateLoadBalancerHTTPSListener(hs); err != nil {
		t.Fatal(err)
	}
	h := slb.CreateCreateLoadBalancerHTTPListenerRequest()
	h.LoadBalancerId, h.ListenerPort, h.HealthCheck = id, requests.NewInteger(80), "on"
	h.ListenerForward, h.ForwardPort = "on", requests.NewInteger(443)
	h.XForwardedForSLBIP, h.XForwardedForProto, h.IdleTimeout, h.RequestTimeout = "on", "on", requests.NewInteger(30), requests.NewInteger(90)
	h.StickySession, h.StickySessionType, h.Cookie = "on", "server", "SESSION"
	if _, err := c.CreateLoadBalancerHTTPListener(h); err != nil {
		t.Fatal(err)
	}
	hd := slb.CreateDescribeLoadBalancerHTTPListenerAttributeRequest()
	hd.LoadBalancerId, hd.ListenerPort = id, requests.NewInteger(80)
	ha, err := c.DescribeLoadBalancerHTTPListenerAttribute(hd)
	if err != nil || ha.ListenerForward != "on" || ha.ForwardPort != 443 || ha.XForwardedFor != "on" || ha.XForwardedForSLBIP != "on" ||
		ha.XForwardedForProto != "on" || ha.IdleTimeout != 30 || ha.RequestTimeout != 90 || ha.Cookie != "SESSION" || ha.StickySessionType != "server" {
		t.Fatalf("http: %+v %v", ha, err)
	}
	hsd := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
	hsd.LoadBalancerId, hsd.ListenerPort = id, requests.NewInteger(443)
	hsa, err := c.DescribeLoadBalancerHTTPSListenerAttribute(hsd)
	if err != nil || hsa.ServerCertificateId != cert || hsa.TLSCipherPolicy != "tls_cipher_policy_1_2" || hsa.EnableHttp2 != "off" ||
		hsa.CookieTimeout != 500 || hsa.HealthCheck != "off" {
		t.Fatalf("https: %+v %v", hsa, err)
	}
	// The HTTPS listener is a redirect target: it cannot go first.
	del := slb.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort = id, requests.NewInteger(443)
	_, err = c.DeleteLoadBalancerListener(del)
	wantErr(t, err, "ListenerForwardExist", 400)
	// Listing shows protocol configs and the attribute shows ListenerPortsAndProtocol.
	a := describeLB(t, c, id)
	if len(a.ListenerPortsAndProtocal.ListenerPortAndProtocal) != 3 || len(a.ListenerPortsAndProtocol.ListenerPortAndProtocol) != 3 ||
		a.ListenerPortsAndProtocol.ListenerPortAndProtocol[1].ListenerForward != "on" {
		t.Fatalf("ports: %+v", a.ListenerPortsAndProtocol)
	}
	dl := slb.CreateDescribeLoadBalancerListenersRequest()
	dl.LoadBalancerId = &[]string{id}
	ls, err := c.DescribeLoadBalancerListeners(dl)
	if err != nil || len(ls.Listeners) != 3 || ls.Listeners[0].UDPListenerConfig.HealthCheckReq != "ping" ||
		ls.Listeners[1].HTTPListenerConfig.ForwardPort != 443 || ls.Listeners[2].HTTPSListenerConfig.ServerCertificateId != cert {
		t.Fatalf("listeners: %+v %v", ls, err)
	}
}

func TestSLBListenerErrors(t *testing.T) {
	_, c := slbEnv(t, func(cfg *Config) { cfg.Limits = DefaultLimits(); cfg.Limits.ListenersPerLB = 3 })
	id := mustLB(t, c, "l")
	other := mustLB(t, c, "o")
	g := mustGroup(t, c, other, nil)
	tests := []struct {
		name   string
		req    func() *slb.CreateLoadBalancerTCPListenerRequest
		code   string
		status int
	}{
		{"unknown lb", func() *slb.CreateLoadBalancerTCPListenerRequest { return tcpListener("lb-nope", 80) }, "InvalidLoadBalancerId.NotFound", 404},
		{"bad port", func() *slb.CreateLoadBalancerTCPListenerRequest { return tcpListener(id, 70000) }, "InvalidParam.ListenerPort", 400},
		{"missing bandwidth", func() *slb.CreateLoadBalancerTCPListenerRequest {
			r := tcpListener(id, 80)
			r.Bandwidth = ""
			return r
		}, "MissingBandwidth", 400},
		{"no backend", func() *slb.CreateLoadBalancerTCPListenerRequest {
			r := tcpListener(id, 80)
			r.BackendServerPort = ""
			return r
		}, "MissingParameter", 400},
		{"group of other lb", func() *slb.CreateLoadBalancerTCPListenerRequest {
			r := tcpListener(id, 80)
			r.VServerGroupId = g
			return r
		}, "InvalidParam.VServerGroupId", 400},
		{"unknown group", func() *slb.CreateLoadBalancerTCPListenerRequest {
			r := tcpListener(id, 80)
			r.VServerGroupId = "rsp-nope"
			return r
		}, "ResourceNotFound.VServerGroup", 400},
		{"unknown acl", func() *slb.CreateLoadBalancerTCPListenerRequest {
			r := tcpListener(id, 80)
			r.AclStatus, r.AclId, r.AclType = "on", "acl-nope", "black"
			return r
		}, "AclNotExist", 400},
		{"bad scheduler", func() *slb.CreateLoadBalancerTCPListenerRequest {
			r := tcpListener(id, 80)
			r.Scheduler = "random"
			return r
		}, "InvalidScheduler", 400},
		{"bad interval", func() *slb.CreateLoadBalancerTCPListenerRequest {
			r := tcpListener(id, 80)
			r.HealthCheckInterval = requests.NewInteger(51)
			return r
		}, "InvalidHealthCheckInterval", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateLoadBalancerTCPListener(tt.req())
			wantErr(t, err, tt.code, tt.status)
		})
	}
	// TCP and UDP share a port; HTTP conflicts with TCP.
	if _, err := c.CreateLoadBalancerTCPListener(tcpListener(id, 80)); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateLoadBalancerTCPListener(tcpListener(id, 80))
	wantErr(t, err, "ListenerAlreadyExists", 400)
	h := slb.CreateCreateLoadBalancerHTTPListenerRequest()
	h.LoadBalancerId, h.ListenerPort, h.HealthCheck, h.BackendServerPort = id, requests.NewInteger(80), "off", requests.NewInteger(80)
	_, err = c.CreateLoadBalancerHTTPListener(h)
	wantErr(t, err, "ListenerAlreadyExists", 400)
	u := slb.CreateCreateLoadBalancerUDPListenerRequest()
	u.LoadBalancerId, u.ListenerPort, u.BackendServerPort, u.Bandwidth = id, requests.NewInteger(80), requests.NewInteger(80), requests.NewInteger(-1)
	if _, err := c.CreateLoadBalancerUDPListener(u); err != nil {
		t.Fatal(err)
	}
	// Start/Stop/Delete need the protocol on a shared port.
	st := slb.CreateStartLoadBalancerListenerRequest()
	st.LoadBalancerId, st.ListenerPort = id, requests.NewInteger(80)
	_, err = c.StartLoadBalancerListener(st)
	wantErr(t, err, "TooManyListeners", 400)
	st.ListenerProtocol = "tcp"
	if _, err := c.StartLoadBalancerListener(st); err != nil {
		t.Fatal(err)
	}
	_, err = c.StartLoadBalancerListener(st)
	wantErr(t, err, "Operation.NotAllowed", 400)
	d := slb.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	d.LoadBalancerId, d.ListenerPort = id, requests.NewInteger(80)
	if a, _ := c.DescribeLoadBalancerTCPListenerAttribute(d); a.Status != "running" {
		t.Fatalf("status %s", a.Status)
	}
	sp := slb.CreateStopLoadBalancerListenerRequest()
	sp.LoadBalancerId, sp.ListenerPort, sp.ListenerProtocol = id, requests.NewInteger(80), "tcp"
	if _, err := c.StopLoadBalancerListener(sp); err != nil {
		t.Fatal(err)
	}
	if a, _ := c.DescribeLoadBalancerTCPListenerAttribute(d); a.Status != "stopped" {
		t.Fatalf("status %s", a.Status)
	}
	// Quota: 3 listeners.
	if _, err := c.CreateLoadBalancerTCPListener(tcpListener(id, 81)); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateLoadBalancerTCPListener(tcpListener(id, 82))
	wantErr(t, err, "ListenerNumberOverLimit", 400)
	// Not found codes.
	d.ListenerPort = requests.NewInteger(99)
	_, err = c.DescribeLoadBalancerTCPListenerAttribute(d)
	wantErr(t, err, "ListenerNotFound", 404)
	del := slb.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort = id, requests.NewInteger(99)
	_, err = c.DeleteLoadBalancerListener(del)
	wantErr(t, err, "ResourceNotFound.Listener", 404)
	del.ListenerPort, del.ListenerProtocol = requests.NewInteger(80), "udp"
	if _, err := c.DeleteLoadBalancerListener(del); err != nil {
		t.Fatal(err)
	}
	hd := slb.CreateDescribeLoadBalancerHTTPListenerAttributeRequest()
	hd.LoadBalancerId, hd.ListenerPort = id, requests.NewInteger(80)
	_, err = c.DescribeLoadBalancerHTTPListenerAttribute(hd)
	wantErr(t, err, "ListenerNotFound", 404)
}

func TestSLBDescribeListenersPaging(t *testing.T) {
	_, c := slbEnv(t)
	a, b := mustLB(t, c, "a"), mustLB(t, c, "b")
	for i := 0; i < 25; i++ {
		if _, err := c.CreateLoadBalancerTCPListener(tcpListener(a, 1000+i)); err != nil {
			t.Fatal(err)
		}
	}
	u := slb.CreateCreateLoadBalancerUDPListenerRequest()
	u.LoadBalancerId, u.ListenerPort, u.BackendServerPort, u.Bandwidth = b, requests.NewInteger(53), requests.NewInteger(53), requests.NewInteger(-1)
	if _, err := c.CreateLoadBalancerUDPListener(u); err != nil {
		t.Fatal(err)
	}
	var ports []int
	token := ""
	for pages := 0; ; pages++ {
		r := slb.CreateDescribeLoadBalancerListenersRequest()
		r.LoadBalancerId, r.MaxResults, r.NextToken = &[]string{a, b}, requests.NewInteger(10), token
		resp, err := c.DescribeLoadBalancerListeners(r)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalCount != 26 || resp.MaxResults != 10 {
			t.Fatalf("total %d max %d", resp.TotalCount, resp.MaxResults)
		}
		for _, l := range resp.Listeners {
			ports = append(ports, l.ListenerPort)
		}
		if token = resp.NextToken; token == "" {
			break
		}
	}
	if len(ports) != 26 || ports[0] != 1000 || ports[25] != 53 {
		t.Fatalf("ports %v", ports)
	}
	tests := []struct {
		name string
		mod  func(r *slb.DescribeLoadBalancerListenersRequest)
		n    int
		code string
	}{
		{"protocol filter", func(r *slb.DescribeLoadBalancerListenersRequest) { r.ListenerProtocol = "udp" }, 1, ""},
		{"default page size 20", func(*slb.DescribeLoadBalancerListenersRequest) {}, 20, ""},
		{"bad protocol", func(r *slb.DescribeLoadBalancerListenersRequest) { r.ListenerProtocol = "quic" }, 0, "IllegalParam.ListenerProtocol"},
		{"bad max", func(r *slb.DescribeLoadBalancerListenersRequest) { r.MaxResults = requests.NewInteger(101) }, 0, "IllegalParam.MaxResults"},
		{"bad token", func(r *slb.DescribeLoadBalancerListenersRequest) { r.NextToken = "zz" }, 0, "IllegalParam.NextToken"},
		{"too many ids", func(r *slb.DescribeLoadBalancerListenersRequest) {
			var ids []string
			for i := 0; i < 11; i++ {
				ids = append(ids, fmt.Sprint("lb-", i))
			}
			r.LoadBalancerId = &ids
		}, 0, "IllegalParamSize.LoadBalancerId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := slb.CreateDescribeLoadBalancerListenersRequest()
			tt.mod(r)
			resp, err := c.DescribeLoadBalancerListeners(r)
			if tt.code != "" {
				wantErr(t, err, tt.code, 400)
				return
			}
			if err != nil || len(resp.Listeners) != tt.n {
				t.Fatalf("got %d listeners, %v", len(resp.Listeners), err)
			}
		})
	}
}
