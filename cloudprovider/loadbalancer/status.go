package loadbalancer

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// lbStatusFromAddress is the status publishing the CLB address.
func lbStatusFromAddress(addr string, svc *v1.Service) *v1.LoadBalancerStatus {
	if addr == "" {
		return &v1.LoadBalancerStatus{}
	}
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: addr, IPMode: ipMode(svc, nil)}}}
}

// ipMode is Proxy when any listener speaks PROXY protocol: in-cluster
// clients must then go through the load balancer instead of kube-proxy's
// shortcut, or the backends get connections without the PROXY header
// (KEP-1860). Otherwise VIP, the default. Without the parsed annotations
// (cfg nil: GetLoadBalancer) the proxy-protocol annotation is read alone.
func ipMode(svc *v1.Service, cfg *annotations.Config) *v1.LoadBalancerIPMode {
	proxy := false
	if cfg != nil {
		for _, l := range cfg.Listeners {
			if p := l.ProxyProtocol; p != nil && *p {
				proxy = true
			}
		}
	} else if annotations.ProxyProtocol(svc) {
		proxy = true
	}
	m := v1.LoadBalancerIPModeVIP
	if proxy {
		m = v1.LoadBalancerIPModeProxy
	}
	return &m
}

// status builds the Service status: the hostname annotation alone, or the
// EIPs bound to the CLB (external-ip-type: eip), or the CLB address. When
// the EIPs cannot be read the address is published with a Warning, as the
// official CCM does.
func (r *Reconciler) status(ctx context.Context, svc *v1.Service, cfg *annotations.Config, st *lbState) *v1.LoadBalancerStatus {
	mode := ipMode(svc, cfg)
	if cfg.LB.Hostname != "" {
		// The API server refuses ipMode without ip.
		return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{Hostname: cfg.LB.Hostname}}}
	}
	if cfg.LB.PublishEIPs() {
		ips, err := r.eips(ctx, st.lb.LoadBalancerId)
		if err != nil {
			klog.ErrorS(err, "Reading the EIPs of the CLB", "service", klog.KObj(svc))
			r.events.Eventf(svc, v1.EventTypeWarning, ReasonEIPFailed, "Publishing the CLB address: the EIPs bound to CLB %s could not be read: %v", st.lb.LoadBalancerId, err)
		} else if len(ips) > 0 {
			out := &v1.LoadBalancerStatus{}
			for _, ip := range ips {
				out.Ingress = append(out.Ingress, v1.LoadBalancerIngress{IP: ip, IPMode: mode})
			}
			return out
		}
	}
	if st.lb.Address == "" {
		return &v1.LoadBalancerStatus{}
	}
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: st.lb.Address, IPMode: mode}}}
}

// eips lists the EIPs bound to a CLB (DescribeEipAddresses with
// AssociatedInstanceType=SlbInstance; PageNumber paging, 100 per page).
func (r *Reconciler) eips(ctx context.Context, lbID string) ([]string, error) {
	var out []string
	for page := 1; page <= 10; page++ {
		req := vpc.CreateDescribeEipAddressesRequest()
		req.AssociatedInstanceType, req.AssociatedInstanceId = "SlbInstance", lbID
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(100)
		resp, err := r.vpc.DescribeEipAddresses(ctx, req)
		if err != nil {
			return nil, classifyErr("listing the CLB's EIPs", err)
		}
		for _, e := range resp.EipAddresses.EipAddress {
			out = append(out, e.IpAddress)
		}
		if len(resp.EipAddresses.EipAddress) < 100 {
			break
		}
	}
	return out, nil
}
