package loadbalancer

import (
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// TestDesiredAttrsDecisions pins the listener planning decisions made on
// typed values in desiredAttrs: the Local defaults (an HTTP check on
// healthCheckNodePort for TCP listeners unless the user chose one, wrr
// unless a scheduler is set), group versus forwarding, and binding or
// unbinding our source-ranges ACL.
func TestDesiredAttrsDecisions(t *testing.T) {
	r := New(nil, nil, nil, Options{ClusterID: "c"})
	svc := service("web", nil)
	local := annotations.Backend{Type: annotations.BackendECS, Policy: annotations.TrafficLocal, HealthCheckNodePort: 32000}
	cluster := annotations.Backend{Type: annotations.BackendECS, Policy: annotations.TrafficCluster}
	tcp := annotations.Listener{Port: 80, NodePort: 30080, Protocol: annotations.ProtocolTCP}
	tests := []struct {
		name     string
		backend  annotations.Backend
		l        annotations.Listener
		group    string
		acl      string
		stale    string
		check    func(t *testing.T, a *listenerAttrs)
		wantSets []string // the fields set besides Description
	}{
		{name: "cluster: the group only", backend: cluster, l: tcp, group: "rsp-1", wantSets: []string{"VServerGroupID"}},
		{name: "local tcp: healthz on the health-check node port, wrr", backend: local, l: tcp, group: "rsp-1",
			wantSets: []string{"HealthCheckConnectPort", "HealthCheckType", "HealthCheckURI", "Scheduler", "VServerGroupID"},
			check: func(t *testing.T, a *listenerAttrs) {
				if *a.HealthCheckType != "http" || *a.HealthCheckURI != "/healthz" || *a.HealthCheckConnectPort != 32000 || *a.Scheduler != "wrr" {
					t.Errorf("type %s uri %s port %d scheduler %s", *a.HealthCheckType, *a.HealthCheckURI, *a.HealthCheckConnectPort, *a.Scheduler)
				}
			}},
		{name: "local tcp: a chosen health-check type is kept", backend: local,
			l: func() annotations.Listener {
				l := tcp
				l.HealthCheck.Type = "tcp"
				return l
			}(),
			wantSets: []string{"HealthCheckType", "Scheduler"},
			check: func(t *testing.T, a *listenerAttrs) {
				if *a.HealthCheckType != "tcp" {
					t.Errorf("type %s", *a.HealthCheckType)
				}
			}},
		{name: "local tcp: a chosen health-check port is kept", backend: local,
			l: func() annotations.Listener {
				l := tcp
				l.HealthCheck.ConnectPort = ptr(9000)
				return l
			}(),
			wantSets: []string{"HealthCheckConnectPort", "Scheduler"}},
		{name: "local tcp: a chosen scheduler is kept", backend: local,
			l: func() annotations.Listener {
				l := tcp
				l.Scheduler = "rr"
				return l
			}(),
			wantSets: []string{"HealthCheckConnectPort", "HealthCheckType", "HealthCheckURI", "Scheduler"},
			check: func(t *testing.T, a *listenerAttrs) {
				if *a.Scheduler != "rr" {
					t.Errorf("scheduler %s", *a.Scheduler)
				}
			}},
		{name: "local udp: no HTTP check, wrr", backend: local, l: annotations.Listener{Port: 53, NodePort: 30053, Protocol: annotations.ProtocolUDP},
			wantSets: []string{"Scheduler"}},
		{name: "local http: no healthz default, wrr", backend: local, l: annotations.Listener{Port: 80, NodePort: 30080, Protocol: annotations.ProtocolHTTP},
			wantSets: []string{"Scheduler"}},
		{name: "local without a health-check node port: wrr only",
			backend: annotations.Backend{Type: annotations.BackendECS, Policy: annotations.TrafficLocal}, l: tcp, wantSets: []string{"Scheduler"}},
		{name: "forwarding http listener has no group", backend: cluster, group: "rsp-1",
			l:        annotations.Listener{Port: 80, Protocol: annotations.ProtocolHTTP, ForwardPort: 443},
			wantSets: []string{"ForwardPort"}},
		{name: "source ranges bind our ACL as a white list", backend: cluster, l: tcp, acl: "acl-ours",
			wantSets: []string{"ACLID", "ACLStatus", "ACLType"},
			check: func(t *testing.T, a *listenerAttrs) {
				if !*a.ACLStatus || *a.ACLType != "white" || *a.ACLID != "acl-ours" {
					t.Errorf("acl %v %s %s", *a.ACLStatus, *a.ACLType, *a.ACLID)
				}
			}},
		{name: "source ranges removed: our ACL is switched off", backend: cluster, l: tcp, stale: "acl-ours",
			wantSets: []string{"ACLStatus"},
			check: func(t *testing.T, a *listenerAttrs) {
				if *a.ACLStatus {
					t.Error("ACL still on")
				}
			}},
		{name: "source ranges removed but acl-status declared: the declaration wins", backend: cluster, stale: "acl-ours",
			l: func() annotations.Listener {
				l := tcp
				l.ACL.Status = ptr(true)
				return l
			}(),
			wantSets: []string{"ACLStatus"},
			check: func(t *testing.T, a *listenerAttrs) {
				if !*a.ACLStatus {
					t.Error("declared acl-status on was overridden")
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &annotations.Config{Backend: tc.backend, Listeners: []annotations.Listener{tc.l}}
			a := r.desiredAttrs(svc, cfg, &cfg.Listeners[0], tc.group, tc.acl, tc.stale)
			if a.Description == nil || !ownedBy(*a.Description, svc, "c") {
				t.Fatalf("description %v is not ours", a.Description)
			}
			a.Description = nil
			if got := setAttrNames(&a); !slices.Equal(got, tc.wantSets) {
				t.Errorf("set %v, want %v", got, tc.wantSets)
			}
			if tc.check != nil {
				tc.check(t, &a)
			}
		})
	}
}

// TestDeclaredAttrs pins the mapping from the parsed listener to the
// typed attributes: unset stays nil, lists are joined, the drain timeout
// counts only with the drain on.
func TestDeclaredAttrs(t *testing.T) {
	tests := []struct {
		name  string
		l     annotations.Listener
		want  []string
		check func(t *testing.T, a *listenerAttrs)
	}{
		{name: "nothing declared", l: annotations.Listener{Protocol: annotations.ProtocolTCP}},
		{name: "acl IDs joined", l: annotations.Listener{ACL: annotations.ACL{IDs: []string{"acl-1", "acl-2"}, Type: "black"}},
			want: []string{"ACLID", "ACLType"},
			check: func(t *testing.T, a *listenerAttrs) {
				if *a.ACLID != "acl-1,acl-2" {
					t.Errorf("acl id %s", *a.ACLID)
				}
			}},
		{name: "http codes joined", l: annotations.Listener{HealthCheck: annotations.HealthCheck{HTTPCodes: []string{"http_2xx", "http_3xx"}}},
			want: []string{"HealthCheckHTTPCode"},
			check: func(t *testing.T, a *listenerAttrs) {
				if *a.HealthCheckHTTPCode != "http_2xx,http_3xx" {
					t.Errorf("codes %s", *a.HealthCheckHTTPCode)
				}
			}},
		{name: "drain timeout without drain is not sent", l: annotations.Listener{ConnectionDrain: ptr(false), ConnectionDrainTimeout: ptr(30)},
			want: []string{"ConnectionDrain"}},
		{name: "drain timeout with drain", l: annotations.Listener{ConnectionDrain: ptr(true), ConnectionDrainTimeout: ptr(30)},
			want: []string{"ConnectionDrain", "ConnectionDrainTimeout"}},
		{name: "tcp/udp check fields", l: annotations.Listener{HealthCheck: annotations.HealthCheck{Enabled: ptr(true), ConnectTimeout: ptr(5), Interval: ptr(3)}},
			want: []string{"HealthCheck", "HealthCheckConnectTimeout", "HealthCheckInterval"}},
		{name: "http/https check fields", l: annotations.Listener{HealthCheck: annotations.HealthCheck{Enabled: ptr(false), Timeout: ptr(5), Method: "get"}},
			want: []string{"HealthCheck", "HealthCheckMethod", "HealthCheckTimeout"}},
		{name: "https", l: annotations.Listener{CertID: "cert-1", TLSCipherPolicy: "tls_cipher_policy_1_2", HTTP2: ptr(true)},
			want: []string{"EnableHTTP2", "ServerCertificateID", "TLSCipherPolicy"}},
		{name: "sticky session and x-forwarded-for",
			l: annotations.Listener{StickySession: annotations.StickySession{Enabled: ptr(true), Type: "server", Cookie: "sid"},
				XForwardedFor: annotations.XForwardedFor{Proto: ptr(true)}},
			want: []string{"Cookie", "StickySession", "StickySessionType", "XForwardedForProto"}},
		{name: "timeouts and proxy protocol", l: annotations.Listener{PersistenceTimeout: ptr(0), EstablishedTimeout: ptr(900), ProxyProtocol: ptr(true)},
			want: []string{"EstablishedTimeout", "PersistenceTimeout", "ProxyProtocolV2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := declaredAttrs(&tc.l)
			if got := setAttrNames(&a); !slices.Equal(got, tc.want) {
				t.Errorf("set %v, want %v", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, &a)
			}
		})
	}
}

// TestCreateDefaults: a create sends Bandwidth -1 and, for HTTP(S), the
// health check off unless declared.
func TestCreateDefaults(t *testing.T) {
	tests := []struct {
		proto    annotations.Protocol
		declared *bool
		want     *bool
	}{
		{annotations.ProtocolTCP, nil, nil},
		{annotations.ProtocolUDP, nil, nil},
		{annotations.ProtocolHTTP, nil, ptr(false)},
		{annotations.ProtocolHTTPS, nil, ptr(false)},
		{annotations.ProtocolHTTPS, ptr(true), ptr(true)},
		{annotations.ProtocolTCP, ptr(false), ptr(false)},
	}
	for _, tc := range tests {
		a := withCreateDefaults(tc.proto, listenerAttrs{HealthCheck: tc.declared})
		if a.Bandwidth == nil || *a.Bandwidth != -1 {
			t.Errorf("%s: bandwidth %v", tc.proto, a.Bandwidth)
		}
		if (a.HealthCheck == nil) != (tc.want == nil) || (a.HealthCheck != nil && *a.HealthCheck != *tc.want) {
			t.Errorf("%s declared %v: health check %v, want %v", tc.proto, tc.declared, a.HealthCheck, tc.want)
		}
	}
	if a := withCreateDefaults(annotations.ProtocolTCP, listenerAttrs{Bandwidth: ptr(10)}); *a.Bandwidth != 10 {
		t.Errorf("declared bandwidth replaced: %d", *a.Bandwidth)
	}
}

// TestActionOrder pins the execution order of planned listener calls:
// deletes of forwarding listeners, other deletes, plain creates with their
// starts, forwarding creates, updates, starts of stopped listeners.
func TestActionOrder(t *testing.T) {
	acts := []listenerAction{
		{op: opStart, port: 9},
		{op: opUpdate, port: 8},
		{op: opCreate, port: 80, forward: true},
		{op: opStart, port: 80, forward: true, afterCreate: true},
		{op: opCreate, port: 443},
		{op: opStart, port: 443, afterCreate: true},
		{op: opDelete, port: 7},
		{op: opDelete, port: 81, forward: true},
	}
	sortActions(acts)
	var got []int
	for _, a := range acts {
		got = append(got, a.port)
	}
	if want := []int{81, 7, 443, 443, 80, 80, 8, 9}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if acts[2].op != opCreate || acts[3].op != opStart {
		t.Error("a start does not follow its create")
	}
}

// TestCheckNodePorts: node backends need every NodePort before planning;
// ENI backends, redirecting listeners and user groups need none.
func TestCheckNodePorts(t *testing.T) {
	tests := []struct {
		name    string
		backend annotations.BackendType
		l       annotations.Listener
		wantErr bool
	}{
		{"allocated", annotations.BackendECS, annotations.Listener{Port: 80, NodePort: 30080}, false},
		{"not yet", annotations.BackendECS, annotations.Listener{Port: 80}, true},
		{"eni needs none", annotations.BackendENI, annotations.Listener{Port: 80}, false},
		{"forwarding needs none", annotations.BackendECS, annotations.Listener{Port: 80, ForwardPort: 443}, false},
		{"user group needs none", annotations.BackendECS, annotations.Listener{Port: 80, VGroupID: "rsp-user"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &annotations.Config{Backend: annotations.Backend{Type: tc.backend}, Listeners: []annotations.Listener{tc.l}}
			if err := checkNodePorts(cfg); (err != nil) != tc.wantErr {
				t.Errorf("err = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

// TestServicePortOfListener: a listener's ServicePort has its port and
// transport (UDP for udp listeners, TCP otherwise; unset is TCP).
func TestServicePortOfListener(t *testing.T) {
	svc := service("web", nil, port{"dns", 53, 30053, v1.ProtocolUDP}, port{"web", 53, 30054, ""})
	tests := []struct {
		proto annotations.Protocol
		want  int32
	}{
		{annotations.ProtocolUDP, 30053},
		{annotations.ProtocolTCP, 30054},
		{annotations.ProtocolHTTPS, 30054},
	}
	for _, tc := range tests {
		sp, ok := servicePortOf(svc, &annotations.Listener{Port: 53, Protocol: tc.proto})
		if !ok || sp.NodePort != tc.want {
			t.Errorf("%s: port %+v found %v, want nodePort %d", tc.proto, sp, ok, tc.want)
		}
	}
	if _, ok := servicePortOf(svc, &annotations.Listener{Port: 54, Protocol: annotations.ProtocolTCP}); ok {
		t.Error("found a ServicePort for a port the Service does not have")
	}
}
