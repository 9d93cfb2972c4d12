package annotations

import "strings"

// Decisions every engine makes the same way from the parsed values. They
// live here, on the typed Config, so no engine re-derives them from the
// annotation strings.

// Local reports whether the backends follow externalTrafficPolicy Local
// (nodes with ready endpoints, weighted by their count).
func (b *Backend) Local() bool { return b.Policy == TrafficLocal }

// SharedWeight is the weight annotation where it counts: on a reused load
// balancer the Service shares through vgroup-port, where it is the
// Service's share, spread over the backends of every group of the Service
// (the user's and its own for its other ports), as in the official CCM.
// Elsewhere it is nil.
func (c *Config) SharedWeight() *int {
	if c.LB.ReuseID == "" || len(c.Backend.VGroupPorts) == 0 {
		return nil
	}
	return c.Backend.Weight
}

// PublishEIPs reports whether the status lists the EIPs bound to the load
// balancer (external-ip-type: eip) instead of its address.
func (lb *LoadBalancer) PublishEIPs() bool { return strings.EqualFold(lb.ExternalIPType, "eip") }

// TagMap is AdditionalTags as key -> value; nil when the annotation is
// unset (extra tags are then not managed).
func (lb *LoadBalancer) TagMap() map[string]string {
	if lb.AdditionalTags == nil {
		return nil
	}
	m := make(map[string]string, len(lb.AdditionalTags))
	for _, t := range lb.AdditionalTags {
		m[t.Key] = t.Value
	}
	return m
}

// WantedDeleteProtection is the delete protection to converge to, "on" or
// "off"; "" leaves the load balancer's alone. A reused load balancer is
// the user's: it gets only what the user annotated, never our default.
func (lb *LoadBalancer) WantedDeleteProtection() string {
	if lb.ReuseID != "" && !lb.DeleteProtectionSet {
		return ""
	}
	if lb.DeleteProtection {
		return "on"
	}
	return "off"
}

// WantedModificationProtection is ConsoleProtection or NonProtection to
// converge to; "" leaves a reused load balancer's alone when unannotated.
func (lb *LoadBalancer) WantedModificationProtection() string {
	if lb.ReuseID != "" && !lb.ModificationProtectionSet {
		return ""
	}
	return lb.ModificationProtection
}

// WantedResourceGroupID is the resource group the load balancer must be
// in: the annotation only; "" when it is unset (a default from cloud-config
// says nothing about an existing load balancer).
func (lb *LoadBalancer) WantedResourceGroupID() string {
	if !lb.ResourceGroupIDSet {
		return ""
	}
	return lb.ResourceGroupID
}

// AddressString is the fixed private address, "" when unset.
func (lb *LoadBalancer) AddressString() string {
	if !lb.Address.IsValid() {
		return ""
	}
	return lb.Address.String()
}

// BandwidthMbps is the peak bandwidth, 0 when unset.
func (lb *LoadBalancer) BandwidthMbps() int {
	if lb.Bandwidth == nil {
		return 0
	}
	return *lb.Bandwidth
}

// BackendPort is the port the listener's backends serve on: the NodePort
// for node (ecs) backends, the numeric target port for ENI backends; 0
// when not known yet (no NodePort allocated, a named target port, which
// may differ per pod).
func (l *Listener) BackendPort(t BackendType) int {
	if t == BackendENI {
		return l.TargetPort.IntValue()
	}
	return int(l.NodePort)
}

// HealthCheckPort is the port the health check probes, nil to leave it to
// the load balancer (its default is the backend port).
// health-check-connect-port -520 ("the backend server's port", the
// official CCM's console convention) is resolved to that port: the API
// takes 1-65535 only, and leaving the parameter out would not switch a
// listener probing another port back.
func (l *Listener) HealthCheckPort(t BackendType) *int {
	p := l.HealthCheck.ConnectPort
	if p == nil || *p != HealthCheckConnectPortBackend {
		return p
	}
	if bp := l.BackendPort(t); bp > 0 {
		return &bp
	}
	return nil
}
