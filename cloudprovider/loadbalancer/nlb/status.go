package nlb

import (
	"net/netip"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// lbStatus is the Service status of an NLB: its DNS name as the first
// ingress entry's hostname (as the official CCM publishes it; the provider
// tells an NLB Service by it), then the addresses the zone mappings list:
// public IPv4 addresses of an Internet NLB, private ones of an Intranet
// NLB, and IPv6 addresses of a dual-stack NLB. Addresses carry ipMode
// Proxy when a listener speaks PROXY protocol (in-cluster clients must then
// go through the NLB instead of kube-proxy's shortcut), else VIP. cfg nil
// (GetLoadBalancer) reads proxy-protocol alone.
func lbStatus(lb *sdknlb.LoadbalancerInfo, cfg *annotations.NLBConfig, svc *v1.Service) *v1.LoadBalancerStatus {
	out := &v1.LoadBalancerStatus{}
	if lb.DNSName != "" {
		out.Ingress = append(out.Ingress, v1.LoadBalancerIngress{Hostname: lb.DNSName})
	}
	mode := ipMode(svc, cfg)
	seen := map[string]bool{}
	add := func(ip string) {
		a, err := netip.ParseAddr(ip)
		if err != nil || seen[a.String()] {
			return
		}
		seen[a.String()] = true
		out.Ingress = append(out.Ingress, v1.LoadBalancerIngress{IP: a.String(), IPMode: mode})
	}
	for _, z := range lb.ZoneMappings {
		for _, a := range z.LoadBalancerAddresses {
			if lb.AddressType == "Intranet" {
				add(a.PrivateIPv4Address)
			} else {
				add(a.PublicIPv4Address)
			}
			add(a.Ipv6Address)
		}
	}
	return out
}

// ipMode is Proxy when any listener speaks PROXY protocol (KEP-1860), else
// VIP.
func ipMode(svc *v1.Service, cfg *annotations.NLBConfig) *v1.LoadBalancerIPMode {
	proxy := false
	if cfg != nil {
		for _, l := range cfg.Listeners {
			if p := l.ProxyProtocol; p != nil && *p {
				proxy = true
			}
		}
	} else {
		proxy = annotations.ProxyProtocol(svc)
	}
	m := v1.LoadBalancerIPModeVIP
	if proxy {
		m = v1.LoadBalancerIPModeProxy
	}
	return &m
}
