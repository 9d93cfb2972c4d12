package annotations

import "fmt"

// Listener annotations. They apply to every listener of the Service whose
// protocol they fit; see Annotation.Protocols.
const (
	// KeyProtocolPort: listener protocol per port.
	KeyProtocolPort Name = Prefix + "protocol-port"
	// KeyScheduler: scheduling algorithm.
	KeyScheduler Name = Prefix + "scheduler"
	// KeyCertID: server certificate of https listeners.
	KeyCertID Name = Prefix + "cert-id"
	// KeyTLSCipherPolicy: TLS policy of https listeners.
	KeyTLSCipherPolicy Name = Prefix + "tls-cipher-policy"
	// KeyHTTP2Enabled: HTTP/2 on https listeners.
	KeyHTTP2Enabled Name = Prefix + "http2-enabled"
	// KeyDomainExtensions: extra domain certificates.
	KeyDomainExtensions Name = Prefix + "domain-extensions"
	// KeyForwardPort: http to https redirects.
	KeyForwardPort Name = Prefix + "forward-port"
	// KeyACLStatus: ACL switch.
	KeyACLStatus Name = Prefix + "acl-status"
	// KeyACLID: ACL IDs.
	KeyACLID Name = Prefix + "acl-id"
	// KeyACLType: white or black list.
	KeyACLType Name = Prefix + "acl-type"
	// KeyPersistenceTimeout: TCP session persistence.
	KeyPersistenceTimeout Name = Prefix + "persistence-timeout"
	// KeyEstablishedTimeout: TCP connection timeout.
	KeyEstablishedTimeout Name = Prefix + "established-timeout"
	// KeyIdleTimeout: http(s) idle timeout.
	KeyIdleTimeout Name = Prefix + "idle-timeout"
	// KeyRequestTimeout: http(s) request timeout.
	KeyRequestTimeout Name = Prefix + "request-timeout"
	// KeyConnectionDrain: connection drain switch.
	KeyConnectionDrain Name = Prefix + "connection-drain"
	// KeyConnectionDrainTimeout: connection drain timeout.
	KeyConnectionDrainTimeout Name = Prefix + "connection-drain-timeout"
	// KeyProxyProtocol: proxy protocol v2.
	KeyProxyProtocol Name = Prefix + "proxy-protocol"
	// KeyStickySession: session persistence switch.
	KeyStickySession Name = Prefix + "sticky-session"
	// KeyStickySessionType: insert or server cookie.
	KeyStickySessionType Name = Prefix + "sticky-session-type"
	// KeyCookieTimeout: insert-cookie lifetime.
	KeyCookieTimeout Name = Prefix + "cookie-timeout"
	// KeyCookie: backend cookie name.
	KeyCookie Name = Prefix + "cookie"
	// KeyXForwardedForProto: X-Forwarded-Proto header.
	KeyXForwardedForProto Name = Prefix + "xforwardedfor-proto"
	// KeyXForwardedForSLBPort: X-Forwarded-Port header.
	KeyXForwardedForSLBPort Name = Prefix + "xforwardedfor-slbport"
	// KeyXForwardedForClientSrcPort: X-Forwarded-Client-srcport header.
	KeyXForwardedForClientSrcPort Name = Prefix + "xforwardedfor-clientsrcport"
)

const (
	onOff     = "`on` \\| `off`"
	l4        = "tcp, udp"
	l7        = "http, https"
	httpsOnly = "https"
	// onOffLenient is the Differs text of the official CCM's on/off switches.
	onOffLenient = "None in the result: any value other than `on` (e.g. `On`, `yes`) is off, as in the official CCM; values other than `on` and `off` also give a warning."
)

// maxCookie is the API limit on a server cookie name
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancerhttplistener).
const maxCookie = 200

var listenerAnnotations = []Annotation{
	{Name: KeyProtocolPort, Group: GroupListener, Type: "`proto:port[,proto:port...]`, proto `tcp` \\| `udp` \\| `http` \\| `https`", Default: "the ServicePort protocol", Mutability: RecreatesListener,
		Doc:     "Listener protocol per Service `port`, e.g. `https:443,http:80`. Ports not listed get a `tcp` or `udp` listener from their ServicePort protocol. A protocol change deletes the listener and creates it again.",
		Differs: "Read as the official CCM reads it: the protocol comes from the entry whatever the ServicePort protocol, the first entry for a port wins, and entries for ports the Service does not have are ignored; each of these gives a warning (a `udp` listener on a TCP ServicePort, or a `tcp`/`http`/`https` one on a UDP ServicePort, carries no traffic). One difference: when a port is both a TCP and a UDP ServicePort, an entry applies to the ServicePort it fits (`udp` to the UDP one, the others to the TCP one); the official CCM applied it to both, giving two identical listeners the API refuses."},
	{Name: KeyScheduler, Group: GroupListener, Type: "`rr` \\| `wrr` \\| `wlc` \\| `sch` \\| `tch`", Default: "`rr` at creation", Mutability: Mutable,
		Doc:     "Scheduling algorithm: round robin, weighted round robin, weighted least connections, or (tcp/udp on high-performance specs) source-IP / four-tuple consistent hashing. `externalTrafficPolicy: Local` needs `wrr` to honour pod counts.",
		Differs: "A value in another case (`RR`) is read in lower case with a warning. Unknown values, and `sch` or `tch` with an http or https listener, are errors (the official CCM passed them on and the API refused them)."},
	{Name: KeyCertID, Group: GroupListener, Protocols: httpsOnly, Type: "server certificate ID", Default: "none (required for https)", Mutability: Mutable,
		Doc: "SLB server certificate of every https listener. Before a listener is created with it or switched to it, the certificate is checked to exist and not to have expired; otherwise an `InvalidServerCertificate` Warning names the annotation and nothing is changed."},
	{Name: KeyTLSCipherPolicy, Group: GroupListener, Protocols: httpsOnly, Type: "`tls_cipher_policy_1_0` \\| `tls_cipher_policy_1_1` \\| `tls_cipher_policy_1_2` \\| `tls_cipher_policy_1_2_strict` \\| `tls_cipher_policy_1_2_strict_with_1_3`", Default: "SLB default (`tls_cipher_policy_1_0`)", Mutability: Mutable,
		Doc: "TLS security policy of https listeners."},
	{Name: KeyHTTP2Enabled, Group: GroupListener, Protocols: httpsOnly, Type: onOff, Default: "SLB default (`on`)", Mutability: Mutable,
		Doc: "HTTP/2 on https listeners.", Differs: onOffLenient},
	{Name: KeyDomainExtensions, Group: GroupListener, Protocols: httpsOnly, Type: "`domain:certId[,domain:certId...]`", Default: "none", Mutability: Mutable,
		Doc: "Extra domain names served by every https listener, each with its own server certificate (SNI). Wildcards such as `*.example.com` are allowed. The CCM creates, re-points and deletes only the domains it added (it records them in tags `alicloud-ccm/sni-*` of the listener); a domain added in the console is left alone, with a Warning if the annotation names it too. Certificates are checked like `cert-id`. SLB allows 3 domains per listener by default."},
	{Name: KeyForwardPort, Group: GroupListener, Protocols: "http", Type: "`httpPort:httpsPort[,...]`", Default: "none", Mutability: RecreatesListener,
		Doc:     "Redirect an http listener to an https listener of the same Service, e.g. `80:443`. The redirecting listener has no backends; a change recreates it.",
		Differs: "As in the official CCM, entries whose first port is not an `http` listener of the Service are ignored and the first entry for a port wins, each with a warning. The second port must be an `https` listener of the Service (the official CCM left this to the API, which refuses it)."},
	{Name: KeyACLStatus, Group: GroupListener, Type: onOff, Default: "SLB default (`off`)", Mutability: Mutable,
		Doc: "Access control on every listener.", Differs: "`on` needs `acl-id` and `acl-type` (the API requires them). " + onOffLenient},
	{Name: KeyACLID, Group: GroupListener, Type: "ACL ID(s), comma-separated", Default: "none", Mutability: Mutable,
		Doc: "Access control list(s) of every listener; compared as a set."},
	{Name: KeyACLType, Group: GroupListener, Type: "`white` \\| `black`", Default: "none", Mutability: Mutable,
		Doc: "Whether the ACL allows (`white`) or denies (`black`) the listed addresses."},
	{Name: KeyPersistenceTimeout, Group: GroupListener, Protocols: "tcp", Range: &Range{Min: 0, Max: 3600, Unit: "s"}, Default: "SLB default (`0`, off)", Mutability: Mutable,
		Doc: "Session persistence of tcp listeners; `0` turns it off."},
	{Name: KeyEstablishedTimeout, Group: GroupListener, Protocols: "tcp", Range: &Range{Min: 10, Max: 900, Unit: "s"}, Default: "SLB default (900)", Mutability: Mutable,
		Doc: "Connection timeout of tcp listeners."},
	{Name: KeyIdleTimeout, Group: GroupListener, Protocols: l7, Range: &Range{Min: 1, Max: 60, Unit: "s"}, Default: "SLB default (15)", Mutability: Mutable,
		Doc: "Idle connection timeout of http and https listeners."},
	{Name: KeyRequestTimeout, Group: GroupListener, Protocols: l7, Range: &Range{Min: 1, Max: 180, Unit: "s"}, Default: "SLB default (60)", Mutability: Mutable,
		Doc: "Request timeout of http and https listeners: a backend slower than this gets the client a 504."},
	{Name: KeyConnectionDrain, Group: GroupListener, Protocols: l4, Type: onOff, Default: "SLB default (`off`)", Mutability: Mutable,
		Doc: "Connection draining when a backend is removed or fails its health check.", Differs: onOffLenient},
	{Name: KeyConnectionDrainTimeout, Group: GroupListener, Protocols: l4, Range: &Range{Min: 10, Max: 900, Unit: "s"}, Default: "none", Mutability: Mutable,
		Doc:     "How long draining connections are kept; sent only with `connection-drain: on`.",
		Differs: "Without `connection-drain: on` it is a warning."},
	{Name: KeyProxyProtocol, Group: GroupListener, Protocols: l4, Type: onOff, Default: "SLB default (`off`)", Mutability: Mutable,
		Doc:     "Proxy protocol v2 (client address to the backend) on tcp and udp listeners.",
		Differs: onOffLenient},
	{Name: KeyStickySession, Group: GroupListener, Protocols: l7, Type: onOff, Default: "`off` at creation", Mutability: Mutable,
		Doc:     "Session persistence of http and https listeners.",
		Differs: "`on` needs `sticky-session-type`. " + onOffLenient},
	{Name: KeyStickySessionType, Group: GroupListener, Protocols: l7, Type: "`insert` \\| `server`", Default: "none", Mutability: Mutable,
		Doc: "`insert`: SLB sets a cookie (needs `cookie-timeout`); `server`: SLB follows the backend's cookie (needs `cookie`)."},
	{Name: KeyCookieTimeout, Group: GroupListener, Protocols: l7, Range: &Range{Min: 1, Max: 86400, Unit: "s"}, Default: "none", Mutability: Mutable,
		Doc: "Lifetime of the cookie SLB inserts (`sticky-session-type: insert`)."},
	{Name: KeyCookie, Group: GroupListener, Protocols: l7, Type: fmt.Sprintf("cookie name, 1–%d characters", maxCookie), Default: "none", Mutability: Mutable,
		Doc: "Name of the backend's cookie (`sticky-session-type: server`)."},
	{Name: KeyXForwardedForProto, Group: GroupListener, Protocols: l7, Type: onOff, Default: "SLB default (`off`)", Mutability: Mutable,
		Doc: "Add `X-Forwarded-Proto` (the client's protocol).", Differs: onOffLenient},
	{Name: KeyXForwardedForSLBPort, Group: GroupListener, Protocols: l7, Type: onOff, Default: "SLB default (`off`)", Mutability: Mutable,
		Doc: "Add `X-Forwarded-Port` (the listener port).", Differs: onOffLenient},
	{Name: KeyXForwardedForClientSrcPort, Group: GroupListener, Protocols: l7, Type: onOff, Default: "SLB default (`off`)", Mutability: Mutable,
		Doc: "Add `X-Forwarded-Client-srcport` (the client's source port).", Differs: onOffLenient},
}
