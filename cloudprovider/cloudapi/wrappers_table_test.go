package cloudapi

import (
	"context"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// TestVPCAndECSWrappers: each typed method sends its own action, with its
// product's API version and the client's region, and counts the call under
// that action (the metrics and the RAM policy both go by action names).
func TestVPCAndECSWrappers(t *testing.T) {
	f := newFakeAPI(t, seq(ok(nil)))
	c := newTestClients(t, f)
	ctx := context.Background()
	const vpcVersion, ecsVersion = "2016-04-28", "2014-05-26"
	tests := []struct {
		action, version, product string
		call                     func() error
	}{
		{"DescribeVpcs", vpcVersion, "vpc", func() error { _, err := c.VPC.DescribeVpcs(ctx, vpc.CreateDescribeVpcsRequest()); return err }},
		{"DescribeVpcAttribute", vpcVersion, "vpc", func() error {
			_, err := c.VPC.DescribeVpcAttribute(ctx, vpc.CreateDescribeVpcAttributeRequest())
			return err
		}},
		{"DescribeVSwitches", vpcVersion, "vpc", func() error {
			_, err := c.VPC.DescribeVSwitches(ctx, vpc.CreateDescribeVSwitchesRequest())
			return err
		}},
		{"DescribeRouteTableList", vpcVersion, "vpc", func() error {
			_, err := c.VPC.DescribeRouteTableList(ctx, vpc.CreateDescribeRouteTableListRequest())
			return err
		}},
		{"DescribeRouteEntryList", vpcVersion, "vpc", func() error {
			_, err := c.VPC.DescribeRouteEntryList(ctx, vpc.CreateDescribeRouteEntryListRequest())
			return err
		}},
		{"CreateRouteEntry", vpcVersion, "vpc", func() error {
			_, err := c.VPC.CreateRouteEntry(ctx, vpc.CreateCreateRouteEntryRequest())
			return err
		}},
		{"CreateRouteEntries", vpcVersion, "vpc", func() error {
			_, err := c.VPC.CreateRouteEntries(ctx, vpc.CreateCreateRouteEntriesRequest())
			return err
		}},
		{"DeleteRouteEntry", vpcVersion, "vpc", func() error {
			_, err := c.VPC.DeleteRouteEntry(ctx, vpc.CreateDeleteRouteEntryRequest())
			return err
		}},
		{"DeleteRouteEntries", vpcVersion, "vpc", func() error {
			_, err := c.VPC.DeleteRouteEntries(ctx, vpc.CreateDeleteRouteEntriesRequest())
			return err
		}},
		{"DescribeEipAddresses", vpcVersion, "vpc", func() error {
			_, err := c.VPC.DescribeEipAddresses(ctx, vpc.CreateDescribeEipAddressesRequest())
			return err
		}},
		{"DescribeInstances", ecsVersion, "ecs", func() error {
			_, err := c.ECS.DescribeInstances(ctx, ecs.CreateDescribeInstancesRequest())
			return err
		}},
		{"DescribeNetworkInterfaces", ecsVersion, "ecs", func() error {
			_, err := c.ECS.DescribeNetworkInterfaces(ctx, ecs.CreateDescribeNetworkInterfacesRequest())
			return err
		}},
		{"ModifyNetworkInterfaceAttribute", ecsVersion, "ecs", func() error {
			_, err := c.ECS.ModifyNetworkInterfaceAttribute(ctx, ecs.CreateModifyNetworkInterfaceAttributeRequest())
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			success := requestsTotal.WithLabelValues(tc.product, tc.action, CodeSuccess)
			before := counter(t, success)
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			calls := f.callsOf(tc.action)
			if len(calls) != 1 {
				t.Fatalf("%d %s calls, want 1", len(calls), tc.action)
			}
			p := calls[0].Params
			if p.Get("Version") != tc.version || p.Get("RegionId") != testRegion {
				t.Errorf("Version %q RegionId %q, want %q %q", p.Get("Version"), p.Get("RegionId"), tc.version, testRegion)
			}
			if d := counter(t, success) - before; d != 1 {
				t.Errorf("requests_total{%s,%s,Success} grew by %v, want 1", tc.product, tc.action, d)
			}
		})
	}
}
