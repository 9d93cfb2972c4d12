package podbackends

import (
	"slices"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Endpoint is one pod address serving one Service port.
type Endpoint struct {
	// IP is the pod address.
	IP string
	// NodeName is the node the pod runs on ("" when the slice does not say).
	NodeName string
	// Port is the resolved target port on the pod.
	Port int
	// Terminating marks an endpoint whose pod is shutting down: it keeps
	// its member at weight 0 until it leaves the slice.
	Terminating bool
}

// ForPort returns the endpoints of the Service port sp from the Service's
// EndpointSlices of one address family (IPv4 unless family says IPv6).
// Ready endpoints are used; terminating ones are kept with Terminating set
// so their members drain at weight 0; endpoints that are neither (not yet
// ready, failing their readiness probe) are left out. Addresses are
// deduplicated, a ready copy winning over a terminating one (a pod moving
// between slices during an update shows up in both for a moment).
//
// The target port comes from the slice port with the ServicePort's name,
// which is how the EndpointSlice controller resolves named target ports;
// slices of another Service or family are ignored.
func ForPort(svc *v1.Service, sp v1.ServicePort, slices []*discoveryv1.EndpointSlice, family discoveryv1.AddressType) []Endpoint {
	if family == "" {
		family = discoveryv1.AddressTypeIPv4
	}
	byIP := map[string]Endpoint{}
	for _, s := range slices {
		if s == nil || s.Namespace != svc.Namespace || s.Labels[discoveryv1.LabelServiceName] != svc.Name || s.AddressType != family {
			continue
		}
		port, ok := slicePort(s, sp)
		if !ok {
			continue
		}
		for _, e := range s.Endpoints {
			term := e.Conditions.Terminating != nil && *e.Conditions.Terminating
			// Ready nil means "unknown" and is to be read as ready
			// (EndpointConditions API doc).
			ready := (e.Conditions.Ready == nil || *e.Conditions.Ready) && !term
			if !ready && !term {
				continue
			}
			node := ""
			if e.NodeName != nil {
				node = *e.NodeName
			}
			for _, ip := range e.Addresses {
				ip = strings.TrimSpace(ip)
				if old, seen := byIP[ip]; seen && !old.Terminating {
					continue
				}
				byIP[ip] = Endpoint{IP: ip, NodeName: node, Port: port, Terminating: term}
			}
		}
	}
	out := make([]Endpoint, 0, len(byIP))
	for _, e := range byIP {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP < out[j].IP })
	return out
}

// slicePort finds the slice port serving sp: same name and protocol. A
// slice port without a port number means "all ports" and carries no
// usable target, so it is skipped.
func slicePort(s *discoveryv1.EndpointSlice, sp v1.ServicePort) (int, bool) {
	want := sp.Protocol
	if want == "" {
		want = v1.ProtocolTCP
	}
	for _, p := range s.Ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		proto := v1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if name != sp.Name || proto != want || p.Port == nil {
			continue
		}
		return int(*p.Port), true
	}
	return 0, false
}

// EndpointNodes returns the names of the nodes the Service's endpoints run
// on, sorted, each once: every node an endpoint of ForPort can name, for
// any port, family or condition. Local and ENI members need only these
// nodes, so they are looked up by name instead of reading every node.
func EndpointNodes(svc *v1.Service, list []*discoveryv1.EndpointSlice) []string {
	var out []string
	for _, s := range list {
		if s == nil || s.Namespace != svc.Namespace || s.Labels[discoveryv1.LabelServiceName] != svc.Name {
			continue
		}
		for _, e := range s.Endpoints {
			if e.NodeName != nil && *e.NodeName != "" {
				out = append(out, *e.NodeName)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}
