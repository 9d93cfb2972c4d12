package loadbalancer

import (
	v1 "k8s.io/api/core/v1"
)

// Spec is the desired state of one Service's CLB, built once per reconcile
// from the Service and its annotations (see config.go). The engine works on
// Spec only, so the annotation parser and the engine evolve separately.
type Spec struct {
	// LB holds the instance attributes.
	LB LBSpec
	// Listeners has one entry per Service port.
	Listeners []ListenerSpec
	// Backend selects and weighs the backends.
	Backend BackendSpec
	// SourceRanges is spec.loadBalancerSourceRanges: when set, a CCM-owned
	// ACL (white list) is bound to every listener.
	SourceRanges []string
	// Hostname, when set, is published as the only ingress.
	Hostname string
	// EIPStatus publishes the EIPs bound to the CLB instead of its address.
	EIPStatus bool
}

// LBSpec are the CLB instance attributes. Empty strings and zero numbers
// mean "not declared": the engine leaves such attributes alone.
type LBSpec struct {
	// ReuseID is the id annotation: reuse the user's CLB.
	ReuseID string
	// ForceOverrideListeners lets the engine update and delete its own
	// listeners on a reused CLB.
	ForceOverrideListeners bool
	// PreserveOnDelete keeps the CLB when the Service goes.
	PreserveOnDelete bool

	Name        string
	AddressType string // internet | intranet
	NetworkType string // vpc | classic
	VSwitchID   string
	// VSwitchCandidates are vSwitches to pick from at creation when
	// VSwitchID is empty (cloud-config vswitchid).
	VSwitchCandidates  []string
	VpcID              string
	Address            string // fixed intranet address (ip annotation or spec.loadBalancerIP)
	IPVersion          string // ipv4 | ipv6
	MasterZoneID       string
	SlaveZoneID        string
	ResourceGroupID    string
	LoadBalancerSpec   string
	InstanceChargeType string // PayBySpec | PayByCLCU
	InternetChargeType string // paybytraffic | paybybandwidth
	Bandwidth          int
	DeleteProtection   string // on | off
	// ModificationProtection is ConsoleProtection or NonProtection.
	ModificationProtection       string
	ModificationProtectionReason string
	// Tags are additional tags (additional-resource-tags).
	Tags map[string]string
}

// Listener protocols.
const (
	ProtoTCP   = "tcp"
	ProtoUDP   = "udp"
	ProtoHTTP  = "http"
	ProtoHTTPS = "https"
)

// ListenerSpec is one listener.
type ListenerSpec struct {
	// Port is the listener port (ServicePort.Port).
	Port int
	// Protocol is tcp, udp, http or https.
	Protocol string
	// NodePort is the backend port of node backends.
	NodePort int
	// PortName is the ServicePort name, for messages.
	PortName string
	// Attrs are the declared listener attributes; nil ones are left as
	// the CLB has them.
	Attrs listenerAttrs
	// ForwardPort, for HTTP, redirects to this HTTPS listener port; the API
	// cannot change forwarding in place, so a change recreates the listener.
	ForwardPort int
	// VGroupID is a user's vServer group to attach backends to (vgroup-port
	// on a reused CLB); empty means a group of our own.
	VGroupID string
	// Domains are the HTTPS listener's extra domains (domain-extensions):
	// lower-cased domain -> server certificate ID.
	Domains map[string]string
}

// key identifies a listener on a CLB: TCP and UDP may share a port.
func (l ListenerSpec) key() listenerKey { return listenerKey{l.Port, l.Protocol} }

type listenerKey struct {
	Port  int
	Proto string
}

// Backend types.
const (
	BackendECS = "ecs"
	BackendENI = "eni"
)

// BackendSpec selects and weighs backends.
type BackendSpec struct {
	// Type is ecs (nodes on the NodePort; eni is issue #6).
	Type string
	// DefaultWeight is every backend's weight (default-weight); nil is 100.
	DefaultWeight *int
	// Weight, when set (weight annotation with id and vgroup-port), is
	// spread over the backends of every group of the Service: max(1,
	// W/count) each (by pod count with Local), 0 if W is 0.
	Weight *int
	// IgnoreWeightUpdate never sends weight-only changes.
	IgnoreWeightUpdate bool
	// Labels (backend-label) must all match a node's labels.
	Labels map[string]string
	// RemoveUnscheduled drops cordoned nodes.
	RemoveUnscheduled bool
	// Local is externalTrafficPolicy: Local.
	Local bool
	// HealthCheckNodePort is the Service's healthCheckNodePort (Local only).
	HealthCheckNodePort int
}

// serviceKey is the lock and cache key of a Service.
func serviceKey(svc *v1.Service) string { return svc.Namespace + "/" + svc.Name }
