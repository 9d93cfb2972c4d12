package annotations

import (
	v1 "k8s.io/api/core/v1"
)

// ParseNLB reads every annotation and field an NLB Service uses once into
// a typed NLBConfig; problems are aggregated as for Parse.
//
// Contract stub: replaced by the full parser.
func ParseNLB(svc *v1.Service, d Defaults) (*NLBConfig, error) {
	cfg := &NLBConfig{LB: NLBInstance{AddressType: AddressTypeInternet, IPVersion: IPv4, DeleteProtection: true, ModificationProtection: ConsoleProtection, ResourceGroupID: d.ResourceGroupID},
		ServerGroup: NLBServerGroup{Type: NLBServerGroupInstance}}
	for _, sp := range svc.Spec.Ports {
		proto := NLBProtocolTCP
		if sp.Protocol == v1.ProtocolUDP {
			proto = NLBProtocolUDP
		}
		cfg.Listeners = append(cfg.Listeners, NLBListener{Port: sp.Port, NodePort: sp.NodePort, TargetPort: sp.TargetPort, Protocol: proto})
	}
	return cfg, nil
}
