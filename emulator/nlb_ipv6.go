package emulator

// The IPv6 address type of a dual-stack NLB: EnableLoadBalancerIpv6Internet
// makes its IPv6 addresses Internet-facing, DisableLoadBalancerIpv6Internet
// makes them internal-facing again (the default of a new DualStack NLB:
// "the IPv6 Internet of a dual-stack NLB is enabled through
// EnableLoadBalancerIpv6Internet", CreateLoadBalancer AddressType). Pages:
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-enableloadbalanceripv6internet
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-disableloadbalanceripv6internet

import (
	"net/http"
	"net/netip"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbEnableLoadBalancerIpv6Internet: the answer is a RequestId alone (no
// JobId, unlike the other NLB writes), yet the change is asynchronous: the
// NLB is Configuring, and refuses other writes, until it ends.
func nlbEnableLoadBalancerIpv6Internet(c *call) (any, error) {
	if err := nlbSetIPv6Internet(c, true); err != nil {
		return nil, err
	}
	return &nlb.EnableLoadBalancerIpv6InternetResponse{}, nil
}

// nlbDisableLoadBalancerIpv6Internet: as Enable; an NLB whose IPv6 is
// already internal-facing is OperationDenied.Ipv6IntranetInstance.
func nlbDisableLoadBalancerIpv6Internet(c *call) (any, error) {
	if err := nlbSetIPv6Internet(c, false); err != nil {
		return nil, err
	}
	return &nlb.DisableLoadBalancerIpv6InternetResponse{}, nil
}

// nlbSetIPv6Internet checks and applies either change. Documented answers:
// ResourceNotFound.loadBalancer 404; ResourceInCreating.loadbalancer 400
// while the NLB is provisioning (Enable's table), ResourceInConfiguring.loadbalancer
// 400 while another job runs (Disable's table); OperationDenied.NonDualStackInstance
// 400 for an ipv4 NLB (both); OperationDenied.Ipv6IntranetInstance 400 to
// Disable an internal-facing IPv6 (Disable's table). Enable's table has no
// answer for an IPv6 already Internet-facing: it succeeds and changes
// nothing (no job).
func nlbSetIPv6Internet(c *call, internet bool) error {
	s := c.e.nlb
	lb, err := s.lb(c)
	if err != nil {
		return err
	}
	if j := s.busy(lb.ID, c.Now); j != nil && j.Kind == "create" {
		return Errf(http.StatusBadRequest, "ResourceInCreating.loadbalancer", "The specified resource of loadbalancer is creating, please try again later.")
	}
	if _, err := s.writableLB(c); err != nil {
		return err
	}
	if lb.IPVersion != "DualStack" {
		return Errf(http.StatusBadRequest, "OperationDenied.NonDualStackInstance", "The operation is not allowed because of NonDualStackInstance.")
	}
	if !internet && !lb.IPv6Internet {
		return Errf(http.StatusBadRequest, "OperationDenied.Ipv6IntranetInstance", "The operation is not allowed because of Ipv6IntranetInstance.")
	}
	if err := nlbDryRun(c); err != nil {
		return err
	}
	if internet == lb.IPv6Internet {
		return nil
	}
	lb.IPv6Internet = internet
	s.newJob(c, "update", lb.ID)
	return nil
}

// nlbIPv6AddressType is Ipv6AddressType as the answers report it: Internet
// or Intranet for a DualStack NLB, "" for an ipv4 one.
func nlbIPv6AddressType(lb *nlbLB) string {
	switch {
	case lb.IPVersion != "DualStack":
		return ""
	case lb.IPv6Internet:
		return "Internet"
	}
	return "Intranet"
}

// nlbIPv6Address is a zone's IPv6 address on a DualStack NLB, derived from
// its private IPv4 address (the emulator's VPCs have no IPv6 blocks): the
// documentation prefix 2001:db8::/32 with the IPv4 address in the last 32
// bits, e.g. 2001:db8::c0a8:a for 192.168.0.10. "" without an IPv4 address.
func nlbIPv6Address(privateIPv4 string) string {
	v4, err := netip.ParseAddr(privateIPv4)
	if err != nil || !v4.Is4() {
		return ""
	}
	b := v4.As4()
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: b[0], 13: b[1], 14: b[2], 15: b[3]}).String()
}
