package cloudapi_test

import (
	"context"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// The interfaces below are what consumer packages declare: only the methods
// they call. The assignments are compile-time checks that the cloudapi
// clients satisfy them.
type (
	loadBalancerAPI interface {
		ListLoadBalancers(ctx context.Context, req *slb.DescribeLoadBalancersRequest) ([]slb.LoadBalancer, error)
		CreateLoadBalancer(ctx context.Context, req *slb.CreateLoadBalancerRequest) (*slb.CreateLoadBalancerResponse, error)
		DeleteLoadBalancer(ctx context.Context, req *slb.DeleteLoadBalancerRequest) (*slb.DeleteLoadBalancerResponse, error)
	}
	routeAPI interface {
		ListRouteEntries(ctx context.Context, req *vpc.DescribeRouteEntryListRequest) ([]vpc.RouteEntry, error)
		CreateRouteEntries(ctx context.Context, req *vpc.CreateRouteEntriesRequest) (*vpc.CreateRouteEntriesResponse, error)
		DeleteRouteEntries(ctx context.Context, req *vpc.DeleteRouteEntriesRequest) (*vpc.DeleteRouteEntriesResponse, error)
	}
	instanceAPI interface {
		ListInstances(ctx context.Context, ids []string) ([]ecs.Instance, error)
	}
)

var (
	_ loadBalancerAPI = (*cloudapi.SLB)(nil)
	_ routeAPI        = (*cloudapi.VPC)(nil)
	_ instanceAPI     = (*cloudapi.ECS)(nil)
)

func ExampleNew() {
	clients, err := cloudapi.New(cloudapi.Options{
		Region:      "cn-hangzhou",
		Credentials: credentials.NewStaticAKCredentialsProvider("<id>", "<secret>"),
		Network:     cloudapi.NetworkVPC,
		UserAgent:   "alicloud-ccm/v0.1.0",
		SLB:         cloudapi.ProductOptions{RateLimit: cloudapi.RateLimit{QPS: 10, Burst: 20}},
		// Point a product at a local emulator:
		ECS: cloudapi.ProductOptions{Endpoint: "http://127.0.0.1:8080"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A consumer only sees its own narrow interface.
	var lbs loadBalancerAPI = clients.SLB
	_ = lbs
	fmt.Println(clients.SLB.Product(), clients.VPC.Product(), clients.ECS.Product())
	// Output: Slb Vpc Ecs
}
