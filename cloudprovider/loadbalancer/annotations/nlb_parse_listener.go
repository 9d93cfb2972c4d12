package annotations

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// nlbSecurityPolicies are the NLB's system TLS security policies
// (ListSystemSecurityPolicy); a custom policy has an spy- ID.
var nlbSecurityPolicies = []string{
	"tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
	"tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3",
}

// nlbALPNPolicies are the ALPN policies of TCPSSL listeners.
var nlbALPNPolicies = []string{"HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred"}

// udpIdleMax is the longest idle timeout of a UDP listener (s); TCP and
// TCPSSL listeners take the registry Range of idle-timeout.
const udpIdleMax = 90

// parseNLBListeners builds one listener per spec.ports entry and fills in
// the listener annotations that fit each one's protocol.
func (p *parser) parseNLBListeners(c *NLBConfig) {
	// tcpssl is not a CLB Protocol constant: the CLB's switches over
	// Protocol need not handle it.
	protos := p.protocolPort(ProtocolTCP, ProtocolUDP, Protocol(tcpssl))
	for _, sp := range p.svc.Spec.Ports {
		l := NLBListener{PortName: sp.Name, Port: sp.Port, NodePort: sp.NodePort, TargetPort: sp.TargetPort, ServiceProtocol: serviceProtocol(sp)}
		switch l.ServiceProtocol {
		case v1.ProtocolTCP:
			l.Protocol = NLBProtocolTCP
		case v1.ProtocolUDP:
			l.Protocol = NLBProtocolUDP
		default:
			p.fail(fmt.Sprintf("%s[%s].protocol", FieldPorts, portRef(sp)), string(sp.Protocol),
				"NLB listeners support TCP and UDP ServicePorts only")
			continue
		}
		if proto, ok := protos[portKey{sp.Port, l.ServiceProtocol}]; ok {
			l.Protocol = NLBProtocol(strings.ToUpper(string(proto)))
		}
		c.Listeners = append(c.Listeners, l)
	}
	p.listenerPortRanges(c)

	certs := p.singleID(KeyCertID, "an NLB listener takes one server certificate; list the others in "+string(KeyAdditionalCertIDs))
	extra := p.idList(KeyAdditionalCertIDs)
	caID := p.singleID(KeyCACertID, "an NLB listener takes one CA certificate")
	caOn := p.onOff(KeyCACert)
	if caOn != nil && *caOn && !p.has(KeyCACertID) {
		p.failName(KeyCACert, "on needs %s", KeyCACertID)
	}
	tls := p.nlbSecurityPolicy()
	alpn := p.onOff(KeyALPN)
	alpnPolicy := p.enum(KeyALPNPolicy, false, nlbALPNPolicies...)
	if alpn != nil && *alpn && !p.has(KeyALPNPolicy) {
		p.failName(KeyALPN, "on needs %s", KeyALPNPolicy)
	}
	cps := p.intRange(KeyCPS)
	idle := p.intRange(KeyIdleTimeout)
	proxy := p.onOff(KeyProxyProtocol)
	ppv2 := [3]*bool{p.onOff(KeyPPv2PrivateLinkEpID), p.onOff(KeyPPv2PrivateLinkEpsID), p.onOff(KeyPPv2VpcID)}
	if proxy == nil || !*proxy {
		for _, n := range []Name{KeyPPv2PrivateLinkEpID, KeyPPv2PrivateLinkEpsID, KeyPPv2VpcID} {
			p.warnIgnored(n, "it applies only with "+string(KeyProxyProtocol)+": on")
		}
	}

	for i := range c.Listeners {
		l := &c.Listeners[i]
		l.CPS, l.ProxyProtocol = cps, proxy
		l.PPv2EpID, l.PPv2EpsID, l.PPv2VpcID = ppv2[0], ppv2[1], ppv2[2]
		l.IdleTimeout = idle
		if idle != nil && l.Protocol == NLBProtocolUDP && *idle > udpIdleMax {
			p.failName(KeyIdleTimeout, "the udp listener on port %d takes %d to %d", l.Port, nlbRangeOf(KeyIdleTimeout).Min, udpIdleMax)
			idle = nil
		}
		if l.Protocol != NLBProtocolTCPSSL {
			continue
		}
		// Slices are cloned so the engine may edit one listener's copy.
		if certs != "" {
			l.CertIDs = append([]string{certs}, extra...)
		}
		l.CACertID, l.CACertEnabled = caID, caOn
		l.TLSCipherPolicy = tls
		l.ALPNEnabled, l.ALPNPolicy = alpn, alpnPolicy
		if !p.has(KeyCertID) {
			p.failName(KeyProtocolPort, "the tcpssl listener on port %d needs annotation %s", l.Port, KeyCertID)
		}
	}
	p.nlbAppliesTo(c, func(pr NLBProtocol) bool { return pr == NLBProtocolTCPSSL }, "tcpssl",
		KeyCertID, KeyAdditionalCertIDs, KeyCACertID, KeyCACert, KeyTLSCipherPolicy, KeyALPN, KeyALPNPolicy)
}

// nlbAppliesTo warns about set annotations that fit no listener.
func (p *parser) nlbAppliesTo(c *NLBConfig, fits func(NLBProtocol) bool, what string, names ...Name) {
	if slices.ContainsFunc(c.Listeners, func(l NLBListener) bool { return fits(l.Protocol) }) {
		return
	}
	for _, n := range names {
		p.warnIgnored(n, "it applies to "+what+" listeners and the Service has none")
	}
}

// singleID reads an ID annotation the official CCM splits at commas and
// sends as a list the NLB takes one item of: a list is an error, why.
func (p *parser) singleID(n Name, why string) string {
	items, key, val, ok := p.list(n)
	switch {
	case !ok:
		return ""
	case len(items) > 1:
		p.fail(key, val, "%s", why)
		return ""
	case !idPattern.MatchString(items[0]):
		p.fail(key, val, "must be a single resource ID (letters, digits, '.', '_', '-')")
		return ""
	}
	return items[0]
}

// idList reads comma-separated resource IDs, each once.
func (p *parser) idList(n Name) []string {
	items, key, val, ok := p.list(n)
	if !ok {
		return nil
	}
	for i, id := range items {
		switch {
		case !idPattern.MatchString(id):
			p.fail(key, val, "%q is not a resource ID", id)
			return nil
		case slices.Contains(items[:i], id):
			p.fail(key, val, "%s is listed twice", id)
			return nil
		}
	}
	return items
}

// nlbSecurityPolicy reads tls-cipher-policy: a system policy, or the ID of
// a custom policy (spy-...).
func (p *parser) nlbSecurityPolicy() string {
	val, key, ok := p.get(KeyTLSCipherPolicy)
	switch {
	case !ok:
		return ""
	case slices.Contains(nlbSecurityPolicies, val):
		return val
	case strings.HasPrefix(val, "spy-") && idPattern.MatchString(val):
		return val
	}
	p.fail(key, val, "must be one of %s, or a custom security policy ID (spy-...)", strings.Join(nlbSecurityPolicies, ", "))
	return ""
}

// listenerPortRanges parses `start-end:servicePort[,...]` as the official
// CCM reads it: the first entry for a port wins, entries for ports the
// Service does not have are ignored (each a Warning here). Ranges of one protocol family (TCP
// and TCPSSL share one) must not overlap each other or another listener.
func (p *parser) listenerPortRanges(c *NLBConfig) {
	items, key, val, ok := p.list(KeyListenerPortRange)
	if !ok {
		return
	}
	// A port range forwards to the port the client connected to, which
	// pods serve and a NodePort does not (the official CCM refuses it
	// without eni backends too).
	switch {
	case c.ServerGroup.Type != NLBServerGroupIP:
		p.fail(key, val, "needs %s: ip (a port range forwards to pod addresses on the port the client used)", KeyServerGroupType)
		return
	case c.Backend.Type != BackendENI:
		p.fail(key, val, "needs %s: eni (a port range forwards to pod addresses on the port the client used, not to a NodePort)", KeyBackendType)
		return
	}
	ports := p.servicePorts()
	out := map[int32]*PortRange{}
	for _, item := range items {
		rs, ps, found := strings.Cut(item, ":")
		ss, es, dash := strings.Cut(strings.TrimSpace(rs), "-")
		start, startOK := parsePort(strings.TrimSpace(ss))
		end, endOK := parsePort(strings.TrimSpace(es))
		port, portOK := parsePort(strings.TrimSpace(ps))
		switch {
		case !found || !dash || !startOK || !endOK || !portOK:
			p.fail(key, val, "entry %q must be start-end:servicePort with ports from %d to %d, e.g. 8000-8100:80", item, minPort, maxPort)
		case start >= end:
			p.fail(key, val, "entry %q: the start port must be below the end port", item)
		case !slices.Contains(ports, port):
			p.warnf("annotation %s=%q: entry %q is ignored: %d is not a port of the Service (ports: %s)", key, val, item, port, portList(ports))
		case out[port] != nil:
			p.warnf("annotation %s=%q: entry %q is ignored: port %d is listed before, and the first entry wins", key, val, item, port)
		default:
			out[port] = &PortRange{Start: start, End: end}
		}
	}
	for i := range c.Listeners {
		if r := out[c.Listeners[i].Port]; r != nil {
			c.Listeners[i].PortRange = &PortRange{Start: r.Start, End: r.End}
		}
	}
	if msg := portOverlap(c.Listeners); msg != "" {
		p.fail(key, val, "%s", msg)
	}
}

// portOverlap names two listeners of one protocol family whose ports
// overlap; "" when none do.
func portOverlap(ls []NLBListener) string {
	span := func(l NLBListener) (int32, int32) {
		if l.PortRange != nil {
			return l.PortRange.Start, l.PortRange.End
		}
		return l.Port, l.Port
	}
	udp := func(l NLBListener) bool { return l.Protocol == NLBProtocolUDP }
	for i, a := range ls {
		for _, b := range ls[i+1:] {
			if udp(a) != udp(b) || a.PortRange == nil && b.PortRange == nil {
				continue
			}
			as, ae := span(a)
			bs, be := span(b)
			if as <= be && bs <= ae {
				return fmt.Sprintf("the %s listener of port %d (%s) overlaps the %s listener of port %d (%s)",
					a.Protocol, a.Port, spanString(as, ae), b.Protocol, b.Port, spanString(bs, be))
			}
		}
	}
	return ""
}

// spanString formats a port or a port range.
func spanString(start, end int32) string {
	if start == end {
		return strconv.Itoa(int(start))
	}
	return fmt.Sprintf("%d-%d", start, end)
}
