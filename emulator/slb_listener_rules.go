package emulator

// Listener attribute rules: one row per attribute with its documented value
// list, range or format. An invalid value gets Invalid{ParameterName} 400
// (the common error table), except where a row says otherwise.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// clbDoc is the prefix of the CLB API reference pages; append the action
// name in lower case.
const clbDoc = "https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-"

// Listener pages the rows cite.
const (
	clbTCPDoc   = clbDoc + "createloadbalancertcplistener"
	clbUDPDoc   = clbDoc + "createloadbalancerudplistener"
	clbHTTPDoc  = clbDoc + "createloadbalancerhttplistener"
	clbHTTPSDoc = clbDoc + "createloadbalancerhttpslistener"
)

// attrRule checks one listener attribute value; doc is the page (or the
// fact) the rule comes from.
type attrRule struct {
	doc   string
	check func(k, v string) error
}

// rangeRule accepts a decimal integer in [lo, hi].
func rangeRule(doc string, lo, hi int) attrRule {
	return attrRule{doc: doc, check: func(k, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return errInvalid(k, v)
		}
		return nil
	}}
}

// enumRule accepts exactly one of opts (case-sensitive).
func enumRule(doc string, opts ...string) attrRule {
	return attrRule{doc: doc, check: func(k, v string) error {
		if !slices.Contains(opts, v) {
			return errInvalid(k, v)
		}
		return nil
	}}
}

// formatRule accepts what ok accepts.
func formatRule(doc string, ok func(v string) bool) attrRule {
	return attrRule{doc: doc, check: func(k, v string) error {
		if !ok(v) {
			return errInvalid(k, v)
		}
		return nil
	}}
}

// switchRule accepts the CLB switch vocabulary.
func switchRule(doc string) attrRule { return enumRule(doc, "on", "off") }

// listenerAttrRules holds every checked listener attribute; attributes
// without a row are taken as sent.
var listenerAttrRules = map[string]attrRule{
	// Bandwidth: -1 (no limit) or 1 to 5120 Mbit/s.
	"Bandwidth": {doc: clbTCPDoc, check: func(k, v string) error {
		if v == "-1" {
			return nil
		}
		return rangeRule("", 1, 5120).check(k, v)
	}},
	"BackendServerPort":         rangeRule(clbTCPDoc, 1, 65535),
	"HealthCheckConnectPort":    rangeRule(clbTCPDoc, 1, 65535),
	"ForwardPort":               rangeRule(clbHTTPDoc, 1, 65535),
	"PersistenceTimeout":        rangeRule(clbTCPDoc, 0, 3600),
	"EstablishedTimeout":        rangeRule(clbTCPDoc, 10, 900),
	"ConnectionDrainTimeout":    rangeRule(clbTCPDoc, 10, 900),
	"HealthCheckConnectTimeout": rangeRule(clbTCPDoc, 1, 300),
	"HealthCheckTimeout":        rangeRule(clbHTTPDoc, 1, 300),
	"HealthCheckInterval":       rangeRule(clbTCPDoc, 1, 50),
	"HealthyThreshold":          rangeRule(clbTCPDoc, 2, 10),
	"UnhealthyThreshold":        rangeRule(clbTCPDoc, 2, 10),
	"IdleTimeout":               rangeRule(clbHTTPDoc, 1, 60),
	"RequestTimeout":            rangeRule(clbHTTPDoc, 1, 180),
	"CookieTimeout":             rangeRule(clbHTTPDoc, 1, 86400),
	// MaxConnection has no documented upper bound; 2^30 keeps it an int32.
	"MaxConnection": rangeRule(clbDoc+"setloadbalancertcplistenerattribute", 0, 1<<30),

	"ForwardCode":            enumRule(clbHTTPDoc, "301", "302", "307", "308"),
	"Scheduler":              enumRule(clbTCPDoc, "wrr", "rr", "wlc", "sch", "tch", "qch"),
	"AclType":                enumRule(clbTCPDoc, "white", "black"),
	"StickySessionType":      enumRule(clbHTTPDoc, "insert", "server"),
	"HealthCheckType":        enumRule(clbTCPDoc, "tcp", "http"),
	"HealthCheckHttpVersion": enumRule(clbTCPDoc, "http1.0", "http1.1"),
	// HealthCheckMethod: the page lists head and get; the cloud also takes
	// them in upper case.
	"HealthCheckMethod":              enumRule(clbTCPDoc, "head", "get", "HEAD", "GET"),
	"BackendProtocol":                enumRule(clbHTTPSDoc, "http", "https"),
	"ProxyProtocolV2Enabled":         enumRule(clbTCPDoc, "true", "false"),
	"FullNatEnabled":                 enumRule(clbTCPDoc, "true", "false"),
	"HealthCheckTcpFastCloseEnabled": enumRule(clbTCPDoc, "true", "false"),
	"TLSCipherPolicy": enumRule(clbHTTPSDoc, "tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
		"tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3"),

	"HealthCheck":       switchRule(clbHTTPDoc),
	"HealthCheckSwitch": switchRule(clbUDPDoc),
	"StickySession":     switchRule(clbHTTPDoc),
	"Gzip":              switchRule(clbHTTPDoc),
	"ConnectionDrain":   switchRule(clbTCPDoc),
	"AclStatus":         switchRule(clbTCPDoc),
	"EnableHttp2":       switchRule(clbHTTPSDoc),
	"ListenerForward":   switchRule(clbHTTPDoc),
	"SynProxy":          switchRule(clbDoc + "setloadbalancertcplistenerattribute"),

	// HealthCheckURI: 1 to 80 characters starting with "/"; "/" alone is
	// refused for TCP health checks but allowed for HTTP listeners, so it is
	// accepted here.
	"HealthCheckURI": formatRule(clbTCPDoc, func(v string) bool { return len(v) <= 80 && strings.HasPrefix(v, "/") }),
	// Description: up to 256 characters.
	"Description": formatRule(clbTCPDoc, func(v string) bool { return utf8.RuneCountInString(v) <= 256 }),
	// HealthCheckHttpCode: a comma-separated list of http_2xx, http_3xx,
	// http_4xx and http_5xx.
	"HealthCheckHttpCode": formatRule(clbTCPDoc, func(v string) bool {
		for _, p := range strings.Split(v, ",") {
			if !slices.Contains([]string{"http_2xx", "http_3xx", "http_4xx", "http_5xx"}, p) {
				return false
			}
		}
		return true
	}),
	// UDP health-check request and answer: up to 64 characters; longer gets
	// InvalidParamLength.<name>.
	"HealthCheckReq": {doc: clbUDPDoc, check: udpCheckString},
	"HealthCheckExp": {doc: clbUDPDoc, check: udpCheckString},
}

// xForwardedForRule covers the XForwardedFor* switches of HTTP and HTTPS
// listeners (XForwardedFor, XForwardedFor_SLBIP, ...); the *Alias
// parameters are header names, not switches.
var xForwardedForRule = switchRule(clbHTTPDoc)

func udpCheckString(k, v string) error {
	if len(v) > 64 {
		return Errf(http.StatusBadRequest, "InvalidParamLength."+k, "The param %s is too long.", k)
	}
	return nil
}

// validateAttr checks one attribute value against its row.
func validateAttr(k, v string) error {
	if r, ok := listenerAttrRules[k]; ok {
		return r.check(k, v)
	}
	if strings.HasPrefix(k, "XForwardedFor") && !strings.HasSuffix(k, "Alias") {
		return xForwardedForRule.check(k, v)
	}
	return nil
}
