package annotations

import (
	"slices"
	"strconv"
	"strings"
)

// httpCodes are the status classes a health check may accept.
var httpCodes = []string{"http_2xx", "http_3xx", "http_4xx", "http_5xx"}

// parseHealthChecks reads the health check annotations once and gives each
// listener the ones that fit its protocol.
func (p *parser) parseHealthChecks() {
	sw := p.onOff(KeyHealthCheckSwitch)
	flag := p.onOff(KeyHealthCheckFlag)
	typ := p.enum(KeyHealthCheckType, false, "tcp", "http")
	uri := p.healthCheckURI()
	domain := p.healthCheckDomain()
	codes := p.healthCheckHTTPCodes()
	method := p.enum(KeyHealthCheckMethod, false, "head", "get")
	port := p.healthCheckConnectPort()
	interval := p.intRange(KeyHealthCheckInterval)
	healthy := p.intRange(KeyHealthyThreshold)
	unhealthy := p.intRange(KeyUnhealthyThreshold)
	connectTimeout := p.intRange(KeyHealthCheckConnectTimeout)
	timeout := p.intRange(KeyHealthCheckTimeout)

	for i := range p.cfg.Listeners {
		l := &p.cfg.Listeners[i]
		hc := HealthCheck{ConnectPort: port, Interval: interval, HealthyThreshold: healthy, UnhealthyThreshold: unhealthy}
		switch l.Protocol {
		case ProtocolTCP, ProtocolUDP:
			hc.Enabled, hc.ConnectTimeout = sw, connectTimeout
			if l.Protocol == ProtocolTCP {
				hc.Type = typ
			}
		case ProtocolHTTP, ProtocolHTTPS:
			hc.Enabled, hc.Timeout, hc.Method = flag, timeout, method
		}
		// UDP checks send no HTTP request, so the HTTP fields do not apply.
		if l.Protocol != ProtocolUDP {
			hc.URI, hc.Domain, hc.HTTPCodes = uri, domain, slices.Clone(codes)
		}
		l.HealthCheck = hc
	}

	p.appliesTo(isL4, "tcp or udp", KeyHealthCheckSwitch, KeyHealthCheckConnectTimeout)
	p.appliesTo(isTCP, "tcp", KeyHealthCheckType)
	p.appliesTo(isL7, "http or https", KeyHealthCheckFlag, KeyHealthCheckMethod, KeyHealthCheckTimeout)
	p.appliesTo(notUDP, "tcp, http or https", KeyHealthCheckURI, KeyHealthCheckDomain, KeyHealthCheckHTTPCode)
	p.appliesTo(func(Protocol) bool { return true }, "any", KeyHealthCheckConnectPort, KeyHealthCheckInterval,
		KeyHealthyThreshold, KeyUnhealthyThreshold)
}

// healthCheckURI checks the path: it starts with / and has at most
// maxHealthCheckURI characters without spaces.
func (p *parser) healthCheckURI() string {
	val, key, ok := p.get(KeyHealthCheckURI)
	if !ok {
		return ""
	}
	if !strings.HasPrefix(val, "/") || len(val) > maxHealthCheckURI || strings.ContainsAny(val, " \t\n") {
		p.fail(key, val, "must be a path starting with / of at most %d characters without spaces", maxHealthCheckURI)
		return ""
	}
	return val
}

// healthCheckDomain accepts $_ip (the backend's address) or a domain name.
func (p *parser) healthCheckDomain() string {
	val, key, ok := p.get(KeyHealthCheckDomain)
	if !ok {
		return ""
	}
	if val != "$_ip" && !validDomain(val) {
		p.fail(key, val, "must be $_ip or a domain name")
		return ""
	}
	return val
}

// healthCheckHTTPCodes parses `http_2xx,http_3xx`.
func (p *parser) healthCheckHTTPCodes() []string {
	items, key, val, ok := p.list(KeyHealthCheckHTTPCode)
	if !ok {
		return nil
	}
	for _, c := range items {
		if !slices.Contains(httpCodes, c) {
			p.fail(key, val, "%q is not one of %s", c, strings.Join(httpCodes, ", "))
			return nil
		}
	}
	return items
}

// healthCheckConnectPort accepts a port or HealthCheckConnectPortBackend
// (the backend's port).
func (p *parser) healthCheckConnectPort() *int {
	val, key, ok := p.get(KeyHealthCheckConnectPort)
	if !ok {
		return nil
	}
	if v, err := strconv.Atoi(val); err == nil && v == HealthCheckConnectPortBackend {
		return &v
	}
	port, ok := parsePort(val)
	if !ok {
		p.fail(key, val, "must be a port from %d to %d, or %d for the backend port", minPort, maxPort, HealthCheckConnectPortBackend)
		return nil
	}
	v := int(port)
	return &v
}
