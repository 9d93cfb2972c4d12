package nlb

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// foreignGroup is a user's server group seeded in every decision test.
func foreignGroup(s *emulator.SeedState) {
	s.NLBServerGroups = append(s.NLBServerGroups,
		emulator.SeedNLBServerGroup{ServerGroupID: "sgp-foreign", Name: "theirs", VpcID: testVPC,
			Servers: []emulator.SeedNLBServer{{ServerID: "i-node0000", Type: "Ecs", Port: 9000}}},
		emulator.SeedNLBServerGroup{ServerGroupID: "sgp-foreign-udp", Name: "theirs-udp", Protocol: "UDP", VpcID: testVPC},
		emulator.SeedNLBServerGroup{ServerGroupID: "sgp-foreign-ssl", Name: "theirs-ssl", VpcID: testVPC, PreserveClientIP: ptrTo(false)})
}

// TestListenerDecisions pins, per planning decision, which listeners of an
// NLB the Service's reconcile creates, takes over, starts, deletes or
// refuses to touch.
func TestListenerDecisions(t *testing.T) {
	svc := testService("web", nil)
	tags := ownTags(svc)
	tests := []struct {
		name      string
		reused    bool
		force     bool
		lbTags    []emulator.Tag
		listeners []emulator.SeedNLBListener
		// conflict: the reconcile refuses with a ListenerConflictError and
		// a Warning Event, before any write.
		conflict bool
		// want are the listeners after the reconcile: "port/PROTO=group",
		// group "ours" for our server group.
		want   []string
		writes []string
	}{
		{name: "foreign listener on another port is untouched", reused: true,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCP", Port: 8080, ServerGroupID: "sgp-foreign", Description: "user"}},
			want:      []string{"8080/TCP=sgp-foreign", "80/TCP=ours"},
			writes:    []string{"CreateServerGroup", "AddServersToServerGroup", "CreateListener"}},
		{name: "foreign listener on the Service port without force-override is a conflict", reused: true,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCP", Port: 80, ServerGroupID: "sgp-foreign", Description: "user"}},
			conflict:  true, want: []string{"80/TCP=sgp-foreign"}},
		{name: "a TCPSSL listener holds the TCP port space", reused: true,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCPSSL", Port: 80, ServerGroupID: "sgp-foreign-ssl", CertificateIDs: []string{"cert-1"}}},
			conflict:  true, want: []string{"80/TCPSSL=sgp-foreign-ssl"}},
		{name: "a UDP listener on the same port number does not conflict", reused: true,
			listeners: []emulator.SeedNLBListener{{Protocol: "UDP", Port: 80, ServerGroupID: "sgp-foreign-udp"}},
			want:      []string{"80/UDP=sgp-foreign-udp", "80/TCP=ours"},
			writes:    []string{"CreateServerGroup", "AddServersToServerGroup", "CreateListener"}},
		{name: "force-override-listeners takes the port's listener over", reused: true, force: true,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCP", Port: 80, ServerGroupID: "sgp-foreign", Description: "user"},
				{Protocol: "TCP", Port: 8080, ServerGroupID: "sgp-foreign", Description: "other"}},
			want:   []string{"80/TCP=ours", "8080/TCP=sgp-foreign"},
			writes: []string{"CreateServerGroup", "AddServersToServerGroup", "TagResources", "UpdateListenerAttribute"}},
		{name: "force-override-listeners replaces a listener of another protocol on the port", reused: true, force: true,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCPSSL", Port: 80, ServerGroupID: "sgp-foreign-ssl", CertificateIDs: []string{"cert-1"}}},
			want:      []string{"80/TCP=ours"},
			writes:    []string{"CreateServerGroup", "AddServersToServerGroup", "DeleteListener", "CreateListener"}},
		{name: "the official CCM's listener on an NLB that is ours is adopted", lbTags: tags,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCP", Port: 80, ServerGroupID: "sgp-foreign", Description: "k8s.80.TCP.web.default.c-old"}},
			want:      []string{"80/TCP=ours"},
			writes:    []string{"CreateServerGroup", "AddServersToServerGroup", "TagResources", "UpdateListenerAttribute"}},
		{name: "the official CCM's description on a reused NLB proves nothing", reused: true,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCP", Port: 80, ServerGroupID: "sgp-foreign", Description: "k8s.80.TCP.web.default.c-old"}},
			conflict:  true, want: []string{"80/TCP=sgp-foreign"}},
		{name: "our stopped listener is started and moved to our group", lbTags: tags,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCP", Port: 80, ServerGroupID: "sgp-foreign", Stopped: true, Tags: tags}},
			want:      []string{"80/TCP=ours"},
			writes:    []string{"CreateServerGroup", "AddServersToServerGroup", "UpdateListenerAttribute", "StartListener"}},
		{name: "our listener on a port the Service no longer has is deleted", lbTags: tags,
			listeners: []emulator.SeedNLBListener{{Protocol: "TCP", Port: 81, ServerGroupID: "sgp-foreign", Tags: tags}},
			want:      []string{"80/TCP=ours"},
			writes:    []string{"CreateServerGroup", "AddServersToServerGroup", "DeleteListener", "CreateListener"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{seed: foreignGroup})
			lb := e.addNLB("nlb-1", tc.lbTags, tc.listeners...)
			cfg := cfgFor(svc)
			cfg.LB.ForceOverrideListeners = tc.force
			if tc.reused {
				cfg.LB.ReuseID = "nlb-1"
			}
			e.emu.ResetAudit()
			_, err := e.sync(lb, svc, cfg, tc.reused)
			var ce *loadbalancer.ListenerConflictError
			switch {
			case tc.conflict && !errors.As(err, &ce):
				t.Fatalf("err = %v, want a listener conflict", err)
			case tc.conflict:
				if w := e.writes(); len(w) != 0 {
					t.Fatalf("a conflict wrote %v", w)
				}
				if ev := <-e.events.Events; !strings.Contains(ev, loadbalancer.ReasonListenerConflict) || !strings.Contains(ev, "port 80") {
					t.Fatalf("event %q", ev)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if w := e.writes(); !slices.Equal(w, tc.writes) {
					t.Fatalf("writes %v, want %v", w, tc.writes)
				}
			}
			ours := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"].ServerGroupId
			var got []string
			for _, l := range e.listeners(lb.LoadBalancerId) {
				g := l.ServerGroupId
				if g == ours && g != "" {
					g = "ours"
					if !r(e).ownsTags(listenerTags(&l), svc) || l.ListenerStatus != "Running" {
						t.Fatalf("our listener %+v is not tagged ours or not running", l)
					}
				}
				got = append(got, listenerPortName(&annotations.NLBListener{Port: int32(l.ListenerPort)})+"/"+l.ListenerProtocol+"="+g)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("listeners %v, want %v", got, tc.want)
			}
			if ss := e.servers("sgp-foreign"); len(ss) != 1 || ss[0].Port != 9000 {
				t.Fatalf("the foreign group's members changed: %+v", ss)
			}
			if !tc.conflict {
				if w := e.mustSync(lb, svc, cfg, tc.reused); len(w) != 0 {
					t.Fatalf("second reconcile wrote %v", w)
				}
			}
		})
	}
}

// TestListenerAttributesDiffOnly: a changed attribute is one
// UpdateListenerAttribute carrying only the changed fields.
func TestListenerAttributesDiffOnly(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	e.mustSync(lb, svc, cfg, false)
	cfg.Listeners[0].IdleTimeout, cfg.Listeners[0].CPS, cfg.Listeners[0].ProxyProtocol = ptrTo(60), ptrTo(1000), ptrTo(true)
	if w := e.mustSync(lb, svc, cfg, false); !slices.Equal(w, []string{"UpdateListenerAttribute"}) {
		t.Fatalf("writes %v", w)
	}
	var params map[string]string
	for _, a := range e.emu.Audit() {
		if a.Action == "UpdateListenerAttribute" {
			params = a.Params
		}
	}
	if params["IdleTimeout"] != "60" || params["Cps"] != "1000" || params["ProxyProtocolEnabled"] != "true" {
		t.Fatalf("update params %v", params)
	}
	for _, k := range []string{"ListenerDescription", "ServerGroupId", "SecurityPolicyId", "CertificateIds.1"} {
		if _, ok := params[k]; ok {
			t.Fatalf("unchanged %s sent: %v", k, params)
		}
	}
	l := e.listeners(lb.LoadBalancerId)[0]
	if l.IdleTimeout != 60 || l.Cps != 1000 || !l.ProxyProtocolEnabled {
		t.Fatalf("listener %+v", l)
	}
	if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
		t.Fatalf("no-op wrote %v", w)
	}
}

// TestListenerProtocolChangeRecreates: TCP to TCPSSL on one port deletes
// the TCP listener, creates the TCPSSL one with its certificate, CA,
// policy and ALPN on a new server group without client IP preservation,
// and deletes the old group once no listener uses it.
func TestListenerProtocolChangeRecreates(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil, svcPort{443, 30443, v1.ProtocolTCP})
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	e.mustSync(lb, svc, cfg, false)
	old := e.ourGroups(svc)["k8s.443.TCP.web.default.c-test"].ServerGroupId
	l := &cfg.Listeners[0]
	l.Protocol, l.CertIDs, l.CACertID, l.CACertEnabled = annotations.NLBProtocolTCPSSL, []string{"cert-1", "cert-2"}, "ca-1", ptrTo(true)
	l.TLSCipherPolicy, l.ALPNEnabled, l.ALPNPolicy = "tls_cipher_policy_1_2", ptrTo(true), "HTTP2Preferred"
	w := e.mustSync(lb, svc, cfg, false)
	// cert-2 is an additional certificate, associated once the new
	// listener is listed (listener_certs.go).
	want := []string{"CreateServerGroup", "AddServersToServerGroup", "DeleteListener", "CreateListener", "DeleteServerGroup",
		"AssociateAdditionalCertificatesWithListener"}
	if !slices.Equal(w, want) {
		t.Fatalf("writes %v, want %v", w, want)
	}
	groups := e.ourGroups(svc)
	g, ok := groups["k8s.443.TCPSSL.web.default.c-test"]
	if !ok || len(groups) != 1 || g.PreserveClientIpEnabled || g.ServerGroupId == old {
		t.Fatalf("groups %+v", groups)
	}
	ls := e.listeners(lb.LoadBalancerId)
	if len(ls) != 1 || ls[0].ListenerProtocol != "TCPSSL" || ls[0].ServerGroupId != g.ServerGroupId ||
		!slices.Equal(ls[0].CertificateIds, []string{"cert-1"}) || !slices.Equal(ls[0].CaCertificateIds, []string{"ca-1"}) ||
		!ls[0].CaEnabled || ls[0].SecurityPolicyId != "tls_cipher_policy_1_2" || !ls[0].AlpnEnabled || ls[0].AlpnPolicy != "HTTP2Preferred" {
		t.Fatalf("listener %+v", ls)
	}
	if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
		t.Fatalf("no-op wrote %v", w)
	}
}

// TestPortRangeListener: listener-port-range makes a port-range listener
// on an all-port server group whose members have port 0 and whose health
// check uses the range's first port.
func TestPortRangeListener(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	cfg.Listeners[0].PortRange = &annotations.PortRange{Start: 1000, End: 2000}
	e.mustSync(lb, svc, cfg, false)
	g, ok := e.ourGroups(svc)["k8s.1000_2000.TCP.web.default.c-test"]
	if !ok || !g.AnyPortEnabled || g.HealthCheck.HealthCheckConnectPort != 1000 {
		t.Fatalf("group %+v", e.ourGroups(svc))
	}
	if got := e.serverKeys(g.ServerGroupId); len(got) != 3 || got[0] != "Ecs/i-node0000:0(w100)" {
		t.Fatalf("members %v", got)
	}
	ls := e.listeners(lb.LoadBalancerId)
	if len(ls) != 1 || ls[0].ListenerPort != 0 || ls[0].StartPort != "1000" || ls[0].EndPort != "2000" ||
		ls[0].ListenerDescription != "k8s.1000_2000.TCP.web.default.c-test" {
		t.Fatalf("listeners %+v", ls)
	}
	if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
		t.Fatalf("no-op wrote %v", w)
	}
}

// TestListenerRequestBuilders pins every field the builders set, by name:
// a create carries all declared attributes, tags and a token; an update
// only what it is given; TLS attributes exist for TCPSSL only.
func TestListenerRequestBuilders(t *testing.T) {
	e := &env{}
	e.r = New(nil, nil, Options{ClusterID: "c1"})
	svc := testService("web", nil)
	ssl := &annotations.NLBListener{Port: 443, Protocol: annotations.NLBProtocolTCPSSL, CertIDs: []string{"c-a", "c-b"}, CACertID: "ca",
		CACertEnabled: ptrTo(true), TLSCipherPolicy: "p", ALPNEnabled: ptrTo(true), ALPNPolicy: "HTTP2Only",
		ProxyProtocol: ptrTo(true), IdleTimeout: ptrTo(30), CPS: ptrTo(5)}
	a := e.r.desiredListenerAttrs(svc, ssl, "sgp-1")
	now := time.Unix(1700000000, 0)
	req := e.r.createListenerRequest(svc, "nlb-1", ssl, &a, "", now)
	if req.LoadBalancerId != "nlb-1" || req.ListenerProtocol != "TCPSSL" || req.ListenerPort != "443" || req.StartPort != "" ||
		req.ServerGroupId != "sgp-1" || req.ListenerDescription != "k8s.443.TCPSSL.web.default.c1" ||
		req.IdleTimeout != "30" || req.Cps != "5" || req.ProxyProtocolEnabled != "true" || req.SecurityPolicyId != "p" ||
		!slices.Equal(*req.CertificateIds, []string{"c-a"}) || !slices.Equal(*req.CaCertificateIds, []string{"ca"}) ||
		req.CaEnabled != "true" || req.AlpnEnabled != "true" || req.AlpnPolicy != "HTTP2Only" || len(*req.Tag) != 3 ||
		req.ClientToken == "" || req.ClientToken != e.r.createListenerRequest(svc, "nlb-1", ssl, &a, "", now.Add(time.Second)).ClientToken {
		t.Fatalf("create request %+v", req)
	}
	tcp := &annotations.NLBListener{Port: 80, Protocol: annotations.NLBProtocolTCP, CertIDs: []string{"ignored"}, TLSCipherPolicy: "ignored",
		PortRange: &annotations.PortRange{Start: 80, End: 90}}
	a = e.r.desiredListenerAttrs(svc, tcp, "")
	req = e.r.createListenerRequest(svc, "nlb-1", tcp, &a, "", now)
	if req.CertificateIds != nil || req.SecurityPolicyId != "" || req.ServerGroupId != "" || req.IdleTimeout != "" ||
		req.ListenerPort != "0" || req.StartPort != "80" || req.EndPort != "90" || req.ProxyProtocolEnabled != "" {
		t.Fatalf("TCP create request %+v", req)
	}
	up := updateListenerRequest("lsn-1", &listenerAttrs{Cps: ptrTo(7)})
	if up.ListenerId != "lsn-1" || up.Cps != "7" || up.ListenerDescription != "" || up.ServerGroupId != "" || up.IdleTimeout != "" ||
		up.CertificateIds != nil || up.CaEnabled != "" || up.ProxyProtocolEnabled != requests.Boolean("") {
		t.Fatalf("update request %+v", up)
	}
	if s := startListenerRequest("lsn-1"); s.ListenerId != "lsn-1" {
		t.Fatal(s)
	}
	if d := deleteListenerRequest("lsn-1"); d.ListenerId != "lsn-1" {
		t.Fatal(d)
	}
	if tr := e.r.tagListenerRequest(svc, "lsn-1"); tr.ResourceType != "listener" || (*tr.ResourceId)[0] != "lsn-1" || len(*tr.Tag) != 3 {
		t.Fatalf("tag request %+v", tr)
	}
}

// TestListenerAttrDiff pins the listener diff: declared and different is
// sent, undeclared never, equal never.
func TestListenerAttrDiff(t *testing.T) {
	have := listenerAttrs{Description: ptrTo("d"), GroupID: ptrTo("g"), IdleTimeout: ptrTo(900), Cps: ptrTo(0), ProxyProtocol: ptrTo(false),
		SecurityPolicy: ptrTo(""), CertID: ptrTo(""), CACertID: ptrTo(""), CAEnabled: ptrTo(false), ALPNEnabled: ptrTo(false), ALPNPolicy: ptrTo("")}
	tests := []struct {
		name string
		want listenerAttrs
		diff listenerAttrs
	}{
		{"nothing declared", listenerAttrs{}, listenerAttrs{}},
		{"equal", listenerAttrs{Description: ptrTo("d"), IdleTimeout: ptrTo(900)}, listenerAttrs{}},
		{"group moved", listenerAttrs{GroupID: ptrTo("g2")}, listenerAttrs{GroupID: ptrTo("g2")}},
		{"switches", listenerAttrs{ProxyProtocol: ptrTo(true), CAEnabled: ptrTo(false)}, listenerAttrs{ProxyProtocol: ptrTo(true)}},
		{"tls", listenerAttrs{CertID: ptrTo("c"), ALPNPolicy: ptrTo("HTTP1Only")}, listenerAttrs{CertID: ptrTo("c"), ALPNPolicy: ptrTo("HTTP1Only")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := diffListenerAttrs(tc.want, have); !sameListenerAttrs(d, tc.diff) {
				t.Fatalf("diff %+v, want %+v", d, tc.diff)
			}
		})
	}
}

// sameListenerAttrs compares two attribute sets by value.
func sameListenerAttrs(a, b listenerAttrs) bool {
	s := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	n := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	f := func(x, y *bool) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return s(a.Description, b.Description) && s(a.GroupID, b.GroupID) && n(a.IdleTimeout, b.IdleTimeout) && n(a.Cps, b.Cps) &&
		f(a.ProxyProtocol, b.ProxyProtocol) && s(a.SecurityPolicy, b.SecurityPolicy) && s(a.CertID, b.CertID) &&
		s(a.CACertID, b.CACertID) && f(a.CAEnabled, b.CAEnabled) && f(a.ALPNEnabled, b.ALPNEnabled) && s(a.ALPNPolicy, b.ALPNPolicy)
}
