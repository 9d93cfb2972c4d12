package cloudapi

// Typed SLB methods: listeners. Each is a thin wrapper over Client.Do; see
// the package doc for retry semantics and the consumer-owned interface pattern.

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// CreateLoadBalancerTCPListener creates a TCP listener.
func (s *SLB) CreateLoadBalancerTCPListener(ctx context.Context, req *slb.CreateLoadBalancerTCPListenerRequest) (*slb.CreateLoadBalancerTCPListenerResponse, error) {
	return call(ctx, s.Client, req, slb.CreateCreateLoadBalancerTCPListenerResponse())
}

// SetLoadBalancerTCPListenerAttribute updates a TCP listener.
func (s *SLB) SetLoadBalancerTCPListenerAttribute(ctx context.Context, req *slb.SetLoadBalancerTCPListenerAttributeRequest) (*slb.SetLoadBalancerTCPListenerAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetLoadBalancerTCPListenerAttributeResponse())
}

// CreateLoadBalancerUDPListener creates a UDP listener.
func (s *SLB) CreateLoadBalancerUDPListener(ctx context.Context, req *slb.CreateLoadBalancerUDPListenerRequest) (*slb.CreateLoadBalancerUDPListenerResponse, error) {
	return call(ctx, s.Client, req, slb.CreateCreateLoadBalancerUDPListenerResponse())
}

// SetLoadBalancerUDPListenerAttribute updates a UDP listener.
func (s *SLB) SetLoadBalancerUDPListenerAttribute(ctx context.Context, req *slb.SetLoadBalancerUDPListenerAttributeRequest) (*slb.SetLoadBalancerUDPListenerAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetLoadBalancerUDPListenerAttributeResponse())
}

// CreateLoadBalancerHTTPListener creates an HTTP listener.
func (s *SLB) CreateLoadBalancerHTTPListener(ctx context.Context, req *slb.CreateLoadBalancerHTTPListenerRequest) (*slb.CreateLoadBalancerHTTPListenerResponse, error) {
	return call(ctx, s.Client, req, slb.CreateCreateLoadBalancerHTTPListenerResponse())
}

// SetLoadBalancerHTTPListenerAttribute updates an HTTP listener.
func (s *SLB) SetLoadBalancerHTTPListenerAttribute(ctx context.Context, req *slb.SetLoadBalancerHTTPListenerAttributeRequest) (*slb.SetLoadBalancerHTTPListenerAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetLoadBalancerHTTPListenerAttributeResponse())
}

// CreateLoadBalancerHTTPSListener creates an HTTPS listener.
func (s *SLB) CreateLoadBalancerHTTPSListener(ctx context.Context, req *slb.CreateLoadBalancerHTTPSListenerRequest) (*slb.CreateLoadBalancerHTTPSListenerResponse, error) {
	return call(ctx, s.Client, req, slb.CreateCreateLoadBalancerHTTPSListenerResponse())
}

// SetLoadBalancerHTTPSListenerAttribute updates an HTTPS listener.
func (s *SLB) SetLoadBalancerHTTPSListenerAttribute(ctx context.Context, req *slb.SetLoadBalancerHTTPSListenerAttributeRequest) (*slb.SetLoadBalancerHTTPSListenerAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetLoadBalancerHTTPSListenerAttributeResponse())
}

// DescribeLoadBalancerListeners lists listeners of up to 10 CLB instances (NextToken paging).
func (s *SLB) DescribeLoadBalancerListeners(ctx context.Context, req *slb.DescribeLoadBalancerListenersRequest) (*slb.DescribeLoadBalancerListenersResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeLoadBalancerListenersResponse())
}

// StartLoadBalancerListener starts a stopped listener.
func (s *SLB) StartLoadBalancerListener(ctx context.Context, req *slb.StartLoadBalancerListenerRequest) (*slb.StartLoadBalancerListenerResponse, error) {
	return call(ctx, s.Client, req, slb.CreateStartLoadBalancerListenerResponse())
}

// DeleteLoadBalancerListener deletes a listener.
func (s *SLB) DeleteLoadBalancerListener(ctx context.Context, req *slb.DeleteLoadBalancerListenerRequest) (*slb.DeleteLoadBalancerListenerResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDeleteLoadBalancerListenerResponse())
}
