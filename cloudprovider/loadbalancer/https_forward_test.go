package loadbalancer

import (
	"slices"
	"sort"
	"strconv"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestHTTPSForwardingTransitions drives an http+https Service through
// forwarding on and off and a certificate change via the emulator, which
// refuses an https listener's delete while an http listener forwards to
// it: forwarding cannot change in place, so the http listener is deleted
// and created again, and the plan's order is accepted. Each step ends
// with the listed listeners, and a second reconcile writes nothing.
func TestHTTPSForwardingTransitions(t *testing.T) {
	e := newEnv(t, envOpts{})
	if err := e.emu.Seed(emulator.SeedState{Certificates: []emulator.Certificate{
		{ServerCertificateID: "c-1"}, {ServerCertificateID: "c-2"}}}); err != nil {
		t.Fatal(err)
	}
	ports := []port{{"http", 80, 30080, v1.ProtocolTCP}, {"https", 443, 30443, v1.ProtocolTCP}}
	l7 := func(kv ...string) map[string]string {
		return anno(append([]string{"protocol-port", "http:80,https:443"}, kv...)...)
	}
	steps := []struct {
		name string
		ann  map[string]string
		want []string // proto:port[>forward] cert
	}{
		{"plain http and https", l7("cert-id", "c-1"), []string{"http:80", "https:443 c-1"}},
		{"http redirects to https", l7("cert-id", "c-1", "forward-port", "80:443"), []string{"http:80>443", "https:443 c-1"}},
		{"certificate changed under a redirect", l7("cert-id", "c-2", "forward-port", "80:443"), []string{"http:80>443", "https:443 c-2"}},
		{"redirect removed", l7("cert-id", "c-2"), []string{"http:80", "https:443 c-2"}},
		{"redirect again", l7("cert-id", "c-2", "forward-port", "80:443"), []string{"http:80>443", "https:443 c-2"}},
	}
	var lbID string
	for _, s := range steps {
		svc := service("web", s.ann, ports...)
		e.ensure(svc)
		if lbID == "" {
			lbID = e.lbs()[0].LoadBalancerId
		}
		var got []string
		for _, l := range e.listeners(lbID) {
			v := l.ListenerProtocol + ":" + strconv.Itoa(l.ListenerPort)
			if l.HTTPListenerConfig.ListenerForward == "on" {
				v += ">" + strconv.Itoa(l.HTTPListenerConfig.ForwardPort)
			}
			if l.ListenerProtocol == "https" {
				v += " " + l.HTTPSListenerConfig.ServerCertificateId
			}
			if l.Status != "running" {
				v += " " + l.Status
			}
			got = append(got, v)
		}
		sort.Strings(got)
		if !slices.Equal(got, s.want) {
			t.Errorf("%s: listeners %v, want %v", s.name, got, s.want)
		}
		e.emu.ResetAudit()
		e.ensure(svc)
		if w := e.writes(); len(w) > 0 {
			t.Errorf("%s: a second reconcile wrote %v", s.name, w)
		}
	}
	// Only the http port left: the https listener the redirect pointed at
	// goes after the redirecting listener is replaced.
	e.ensure(service("web", anno("protocol-port", "http:80"), ports[0]))
	var left []string
	for _, l := range e.listeners(lbID) {
		left = append(left, l.ListenerProtocol+":"+strconv.Itoa(l.ListenerPort)+":"+l.HTTPListenerConfig.ListenerForward)
	}
	if !slices.Equal(left, []string{"http:80:off"}) {
		t.Errorf("listeners %v, want the plain http listener alone", left)
	}
}
