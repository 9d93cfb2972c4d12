package annotations

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// tlsCipherPolicies are the TLS policies CLB offers.
var tlsCipherPolicies = []string{
	"tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
	"tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3",
}

// validCookie is the CLB rule for a server cookie name: 1–200 printable
// ASCII characters without spaces, commas or semicolons, not starting with $.
func validCookie(c string) bool {
	if c == "" || len(c) > maxCookie || c[0] == '$' {
		return false
	}
	for _, r := range c {
		if r <= ' ' || r > '~' || r == ',' || r == ';' {
			return false
		}
	}
	return true
}

// Predicates for the listener protocols an annotation applies to.
func isTCP(p Protocol) bool   { return p == ProtocolTCP }
func isL4(p Protocol) bool    { return p == ProtocolTCP || p == ProtocolUDP }
func isL7(p Protocol) bool    { return p.IsHTTP() }
func isHTTPS(p Protocol) bool { return p == ProtocolHTTPS }
func notUDP(p Protocol) bool  { return p != ProtocolUDP }

// parseListeners builds one Listener per spec.ports entry and fills in the
// listener annotations that fit each one's protocol.
func (p *parser) parseListeners() {
	protos := p.protocolPort(ProtocolTCP, ProtocolUDP, ProtocolHTTP, ProtocolHTTPS)
	for _, sp := range p.svc.Spec.Ports {
		l := Listener{
			PortName: sp.Name, Port: sp.Port, NodePort: sp.NodePort,
			TargetPort: sp.TargetPort, ServiceProtocol: sp.Protocol,
		}
		l.ServiceProtocol = serviceProtocol(sp)
		switch l.ServiceProtocol {
		case v1.ProtocolTCP:
			l.Protocol = ProtocolTCP
		case v1.ProtocolUDP:
			l.Protocol = ProtocolUDP
		default:
			p.fail(fmt.Sprintf("%s[%s].protocol", FieldPorts, portRef(sp)), string(sp.Protocol),
				"CLB listeners support TCP and UDP ServicePorts only")
			continue
		}
		if proto, ok := protos[portKey{sp.Port, l.ServiceProtocol}]; ok {
			l.Protocol = proto
		}
		p.cfg.Listeners = append(p.cfg.Listeners, l)
	}

	scheduler := p.enum(KeyScheduler, false, "rr", "wrr", "wlc", "sch", "tch")
	if scheduler == "sch" || scheduler == "tch" {
		// Consistent hashing exists for layer-4 listeners only.
		for _, l := range p.cfg.Listeners {
			if l.Protocol.IsHTTP() {
				p.failName(KeyScheduler, "%s is not available for the %s listener on port %d; use rr, wrr or wlc", scheduler, l.Protocol, l.Port)
				scheduler = ""
				break
			}
		}
	}
	certID := p.id(KeyCertID)
	tls := p.enum(KeyTLSCipherPolicy, false, tlsCipherPolicies...)
	http2 := p.onOff(KeyHTTP2Enabled)
	domains := p.domainExtensions()
	forward := p.forwardPorts()
	acl := p.acl()
	persistence := p.intRange(KeyPersistenceTimeout)
	established := p.intRange(KeyEstablishedTimeout)
	idle := p.intRange(KeyIdleTimeout)
	request := p.intRange(KeyRequestTimeout)
	drain := p.onOff(KeyConnectionDrain)
	drainTimeout := p.intRange(KeyConnectionDrainTimeout)
	if drainTimeout != nil && (drain == nil || !*drain) && !p.invalid(KeyConnectionDrain) {
		p.warnIgnored(KeyConnectionDrainTimeout, "it applies only with "+string(KeyConnectionDrain)+": on")
	}
	proxy := p.onOff(KeyProxyProtocol)
	sticky := p.stickySession()
	xff := XForwardedFor{
		Proto:         p.onOff(KeyXForwardedForProto),
		SLBPort:       p.onOff(KeyXForwardedForSLBPort),
		ClientSrcPort: p.onOff(KeyXForwardedForClientSrcPort),
	}

	for i := range p.cfg.Listeners {
		l := &p.cfg.Listeners[i]
		l.Scheduler = scheduler
		// Slices are cloned so that the engine may edit one listener's
		// copy without changing the others.
		l.ACL = ACL{Status: acl.Status, IDs: slices.Clone(acl.IDs), Type: acl.Type}
		switch l.Protocol {
		case ProtocolHTTPS:
			l.CertID, l.TLSCipherPolicy, l.HTTP2 = certID, tls, http2
			l.DomainExtensions = slices.Clone(domains)
			if certID == "" && !p.has(KeyCertID) {
				p.failName(KeyProtocolPort, "the https listener on port %d needs annotation %s", l.Port, KeyCertID)
			}
		case ProtocolTCP:
			l.PersistenceTimeout, l.EstablishedTimeout = persistence, established
		case ProtocolUDP, ProtocolHTTP:
			// No attributes of their own beyond the shared ones below.
		}
		if l.Protocol == ProtocolHTTP {
			l.ForwardPort = forward[l.Port]
		}
		if isL4(l.Protocol) {
			l.ConnectionDrain, l.ConnectionDrainTimeout, l.ProxyProtocol = drain, drainTimeout, proxy
		} else {
			l.IdleTimeout, l.RequestTimeout = idle, request
			l.StickySession, l.XForwardedFor = sticky, xff
		}
	}

	p.appliesTo(isHTTPS, "https", KeyCertID, KeyTLSCipherPolicy, KeyHTTP2Enabled, KeyDomainExtensions)
	p.appliesTo(isTCP, "tcp", KeyPersistenceTimeout, KeyEstablishedTimeout)
	p.appliesTo(isL4, "tcp or udp", KeyConnectionDrain, KeyConnectionDrainTimeout, KeyProxyProtocol)
	p.appliesTo(isL7, "http or https", KeyIdleTimeout, KeyRequestTimeout, KeyStickySession, KeyStickySessionType,
		KeyCookieTimeout, KeyCookie, KeyXForwardedForProto, KeyXForwardedForSLBPort, KeyXForwardedForClientSrcPort)
}

// invalid reports whether an annotation is set but was rejected, so that
// follow-up checks do not pile a second message on the same mistake.
func (p *parser) invalid(n Name) bool {
	_, key, ok := p.get(n)
	if !ok {
		return false
	}
	for _, err := range p.errs {
		if e := (*Error)(nil); errors.As(err, &e) && e.Key == key {
			return true
		}
	}
	return false
}

// appliesTo warns about set annotations that fit no listener of the Service.
func (p *parser) appliesTo(fits func(Protocol) bool, what string, names ...Name) {
	if slices.ContainsFunc(p.cfg.Listeners, func(l Listener) bool { return fits(l.Protocol) }) {
		return
	}
	for _, n := range names {
		p.warnIgnored(n, "it applies to "+what+" listeners and the Service has none")
	}
}

// portKey identifies a ServicePort: the same port may be used once for TCP
// and once for UDP.
type portKey struct {
	port  int32
	proto v1.Protocol
}

// portRef names a ServicePort in error keys: its name, else its port.
func portRef(sp v1.ServicePort) string {
	if sp.Name != "" {
		return sp.Name
	}
	return fmt.Sprint(sp.Port)
}

// protocolPort parses `https:443,http:80` as the official CCM reads it:
// the listener protocol of a port comes from its entry whatever the
// ServicePort protocol (`http:80` on a UDP ServicePort gives an http
// listener), the first entry for a port wins, and entries for ports the
// Service does not have are ignored. Each of those is a Warning here. An
// entry that is not protocol:port or names another protocol is an error,
// as it is there. Where one port is both a TCP and a UDP ServicePort, an
// entry picks the ServicePort it fits (udp the UDP one, the others the TCP
// one), so the two listeners stay distinct. allowed are the protocols of
// the product (CLB: tcp, udp, http, https; NLB: tcp, udp, tcpssl).
func (p *parser) protocolPort(allowed ...Protocol) map[portKey]Protocol {
	items, key, val, ok := p.list(KeyProtocolPort)
	if !ok {
		return nil
	}
	has := map[portKey]bool{}
	for _, sp := range p.svc.Spec.Ports {
		has[portKey{sp.Port, serviceProtocol(sp)}] = true
	}
	out := map[portKey]Protocol{}
	for _, item := range items {
		ps, ns, found := strings.Cut(item, ":")
		proto := Protocol(strings.TrimSpace(ps))
		if !found {
			p.fail(key, val, "entry %q must be protocol:port", item)
			continue
		}
		if !slices.Contains(allowed, proto) {
			p.fail(key, val, "entry %q: protocol must be %s (lower case)", item, orList(allowed))
			continue
		}
		port, portOK := parsePort(strings.TrimSpace(ns))
		if !portOK {
			p.warnf("annotation %s=%q: entry %q is ignored: %q is not a port number, so it matches no port of the Service", key, val, item, strings.TrimSpace(ns))
			continue
		}
		sp := portKey{port, v1.ProtocolTCP}
		if proto == ProtocolUDP {
			sp.proto = v1.ProtocolUDP
		}
		if !has[sp] {
			// The port exists only with the other ServicePort protocol
			// (or not at all).
			other := portKey{port, v1.ProtocolUDP}
			if sp.proto == v1.ProtocolUDP {
				other.proto = v1.ProtocolTCP
			}
			if !has[other] {
				p.warnf("annotation %s=%q: entry %q is ignored: %d is not a port of the Service (ports: %s)", key, val, item, port, portList(p.servicePorts()))
				continue
			}
			sp = other
		}
		if prev, dup := out[sp]; dup {
			p.warnf("annotation %s=%q: entry %q is ignored: port %d is listed before as %s, and the first entry wins", key, val, item, port, prev)
			continue
		}
		if (proto == ProtocolUDP) != (sp.proto == v1.ProtocolUDP) {
			p.warnf("annotation %s=%q: entry %q gives a %s listener on port %d, whose ServicePort is %s: the listener will carry no traffic, as the NodePort serves %s only", key, val, item, proto, port, sp.proto, sp.proto)
		}
		out[sp] = proto
	}
	return out
}

// orList formats values as "a, b or c".
func orList[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// serviceProtocol is a ServicePort's protocol, TCP when unset (the API
// server defaults it).
func serviceProtocol(sp v1.ServicePort) v1.Protocol {
	if sp.Protocol == "" {
		return v1.ProtocolTCP
	}
	return sp.Protocol
}

// forwardPorts parses `80:443[,81:444]`: http listener port to https
// listener port, as the official CCM reads it: an entry for a port that is
// not an http listener is ignored (a Warning here), the first entry for a
// port wins. An entry that is not two port numbers is an error, and so is
// a target that is not an https listener of the Service (the API refuses
// to forward to it).
func (p *parser) forwardPorts() map[int32]int32 {
	items, key, val, ok := p.list(KeyForwardPort)
	if !ok {
		return nil
	}
	protoOf := func(port int32) []Protocol {
		var ps []Protocol
		for _, l := range p.cfg.Listeners {
			if l.Port == port {
				ps = append(ps, l.Protocol)
			}
		}
		return ps
	}
	out := map[int32]int32{}
	for _, item := range items {
		fs, ts, found := strings.Cut(item, ":")
		from, fromOK := parsePort(strings.TrimSpace(fs))
		to, toOK := parsePort(strings.TrimSpace(ts))
		switch {
		case !found || !fromOK || !toOK:
			p.fail(key, val, "entry %q must be httpPort:httpsPort with ports from %d to %d", item, minPort, maxPort)
		case !slices.Contains(protoOf(from), ProtocolHTTP):
			p.warnf("annotation %s=%q: entry %q is ignored: port %d is not an http listener of the Service (see %s)", key, val, item, from, KeyProtocolPort)
		case out[from] != 0:
			p.warnf("annotation %s=%q: entry %q is ignored: port %d is listed before, and the first entry wins", key, val, item, from)
		case !slices.Contains(protoOf(to), ProtocolHTTPS):
			p.fail(key, val, "entry %q: port %d must be an https listener (see %s)", item, to, KeyProtocolPort)
		default:
			out[from] = to
		}
	}
	return out
}

// domainExtensions parses `domain:certId[,domain:certId]`.
func (p *parser) domainExtensions() []DomainExtension {
	items, key, val, ok := p.list(KeyDomainExtensions)
	if !ok {
		return nil
	}
	var out []DomainExtension
	for _, item := range items {
		d, c, found := strings.Cut(item, ":")
		d, c = strings.TrimSpace(d), strings.TrimSpace(c)
		switch {
		case !found || c == "":
			p.fail(key, val, "entry %q must be domain:certId", item)
		case !validDomain(d):
			p.fail(key, val, "entry %q: %q is not a domain name (a leading *. is allowed)", item, d)
		case !idPattern.MatchString(c):
			p.fail(key, val, "entry %q: %q is not a certificate ID", item, c)
		case slices.ContainsFunc(out, func(e DomainExtension) bool { return e.Domain == d }):
			p.fail(key, val, "domain %s is listed twice", d)
		default:
			out = append(out, DomainExtension{Domain: d, CertID: c})
		}
	}
	return out
}

// validDomain accepts a DNS name, optionally with a leading wildcard label.
func validDomain(d string) bool {
	d = strings.TrimPrefix(d, "*.")
	return len(validation.IsDNS1123Subdomain(strings.ToLower(d))) == 0 && strings.Contains(d, ".")
}

// acl parses acl-status, acl-id and acl-type. The API requires an ID and a
// type when the status is on, so that is checked here.
func (p *parser) acl() ACL {
	a := ACL{Status: p.onOff(KeyACLStatus), Type: p.enum(KeyACLType, false, "white", "black")}
	if items, key, val, ok := p.list(KeyACLID); ok {
		for _, id := range items {
			if !idPattern.MatchString(id) {
				p.fail(key, val, "%q is not an ACL ID", id)
				a.IDs = nil
				break
			}
			a.IDs = append(a.IDs, id)
		}
	}
	if a.Status != nil && *a.Status {
		if !p.has(KeyACLID) {
			p.failName(KeyACLStatus, "on needs %s", KeyACLID)
		}
		if !p.has(KeyACLType) {
			p.failName(KeyACLStatus, "on needs %s (white or black)", KeyACLType)
		}
	}
	return a
}

// stickySession parses the http(s) session persistence. The API requires a
// type when it is on, a cookie timeout for insert and a cookie for server.
func (p *parser) stickySession() StickySession {
	s := StickySession{
		Enabled:       p.onOff(KeyStickySession),
		Type:          p.enum(KeyStickySessionType, false, "insert", "server"),
		CookieTimeout: p.intRange(KeyCookieTimeout),
	}
	if val, key, ok := p.get(KeyCookie); ok {
		if validCookie(val) {
			s.Cookie = val
		} else {
			p.fail(key, val, "must be 1–%d printable ASCII characters without spaces, commas or semicolons, not starting with $", maxCookie)
		}
	}
	if s.Enabled == nil || !*s.Enabled {
		return s
	}
	// The rules below are the http(s) listener's: with none of them the
	// annotations are ignored with appliesTo's Warning, as the official
	// CCM ignores them there, not refused.
	if !slices.ContainsFunc(p.cfg.Listeners, func(l Listener) bool { return isL7(l.Protocol) }) {
		return s
	}
	switch s.Type {
	case "":
		if !p.has(KeyStickySessionType) {
			p.failName(KeyStickySession, "on needs %s (insert or server)", KeyStickySessionType)
		}
	case "insert":
		if !p.has(KeyCookieTimeout) {
			p.failName(KeyStickySessionType, "insert needs %s", KeyCookieTimeout)
		}
	case "server":
		if !p.has(KeyCookie) {
			p.failName(KeyStickySessionType, "server needs %s", KeyCookie)
		}
	}
	return s
}
