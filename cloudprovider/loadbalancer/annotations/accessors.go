package annotations

import (
	v1 "k8s.io/api/core/v1"
)

// The accessors below read single annotations for the paths that must work
// even when the Service's other annotations do not parse: finding and
// deleting the load balancer, GetLoadBalancer, and the endpoints
// controller's quick filters. Each reads exactly as Parse does (the current
// prefix wins over the legacy one, values are trimmed, an empty value is
// unset), so the two paths can never read one annotation differently.

// ReuseID returns the id annotation (the CLB to reuse), "" when unset. It
// is not validated: the cloud lookup decides whether such a CLB exists.
func ReuseID(svc *v1.Service) string { return newParser(svc, Defaults{}).str(KeyID) }

// LoadBalancerName returns the name annotation, "" when unset. It is not
// validated: an existing CLB is looked up by whatever name was written.
func LoadBalancerName(svc *v1.Service) string { return newParser(svc, Defaults{}).str(KeyName) }

// PreserveOnDelete reports whether preserve-lb-on-delete keeps the CLB when
// the Service is deleted, as Parse reads it, with the Warnings to emit (a
// value other than `true` or `on` keeps the CLB, as the official CCM does
// for any non-empty value, and says so). It never fails: a value that does
// not read clearly keeps the CLB, because a CLB deleted by mistake cannot
// be brought back.
func PreserveOnDelete(svc *v1.Service) (keep bool, warnings []string) {
	p := newParser(svc, Defaults{})
	keep = p.preserveOnDelete()
	return keep, p.cfg.Warnings
}

// ProxyProtocol reports whether proxy-protocol is on, as Parse reads it
// for a CLB Service (only lower-case `on`, as in the official CCM) and
// ParseNLB for an NLB Service (`on` in any case).
func ProxyProtocol(svc *v1.Service) bool {
	v := productParser(svc).onOff(KeyProxyProtocol)
	return v != nil && *v
}

// RemoveUnscheduled reports whether remove-unscheduled-backend is on, as
// Parse or ParseNLB (by the Service's product) reads it.
func RemoveUnscheduled(svc *v1.Service) bool {
	v := productParser(svc).onOff(KeyRemoveUnscheduledBackend)
	return v != nil && *v
}

// productParser is a parser that reads svc's annotations as the parser of
// its product does (ParseNLB for an NLB Service, else Parse).
func productParser(svc *v1.Service) *parser {
	p := newParser(svc, Defaults{})
	p.nlb = ProductOf(svc) == ProductNLB
	return p
}
