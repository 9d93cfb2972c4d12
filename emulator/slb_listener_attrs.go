package emulator

// Listener attributes. A listener keeps its settings as strings keyed by the
// JSON field names of the Describe answers. Which request parameters an
// action accepts comes from the SDK request struct's `name` tags (the
// reference's ground truth for names), so the casing traps are honoured:
// CreateLoadBalancerTCPListener/UDPListener take `healthCheckInterval`
// (lower-case h) while the Set* actions take `HealthCheckInterval`, and UDP
// takes `healthCheckReq`/`healthCheckExp` in both (alibaba-api.md §1.3).
// A parameter spelled otherwise is ignored, as the real API ignores unknown
// parameters. Answers are filled by reflection into the SDK response types,
// which makes every field's JSON name and type match the SDK.

import (
	"net/http"
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

// validateAttr checks one attribute value against its documented range or
// value list; an invalid value gets Invalid{ParameterName} (common table).
func validateAttr(k, v string) error {
	rng := func(lo, hi int) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return errInvalid(k, v)
		}
		return nil
	}
	oneOf := func(opts ...string) error {
		for _, o := range opts {
			if v == o {
				return nil
			}
		}
		return errInvalid(k, v)
	}
	switch k {
	case "Bandwidth":
		if v == "-1" {
			return nil
		}
		return rng(1, 5120)
	case "BackendServerPort", "HealthCheckConnectPort", "ForwardPort":
		return rng(1, 65535)
	case "PersistenceTimeout":
		return rng(0, 3600)
	case "EstablishedTimeout", "ConnectionDrainTimeout":
		return rng(10, 900)
	case "HealthCheckConnectTimeout", "HealthCheckTimeout":
		return rng(1, 300)
	case "HealthCheckInterval":
		return rng(1, 50)
	case "HealthyThreshold", "UnhealthyThreshold":
		return rng(2, 10)
	case "IdleTimeout":
		return rng(1, 60)
	case "RequestTimeout":
		return rng(1, 180)
	case "CookieTimeout":
		return rng(1, 86400)
	case "MaxConnection":
		return rng(0, 1<<30)
	case "ForwardCode":
		return oneOf("301", "302", "307", "308")
	case "Scheduler":
		return oneOf("wrr", "rr", "wlc", "sch", "tch", "qch")
	case "AclType":
		return oneOf("white", "black")
	case "StickySessionType":
		return oneOf("insert", "server")
	case "HealthCheckType":
		return oneOf("tcp", "http")
	case "HealthCheckHttpVersion":
		return oneOf("http1.0", "http1.1")
	case "HealthCheckMethod":
		return oneOf("head", "get", "HEAD", "GET")
	case "BackendProtocol":
		return oneOf("http", "https")
	case "ProxyProtocolV2Enabled", "FullNatEnabled", "HealthCheckTcpFastCloseEnabled":
		return oneOf("true", "false")
	case "TLSCipherPolicy":
		return oneOf("tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
			"tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3")
	case "HealthCheck", "HealthCheckSwitch", "StickySession", "Gzip", "ConnectionDrain", "AclStatus",
		"EnableHttp2", "ListenerForward", "SynProxy":
		return oneOf("on", "off")
	case "HealthCheckURI":
		// 1-80 characters, starting with "/" but not "/" alone for TCP; we
		// accept "/" (HTTP listeners allow it).
		if len(v) > 80 || !strings.HasPrefix(v, "/") {
			return errInvalid(k, v)
		}
	case "Description":
		if utf8.RuneCountInString(v) > 256 {
			return errInvalid(k, v)
		}
	case "HealthCheckHttpCode":
		for _, p := range strings.Split(v, ",") {
			switch p {
			case "http_2xx", "http_3xx", "http_4xx", "http_5xx":
			default:
				return errInvalid(k, v)
			}
		}
	case "HealthCheckReq", "HealthCheckExp":
		if len(v) > 64 {
			return Errf(http.StatusBadRequest, "InvalidParamLength."+k, "The param %s is too long.", k)
		}
	}
	if strings.HasPrefix(k, "XForwardedFor") && !strings.HasSuffix(k, "Alias") {
		return oneOf("on", "off")
	}
	return nil
}
