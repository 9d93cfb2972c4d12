package emulator

import (
	"strings"
	"testing"
)

// TestListenerAttrRules pins every row's bounds and its citation.
func TestListenerAttrRules(t *testing.T) {
	for k, r := range listenerAttrRules {
		if !strings.HasPrefix(r.doc, clbDoc) {
			t.Errorf("%s: rule cites %q, want a CLB API page", k, r.doc)
		}
	}
	for _, tc := range []struct {
		k, v string
		ok   bool
	}{
		{"Bandwidth", "-1", true}, {"Bandwidth", "0", false}, {"Bandwidth", "5120", true}, {"Bandwidth", "5121", false},
		{"HealthCheckInterval", "1", true}, {"HealthCheckInterval", "50", true}, {"HealthCheckInterval", "51", false},
		{"HealthCheckInterval", "x", false}, {"EstablishedTimeout", "9", false}, {"EstablishedTimeout", "900", true},
		{"PersistenceTimeout", "0", true}, {"PersistenceTimeout", "3601", false},
		{"Scheduler", "wrr", true}, {"Scheduler", "WRR", false}, {"HealthCheckMethod", "GET", true},
		{"HealthCheckMethod", "post", false}, {"ForwardCode", "307", true}, {"ForwardCode", "303", false},
		{"HealthCheck", "on", true}, {"HealthCheck", "true", false}, {"ProxyProtocolV2Enabled", "on", false},
		{"XForwardedFor_SLBIP", "on", true}, {"XForwardedFor_SLBIP", "yes", false},
		{"XForwardedFor_ClientSourceIpsAlias", "X-Real-IP", true},
		{"HealthCheckURI", "/healthz", true}, {"HealthCheckURI", "healthz", false},
		{"HealthCheckURI", "/" + strings.Repeat("a", 80), false},
		{"HealthCheckHttpCode", "http_2xx,http_3xx", true}, {"HealthCheckHttpCode", "http_2xx,200", false},
		{"Description", strings.Repeat("é", 256), true}, {"Description", strings.Repeat("é", 257), false},
		{"HealthCheckReq", strings.Repeat("a", 65), false}, {"VServerGroupId", "anything", true},
	} {
		err := validateAttr(tc.k, tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("validateAttr(%s, %.20q) = %v, want ok=%v", tc.k, tc.v, err, tc.ok)
		}
	}
	if err := validateAttr("HealthCheckExp", strings.Repeat("a", 65)); err == nil || !strings.Contains(err.Error(), "InvalidParamLength.HealthCheckExp") {
		t.Errorf("long HealthCheckExp: %v", err)
	}
}
