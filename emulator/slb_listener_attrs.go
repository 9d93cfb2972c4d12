package emulator

// Listener attributes. A listener keeps its settings as strings keyed by the
// JSON field names of the Describe answers. Which request parameters an
// action accepts comes from the SDK request struct's `name` tags (the
// reference's ground truth for names), so the casing traps are honoured:
// CreateLoadBalancerTCPListener/UDPListener take `healthCheckInterval`
// (lower-case h) while the Set* actions take `HealthCheckInterval`, and UDP
// takes `healthCheckReq`/`healthCheckExp` in both
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener).
// A parameter spelled otherwise is ignored, as the real API ignores unknown
// parameters. Answers are filled by reflection into the SDK response types,
// which makes every field's JSON name and type match the SDK.

import (
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fieldPlan is one scalar field of an SDK response struct.
type fieldPlan struct {
	index []int
	name  string // JSON name
	kind  reflect.Kind
}

// planFor lists the scalar (string, int, bool) fields of a struct type.
func (s *slbState) planFor(t reflect.Type) []fieldPlan {
	if p, ok := s.plans[t]; ok {
		return p
	}
	var out []fieldPlan
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		switch f.Type.Kind() {
		case reflect.String, reflect.Int, reflect.Int64, reflect.Bool:
			out = append(out, fieldPlan{index: f.Index, name: name, kind: f.Type.Kind()})
		default: // lists and structs are answered by the handlers themselves
		}
	}
	s.plans[t] = out
	return out
}

// fill copies attrs into the scalar fields of the struct dst points to.
func (s *slbState) fill(dst any, attrs map[string]string) {
	v := reflect.ValueOf(dst).Elem()
	for _, f := range s.planFor(v.Type()) {
		val, ok := attrs[f.name]
		if !ok {
			continue
		}
		fv := v.FieldByIndex(f.index)
		switch f.kind {
		case reflect.String:
			fv.SetString(val)
		case reflect.Int, reflect.Int64:
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				fv.SetInt(n)
			}
		case reflect.Bool:
			fv.SetBool(val == "true" || val == "on")
		default: // planFor keeps only the kinds above
		}
	}
}

// attrParams are the scalar attribute parameters of a request type, i.e.
// its Query parameters minus identity, repeated and switch parameters.
func (s *slbState) attrParams(t reflect.Type) []string {
	if p, ok := s.params[t]; ok {
		return p
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("name")
		if f.Anonymous || name == "" || f.Tag.Get("type") != "" || f.Tag.Get("position") != "Query" {
			continue
		}
		switch name {
		case "LoadBalancerId", "ListenerPort", "Tags", "OwnerId", "OwnerAccount", "ResourceOwnerId",
			"ResourceOwnerAccount", "access_key_id", "VServerGroup", "MasterSlaveServerGroup", "ServerCertificate":
			continue
		}
		out = append(out, name)
	}
	s.params[t] = out
	return out
}

// canonAttr maps a parameter name to the attribute (Describe JSON) name.
func canonAttr(param string) string {
	r, n := utf8.DecodeRuneInString(param)
	return string(unicode.ToUpper(r)) + param[n:]
}

// readAttrs validates the attribute parameters an action accepts and
// returns them keyed by attribute name.
func (s *slbState) readAttrs(c *call, reqType reflect.Type) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range s.attrParams(reqType) {
		v := c.str(p)
		if v == "" {
			continue
		}
		k := canonAttr(p)
		if err := validateAttr(k, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	// TCP/UDP answers carry the health-check switch both as HealthCheck and
	// HealthCheckSwitch.
	if v, ok := out["HealthCheckSwitch"]; ok {
		out["HealthCheck"] = v
	}
	return out, nil
}

// listenerDefaults are the documented defaults of a new listener
// (CreateLoadBalancer{TCP,UDP,HTTP,HTTPS}Listener pages).
func listenerDefaults(proto string) map[string]string {
	d := map[string]string{
		"Bandwidth": "-1", "Scheduler": "wrr", "AclStatus": "off", "HealthyThreshold": "3",
		"UnhealthyThreshold": "3", "HealthCheckInterval": "2", "HealthCheckHttpCode": "http_2xx",
	}
	switch proto {
	case "tcp", "udp":
		d["PersistenceTimeout"], d["HealthCheck"], d["HealthCheckSwitch"] = "0", "on", "on"
		d["HealthCheckConnectTimeout"], d["ConnectionDrain"], d["ProxyProtocolV2Enabled"] = "5", "off", "false"
		d["FullNatEnabled"] = "false"
		if proto == "tcp" {
			d["EstablishedTimeout"], d["HealthCheckType"] = "900", "tcp"
		}
	case "http", "https":
		d["StickySession"], d["XForwardedFor"], d["Gzip"], d["ListenerForward"] = "off", "on", "on", "off"
		d["XForwardedFor_SLBIP"], d["XForwardedFor_SLBID"], d["XForwardedFor_proto"] = "off", "off", "off"
		d["XForwardedFor_SLBPORT"], d["XForwardedFor_ClientSrcPort"] = "off", "off"
		d["IdleTimeout"], d["RequestTimeout"], d["HealthCheckTimeout"] = "15", "60", "5"
		d["HealthCheckMethod"], d["HealthCheckHttpVersion"], d["HealthCheckType"] = "head", "http1.0", "http"
		if proto == "https" {
			d["EnableHttp2"], d["TLSCipherPolicy"], d["BackendProtocol"] = "on", "tls_cipher_policy_1_0", "http"
		}
	}
	return d
}
