// Package cloudapi is the Alibaba Cloud API client layer shared by every CCM
// feature (load balancers, routes, instances). It wraps the official SDK
// (github.com/aliyun/alibaba-cloud-sdk-go) for four products:
//
//   - SLB/CLB, API version 2014-05-15, product code "Slb" ([SLB]);
//   - VPC, API version 2016-04-28, product code "Vpc" ([VPC]);
//   - ECS, API version 2014-05-26, product code "Ecs" ([ECS]);
//   - NLB, API version 2022-04-30, product code "Nlb" ([NLB]), whose writes
//     are asynchronous jobs ([NLB.CheckJobs] looks at them without waiting).
//
// Every call goes through one path, [Client.Do], which adds what the SDK
// lacks: context cancellation (the SDK's DoAction takes no context), HTTPS by
// default (the SDK defaults to plain HTTP), a client-side token-bucket rate
// limit per product (and per action, halved after the server throttles it
// and raised again step by step while it succeeds), retries with exponential backoff and full jitter where a
// retry is safe, typed errors ([APIError], [ErrNotFound]) that never carry
// credentials or signed URLs, and Prometheus metrics registered in the
// component-base legacy registry (so they show on the CCM's /metrics).
//
// # Typed methods and consumer-owned interfaces
//
// The product clients expose one narrow method per API action, named exactly
// like the action and taking and returning the SDK's own request and response
// types, for example
//
//	func (s *SLB) DescribeLoadBalancers(ctx context.Context, req *slb.DescribeLoadBalancersRequest) (*slb.DescribeLoadBalancersResponse, error)
//
// This package deliberately does not define interfaces for these clients.
// Each consumer package declares its own small interface listing only the
// methods it calls, and accepts that interface:
//
//	// in package loadbalancer
//	type slbAPI interface {
//		DescribeLoadBalancers(ctx context.Context, req *slb.DescribeLoadBalancersRequest) (*slb.DescribeLoadBalancersResponse, error)
//		CreateLoadBalancer(ctx context.Context, req *slb.CreateLoadBalancerRequest) (*slb.CreateLoadBalancerResponse, error)
//	}
//	var _ slbAPI = (*cloudapi.SLB)(nil) // compile-time check
//
// A consumer's tests then substitute a tiny fake implementing just those
// methods, and adding an action here never breaks an existing fake. Build
// requests with the SDK constructors (slb.CreateDescribeLoadBalancersRequest()
// and friends): they set the product, version and action the client relies on.
//
// # Retry safety
//
// Reads (Describe*, List*) are retried on throttling, busy and conflict codes,
// HTTP 5xx and transport errors. Requests with a ClientToken field get a fresh
// token when the caller left it empty, before the first attempt, so every
// retry carries the same token and the server deduplicates them; such requests
// are retried like reads, and so are writes whose repetition cannot create a
// second object or undo anything (Set*, Modify*, Start*, Stop*, Delete*,
// Remove*, tagging, listener creation and member additions, which the API
// keeps unique; see isRepeatSafe). All other writes are retried only on errors that
// prove the request was not executed (throttling, busy/conflict codes, a used
// signature nonce), never on transport errors or 5xx, because the first
// attempt may have taken effect.
//
// # Pagination
//
// [ForEachPage] (NextToken style) and [ForEachPageNumber] (PageNumber style)
// loop until the API reports the last page, with a safety cap of [MaxPages].
// Convenience listers such as [SLB.ListLoadBalancers], [VPC.ListRouteEntries]
// and [ECS.ListInstances] also split ID filters into batches of the
// documented per-call limits.
package cloudapi
