package annotations

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Defaults are the cloud-config values that stand in for unset annotations.
// The caller builds them from config.Global.
type Defaults struct {
	// BackendType is cloud-config serviceBackendType (`ecs` or `eni`); empty
	// means `ecs`.
	BackendType BackendType
	// ResourceGroupID is cloud-config resourceGroupID; empty means the
	// account's default resource group.
	ResourceGroupID string
	// VSwitchIDs are the vSwitches (zone prefixes already stripped) an
	// intranet load balancer without a vswitch-id annotation may use, from
	// config.Global.VSwitches(). Copied to LoadBalancer.VSwitchCandidates.
	VSwitchIDs []string
	// DisablePublicSLB is cloud-config disablePublicSLB: an internet-facing
	// load balancer is then a parse error.
	DisablePublicSLB bool
}

// Config is everything a Service asks of its CLB, parsed and validated.
// Treat it as read-only: the pointer fields of different listeners may point
// to the same value.
type Config struct {
	// LB holds the load balancer instance attributes.
	LB LoadBalancer
	// Listeners has one entry per spec.ports entry, in spec order.
	Listeners []Listener
	// Backend holds the backend (vServer group) settings.
	Backend Backend
	// SourceRanges is spec.loadBalancerSourceRanges, parsed and masked; nil
	// when the field is empty (no restriction).
	SourceRanges []netip.Prefix
	// Warnings are non-fatal findings for Warning events: unknown keys,
	// values set under both prefixes, annotations that apply to no listener.
	Warnings []string
}

// AddressType says whether the load balancer faces the Internet or the VPC.
type AddressType string

// Address types.
const (
	AddressTypeInternet AddressType = "internet"
	AddressTypeIntranet AddressType = "intranet"
)

// NetworkType is the network of an intranet load balancer.
type NetworkType string

// Network types.
const (
	NetworkTypeClassic NetworkType = "classic"
	NetworkTypeVPC     NetworkType = "vpc"
)

// IPVersion is an address family.
type IPVersion string

// IP versions.
const (
	IPv4 IPVersion = "ipv4"
	IPv6 IPVersion = "ipv6"
)

// Protocol is a listener protocol, in the lower case the SLB API uses.
type Protocol string

// Listener protocols.
const (
	ProtocolTCP   Protocol = "tcp"
	ProtocolUDP   Protocol = "udp"
	ProtocolHTTP  Protocol = "http"
	ProtocolHTTPS Protocol = "https"
)

// IsHTTP reports whether p is a layer-7 protocol (http or https).
func (p Protocol) IsHTTP() bool { return p == ProtocolHTTP || p == ProtocolHTTPS }

// BackendType says what the CLB forwards to.
type BackendType string

// Backend types.
const (
	// BackendECS: node ECS instances on the NodePort.
	BackendECS BackendType = "ecs"
	// BackendENI: pod ENIs directly on the target port (Terway, ECI).
	BackendENI BackendType = "eni"
)

// TrafficPolicy is how backends are chosen, derived from the backend type
// and spec.externalTrafficPolicy as the official CCM does.
type TrafficPolicy string

// Traffic policies.
const (
	// TrafficCluster: every eligible node, equal weights.
	TrafficCluster TrafficPolicy = "Cluster"
	// TrafficLocal: only nodes with ready endpoints, weighted by pod count.
	TrafficLocal TrafficPolicy = "Local"
	// TrafficENI: every endpoint as an ENI backend; externalTrafficPolicy is
	// ignored.
	TrafficENI TrafficPolicy = "ENI"
)

// Values the engine uses only when it creates a load balancer or listener;
// they are never compared with an existing one, so they are not filled into
// Config (unset stays unset).
const (
	// DefaultInstanceChargeType is used when instance-charge-type is unset.
	DefaultInstanceChargeType = "PayByCLCU"
	// DefaultSpec is used when instance-charge-type is PayBySpec and spec is
	// unset.
	DefaultSpec = "slb.s1.small"
	// ModificationProtectionReason is sent with ConsoleProtection.
	ModificationProtectionReason = "managed.by.alicloud-ccm"
	// HealthCheckConnectPortBackend is the health-check-connect-port value
	// meaning "the backend server's port".
	HealthCheckConnectPortBackend = -520
)

// Modification protection states.
const (
	ConsoleProtection = "ConsoleProtection"
	NonProtection     = "NonProtection"
)

// LoadBalancer holds the instance attributes of the CLB.
type LoadBalancer struct {
	// AddressType is always set: the address-type annotation or `internet`.
	AddressType AddressType
	// AddressTypeSet is true when address-type was written by the user.
	AddressTypeSet bool
	// VSwitchID is the vswitch-id annotation; empty when unset.
	VSwitchID string
	// VSwitchCandidates are Defaults.VSwitchIDs, filled for an intranet VPC
	// load balancer without vswitch-id; the engine picks one at creation.
	VSwitchCandidates []string
	// NetworkType is the network-type annotation; empty when unset.
	NetworkType NetworkType
	// Address is the fixed private address (ip annotation or
	// spec.loadBalancerIP); invalid (zero) when unset.
	Address netip.Addr
	// AddressKey is where Address came from: the annotation key or
	// "spec.loadBalancerIP".
	AddressKey string
	// InternetChargeType is `paybytraffic` or `paybybandwidth`; empty when
	// unset (cloud default).
	InternetChargeType string
	// Bandwidth is the peak Internet bandwidth in Mbit/s; nil when unset.
	Bandwidth *int
	// InstanceChargeType is `PayBySpec` or `PayByCLCU`; empty when unset
	// (DefaultInstanceChargeType at creation, not managed afterwards).
	InstanceChargeType string
	// Spec is the instance spec, e.g. slb.s1.small; empty when unset.
	Spec string
	// MasterZoneID and SlaveZoneID are the primary and backup zones; empty
	// when unset.
	MasterZoneID, SlaveZoneID string
	// IPVersion is always set: the ip-version annotation or ipv4.
	IPVersion IPVersion
	// IPVersionSet is true when ip-version was written by the user.
	IPVersionSet bool
	// ReuseID is the id annotation: the ID of an existing CLB to reuse. The
	// CCM never deletes a reused load balancer.
	ReuseID string
	// ForceOverrideListeners lets the CCM manage the listeners of a reused
	// load balancer.
	ForceOverrideListeners bool
	// Name is the load balancer name; empty means the default name
	// ("a" + Service UID without dashes, 32 characters).
	Name string
	// ResourceGroupID is the resource-group-id annotation, else
	// Defaults.ResourceGroupID; empty for the account's default group.
	ResourceGroupID string
	// ResourceGroupIDSet is true when resource-group-id was written by the
	// user (false when it came from Defaults).
	ResourceGroupIDSet bool
	// AdditionalTags are extra tags in annotation order; nil when the
	// annotation is unset, which means "do not manage extra tags".
	AdditionalTags []Tag
	// DeleteProtection is always set: delete-protection, default on.
	DeleteProtection bool
	// DeleteProtectionSet is true when delete-protection was written by
	// the user (a reused load balancer gets only what the user wrote).
	DeleteProtectionSet bool
	// ModificationProtection is always set: ConsoleProtection (default) or
	// NonProtection.
	ModificationProtection string
	// ModificationProtectionSet is true when modification-protection was
	// written by the user.
	ModificationProtectionSet bool
	// PreserveOnDelete keeps a CCM-created load balancer when the Service
	// goes away.
	PreserveOnDelete bool
	// Hostname is published in status instead of any IP; empty when unset.
	Hostname string
	// ExternalIPType is `eip` to publish the EIPs bound to the load
	// balancer; empty when unset (publish the load balancer address).
	ExternalIPType string
}

// Tag is one additional resource tag. An empty Value is a tag without value.
type Tag struct {
	Key, Value string
}

// Listener is the listener for one spec.ports entry.
type Listener struct {
	// PortName is the ServicePort name (may be empty).
	PortName string
	// Port is the listener port (ServicePort.port).
	Port int32
	// NodePort is ServicePort.nodePort (the backend port for ECS backends);
	// 0 until allocated.
	NodePort int32
	// TargetPort is ServicePort.targetPort (the backend port for ENI
	// backends, a number or a port name).
	TargetPort intstr.IntOrString
	// ServiceProtocol is ServicePort.protocol (TCP or UDP).
	ServiceProtocol v1.Protocol
	// Protocol is the listener protocol: the protocol-port entry for Port,
	// else the lower-cased ServiceProtocol.
	Protocol Protocol
	// Scheduler is `rr`, `wrr`, `wlc`, `sch` or `tch`; empty when unset
	// (DefaultScheduler at creation).
	Scheduler string
	// VGroupID is the user-created vServer group from vgroup-port for this
	// port; empty when unset (the CCM manages its own group).
	VGroupID string

	// CertID is the server certificate (https only).
	CertID string
	// TLSCipherPolicy is the TLS policy (https only); empty when unset.
	TLSCipherPolicy string
	// HTTP2 is http2-enabled (https only); nil when unset.
	HTTP2 *bool
	// DomainExtensions are the extra domain certificates (https only).
	DomainExtensions []DomainExtension
	// ForwardPort is the https listener port this http listener redirects
	// to (forward-port); 0 when it does not redirect. A redirecting
	// listener has no backends.
	ForwardPort int32

	// ACL is the access control setting.
	ACL ACL
	// PersistenceTimeout is the TCP session persistence in seconds (0 =
	// off); nil when unset.
	PersistenceTimeout *int
	// EstablishedTimeout is the TCP connection timeout in seconds; nil when
	// unset.
	EstablishedTimeout *int
	// IdleTimeout is the http(s) idle timeout in seconds; nil when unset.
	IdleTimeout *int
	// RequestTimeout is the http(s) request timeout in seconds; nil when
	// unset.
	RequestTimeout *int
	// ConnectionDrain is the TCP/UDP connection drain switch; nil when
	// unset.
	ConnectionDrain *bool
	// ConnectionDrainTimeout is the drain timeout in seconds; nil when
	// unset. Sent only when ConnectionDrain is on.
	ConnectionDrainTimeout *int
	// ProxyProtocol is the TCP/UDP proxy protocol v2 switch; nil when unset.
	ProxyProtocol *bool
	// StickySession is the http(s) session persistence.
	StickySession StickySession
	// XForwardedFor holds the http(s) X-Forwarded-* header switches.
	XForwardedFor XForwardedFor
	// HealthCheck is the health check of this listener.
	HealthCheck HealthCheck
}

// DomainExtension is one domain name served with its own certificate.
type DomainExtension struct {
	Domain, CertID string
}

// ACL is the access control list setting of a listener.
type ACL struct {
	// Status is acl-status; nil when unset.
	Status *bool
	// IDs are the ACL IDs from acl-id; nil when unset.
	IDs []string
	// Type is `white` or `black`; empty when unset.
	Type string
}

// StickySession is the session persistence of an http(s) listener.
type StickySession struct {
	// Enabled is sticky-session; nil when unset (off at creation).
	Enabled *bool
	// Type is `insert` (SLB sets a cookie) or `server` (the backend's
	// cookie); empty when unset.
	Type string
	// CookieTimeout is the insert-cookie lifetime in seconds; nil when unset.
	CookieTimeout *int
	// Cookie is the backend cookie name used with Type server.
	Cookie string
}

// XForwardedFor holds the X-Forwarded-* header switches of an http(s)
// listener; nil fields are unset.
type XForwardedFor struct {
	// Proto adds X-Forwarded-Proto.
	Proto *bool
	// SLBPort adds X-Forwarded-Port.
	SLBPort *bool
	// ClientSrcPort adds X-Forwarded-Client-srcport.
	ClientSrcPort *bool
}

// HealthCheck is the health check of a listener. Only the fields that apply
// to the listener's protocol are filled in.
type HealthCheck struct {
	// Enabled is health-check-switch for tcp/udp listeners and
	// health-check-flag for http/https listeners; nil when unset (the SLB
	// default is on for tcp/udp; the CCM creates http(s) listeners with it
	// off).
	Enabled *bool
	// Type is `tcp` or `http` (tcp listeners only); empty when unset.
	Type string
	// URI is the HTTP check path.
	URI string
	// Domain is the HTTP check Host header (`$_ip` = the backend IP).
	Domain string
	// HTTPCodes are the healthy status classes, e.g. http_2xx.
	HTTPCodes []string
	// Method is `head` or `get` (http/https listeners).
	Method string
	// ConnectPort is the port probed: a port number, or
	// HealthCheckConnectPortBackend; nil when unset.
	ConnectPort *int
	// Interval in seconds (range: the registry row); nil when unset.
	Interval *int
	// HealthyThreshold and UnhealthyThreshold (range: the registry rows);
	// nil when unset.
	HealthyThreshold, UnhealthyThreshold *int
	// ConnectTimeout in seconds for tcp/udp; nil when unset.
	ConnectTimeout *int
	// Timeout in seconds for http/https; nil when unset.
	Timeout *int
}

// Backend holds the backend (vServer group) settings.
type Backend struct {
	// Type is always set: backend-type, else Defaults.BackendType, else ecs.
	Type BackendType
	// Policy is always set: ENI for eni backends, else Local or Cluster from
	// spec.externalTrafficPolicy.
	Policy TrafficPolicy
	// NodeLabels select the nodes (all must match); nil selects all.
	NodeLabels map[string]string
	// RemoveUnscheduled drops cordoned (unschedulable) nodes.
	RemoveUnscheduled bool
	// VGroupPorts maps a ServicePort port to a user-created vServer group ID
	// of the reused load balancer (vgroup-port); nil when unset.
	VGroupPorts map[int32]string
	// Weight is the total weight spread over the backends of a reused
	// vServer group; nil when unset.
	Weight *int
	// DefaultWeight replaces the weight 100 of every backend; nil
	// when unset.
	DefaultWeight *int
	// IgnoreWeightUpdate skips weight-only backend changes.
	IgnoreWeightUpdate bool
	// IPVersion is always set: backend-ip-version, default ipv4.
	IPVersion IPVersion
	// HealthCheckNodePort is spec.healthCheckNodePort with Policy Local;
	// 0 otherwise.
	HealthCheckNodePort int32
}
