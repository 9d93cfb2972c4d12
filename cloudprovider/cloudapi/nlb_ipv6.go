package cloudapi

// The IPv6 address type of a dual-stack NLB
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-enableloadbalanceripv6internet,
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-disableloadbalanceripv6internet).
// Both writes are asynchronous like the others, but their answer carries
// no JobId: the NLB is Configuring, and refuses other writes, until the
// change ends, so a caller waits on the NLB's status, not on a job.

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// EnableLoadBalancerIpv6Internet makes a dual-stack NLB's IPv6 addresses Internet-facing (asynchronous, no JobId). A ClientToken is set when empty.
func (n *NLB) EnableLoadBalancerIpv6Internet(ctx context.Context, req *nlb.EnableLoadBalancerIpv6InternetRequest) (*nlb.EnableLoadBalancerIpv6InternetResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateEnableLoadBalancerIpv6InternetResponse())
}

// DisableLoadBalancerIpv6Internet makes a dual-stack NLB's IPv6 addresses internal-facing again (asynchronous, no JobId). A ClientToken is set when empty.
func (n *NLB) DisableLoadBalancerIpv6Internet(ctx context.Context, req *nlb.DisableLoadBalancerIpv6InternetRequest) (*nlb.DisableLoadBalancerIpv6InternetResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateDisableLoadBalancerIpv6InternetResponse())
}
