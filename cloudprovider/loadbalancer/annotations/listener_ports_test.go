package annotations

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// sp is a ServicePort with a NodePort.
func sp(name string, port int32, proto v1.Protocol) v1.ServicePort {
	return v1.ServicePort{Name: name, Port: port, Protocol: proto, NodePort: 30000 + port}
}

// listenerSummary renders the parsed listeners as "proto:port[>forward][@group]", sorted.
func listenerSummary(cfg *Config) []string {
	var out []string
	for _, l := range cfg.Listeners {
		s := fmt.Sprintf("%s:%d", l.Protocol, l.Port)
		if l.ForwardPort != 0 {
			s += fmt.Sprintf(">%d", l.ForwardPort)
		}
		if l.VGroupID != "" {
			s += "@" + l.VGroupID
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// portsCase is one Service: its annotations and ports, the listeners it
// parses to, and the substrings of its error and of one Warning.
type portsCase struct {
	name      string
	ann       map[string]string
	ports     []v1.ServicePort
	listeners []string
	err       string
	warn      string
}

func runPortsCases(t *testing.T, cases []portsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(newService(tc.ann, tc.ports), Defaults{})
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want one saying %q", err, tc.err)
			case tc.err != "":
				var pe *Error
				if !errors.As(err, &pe) || pe.Key == "" {
					t.Errorf("error %v does not name its key", err)
				}
				return
			}
			if got := listenerSummary(cfg); !slices.Equal(got, tc.listeners) {
				t.Errorf("listeners %v, want %v", got, tc.listeners)
			}
			found := tc.warn == ""
			for _, w := range cfg.Warnings {
				if tc.warn != "" && strings.Contains(w, tc.warn) {
					found = true
				}
			}
			if !found {
				t.Errorf("warnings %q, want one saying %q", cfg.Warnings, tc.warn)
			}
			if tc.warn == "" && len(cfg.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", cfg.Warnings)
			}
		})
	}
}

// TestProtocolPortRules pins how protocol-port maps ServicePorts to
// listener protocols, as the official CCM reads it.
func TestProtocolPortRules(t *testing.T) {
	web := []v1.ServicePort{sp("http", 80, v1.ProtocolTCP), sp("https", 443, v1.ProtocolTCP)}
	dual := []v1.ServicePort{sp("dns-tcp", 53, v1.ProtocolTCP), sp("dns-udp", 53, v1.ProtocolUDP)}
	runPortsCases(t, []portsCase{
		{name: "unset: the ServicePort protocols", ports: web, listeners: []string{"tcp:443", "tcp:80"}},
		{name: "each port its protocol", ann: ann(string(KeyProtocolPort), "http:80,https:443", string(KeyCertID), "cert-1"), ports: web,
			listeners: []string{"http:80", "https:443"}},
		{name: "spaces around entries", ann: ann(string(KeyProtocolPort), " http : 80 , tcp:443 "), ports: web,
			listeners: []string{"http:80", "tcp:443"}},
		{name: "a port left out keeps its ServicePort protocol", ann: ann(string(KeyProtocolPort), "http:80"), ports: web,
			listeners: []string{"http:80", "tcp:443"}},
		{name: "the first entry for a port wins", ann: ann(string(KeyProtocolPort), "http:80,tcp:80"), ports: web[:1],
			listeners: []string{"http:80"}, warn: "the first entry wins"},
		{name: "a port the Service lacks is ignored", ann: ann(string(KeyProtocolPort), "http:8080"), ports: web[:1],
			listeners: []string{"tcp:80"}, warn: "8080 is not a port of the Service"},
		{name: "not a port number is ignored", ann: ann(string(KeyProtocolPort), "http:eighty"), ports: web[:1],
			listeners: []string{"tcp:80"}, warn: "is not a port number"},
		{name: "udp on one port and tcp on the other of a dual port", ann: ann(string(KeyProtocolPort), "udp:53,tcp:53"), ports: dual,
			listeners: []string{"tcp:53", "udp:53"}},
		{name: "http on a UDP-only ServicePort carries no traffic", ann: ann(string(KeyProtocolPort), "http:53"),
			ports: []v1.ServicePort{sp("dns", 53, v1.ProtocolUDP)}, listeners: []string{"http:53"}, warn: "will carry no traffic"},
		{name: "an entry without a colon is an error", ann: ann(string(KeyProtocolPort), "http80"), ports: web, err: "must be protocol:port"},
		{name: "upper case protocol is an error", ann: ann(string(KeyProtocolPort), "HTTP:80"), ports: web, err: "lower case"},
		{name: "an NLB protocol on a CLB is an error", ann: ann(string(KeyProtocolPort), "tcpssl:80"), ports: web, err: "protocol must be"},
		{name: "an empty entry is an error", ann: ann(string(KeyProtocolPort), "http:80,,tcp:443"), ports: web, err: "empty item"},
	})
}

// TestForwardPortRules pins forward-port: an http listener redirecting to
// an https listener of the Service.
func TestForwardPortRules(t *testing.T) {
	web := []v1.ServicePort{sp("http", 80, v1.ProtocolTCP), sp("https", 443, v1.ProtocolTCP), sp("alt", 81, v1.ProtocolTCP)}
	l7 := func(kv ...string) map[string]string {
		return ann(append([]string{string(KeyProtocolPort), "http:80,https:443,http:81", string(KeyCertID), "cert-1"}, kv...)...)
	}
	runPortsCases(t, []portsCase{
		{name: "redirect", ann: l7(string(KeyForwardPort), "80:443"), ports: web, listeners: []string{"http:80>443", "http:81", "https:443"}},
		{name: "two redirects to one https listener", ann: l7(string(KeyForwardPort), "80:443,81:443"), ports: web,
			listeners: []string{"http:80>443", "http:81>443", "https:443"}},
		{name: "the first entry for a port wins", ann: l7(string(KeyForwardPort), "80:443,80:443"), ports: web,
			listeners: []string{"http:80>443", "http:81", "https:443"}, warn: "listed before"},
		{name: "from a port that is not http is ignored", ann: l7(string(KeyForwardPort), "443:443"), ports: web,
			listeners: []string{"http:80", "http:81", "https:443"}, warn: "is not an http listener"},
		{name: "to a port that is not https is an error", ann: l7(string(KeyForwardPort), "80:81"), ports: web, err: "must be an https listener"},
		{name: "not two ports is an error", ann: l7(string(KeyForwardPort), "80"), ports: web, err: "httpPort:httpsPort"},
		{name: "a port out of range is an error", ann: l7(string(KeyForwardPort), "80:70000"), ports: web, err: "httpPort:httpsPort"},
	})
}

// TestVGroupPortRules pins vgroup-port: user vServer groups of a reused
// CLB per Service port.
func TestVGroupPortRules(t *testing.T) {
	two := []v1.ServicePort{sp("http", 80, v1.ProtocolTCP), sp("https", 443, v1.ProtocolTCP)}
	reused := func(v string) map[string]string { return ann(string(KeyID), "lb-1", string(KeyVGroupPort), v) }
	runPortsCases(t, []portsCase{
		{name: "one group", ann: reused("rsp-a:80"), ports: two, listeners: []string{"tcp:443", "tcp:80@rsp-a"}},
		{name: "a group per port", ann: reused("rsp-a:80,rsp-b:443"), ports: two, listeners: []string{"tcp:443@rsp-b", "tcp:80@rsp-a"}},
		{name: "without id it is ignored", ann: ann(string(KeyVGroupPort), "rsp-a:80"), ports: two,
			listeners: []string{"tcp:443", "tcp:80"}, warn: "applies only with"},
		{name: "a port the Service lacks is ignored", ann: reused("rsp-a:8080"), ports: two,
			listeners: []string{"tcp:443", "tcp:80"}, warn: "8080 is not a port of the Service"},
		{name: "the first entry for a port wins", ann: reused("rsp-a:80,rsp-b:80"), ports: two,
			listeners: []string{"tcp:443", "tcp:80@rsp-a"}, warn: "listed before"},
		{name: "no port is an error", ann: reused("rsp-a"), ports: two, err: "must be vgroupId:port"},
		{name: "a bad ID is an error", ann: reused("rsp a:80"), ports: two, err: "must be vgroupId:port"},
		{name: "a bad port is an error", ann: reused("rsp-a:0"), ports: two, err: "must be vgroupId:port"},
	})
}

// TestBackendLabelRules pins backend-label: label selectors on nodes.
func TestBackendLabelRules(t *testing.T) {
	tests := []struct {
		val  string
		want map[string]string
		err  string
	}{
		{"pool=web", map[string]string{"pool": "web"}, ""},
		{"pool=web, zone = a", map[string]string{"pool": "web", "zone": "a"}, ""},
		{"example.com/role=lb", map[string]string{"example.com/role": "lb"}, ""},
		{"pool=web,pool=web", map[string]string{"pool": "web"}, ""},
		{"empty-value=", map[string]string{"empty-value": ""}, ""},
		{"pool", nil, "must be key=value"},
		{"pool=web,pool=api", nil, "given twice"},
		{"bad key!=x", nil, "label"},
		{"pool=" + strings.Repeat("v", 64), nil, "label"},
	}
	for _, tc := range tests {
		t.Run(tc.val, func(t *testing.T) {
			cfg, err := Parse(newService(ann(string(KeyBackendLabel), tc.val), nil), Defaults{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), string(KeyBackendLabel)) {
					t.Fatalf("err = %v, want one naming the key and saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(cfg.Backend.NodeLabels) != fmt.Sprint(tc.want) {
				t.Errorf("labels %v, want %v", cfg.Backend.NodeLabels, tc.want)
			}
		})
	}
}

// TestOrListAndPortRef pin the message helpers.
func TestOrListAndPortRef(t *testing.T) {
	for _, tc := range []struct {
		in   []Protocol
		want string
	}{
		{nil, ""},
		{[]Protocol{ProtocolTCP}, "tcp"},
		{[]Protocol{ProtocolTCP, ProtocolUDP}, "tcp or udp"},
		{[]Protocol{ProtocolTCP, ProtocolUDP, ProtocolHTTP}, "tcp, udp or http"},
	} {
		if got := orList(tc.in); got != tc.want {
			t.Errorf("orList(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := portRef(v1.ServicePort{Name: "web", Port: 80}); got != "web" {
		t.Errorf("portRef named = %q", got)
	}
	if got := portRef(v1.ServicePort{Port: 80}); got != "80" {
		t.Errorf("portRef unnamed = %q", got)
	}
	if got := serviceProtocol(v1.ServicePort{}); got != v1.ProtocolTCP {
		t.Errorf("serviceProtocol default = %q", got)
	}
}
