package annotations

import (
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestParseNLBServerGroup(t *testing.T) {
	svc := nlbService(ann(
		string(KeyServerGroupType), "Ip",
		string(KeyScheduler), "wlc",
		string(KeyPreserveClientIP), "on",
		string(KeyConnectionDrain), "on",
		string(KeyConnectionDrainTimeout), "30",
		string(KeyHealthCheckFlag), "on",
		string(KeyHealthCheckType), "http",
		string(KeyHealthCheckConnectPort), "8080",
		string(KeyHealthCheckConnectTimeout), "3",
		string(KeyHealthCheckInterval), "10",
		string(KeyHealthyThreshold), "3",
		string(KeyUnhealthyThreshold), "4",
		string(KeyHealthCheckURI), "/healthz",
		string(KeyHealthCheckDomain), "$SERVER_IP",
		string(KeyHealthCheckMethod), "head",
		string(KeyHealthCheckHTTPCode), "http_2xx,http_3xx",
	), nil)
	cfg := mustParseNLB(t, svc, Defaults{})
	want := NLBServerGroup{
		Type: NLBServerGroupIP, Scheduler: "Wlc", PreserveClientIP: new(true), ConnectionDrain: new(true), ConnectionDrainTimeout: new(30),
		HealthCheck: NLBHealthCheck{Enabled: new(true), Type: "HTTP", ConnectPort: new(8080), ConnectTimeout: new(3), Interval: new(10),
			HealthyThreshold: new(3), UnhealthyThreshold: new(4), URI: "/healthz", Domain: "$SERVER_IP", Method: "HEAD",
			HTTPCodes: []string{"http_2xx", "http_3xx"}},
	}
	if !reflect.DeepEqual(cfg.ServerGroup, want) {
		t.Errorf("ServerGroup =\n%+v\nwant\n%+v", cfg.ServerGroup, want)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("Warnings %q", cfg.Warnings)
	}
}

// TestNLBSchedulerSpelling: every scheduler, in any case, is sent in the
// API's spelling.
func TestNLBSchedulerSpelling(t *testing.T) {
	for in, want := range map[string]string{
		"wrr": "Wrr", "rr": "Rr", "wlc": "Wlc", "sch": "Sch", "tch": "Tch", "qch": "Qch", "WRR": "Wrr", "Tch": "Tch",
	} {
		cfg := mustParseNLB(t, nlbService(ann(string(KeyScheduler), in), udp53), Defaults{})
		if cfg.ServerGroup.Scheduler != want {
			t.Errorf("scheduler %q: %q, want %q", in, cfg.ServerGroup.Scheduler, want)
		}
		if len(cfg.Warnings) != 0 {
			t.Errorf("scheduler %q: Warnings %q", in, cfg.Warnings)
		}
	}
}

// TestNLBServerGroupDecisions pins each server group decision.
func TestNLBServerGroupDecisions(t *testing.T) {
	tests := []struct {
		name    string
		ann     map[string]string
		ports   []v1.ServicePort
		errKey  Name
		warn    string
		inspect func(t *testing.T, sg NLBServerGroup)
	}{
		{name: "qch needs udp listeners only", ann: ann(string(KeyScheduler), "qch"), ports: nlbTCPUDP, errKey: KeyScheduler},
		{name: "qch on udp", ann: ann(string(KeyScheduler), "qch"), ports: udp53,
			inspect: func(t *testing.T, sg NLBServerGroup) {
				if sg.Scheduler != "Qch" {
					t.Errorf("Scheduler %q", sg.Scheduler)
				}
			}},
		{name: "preserve-client-ip on with a tcpssl listener",
			ann: ann(string(KeyProtocolPort), "tcpssl:443", string(KeyCertID), "c", string(KeyPreserveClientIP), "on"), ports: nlbTLS, errKey: KeyPreserveClientIP},
		{name: "preserve-client-ip off with a tcpssl listener",
			ann: ann(string(KeyProtocolPort), "tcpssl:443", string(KeyCertID), "c", string(KeyPreserveClientIP), "off"), ports: nlbTLS},
		{name: "drain timeout without drain is ignored", ann: ann(string(KeyConnectionDrainTimeout), "30"), warn: "applies only with " + string(KeyConnectionDrain)},
		{name: "drain timeout with drain off is ignored", ann: ann(string(KeyConnectionDrain), "off", string(KeyConnectionDrainTimeout), "30"), warn: "applies only with"},
		{name: "interval above 50 needs udp checks", ann: ann(string(KeyHealthCheckInterval), "100"), errKey: KeyHealthCheckInterval},
		{name: "interval above 50 with udp checks", ann: ann(string(KeyHealthCheckType), "udp", string(KeyHealthCheckInterval), "300"), ports: udp53,
			inspect: func(t *testing.T, sg NLBServerGroup) {
				if sg.HealthCheck.Type != "UDP" || *sg.HealthCheck.Interval != 300 {
					t.Errorf("%+v", sg.HealthCheck)
				}
			}},
		{name: "health check off: the other check keys are ignored", ann: ann(string(KeyHealthCheckFlag), "off", string(KeyHealthyThreshold), "3"), warn: "health checks are off"},
		{name: "http fields without an http check are ignored", ann: ann(string(KeyHealthCheckURI), "/x"), warn: "applies to http health checks only"},
		{name: "http fields with a tcp check are ignored", ann: ann(string(KeyHealthCheckType), "tcp", string(KeyHealthCheckMethod), "GET"), warn: "applies to http health checks only"},
		{name: "$_ip is the CLB spelling", ann: ann(string(KeyHealthCheckType), "http", string(KeyHealthCheckDomain), "$_ip"), errKey: KeyHealthCheckDomain},
		{name: "-520 is the CLB spelling of the backend port", ann: ann(string(KeyHealthCheckConnectPort), "-520"), errKey: KeyHealthCheckConnectPort},
		{name: "health-check-switch is CLB-only", ann: ann(string(KeyHealthCheckSwitch), "on"), warn: "CLB Services only",
			inspect: func(t *testing.T, sg NLBServerGroup) {
				if sg.HealthCheck.Enabled != nil {
					t.Errorf("Enabled %v", *sg.HealthCheck.Enabled)
				}
			}},
		{name: "server-group-type ip", ann: ann(string(KeyServerGroupType), "ip"),
			inspect: func(t *testing.T, sg NLBServerGroup) {
				if sg.Type != NLBServerGroupIP {
					t.Errorf("Type %q", sg.Type)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseNLB(nlbService(tt.ann, tt.ports), Defaults{})
			checkOutcome(t, cfg.Warnings, err, tt.errKey, tt.warn)
			if tt.inspect != nil {
				tt.inspect(t, cfg.ServerGroup)
			}
		})
	}
}

// TestNLBOnOffCase: the official CCM's NLB controller compares on/off in
// any case, so `On` is on for an NLB (silently) and off with a Warning
// for a CLB; a strict key stays strict.
func TestNLBOnOffCase(t *testing.T) {
	a := ann(string(KeyProxyProtocol), "On")
	nlb := mustParseNLB(t, nlbService(a, nil), Defaults{})
	if v := nlb.Listeners[0].ProxyProtocol; v == nil || !*v || len(nlb.Warnings) != 0 {
		t.Errorf("NLB: proxy %v, Warnings %q", boolStr(v), nlb.Warnings)
	}
	clb := mustParse(t, newService(a, nil), Defaults{})
	if v := clb.Listeners[0].ProxyProtocol; v == nil || *v || len(clb.Warnings) != 1 {
		t.Errorf("CLB: proxy %v, Warnings %q", boolStr(v), clb.Warnings)
	}
	if _, err := ParseNLB(nlbService(ann(string(KeyDrainUnscheduledBackend), "On"), nil), Defaults{}); !hasError(err, string(KeyDrainUnscheduledBackend), "On") {
		t.Errorf("drain-unscheduled-backend On: %v", err)
	}
}
