package nlb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// sslCfg is cfgFor(svc) with its one listener TCPSSL on certs.
func sslCfg(svc *v1.Service, certs ...string) *annotations.NLBConfig {
	cfg := cfgFor(svc)
	cfg.Listeners[0].Protocol, cfg.Listeners[0].CertIDs = annotations.NLBProtocolTCPSSL, certs
	return cfg
}

// listenerCerts renders the server certificates of the NLB's one listener
// as "default+extra,extra" (the extras in the API's order).
func (e *env) listenerCerts(lbID string) string {
	e.t.Helper()
	ls := e.listeners(lbID)
	if len(ls) != 1 {
		e.t.Fatalf("%d listeners", len(ls))
	}
	certs, err := e.api.ListAllListenerCertificates(context.Background(), ls[0].ListenerId, "Server")
	if err != nil {
		e.t.Fatal(err)
	}
	def, extra := "", []string{}
	for _, c := range certs {
		if c.IsDefault {
			def = c.CertificateId
		} else {
			extra = append(extra, c.CertificateId)
		}
	}
	return def + "+" + strings.Join(extra, ",")
}

// certWrites keeps the listener and certificate writes of ws.
func certWrites(ws []string) []string {
	var out []string
	for _, w := range ws {
		if strings.Contains(w, "Certificates") || strings.Contains(w, "Listener") {
			out = append(out, w)
		}
	}
	return out
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return out
}

// TestListenerAdditionalCerts pins, step by step on one Service, how the
// additional certificates of its TCPSSL listener converge while NLB jobs
// run: created with the listener, then diff-only (the ones no longer
// declared disassociated, the new ones associated), a default certificate
// swapped with an additional one in the order the API accepts, at most 15
// a call, and no write on a resync.
func TestListenerAdditionalCerts(t *testing.T) {
	e := newEnv(t, envOpts{jobs: 3 * time.Second})
	svc := testService("web", nil, svcPort{443, 30443, v1.ProtocolTCP})
	lb := e.addNLB("nlb-1", ownTags(svc))
	const (
		assoc    = "AssociateAdditionalCertificatesWithListener"
		disassoc = "DisassociateAdditionalCertificatesWithListener"
		update   = "UpdateListenerAttribute"
	)
	many := numbered("x", 16)
	steps := []struct {
		name   string
		certs  []string
		writes []string
		want   string
	}{
		{"created with its additional certificates", []string{"c0", "a", "b"}, []string{"CreateListener", assoc}, "c0+a,b"},
		{"resync writes nothing", []string{"c0", "a", "b"}, nil, "c0+a,b"},
		{"one dropped, one added", []string{"c0", "a", "d"}, []string{disassoc, assoc}, "c0+a,d"},
		{"an additional one becomes the default, the default an additional one", []string{"a", "c0", "d"},
			[]string{disassoc, update, assoc}, "a+d,c0"},
		{"repeats and the default in the list are ignored", []string{"a", "d", "a", "c0", "d"}, nil, "a+d,c0"},
		{"additional-cert-ids removed", []string{"a"}, []string{disassoc}, "a+"},
		{"16 go in two calls of 15 and 1", append([]string{"a"}, many...), []string{assoc, assoc}, "a+" + strings.Join(many, ",")},
		{"16 removed in two calls", []string{"a"}, []string{disassoc, disassoc}, "a+"},
	}
	for _, s := range steps {
		cfg := sslCfg(svc, s.certs...)
		if w := certWrites(e.mustSync(lb, svc, cfg, false)); !slices.Equal(w, s.writes) {
			t.Fatalf("%s: writes %v, want %v", s.name, w, s.writes)
		}
		if got := e.listenerCerts(lb.LoadBalancerId); got != s.want {
			t.Fatalf("%s: certificates %s, want %s", s.name, got, s.want)
		}
		if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
			t.Fatalf("%s: the resync wrote %v", s.name, w)
		}
	}
}

// TestListenerCertsScope: additional certificates are read and changed on
// the Service's own TCPSSL listeners only, and only when cert-id is
// declared; a listener taken over gets them once it carries our tags.
func TestListenerCertsScope(t *testing.T) {
	svc := testService("web", nil, svcPort{443, 30443, v1.ProtocolTCP})
	tests := []struct {
		name  string
		force bool
		seed  []emulator.SeedNLBListener
		certs []string
		proto annotations.NLBProtocol
		// reads is the ListListenerCertificates calls of one sync run
		// after the Service converged; writes the certificate writes of
		// the whole convergence.
		reads  int
		writes []string
	}{
		{name: "TCP listener: nothing read", proto: annotations.NLBProtocolTCP, certs: []string{"c0", "a"}},
		{name: "our TCPSSL listener: one read a sync", proto: annotations.NLBProtocolTCPSSL, certs: []string{"c0", "a"}, reads: 1,
			writes: []string{"AssociateAdditionalCertificatesWithListener"}},
		{name: "a listener taken over: tagged first, certificates next", proto: annotations.NLBProtocolTCPSSL, certs: []string{"c0", "a"}, force: true,
			seed:   []emulator.SeedNLBListener{{Protocol: "TCPSSL", Port: 443, ServerGroupID: "sgp-foreign-ssl", CertificateIDs: []string{"theirs"}}},
			reads:  1,
			writes: []string{"TagResources", "UpdateListenerAttribute", "AssociateAdditionalCertificatesWithListener"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{seed: foreignGroup})
			lb := e.addNLB("nlb-1", nil, tc.seed...)
			cfg := cfgFor(svc)
			cfg.LB.ReuseID, cfg.LB.ForceOverrideListeners = "nlb-1", tc.force
			cfg.Listeners[0].Protocol, cfg.Listeners[0].CertIDs = tc.proto, tc.certs
			w := e.mustSync(lb, svc, cfg, true)
			var got []string
			for _, a := range w {
				if a == "TagResources" || strings.Contains(a, "Certificates") || (tc.force && a == "UpdateListenerAttribute") {
					got = append(got, a)
				}
			}
			if !slices.Equal(got, tc.writes) {
				t.Fatalf("writes %v, want %v", got, tc.writes)
			}
			e.emu.ResetAudit()
			if _, err := e.sync(lb, svc, cfg, true); err != nil {
				t.Fatal(err)
			}
			if n := e.count("ListListenerCertificates"); n != tc.reads {
				t.Fatalf("%d certificate reads on a resync, want %d", n, tc.reads)
			}
		})
	}
}

// TestListenerCertErrors: a certificate call the API refuses stops the
// reconcile with an error naming additional-cert-ids (the Warning Event
// the caller records), and nothing else is written after it.
func TestListenerCertErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.emu.SetLimits(emulator.Limits{NLBAdditionalCertsPerLB: 1})
	svc := testService("web", nil, svcPort{443, 30443, v1.ProtocolTCP})
	lb := e.addNLB("nlb-1", ownTags(svc))
	e.mustSync(lb, svc, sslCfg(svc, "c0"), false)
	e.emu.ResetAudit()
	var err error
	for i := 0; i < 5; i++ {
		if _, err = e.sync(lb, svc, sslCfg(svc, "c0", "a", "b"), false); err != nil {
			break
		}
	}
	var re *cloudproviderapi.RetryError
	if err == nil || errors.As(err, &re) || !strings.Contains(err.Error(), string(annotations.KeyAdditionalCertIDs)) ||
		cloudapi.Code(err) != "QuotaExceeded.QuotaInsufficient" {
		t.Fatalf("err = %v, want the quota error naming %s", err, annotations.KeyAdditionalCertIDs)
	}
	if w := e.writes(); !slices.Equal(w, []string{"AssociateAdditionalCertificatesWithListener"}) {
		t.Fatalf("writes %v, want the one refused call", w)
	}
}

// TestWantedExtraCerts and TestFirstBatch pin the two small rules.
func TestWantedExtraCerts(t *testing.T) {
	tests := []struct {
		certs []string
		want  []string
	}{
		{[]string{"c0"}, nil},
		{[]string{"c0", "a", "b"}, []string{"a", "b"}},
		{[]string{"c0", "a", "c0", "a"}, []string{"a"}},
	}
	for _, tc := range tests {
		if got := wantedExtraCerts(&annotations.NLBListener{CertIDs: tc.certs}); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.certs, got, tc.want)
		}
	}
	if got := firstBatch(numbered("x", 20)); len(got) != cloudapi.MaxNLBCertsPerCall || got[14] != "x14" {
		t.Errorf("first batch %v", got)
	}
	if got := firstBatch([]string{"a"}); !slices.Equal(got, []string{"a"}) {
		t.Errorf("first batch %v", got)
	}
}

// TestPPv2Book: the book returns what the last listing of an NLB showed,
// nothing for a listener not listed, and drops an NLB listed empty.
func TestPPv2Book(t *testing.T) {
	var b ppv2Book
	on := true
	b.put("nlb-1", map[string]cloudapi.NLBProxyProtocolV2{"lsn-1": {VpcID: &on}})
	if got := b.get("nlb-1", "lsn-1"); got.VpcID == nil || !*got.VpcID {
		t.Fatalf("lsn-1: %+v", got)
	}
	if got := b.get("nlb-1", "lsn-2"); !got.Empty() {
		t.Fatalf("lsn-2: %+v", got)
	}
	b.put("nlb-1", nil)
	if got := b.get("nlb-1", "lsn-1"); !got.Empty() || len(b.byLB) != 0 {
		t.Fatalf("after an empty listing: %+v %v", got, b.byLB)
	}
}

// ppv2OfListener reads the ProxyProtocolV2Config of the NLB's listener on
// port as cloudapi reads it.
func (e *env) ppv2OfListener(lbID string, port int) string {
	e.t.Helper()
	req := sdknlb.CreateListListenersRequest()
	req.LoadBalancerIds = &[]string{lbID}
	ls, ppv2, err := e.api.ListAllListenersWithPPv2(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range ls {
		if l.ListenerPort == port {
			p := ppv2[l.ListenerId]
			s := func(b *bool) bool { return b != nil && *b }
			return fmt.Sprintf("vpc=%v ep=%v eps=%v", s(p.VpcID), s(p.EpID), s(p.EpsID))
		}
	}
	e.t.Fatalf("no listener on %d", port)
	return ""
}

// TestListenerProxyProtocolV2 pins the proxy protocol v2 extras: sent at
// create, diffed like the other attributes (one update for a change, none
// on a resync), left alone when undeclared, and declared only with
// proxy-protocol on (the parser warns they are ignored otherwise).
func TestListenerProxyProtocolV2(t *testing.T) {
	e := newEnv(t, envOpts{jobs: 3 * time.Second})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	steps := []struct {
		name           string
		proxy          *bool
		vpc, ep, eps   *bool
		writes, ppv2   string
		updateSendsKey bool
	}{
		{"created with the extras", ptrTo(true), ptrTo(true), nil, ptrTo(true), "CreateListener", "vpc=true ep=false eps=true", false},
		{"one changed", ptrTo(true), ptrTo(true), ptrTo(true), ptrTo(false), "UpdateListenerAttribute", "vpc=true ep=true eps=false", true},
		{"undeclared ones stay", ptrTo(true), nil, nil, nil, "", "vpc=true ep=true eps=false", false},
		{"proxy protocol off: the extras are not declared", ptrTo(false), ptrTo(false), ptrTo(false), ptrTo(false),
			"UpdateListenerAttribute", "vpc=true ep=true eps=false", false},
	}
	for _, s := range steps {
		cfg := cfgFor(svc)
		l := &cfg.Listeners[0]
		l.ProxyProtocol, l.PPv2VpcID, l.PPv2EpID, l.PPv2EpsID = s.proxy, s.vpc, s.ep, s.eps
		e.emu.ResetAudit()
		w := certWrites(e.mustSync(lb, svc, cfg, false))
		if strings.Join(w, ",") != s.writes {
			t.Fatalf("%s: writes %v, want %s", s.name, w, s.writes)
		}
		sent := false
		for _, a := range e.emu.Audit() {
			if a.Action == "UpdateListenerAttribute" && strings.Contains(fmt.Sprint(a.Params), "ProxyProtocolV2Config") {
				sent = true
			}
		}
		if sent != s.updateSendsKey {
			t.Fatalf("%s: the update sent ProxyProtocolV2Config: %v", s.name, sent)
		}
		if got := e.ppv2OfListener(lb.LoadBalancerId, 80); got != s.ppv2 {
			t.Fatalf("%s: %s, want %s", s.name, got, s.ppv2)
		}
		if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
			t.Fatalf("%s: the resync wrote %v", s.name, w)
		}
	}
}

// TestListenerPPv2Attrs pins the planning of the extras alone.
func TestListenerPPv2Attrs(t *testing.T) {
	r := New(nil, nil, Options{ClusterID: "c1"})
	svc := testService("web", nil)
	on, off := ptrTo(true), ptrTo(false)
	tests := []struct {
		name       string
		l          annotations.NLBListener
		listed     cloudapi.NLBProxyProtocolV2
		wantDiff   bool
		wantVpcSet bool
	}{
		{"declared, listed differently", annotations.NLBListener{ProxyProtocol: on, PPv2VpcID: on}, cloudapi.NLBProxyProtocolV2{}, true, true},
		{"declared, listed the same", annotations.NLBListener{ProxyProtocol: on, PPv2VpcID: on}, cloudapi.NLBProxyProtocolV2{VpcID: on}, false, true},
		{"declared off, not shown (false)", annotations.NLBListener{ProxyProtocol: on, PPv2VpcID: off}, cloudapi.NLBProxyProtocolV2{}, false, true},
		{"proxy protocol unset", annotations.NLBListener{PPv2VpcID: on}, cloudapi.NLBProxyProtocolV2{}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.l.Port, tc.l.Protocol = 80, annotations.NLBProtocolTCP
			want := r.desiredListenerAttrs(svc, &tc.l, "")
			if (want.PPv2VpcID != nil) != tc.wantVpcSet {
				t.Fatalf("declared %v", want.PPv2VpcID)
			}
			have := sdknlb.ListenerInfo{ProxyProtocolEnabled: true}
			d := diffListenerAttrs(want, listedListenerAttrs(&have, tc.listed))
			if (d.PPv2VpcID != nil) != tc.wantDiff {
				t.Fatalf("diff %+v", d)
			}
			up := updateListenerRequest("lsn-1", &d)
			if _, sent := up.FormParams["ProxyProtocolV2Config"]; sent != tc.wantDiff {
				t.Fatalf("update sent %v", up.FormParams)
			}
		})
	}
}

// TestListenerCertsThroughEnsure: a new TCPSSL Service's additional
// certificates are associated through the whole reconcile, which takes a
// sync that sent all its writes as converged once its jobs end: the sync
// that creates the listener must say more is to come (the certificates
// need the listener). Also for a listener taken over. Failed before: the
// Service settled without its additional certificates.
func TestListenerCertsThroughEnsure(t *testing.T) {
	tests := []struct {
		name   string
		reuse  bool
		seed   []emulator.SeedNLBListener
		expect string
	}{
		{name: "new NLB", expect: "c0+a,b"},
		{name: "a listener taken over", reuse: true, expect: "c0+a,b",
			seed: []emulator.SeedNLBListener{{Protocol: "TCPSSL", Port: 443, ServerGroupID: "sgp-foreign-ssl", CertificateIDs: []string{"theirs"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{seed: foreignGroup})
			ann := anno("protocol-port", "tcpssl:443", "cert-id", "c0", "additional-cert-ids", "a,b")
			if tc.reuse {
				e.addNLB("nlb-user", nil, tc.seed...)
				ann = anno("protocol-port", "tcpssl:443", "cert-id", "c0", "additional-cert-ids", "a,b", "id", "nlb-user",
					"force-override-listeners", "true")
			}
			svc := testService("web", ann, svcPort{443, 30443, v1.ProtocolTCP})
			cfg := e.config(svc, nil)
			// The reconcile that returns the status has finished: a
			// controller does not come back before the next resync.
			e.converge(svc, cfg)
			lbID := e.only().LoadBalancerId
			if got := e.listenerCerts(lbID); got != tc.expect {
				t.Fatalf("certificates %s, want %s", got, tc.expect)
			}
			e.emu.ResetAudit()
			if _, err := e.step(svc, cfg); err != nil {
				t.Fatal(err)
			}
			if w := e.writes(); len(w) != 0 {
				t.Fatalf("resync wrote %v", w)
			}
		})
	}
}
