package annotations

import (
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// TestDocumentedProtocolsAreApplied: the reference shows, per listener
// annotation, the listener protocols it applies to (the registry's
// Protocols). On a Service whose only listener has another protocol, a
// good value of it is accepted but ignored with a Warning that names the
// key, rather than applied to a listener it does not fit or refused.
func TestDocumentedProtocolsAreApplied(t *testing.T) {
	// The last good value: for on/off switches that is off, which needs
	// no companion annotation.
	good := map[Name]string{}
	for _, c := range keyCases {
		if len(c.good) > 0 {
			good[c.name] = c.good[len(c.good)-1]
		}
	}
	// One listener of each protocol that needs no other annotation to
	// exist (https needs a certificate, itself an https-only key).
	listeners := map[string]struct {
		ports []v1.ServicePort
		ann   map[string]string
	}{
		"tcp":  {ports: []v1.ServicePort{{Name: "p", Port: 80, Protocol: v1.ProtocolTCP}}},
		"udp":  {ports: []v1.ServicePort{{Name: "p", Port: 80, Protocol: v1.ProtocolUDP}}},
		"http": {ports: []v1.ServicePort{{Name: "p", Port: 80, Protocol: v1.ProtocolTCP}}, ann: ann(string(KeyProtocolPort), "http:80")},
	}
	checked := 0
	for _, e := range All() {
		if e.Protocols == "" {
			continue
		}
		// "tcp (with `health-check-type: http`)" applies to tcp listeners
		// under a condition: it counts as applying to tcp.
		var applies []string
		for item := range strings.SplitSeq(e.Protocols, ",") {
			if f := strings.Fields(item); len(f) > 0 {
				applies = append(applies, f[0])
			}
		}
		val, ok := good[e.Name]
		if !ok {
			t.Errorf("%s: no good value in keyCases", e.Name)
			continue
		}
		for proto, l := range listeners {
			if slices.Contains(applies, proto) {
				continue
			}
			checked++
			t.Run(e.Name.Suffix()+"/"+proto, func(t *testing.T) {
				a := map[string]string{string(e.Name): val}
				for k, v := range l.ann {
					a[k] = v
				}
				cfg, err := Parse(newService(a, l.ports), Defaults{})
				if err != nil {
					t.Fatalf("%s=%q on a %s listener: %v", e.Name, val, proto, err)
				}
				if !slices.ContainsFunc(cfg.Warnings, func(w string) bool {
					return strings.Contains(w, string(e.Name)) && strings.Contains(w, "ignored")
				}) {
					t.Errorf("%s=%q on a %s listener (documented for %s): no Warning that it is ignored in %q", e.Name, val, proto, e.Protocols, cfg.Warnings)
				}
			})
		}
	}
	if checked == 0 {
		t.Error("no protocol-bound annotation checked: the registry lost its Protocols")
	}
}
