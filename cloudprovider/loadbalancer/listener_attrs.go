package loadbalancer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// Listener attributes travel as maps keyed by API parameter names, so one
// code path serves all four protocols and every attribute family: the
// desired map comes from the annotations, the actual one from
// DescribeLoadBalancerListeners (which carries each protocol's full
// configuration, so no per-listener Describe*ListenerAttribute call is
// needed), and requests are filled by the SDK's `name` tags. Names are
// compared case-insensitively because the API spells some parameters
// differently per action (CreateLoadBalancerTCPListener takes
// healthCheckInterval, SetLoadBalancerTCPListenerAttribute takes
// HealthCheckInterval; alibaba-api.md §1.3).

// actualAttrs flattens a listed listener into lower-cased name -> value:
// its common fields and its protocol's configuration.
func actualAttrs(l *slb.ListenerInDescribeLoadBalancerListeners) map[string]string {
	out := map[string]string{}
	flatten(out, l)
	switch l.ListenerProtocol {
	case ProtoTCP:
		flatten(out, l.TCPListenerConfig)
	case ProtoUDP:
		flatten(out, l.UDPListenerConfig)
	case ProtoHTTP:
		flatten(out, l.HTTPListenerConfig)
	case ProtoHTTPS:
		flatten(out, l.HTTPSListenerConfig)
	}
	ids := append([]string(nil), l.AclIds...)
	if len(ids) == 0 && l.AclId != "" {
		ids = strings.Split(l.AclId, ",")
	}
	sort.Strings(ids)
	out["aclid"] = strings.Join(ids, ",")
	return out
}

// flatten adds v's scalar JSON fields as strings.
func flatten(out map[string]string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return
	}
	for k, val := range m {
		switch x := val.(type) {
		case string:
			out[strings.ToLower(k)] = x
		case float64:
			out[strings.ToLower(k)] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[strings.ToLower(k)] = strconv.FormatBool(x)
		}
	}
}

// attrEqual compares one attribute: numbers numerically, on/off and
// true/false alike, ACL ID lists as sets.
func attrEqual(key, want, have string) bool {
	if strings.EqualFold(want, have) {
		return true
	}
	if key == "aclid" {
		return normList(want) == normList(have)
	}
	wn, e1 := strconv.Atoi(want)
	hn, e2 := strconv.Atoi(have)
	if e1 == nil && e2 == nil {
		return wn == hn
	}
	return boolish(want) != "" && boolish(want) == boolish(have)
}

func boolish(s string) string {
	switch strings.ToLower(s) {
	case "on", "true":
		return "on"
	case "off", "false":
		return "off"
	}
	return ""
}

func normList(s string) string {
	p := strings.Split(s, ",")
	for i := range p {
		p[i] = strings.TrimSpace(p[i])
	}
	sort.Strings(p)
	return strings.Join(p, ",")
}

// diffAttrs returns the desired attributes that differ from the listener's.
// An attribute the listing does not report at all cannot be compared; it
// is set at creation only, so an unchanged Service never causes a write.
func diffAttrs(desired map[string]string, actual map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range desired {
		lk := strings.ToLower(k)
		have, known := actual[lk]
		if !known {
			continue
		}
		if !attrEqual(lk, v, have) {
			out[k] = v
		}
	}
	return out
}

// setParams fills the request struct req points to from attrs, matching
// each key against the fields' `name` tags case-insensitively. It returns
// the keys the request has no parameter for (the action does not take
// them), so callers can report them rather than drop them silently.
func setParams(req any, attrs map[string]string) []string {
	v := reflect.ValueOf(req).Elem()
	t := v.Type()
	idx := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous || f.Type.Kind() != reflect.String {
			continue
		}
		if n := f.Tag.Get("name"); n != "" {
			idx[strings.ToLower(n)] = i
		}
	}
	var unknown []string
	for k, val := range attrs {
		i, ok := idx[strings.ToLower(k)]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		v.Field(i).SetString(val)
	}
	sort.Strings(unknown)
	return unknown
}

// listenerRequest builds a Create or Set request of a protocol.
func listenerRequest(create bool, proto string) (any, error) {
	switch {
	case create && proto == ProtoTCP:
		return slb.CreateCreateLoadBalancerTCPListenerRequest(), nil
	case create && proto == ProtoUDP:
		return slb.CreateCreateLoadBalancerUDPListenerRequest(), nil
	case create && proto == ProtoHTTP:
		return slb.CreateCreateLoadBalancerHTTPListenerRequest(), nil
	case create && proto == ProtoHTTPS:
		return slb.CreateCreateLoadBalancerHTTPSListenerRequest(), nil
	case proto == ProtoTCP:
		return slb.CreateSetLoadBalancerTCPListenerAttributeRequest(), nil
	case proto == ProtoUDP:
		return slb.CreateSetLoadBalancerUDPListenerAttributeRequest(), nil
	case proto == ProtoHTTP:
		return slb.CreateSetLoadBalancerHTTPListenerAttributeRequest(), nil
	case proto == ProtoHTTPS:
		return slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest(), nil
	}
	return nil, fmt.Errorf("unsupported listener protocol %q", proto)
}
