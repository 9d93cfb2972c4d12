package annotations

import (
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestParseNLBListeners: one listener per ServicePort in spec order, the
// protocol from protocol-port else the ServicePort, the TLS settings only
// on tcpssl listeners, the shared ones on all.
func TestParseNLBListeners(t *testing.T) {
	ports := []v1.ServicePort{
		{Name: "tls", Port: 443, Protocol: v1.ProtocolTCP, NodePort: 30443, TargetPort: intstr.FromString("https")},
		{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053, TargetPort: intstr.FromInt32(53)},
		{Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080)}, // protocol unset: TCP
	}
	svc := nlbService(ann(
		string(KeyProtocolPort), "tcpssl:443",
		string(KeyCertID), "cert-1",
		string(KeyAdditionalCertIDs), "cert-2,cert-3",
		string(KeyCACertID), "ca-1",
		string(KeyCACert), "on",
		string(KeyTLSCipherPolicy), "tls_cipher_policy_1_2",
		string(KeyALPN), "on",
		string(KeyALPNPolicy), "HTTP2Preferred",
		string(KeyCPS), "1000",
		string(KeyIdleTimeout), "60",
		string(KeyProxyProtocol), "on",
		string(KeyPPv2PrivateLinkEpID), "on",
		string(KeyPPv2PrivateLinkEpsID), "off",
		string(KeyPPv2VpcID), "on",
	), ports)
	cfg := mustParseNLB(t, svc, Defaults{})
	shared := NLBListener{CPS: new(1000), IdleTimeout: new(60), ProxyProtocol: new(true), PPv2EpID: new(true), PPv2EpsID: new(false), PPv2VpcID: new(true)}
	tls := shared
	tls.PortName, tls.Port, tls.NodePort, tls.TargetPort, tls.ServiceProtocol, tls.Protocol = "tls", 443, 30443, intstr.FromString("https"), v1.ProtocolTCP, NLBProtocolTCPSSL
	tls.CertIDs, tls.CACertID, tls.CACertEnabled = []string{"cert-1", "cert-2", "cert-3"}, "ca-1", new(true)
	tls.TLSCipherPolicy, tls.ALPNEnabled, tls.ALPNPolicy = "tls_cipher_policy_1_2", new(true), "HTTP2Preferred"
	dns := shared
	dns.PortName, dns.Port, dns.NodePort, dns.TargetPort, dns.ServiceProtocol, dns.Protocol = "dns", 53, 30053, intstr.FromInt32(53), v1.ProtocolUDP, NLBProtocolUDP
	web := shared
	web.Port, web.NodePort, web.TargetPort, web.ServiceProtocol, web.Protocol = 80, 30080, intstr.FromInt32(8080), v1.ProtocolTCP, NLBProtocolTCP
	want := []NLBListener{tls, dns, web}
	if !reflect.DeepEqual(cfg.Listeners, want) {
		t.Errorf("Listeners =\n%+v\nwant\n%+v", cfg.Listeners, want)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("Warnings %q", cfg.Warnings)
	}
}

// TestNLBListenerDecisions pins each listener decision.
func TestNLBListenerDecisions(t *testing.T) {
	tests := []struct {
		name    string
		ann     map[string]string
		ports   []v1.ServicePort
		errKey  Name
		warn    string
		inspect func(t *testing.T, ls []NLBListener)
	}{
		{name: "tcpssl needs cert-id", ann: ann(string(KeyProtocolPort), "tcpssl:443"), ports: nlbTLS, errKey: KeyProtocolPort},
		{name: "cacert on needs cacert-id", ann: ann(string(KeyProtocolPort), "tcpssl:443", string(KeyCertID), "c", string(KeyCACert), "on"), ports: nlbTLS, errKey: KeyCACert},
		{name: "alpn on needs alpn-policy", ann: ann(string(KeyProtocolPort), "tcpssl:443", string(KeyCertID), "c", string(KeyALPN), "on"), ports: nlbTLS, errKey: KeyALPN},
		{name: "alpn-policy without alpn is kept (alpn off)", ann: ann(string(KeyProtocolPort), "tcpssl:443", string(KeyCertID), "c", string(KeyALPNPolicy), "HTTP1Only"), ports: nlbTLS,
			inspect: func(t *testing.T, ls []NLBListener) {
				if ls[0].ALPNPolicy != "HTTP1Only" || ls[0].ALPNEnabled != nil {
					t.Errorf("%+v", ls[0])
				}
			}},
		{name: "cert-id without a tcpssl listener is ignored", ann: ann(string(KeyCertID), "cert-1"), warn: "applies to tcpssl listeners",
			inspect: func(t *testing.T, ls []NLBListener) {
				if ls[0].CertIDs != nil {
					t.Errorf("CertIDs on a tcp listener: %v", ls[0].CertIDs)
				}
			}},
		{name: "cert-id takes one certificate", ann: ann(string(KeyProtocolPort), "tcpssl:443", string(KeyCertID), "c1,c2"), ports: nlbTLS, errKey: KeyCertID},
		{name: "udp listeners take idle-timeout up to 90", ann: ann(string(KeyIdleTimeout), "91"), ports: nlbTCPUDP, errKey: KeyIdleTimeout},
		{name: "idle-timeout 90 fits udp", ann: ann(string(KeyIdleTimeout), "90"), ports: nlbTCPUDP,
			inspect: func(t *testing.T, ls []NLBListener) {
				if *ls[1].IdleTimeout != 90 {
					t.Errorf("%+v", ls[1])
				}
			}},
		{name: "ppv2 without proxy-protocol is a Warning", ann: ann(string(KeyPPv2VpcID), "on"), warn: "applies only with " + string(KeyProxyProtocol)},
		{name: "ppv2 with proxy-protocol off is a Warning", ann: ann(string(KeyProxyProtocol), "off", string(KeyPPv2PrivateLinkEpID), "on"), warn: "applies only with " + string(KeyProxyProtocol)},
		{name: "SCTP ServicePort is an error naming the field",
			ports: []v1.ServicePort{{Name: "s", Port: 9, Protocol: v1.ProtocolSCTP}}, errKey: Name(string(FieldPorts) + "[s].protocol")},
		{name: "http is a CLB protocol", ann: ann(string(KeyProtocolPort), "http:80"), errKey: KeyProtocolPort},
		{name: "tcpssl on a UDP ServicePort carries no traffic", ann: ann(string(KeyProtocolPort), "tcpssl:53", string(KeyCertID), "c"), ports: nlbTCPUDP,
			warn: "carry no traffic"},
		{name: "custom TLS policy", ann: ann(string(KeyProtocolPort), "tcpssl:443", string(KeyCertID), "c", string(KeyTLSCipherPolicy), "spy-1"), ports: nlbTLS,
			inspect: func(t *testing.T, ls []NLBListener) {
				if ls[0].TLSCipherPolicy != "spy-1" {
					t.Errorf("%+v", ls[0])
				}
			}},
		{name: "alpn-policy in another case is canonical, with a Warning",
			ann: ann(string(KeyProtocolPort), "tcpssl:443", string(KeyCertID), "c", string(KeyALPNPolicy), "http2optional"), ports: nlbTLS, warn: `read as "HTTP2Optional"`,
			inspect: func(t *testing.T, ls []NLBListener) {
				if ls[0].ALPNPolicy != "HTTP2Optional" {
					t.Errorf("%+v", ls[0])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseNLB(nlbService(tt.ann, tt.ports), Defaults{})
			checkOutcome(t, cfg.Warnings, err, tt.errKey, tt.warn)
			if tt.inspect != nil {
				tt.inspect(t, cfg.Listeners)
			}
		})
	}
}

// TestListenerPortRange: ranges need Ip server groups, go to the listener
// of their port, and must not overlap within a protocol family.
func TestListenerPortRange(t *testing.T) {
	three := []v1.ServicePort{
		{Name: "a", Port: 80, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromInt32(80)},
		{Name: "b", Port: 8050, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromInt32(8050)},
		{Name: "c", Port: 80, Protocol: v1.ProtocolUDP, TargetPort: intstr.FromInt32(80)},
	}
	tests := []struct {
		name   string
		ann    map[string]string
		d      Defaults
		errKey Name
		warn   string
		want   []*PortRange // per listener of three
	}{
		{name: "needs server-group-type ip", ann: ann(string(KeyListenerPortRange), "8000-8100:80"), errKey: KeyListenerPortRange},
		{name: "needs eni backends: a NodePort serves one port",
			ann: ann(string(KeyListenerPortRange), "8000-8100:80", string(KeyServerGroupType), "ip"), errKey: KeyListenerPortRange},
		{name: "eni backends from cloud-config count",
			ann: ann(string(KeyListenerPortRange), "9000-9100:80", string(KeyServerGroupType), "ip"), d: Defaults{BackendType: BackendENI},
			want: []*PortRange{{9000, 9100}, nil, {9000, 9100}}},
		{name: "instance groups refuse it too", ann: ann(string(KeyListenerPortRange), "8000-8100:80", string(KeyServerGroupType), "instance"), errKey: KeyListenerPortRange},
		{name: "both listeners of port 80 get the range",
			ann:  ann(string(KeyServerGroupType), "ip", string(KeyBackendType), "eni", string(KeyListenerPortRange), "9000-9100:80"),
			want: []*PortRange{{9000, 9100}, nil, {9000, 9100}}},
		{name: "a range over another tcp listener's port is an error",
			ann:    ann(string(KeyServerGroupType), "ip", string(KeyBackendType), "eni", string(KeyListenerPortRange), "8000-8100:80"),
			errKey: KeyListenerPortRange},
		{name: "two overlapping ranges are an error",
			ann:    ann(string(KeyServerGroupType), "ip", string(KeyBackendType), "eni", string(KeyListenerPortRange), "9000-9100:80,9100-9200:8050"),
			errKey: KeyListenerPortRange},
		{name: "adjacent ranges are fine",
			ann:  ann(string(KeyServerGroupType), "ip", string(KeyBackendType), "eni", string(KeyListenerPortRange), "9000-9100:80,9101-9200:8050"),
			want: []*PortRange{{9000, 9100}, {9101, 9200}, {9000, 9100}}},
		{name: "entry for another port is ignored",
			ann:  ann(string(KeyServerGroupType), "ip", string(KeyBackendType), "eni", string(KeyListenerPortRange), "9000-9100:81"),
			warn: "not a port of the Service", want: []*PortRange{nil, nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseNLB(nlbService(tt.ann, three), tt.d)
			checkOutcome(t, cfg.Warnings, err, tt.errKey, tt.warn)
			if tt.want == nil {
				return
			}
			for i, l := range cfg.Listeners {
				if !reflect.DeepEqual(l.PortRange, tt.want[i]) {
					t.Errorf("listener %d (%d/%s): PortRange %v, want %v", i, l.Port, l.Protocol, l.PortRange, tt.want[i])
				}
			}
		})
	}
}

func TestPortOverlap(t *testing.T) {
	l := func(proto NLBProtocol, port int32, r *PortRange) NLBListener {
		return NLBListener{Protocol: proto, Port: port, PortRange: r}
	}
	tests := []struct {
		name string
		ls   []NLBListener
		want bool
	}{
		{"no ranges: ports are checked by protocol-port", []NLBListener{l(NLBProtocolTCP, 80, nil), l(NLBProtocolTCP, 80, nil)}, false},
		{"udp range over a tcp port", []NLBListener{l(NLBProtocolUDP, 53, &PortRange{1, 100}), l(NLBProtocolTCP, 80, nil)}, false},
		{"tcpssl and tcp share the tcp ports", []NLBListener{l(NLBProtocolTCPSSL, 443, &PortRange{400, 500}), l(NLBProtocolTCP, 450, nil)}, true},
		{"udp ranges overlap", []NLBListener{l(NLBProtocolUDP, 1, &PortRange{10, 20}), l(NLBProtocolUDP, 2, &PortRange{20, 30})}, true},
		{"disjoint", []NLBListener{l(NLBProtocolTCP, 1, &PortRange{10, 20}), l(NLBProtocolTCP, 2, &PortRange{21, 30})}, false},
	}
	for _, tt := range tests {
		if got := portOverlap(tt.ls) != ""; got != tt.want {
			t.Errorf("%s: overlap %v, want %v", tt.name, got, tt.want)
		}
	}
	if s := spanString(5, 5); s != "5" {
		t.Errorf("spanString(5,5) = %q", s)
	}
	if s := spanString(5, 9); s != "5-9" {
		t.Errorf("spanString(5,9) = %q", s)
	}
}

func TestOrList(t *testing.T) {
	for _, tt := range []struct {
		in   []Protocol
		want string
	}{
		{nil, ""}, {[]Protocol{"tcp"}, "tcp"}, {[]Protocol{"tcp", "udp"}, "tcp or udp"},
		{[]Protocol{"tcp", "udp", "tcpssl"}, "tcp, udp or tcpssl"},
	} {
		if got := orList(tt.in); got != tt.want {
			t.Errorf("orList(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
