package emulator

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

func TestDispatchSmoke(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	req := ecs.CreateDescribeInstancesRequest()
	resp, err := c.ECS.DescribeInstances(req)
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	if resp.TotalCount != 3 || len(resp.Instances.Instance) != 3 || resp.RequestId == "" {
		t.Fatalf("got %+v", resp)
	}
	if got := resp.Instances.Instance[0].VpcAttributes.PrivateIpAddress.IpAddress; len(got) != 1 || got[0] != "192.168.0.11" {
		t.Fatalf("private ip %v", got)
	}
	vr, err := c.VPC.DescribeVpcs(vpc.CreateDescribeVpcsRequest())
	if err != nil || len(vr.Vpcs.Vpc) != 1 || vr.Vpcs.Vpc[0].RouterTableIds.RouterTableIds[0] != testVTB {
		t.Fatalf("DescribeVpcs: %v %+v", err, vr)
	}
}
