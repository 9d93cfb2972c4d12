package loadbalancer

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// parseAnnotations is the default Options.Parse: annotations.Parse, then
// the adapter from its typed Config to the engine's Spec. Warnings of the
// parser (unknown keys and the like) become Warning events.
func (r *Reconciler) parseAnnotations(svc *v1.Service) (*Spec, error) {
	cfg, err := annotations.Parse(svc, r.opts.Defaults)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		r.events.Event(svc, v1.EventTypeWarning, ReasonAnnotationWarning, w)
	}
	return specFromConfig(svc, cfg)
}

// specFromConfig maps the parser's Config onto Spec. Unset values stay
// unset, so the engine leaves the CLB's values alone.
func specFromConfig(svc *v1.Service, cfg *annotations.Config) (*Spec, error) {
	lb := cfg.LB
	s := &Spec{
		LB: LBSpec{
			ReuseID:                lb.ReuseID,
			ForceOverrideListeners: lb.ForceOverrideListeners,
			PreserveOnDelete:       lb.PreserveOnDelete,
			Name:                   lb.Name,
			AddressType:            string(lb.AddressType),
			NetworkType:            string(lb.NetworkType),
			VSwitchID:              lb.VSwitchID,
			VSwitchCandidates:      lb.VSwitchCandidates,
			IPVersion:              string(lb.IPVersion),
			MasterZoneID:           lb.MasterZoneID,
			SlaveZoneID:            lb.SlaveZoneID,
			LoadBalancerSpec:       lb.Spec,
			InstanceChargeType:     lb.InstanceChargeType,
			InternetChargeType:     lb.InternetChargeType,
			DeleteProtection:       onOff(lb.DeleteProtection),
			ModificationProtection: lb.ModificationProtection,
		},
		Hostname:  lb.Hostname,
		EIPStatus: strings.EqualFold(lb.ExternalIPType, "eip"),
	}
	if lb.ReuseID != "" {
		// A reused CLB is the user's: only what the user annotated is
		// applied to it (as the official CCM applies it), never our
		// defaults. The other instance attributes are empty when unset.
		if !lb.DeleteProtectionSet {
			s.LB.DeleteProtection = ""
		}
		if !lb.ModificationProtectionSet {
			s.LB.ModificationProtection = ""
		}
	}
	if lb.ResourceGroupIDSet {
		s.LB.ResourceGroupID = lb.ResourceGroupID
	}
	if lb.Address.IsValid() {
		s.LB.Address = lb.Address.String()
	}
	if lb.Bandwidth != nil {
		s.LB.Bandwidth = *lb.Bandwidth
	}
	if lb.AdditionalTags != nil {
		s.LB.Tags = make(map[string]string, len(lb.AdditionalTags))
		for _, t := range lb.AdditionalTags {
			s.LB.Tags[t.Key] = t.Value
		}
	}
	for _, p := range cfg.SourceRanges {
		s.SourceRanges = append(s.SourceRanges, p.String())
	}
	b := cfg.Backend
	s.Backend = BackendSpec{
		Type:               string(b.Type),
		DefaultWeight:      b.DefaultWeight,
		IgnoreWeightUpdate: b.IgnoreWeightUpdate,
		Labels:             b.NodeLabels,
		RemoveUnscheduled:  b.RemoveUnscheduled,
		Local:              b.Policy == annotations.TrafficLocal,
	}
	if s.Backend.Local {
		s.Backend.HealthCheckNodePort = int(svc.Spec.HealthCheckNodePort)
	}
	// weight is the Service's share of a reused CLB it shares through
	// vgroup-port, as in the official CCM: it counts only there, and then
	// for every group of the Service (the user's and our own for its other
	// ports).
	if lb.ReuseID != "" && len(b.VGroupPorts) > 0 {
		s.Backend.Weight = b.Weight
	}
	listeners := cfg.Listeners
	if len(listeners) == 0 {
		listeners = listenersFromPorts(svc)
	}
	for _, l := range listeners {
		ls := ListenerSpec{Port: int(l.Port), Protocol: string(l.Protocol), NodePort: int(l.NodePort), PortName: l.PortName,
			ForwardPort: int(l.ForwardPort), VGroupID: l.VGroupID, Attrs: declaredAttrs(&l)}
		for _, d := range l.DomainExtensions {
			if ls.Domains == nil {
				ls.Domains = map[string]string{}
			}
			ls.Domains[strings.ToLower(d.Domain)] = d.CertID
		}
		if ls.VGroupID == "" && b.VGroupPorts != nil {
			ls.VGroupID = b.VGroupPorts[l.Port]
		}
		if ls.VGroupID != "" && lb.ReuseID == "" {
			return nil, fmt.Errorf("annotation %s applies only together with %s (a reused CLB)", annotations.KeyVGroupPort, annotations.Prefix+"id")
		}
		backendPortForHealthCheck(&ls, &l, s.Backend.Type)
		// ENI backends use the target port: no NodePort is needed.
		if ls.NodePort == 0 && ls.ForwardPort == 0 && ls.VGroupID == "" && s.Backend.Type != BackendENI {
			return nil, fmt.Errorf("service port %d has no nodePort yet", l.Port)
		}
		s.Listeners = append(s.Listeners, ls)
	}
	return s, nil
}

// backendPortForHealthCheck resolves health-check-connect-port -520 ("the
// backend server's port", the official CCM's console convention) to that
// port: the API takes 1-65535 only, and leaving the parameter out would not
// switch a listener probing another port back. The backend port is the
// NodePort for node backends and the target port for ENI backends; a named
// target port cannot be resolved here, so the parameter is left out (the
// API's default is the backend port).
func backendPortForHealthCheck(ls *ListenerSpec, l *annotations.Listener, backendType string) {
	p := ls.Attrs.HealthCheckConnectPort
	if p == nil || *p != annotations.HealthCheckConnectPortBackend {
		return
	}
	port := ls.NodePort
	if backendType == BackendENI {
		port = l.TargetPort.IntValue()
	}
	ls.Attrs.HealthCheckConnectPort = nil
	if port > 0 {
		ls.Attrs.HealthCheckConnectPort = &port
	}
}

// listenersFromPorts is the fallback when the parser gives no listeners:
// one per ServicePort with its own protocol.
func listenersFromPorts(svc *v1.Service) []annotations.Listener {
	var out []annotations.Listener
	for _, p := range svc.Spec.Ports {
		out = append(out, annotations.Listener{PortName: p.Name, Port: p.Port, NodePort: p.NodePort, TargetPort: p.TargetPort,
			ServiceProtocol: p.Protocol, Protocol: annotations.Protocol(strings.ToLower(string(p.Protocol)))})
	}
	return out
}

// declaredAttrs are the listener attributes the annotations declare;
// unset values stay nil. The parser already gave each listener only the
// health-check values of its protocol (annotations.HealthCheck).
func declaredAttrs(l *annotations.Listener) listenerAttrs {
	hc := &l.HealthCheck
	a := listenerAttrs{
		Scheduler:           nonEmpty(l.Scheduler),
		ServerCertificateID: nonEmpty(l.CertID),
		TLSCipherPolicy:     nonEmpty(l.TLSCipherPolicy),
		EnableHTTP2:         l.HTTP2,
		ACLStatus:           l.ACL.Status,
		ACLType:             nonEmpty(l.ACL.Type),
		ACLID:               nonEmpty(strings.Join(l.ACL.IDs, ",")),
		PersistenceTimeout:  l.PersistenceTimeout,
		EstablishedTimeout:  l.EstablishedTimeout,
		IdleTimeout:         l.IdleTimeout,
		RequestTimeout:      l.RequestTimeout,
		ConnectionDrain:     l.ConnectionDrain,
		ProxyProtocolV2:     l.ProxyProtocol,

		StickySession:     l.StickySession.Enabled,
		StickySessionType: nonEmpty(l.StickySession.Type),
		CookieTimeout:     l.StickySession.CookieTimeout,
		Cookie:            nonEmpty(l.StickySession.Cookie),

		XForwardedForProto:         l.XForwardedFor.Proto,
		XForwardedForSLBPort:       l.XForwardedFor.SLBPort,
		XForwardedForClientSrcPort: l.XForwardedFor.ClientSrcPort,

		HealthCheck:               hc.Enabled,
		HealthCheckConnectTimeout: hc.ConnectTimeout,
		HealthCheckTimeout:        hc.Timeout,
		HealthCheckType:           nonEmpty(hc.Type),
		HealthCheckURI:            nonEmpty(hc.URI),
		HealthCheckDomain:         nonEmpty(hc.Domain),
		HealthCheckHTTPCode:       nonEmpty(strings.Join(hc.HTTPCodes, ",")),
		HealthCheckMethod:         nonEmpty(hc.Method),
		HealthCheckConnectPort:    hc.ConnectPort,
		HealthCheckInterval:       hc.Interval,
		HealthyThreshold:          hc.HealthyThreshold,
		UnhealthyThreshold:        hc.UnhealthyThreshold,
	}
	// The drain timeout means something only with the drain on.
	if l.ConnectionDrain != nil && *l.ConnectionDrain {
		a.ConnectionDrainTimeout = l.ConnectionDrainTimeout
	}
	return a
}

// nonEmpty is nil for "" (unset), else a pointer to s.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
