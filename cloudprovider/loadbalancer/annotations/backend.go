package annotations

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// parseBackend reads the backend annotations of a CLB Service.
func (p *parser) parseBackend() {
	b := &p.cfg.Backend
	p.parseBackendShared(b)
	b.IPVersion = IPv4
	if val, key, ok := p.get(KeyBackendIPVersion); ok {
		switch {
		case strings.EqualFold(val, "dualstack"):
			p.fail(key, val, "dual-stack backends exist for NLB only; CLB takes ipv4 or ipv6")
		case val != string(IPv4) && val != string(IPv6):
			p.fail(key, val, "must be one of ipv4, ipv6")
		case val == string(IPv6) && p.cfg.LB.IPVersion != IPv6:
			p.fail(key, val, "IPv6 backends need %s: ipv6", KeyIPVersion)
		default:
			b.IPVersion = IPVersion(val)
		}
	}
}

// parseBackendShared reads the backend annotations CLB and NLB Services
// read alike: the backend type and traffic policy, node selection, reused
// groups (vgroup-port) and weights. The address family is the product's.
func (p *parser) parseBackendShared(b *Backend) {
	b.Type = BackendECS
	switch {
	case p.has(KeyBackendType):
		// The official CCM's test is `== "eni"`: anything else is ecs.
		b.Type = BackendType(p.fallback(KeyBackendType, string(BackendECS), string(BackendECS), string(BackendENI)))
	case p.d.BackendType == BackendECS || p.d.BackendType == BackendENI:
		b.Type = p.d.BackendType
	case p.d.BackendType != "":
		// config.Validate rejects this already; it is repeated here so a
		// hand-built Defaults cannot slip through silently.
		p.fail("cloud-config serviceBackendType", string(p.d.BackendType), "must be ecs or eni")
	}
	switch {
	case b.Type == BackendENI:
		b.Policy = TrafficENI
	case p.svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal:
		b.Policy = TrafficLocal
		b.HealthCheckNodePort = p.svc.Spec.HealthCheckNodePort
	default:
		b.Policy = TrafficCluster
	}

	b.NodeLabels = p.nodeLabels()
	if v := p.onOff(KeyRemoveUnscheduledBackend); v != nil {
		b.RemoveUnscheduled = *v
	}
	// Validated here so a bad value fails the Service like any other; the
	// endpoint backends read it with ParseDrain (registry_drain.go).
	p.onOffStrict(KeyDrainUnscheduledBackend)
	b.VGroupPorts = p.vgroupPorts()
	b.Weight = p.intRange(KeyWeight)
	if b.Weight != nil && !p.has(KeyVGroupPort) {
		p.warnIgnored(KeyWeight, "it applies only with "+string(KeyVGroupPort))
	}
	b.DefaultWeight = p.intRange(KeyDefaultWeight)
	if v := p.onOff(KeyIgnoreWeightUpdate); v != nil {
		b.IgnoreWeightUpdate = *v
	}
}

// nodeLabels parses `k1=v1,k2=v2` into a label map; every pair must be a
// valid Kubernetes label.
func (p *parser) nodeLabels() map[string]string {
	items, key, val, ok := p.list(KeyBackendLabel)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, item := range items {
		k, v, found := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var problems []string
		if !found {
			problems = []string{"must be key=value"}
		} else {
			problems = append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...)
		}
		switch {
		case len(problems) > 0:
			p.fail(key, val, "label %q: %s", item, strings.Join(problems, "; "))
			return nil
		case out[k] != "" && out[k] != v:
			p.fail(key, val, "label %s is given twice with different values", k)
			return nil
		}
		out[k] = v
	}
	return out
}

// vgroupPorts parses `vgroupId:port[,...]`. It needs the id annotation: the
// groups are user-created groups of a reused load balancer.
func (p *parser) vgroupPorts() map[int32]string {
	items, key, val, ok := p.list(KeyVGroupPort)
	if !ok {
		return nil
	}
	if !p.has(KeyID) {
		// The official CCM reads vgroup-port only with id.
		p.warnIgnored(KeyVGroupPort, "it applies only with "+string(KeyID)+": user-created vServer groups exist only in a reused load balancer")
		return nil
	}
	ports := p.servicePorts()
	out := map[int32]string{}
	for _, item := range items {
		// Cut at the last colon so IDs are taken whole.
		i := strings.LastIndex(item, ":")
		if i < 0 {
			p.fail(key, val, "entry %q must be vgroupId:port", item)
			continue
		}
		id, ps := strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
		port, portOK := parsePort(ps)
		switch {
		case !idPattern.MatchString(id) || !portOK:
			p.fail(key, val, "entry %q must be vgroupId:port with a port from %d to %d", item, minPort, maxPort)
		case p.nlb && !strings.HasPrefix(id, "sgp-"):
			// An rsp- (CLB vServer group) ID on an NLB is a copy-paste
			// mistake: the NLB would not find it.
			p.fail(key, val, "entry %q: %q is not an NLB server group ID (sgp-...)", item, id)
		// As the official CCM: entries for other ports are ignored, the
		// first entry for a port wins.
		case !slices.Contains(ports, port):
			p.warnf("annotation %s=%q: entry %q is ignored: %d is not a port of the Service (ports: %s)", key, val, item, port, portList(ports))
		case out[port] != "":
			p.warnf("annotation %s=%q: entry %q is ignored: port %d is listed before, and the first entry wins", key, val, item, port)
		default:
			out[port] = id
		}
	}
	for i := range p.cfg.Listeners {
		p.cfg.Listeners[i].VGroupID = out[p.cfg.Listeners[i].Port]
	}
	return out
}

// sourceRanges parses spec.loadBalancerSourceRanges, masked; nil when the
// field is empty.
func (p *parser) sourceRanges() []netip.Prefix {
	var out []netip.Prefix
	for i, r := range p.svc.Spec.LoadBalancerSourceRanges {
		// The API server accepts surrounding spaces here; so does the
		// upstream service helper.
		s := strings.TrimSpace(r)
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			p.fail(fmt.Sprintf("%s[%d]", FieldLoadBalancerSourceRanges, i), r, "must be a CIDR such as 10.0.0.0/8")
			continue
		}
		out = append(out, pfx.Masked())
	}
	return out
}

// parseServiceFields reads spec.loadBalancerSourceRanges (spec.ports,
// spec.loadBalancerIP and spec.externalTrafficPolicy are read with the
// listeners, the address and the backends).
func (p *parser) parseServiceFields() {
	p.cfg.SourceRanges = p.sourceRanges()
	// A CLB listener is bound to one access control list: the CCM's ACL
	// of the source ranges and a user's ACL (acl-id) cannot both apply,
	// and silently preferring either would open or close the listeners
	// against what the other one says.
	if len(p.svc.Spec.LoadBalancerSourceRanges) > 0 {
		for _, n := range []Name{KeyACLID, KeyACLStatus} {
			if p.has(n) {
				p.failName(n, "cannot be combined with %s: a CLB listener has one access control list; use %s or the acl annotations, not both",
					FieldLoadBalancerSourceRanges, FieldLoadBalancerSourceRanges)
				break
			}
		}
	}
}
