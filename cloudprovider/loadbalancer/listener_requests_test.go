package loadbalancer

import (
	"reflect"
	"slices"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// setAttrNames lists the non-nil fields of a, sorted.
func setAttrNames(a *listenerAttrs) []string {
	var out []string
	v := reflect.ValueOf(a).Elem()
	for i := 0; i < v.NumField(); i++ {
		if !v.Field(i).IsNil() {
			out = append(out, v.Type().Field(i).Name)
		}
	}
	slices.Sort(out)
	return out
}

// sentParams are the query parameters the SDK sends for req, without the
// ones every request carries.
func sentParams(t *testing.T, req requests.AcsRequest) map[string]string {
	t.Helper()
	if err := requests.InitParams(req); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range req.GetQueryParams() {
		if k != "LoadBalancerId" && k != "ListenerPort" {
			out[k] = v
		}
	}
	return out
}

// allAttrs sets every attribute, so the tests see which parameter each
// protocol's request carries it in.
func allAttrs() listenerAttrs {
	return listenerAttrs{
		Description: ptr("d"), Scheduler: ptr("wrr"), Bandwidth: ptr(-1), VServerGroupID: ptr("rsp-1"), ForwardPort: ptr(443),
		ACLStatus: ptr(true), ACLType: ptr("white"), ACLID: ptr("acl-1"),
		ServerCertificateID: ptr("cert-1"), TLSCipherPolicy: ptr("tls_cipher_policy_1_2"), EnableHTTP2: ptr(true),
		PersistenceTimeout: ptr(10), EstablishedTimeout: ptr(900), IdleTimeout: ptr(15), RequestTimeout: ptr(60),
		ConnectionDrain: ptr(true), ConnectionDrainTimeout: ptr(30), ProxyProtocolV2: ptr(true),
		StickySession: ptr(true), StickySessionType: ptr("insert"), CookieTimeout: ptr(1800), Cookie: ptr("c"),
		XForwardedForProto: ptr(true), XForwardedForSLBPort: ptr(false), XForwardedForClientSrcPort: ptr(true),
		HealthCheck: ptr(true), HealthCheckConnectTimeout: ptr(5), HealthCheckTimeout: ptr(6), HealthCheckType: ptr("http"),
		HealthCheckURI: ptr("/healthz"), HealthCheckDomain: ptr("$_ip"), HealthCheckHTTPCode: ptr("http_2xx,http_3xx"),
		HealthCheckMethod: ptr("get"), HealthCheckConnectPort: ptr(30080), HealthCheckInterval: ptr(3),
		HealthyThreshold: ptr(4), UnhealthyThreshold: ptr(5),
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestListenerRequestsPerProtocol pins the parameters each protocol's
// Create and Set requests carry for the typed attributes: the health-check
// switch and timeout go to the field of the protocol, attributes a
// protocol's action does not take are not sent, a Set request moving the
// listener to a group switches VServerGroup on.
func TestListenerRequestsPerProtocol(t *testing.T) {
	common := map[string]string{"Description": "d", "Scheduler": "wrr", "Bandwidth": "-1", "VServerGroupId": "rsp-1",
		"AclStatus": "on", "AclType": "white", "AclId": "acl-1"}
	check := map[string]string{"HealthCheckType": "http", "HealthCheckURI": "/healthz", "HealthCheckDomain": "$_ip",
		"HealthCheckHttpCode": "http_2xx,http_3xx", "HealthCheckMethod": "get", "HealthCheckConnectPort": "30080",
		"HealthCheckInterval": "3", "HealthyThreshold": "4", "UnhealthyThreshold": "5"}
	l4 := map[string]string{"PersistenceTimeout": "10", "ConnectionDrain": "on", "ConnectionDrainTimeout": "30",
		"ProxyProtocolV2Enabled": "true", "HealthCheckSwitch": "on", "HealthCheckConnectTimeout": "5"}
	l7 := map[string]string{"IdleTimeout": "15", "RequestTimeout": "60", "StickySession": "on", "StickySessionType": "insert",
		"CookieTimeout": "1800", "Cookie": "c", "XForwardedFor_proto": "on", "XForwardedFor_SLBPORT": "off",
		"XForwardedFor_ClientSrcPort": "on", "HealthCheck": "on", "HealthCheckTimeout": "6"}
	tls := map[string]string{"ServerCertificateId": "cert-1", "TLSCipherPolicy": "tls_cipher_policy_1_2", "EnableHttp2": "on"}
	group := map[string]string{"VServerGroup": "on"}
	forward := map[string]string{"ListenerForward": "on", "ForwardPort": "443"}
	// CreateLoadBalancerTCPListener and CreateLoadBalancerUDPListener spell
	// the interval healthCheckInterval (the SDK's name tag, as documented).
	createL4 := func(m map[string]string) map[string]string {
		m = merge(m)
		m["healthCheckInterval"] = m["HealthCheckInterval"]
		delete(m, "HealthCheckInterval")
		return m
	}
	a := allAttrs()
	tests := []struct {
		name string
		req  requests.AcsRequest
		want map[string]string
	}{
		{"create tcp", tcpCreateRequest("lb-1", 80, &a), createL4(merge(common, check, l4, map[string]string{"EstablishedTimeout": "900"}))},
		{"set tcp", tcpSetRequest("lb-1", 80, &a), merge(common, check, l4, group, map[string]string{"EstablishedTimeout": "900"})},
		{"create udp", udpCreateRequest("lb-1", 80, &a), createL4(merge(common, check, l4))},
		{"set udp", udpSetRequest("lb-1", 80, &a), merge(common, check, l4, group)},
		{"create http", httpCreateRequest("lb-1", 80, &a), merge(common, check, l7, forward)},
		{"set http", httpSetRequest("lb-1", 80, &a), merge(common, check, l7, group)},
		{"create https", httpsCreateRequest("lb-1", 443, &a), merge(common, check, l7, tls)},
		{"set https", httpsSetRequest("lb-1", 443, &a), merge(common, check, l7, tls, group)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sentParams(t, tc.req); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parameters\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestListenerSetRequestSendsChangesOnly: an update carries only what the
// diff left set, and no VServerGroup switch without a group change.
func TestListenerSetRequestSendsChangesOnly(t *testing.T) {
	d := listenerAttrs{HealthCheckInterval: ptr(7)}
	tests := []struct {
		name string
		req  requests.AcsRequest
	}{
		{"tcp", tcpSetRequest("lb-1", 80, &d)},
		{"udp", udpSetRequest("lb-1", 80, &d)},
		{"http", httpSetRequest("lb-1", 80, &d)},
		{"https", httpsSetRequest("lb-1", 443, &d)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := sentParams(t, tc.req), map[string]string{"HealthCheckInterval": "7"}; !reflect.DeepEqual(got, want) {
				t.Errorf("parameters %v, want %v", got, want)
			}
		})
	}
}

// TestListenerAttrsDiff pins the comparison against the listing.
func TestListenerAttrsDiff(t *testing.T) {
	tcp := slb.ListenerInDescribeLoadBalancerListeners{
		ListenerProtocol: "tcp", Scheduler: "wrr", Description: "d", AclIds: []string{"acl-2", "acl-1"}, AclStatus: "on",
		TCPListenerConfig: slb.TCPListenerConfig{HealthCheckInterval: 2, ProxyProtocolV2Enabled: "false", HealthCheckSwitch: "on",
			HealthCheckType: "HTTP", PersistenceTimeout: 0},
	}
	http := slb.ListenerInDescribeLoadBalancerListeners{
		ListenerProtocol: "http", Scheduler: "rr",
		HTTPListenerConfig: slb.HTTPListenerConfig{HealthCheck: "off", HealthCheckTimeout: 5, StickySession: "on", ListenerForward: "off"},
	}
	tests := []struct {
		name   string
		listed slb.ListenerInDescribeLoadBalancerListeners
		want   listenerAttrs
		diff   []string
	}{
		{name: "equal values send nothing", listed: tcp,
			want: listenerAttrs{Scheduler: ptr("wrr"), HealthCheckInterval: ptr(2), Description: ptr("d"), HealthCheck: ptr(true)}},
		{name: "changed values only", listed: tcp,
			want: listenerAttrs{Scheduler: ptr("rr"), HealthCheckInterval: ptr(2)}, diff: []string{"Scheduler"}},
		{name: "false equals the listing's false", listed: tcp, want: listenerAttrs{ProxyProtocolV2: ptr(false)}},
		{name: "true differs from false", listed: tcp, want: listenerAttrs{ProxyProtocolV2: ptr(true)}, diff: []string{"ProxyProtocolV2"}},
		{name: "ACL IDs compare as sets", listed: tcp, want: listenerAttrs{ACLID: ptr("acl-1,acl-2"), ACLStatus: ptr(true)}},
		{name: "strings compare case-insensitively", listed: tcp, want: listenerAttrs{HealthCheckType: ptr("http")}},
		{name: "tcp health-check switch is HealthCheckSwitch", listed: tcp, want: listenerAttrs{HealthCheck: ptr(false)}, diff: []string{"HealthCheck"}},
		{name: "http health-check switch is HealthCheck", listed: http, want: listenerAttrs{HealthCheck: ptr(false)}},
		{name: "http health-check timeout", listed: http, want: listenerAttrs{HealthCheckTimeout: ptr(8)}, diff: []string{"HealthCheckTimeout"}},
		{name: "attributes the protocol's listing lacks are not compared", listed: http,
			want: listenerAttrs{PersistenceTimeout: ptr(5), ProxyProtocolV2: ptr(true), HealthCheckConnectTimeout: ptr(3)}},
		{name: "a zero the listing reports is compared", listed: tcp, want: listenerAttrs{PersistenceTimeout: ptr(5)}, diff: []string{"PersistenceTimeout"}},
		{name: "forwarding is read only from a forwarding listener", listed: http, want: listenerAttrs{ForwardPort: ptr(443)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			have := listedAttrs(&tc.listed)
			d := diffAttrs(&tc.want, &have)
			if got := setAttrNames(&d); !slices.Equal(got, tc.diff) {
				t.Errorf("diff = %v, want %v", got, tc.diff)
			}
			if d.empty() != (len(tc.diff) == 0) {
				t.Errorf("empty() = %v", d.empty())
			}
		})
	}
}

// TestListedSwitch: the listing spells switches on/off or true/false.
func TestListedSwitch(t *testing.T) {
	for in, want := range map[string]*bool{"on": ptr(true), "True": ptr(true), "off": ptr(false), "false": ptr(false), "": nil, "x": nil} {
		got := listedSwitch(in)
		if (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Errorf("listedSwitch(%q) = %v, want %v", in, got, want)
		}
	}
}
