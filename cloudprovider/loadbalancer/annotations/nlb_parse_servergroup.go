package annotations

import (
	"strings"
)

// nlbSchedulers maps the scheduler annotation (any case, as the NLB API
// takes it) to the API's spelling
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-createservergroup).
var nlbSchedulers = map[string]string{"wrr": "Wrr", "rr": "Rr", "wlc": "Wlc", "sch": "Sch", "tch": "Tch", "qch": "Qch"}

// nlbHealthCheckServerIP is the NLB's health check domain meaning "the
// backend's address".
const nlbHealthCheckServerIP = "$SERVER_IP"

// maxNLBHealthCheckDomain is the longest health check domain.
const maxNLBHealthCheckDomain = 80

// maxHTTPCheckInterval is the longest interval (s) of TCP and HTTP health
// checks; UDP checks take the registry Range of health-check-interval.
const maxHTTPCheckInterval = 50

// serverGroupType reads server-group-type (any case, as the official CCM).
func (p *parser) serverGroupType() NLBServerGroupType {
	switch p.enum(KeyServerGroupType, true, "instance", "ip") {
	case "ip":
		return NLBServerGroupIP
	default:
		return NLBServerGroupInstance
	}
}

// parseNLBServerGroup reads the settings shared by the Service's server
// groups; the type is read before the listeners.
func (p *parser) parseNLBServerGroup(c *NLBConfig) {
	sg := &c.ServerGroup
	if v := p.enum(KeyScheduler, true, "wrr", "rr", "wlc", "sch", "tch", "qch"); v != "" {
		sg.Scheduler = nlbSchedulers[v]
	}
	if sg.Scheduler == "Qch" {
		// QUIC ID hashing reads QUIC packets: UDP server groups only.
		for _, l := range c.Listeners {
			if l.Protocol != NLBProtocolUDP {
				p.failName(KeyScheduler, "qch (QUIC ID hash) applies to udp listeners only; the listener on port %d is %s", l.Port, l.Protocol)
				sg.Scheduler = ""
				break
			}
		}
	}
	sg.PreserveClientIP = p.onOff(KeyPreserveClientIP)
	if v := sg.PreserveClientIP; v != nil && *v {
		for _, l := range c.Listeners {
			if l.Protocol == NLBProtocolTCPSSL {
				p.failName(KeyPreserveClientIP, "the server group of the tcpssl listener on port %d cannot preserve client addresses (the NLB refuses it); set it off", l.Port)
				break
			}
		}
	}
	sg.ConnectionDrain = p.onOff(KeyConnectionDrain)
	sg.ConnectionDrainTimeout = p.intRange(KeyConnectionDrainTimeout)
	if sg.ConnectionDrainTimeout != nil && (sg.ConnectionDrain == nil || !*sg.ConnectionDrain) && !p.invalid(KeyConnectionDrain) {
		p.warnIgnored(KeyConnectionDrainTimeout, "it applies only with "+string(KeyConnectionDrain)+": on")
	}
	sg.HealthCheck = p.nlbHealthCheck()
}

// nlbHealthCheck reads the health check annotations. The type and the
// method are sent in the API's upper case, whatever case was written.
func (p *parser) nlbHealthCheck() NLBHealthCheck {
	hc := NLBHealthCheck{
		Enabled:            p.onOff(KeyHealthCheckFlag),
		Type:               strings.ToUpper(p.enum(KeyHealthCheckType, true, "tcp", "http", "udp")),
		ConnectPort:        p.intRange(KeyHealthCheckConnectPort),
		ConnectTimeout:     p.intRange(KeyHealthCheckConnectTimeout),
		Interval:           p.intRange(KeyHealthCheckInterval),
		HealthyThreshold:   p.intRange(KeyHealthyThreshold),
		UnhealthyThreshold: p.intRange(KeyUnhealthyThreshold),
		URI:                p.healthCheckURI(),
		Domain:             p.nlbHealthCheckDomain(),
		Method:             strings.ToUpper(p.enum(KeyHealthCheckMethod, true, "get", "head")),
		HTTPCodes:          p.healthCheckHTTPCodes(),
	}
	if hc.Interval != nil && *hc.Interval > maxHTTPCheckInterval && hc.Type != "UDP" {
		p.failName(KeyHealthCheckInterval, "must be from %d to %d unless %s is udp", nlbRangeOf(KeyHealthCheckInterval).Min, maxHTTPCheckInterval, KeyHealthCheckType)
		hc.Interval = nil
	}
	others := []Name{KeyHealthCheckType, KeyHealthCheckConnectPort, KeyHealthCheckConnectTimeout, KeyHealthCheckInterval,
		KeyHealthyThreshold, KeyUnhealthyThreshold, KeyHealthCheckURI, KeyHealthCheckDomain, KeyHealthCheckMethod, KeyHealthCheckHTTPCode}
	if hc.Enabled != nil && !*hc.Enabled {
		for _, n := range others {
			p.warnIgnored(n, "health checks are off ("+string(KeyHealthCheckFlag)+")")
		}
		return hc
	}
	if hc.Type != "HTTP" && !p.invalid(KeyHealthCheckType) {
		for _, n := range []Name{KeyHealthCheckURI, KeyHealthCheckDomain, KeyHealthCheckMethod, KeyHealthCheckHTTPCode} {
			p.warnIgnored(n, "it applies to http health checks only ("+string(KeyHealthCheckType)+": http)")
		}
	}
	return hc
}

// nlbHealthCheckDomain accepts $SERVER_IP (the backend's address) or a
// domain name of at most maxNLBHealthCheckDomain characters.
func (p *parser) nlbHealthCheckDomain() string {
	val, key, ok := p.get(KeyHealthCheckDomain)
	switch {
	case !ok:
		return ""
	case val == nlbHealthCheckServerIP:
		return val
	case val == "$_ip":
		p.fail(key, val, "$_ip is the CLB spelling; an NLB health check sends the backend's address as %s", nlbHealthCheckServerIP)
		return ""
	case len(val) > maxNLBHealthCheckDomain || !validDomain(val):
		p.fail(key, val, "must be %s or a domain name of at most %d characters", nlbHealthCheckServerIP, maxNLBHealthCheckDomain)
		return ""
	}
	return val
}
