package emulator

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

func jsonArray(ids ...string) string {
	b, _ := json.Marshal(append([]string{}, ids...))
	return string(b)
}

func TestDescribeInstancesFilters(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	if err := e.SetInstanceStatus(testInst2, "Stopped"); err != nil {
		t.Fatal(err)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("i-%d", i)
	}
	cases := []struct {
		name   string
		set    func(r *ecs.DescribeInstancesRequest)
		want   []string
		code   string
		status int
	}{
		{name: "all", set: func(*ecs.DescribeInstancesRequest) {}, want: []string{testInst1, testInst2, testInst3}},
		{name: "ids", set: func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = jsonArray(testInst3, "i-unknown") }, want: []string{testInst3}},
		{name: "empty ids array matches nothing", set: func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = "[]" }, want: nil},
		{name: "101 ids", set: func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = jsonArray(many...) }, code: "InvalidParameter", status: 400},
		{name: "bad json", set: func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = "i-1" }, code: "InvalidInstanceIds", status: 400},
		{name: "private ips", set: func(r *ecs.DescribeInstancesRequest) { r.PrivateIpAddresses = jsonArray("192.168.0.12") }, want: []string{testInst2}},
		{name: "eip", set: func(r *ecs.DescribeInstancesRequest) { r.EipAddresses = jsonArray("47.0.0.3") }, want: []string{testInst3}},
		{name: "vpc", set: func(r *ecs.DescribeInstancesRequest) { r.VpcId = "vpc-other" }, want: nil},
		{name: "vswitch", set: func(r *ecs.DescribeInstancesRequest) { r.VSwitchId = testVSWI }, want: []string{testInst3}},
		{name: "status", set: func(r *ecs.DescribeInstancesRequest) { r.Status = "Stopped" }, want: []string{testInst2}},
		{name: "bad status", set: func(r *ecs.DescribeInstancesRequest) { r.Status = "Exploded" }, code: "InvalidStatus.NotFound", status: 404},
		{name: "tag", set: func(r *ecs.DescribeInstancesRequest) {
			r.Tag = &[]ecs.DescribeInstancesTag{{Key: "role", Value: "worker"}}
		}, want: []string{testInst1, testInst2}},
		{name: "tag key only", set: func(r *ecs.DescribeInstancesRequest) { r.Tag = &[]ecs.DescribeInstancesTag{{Key: "role"}} }, want: []string{testInst1, testInst2}},
		{name: "tag value without key", set: func(r *ecs.DescribeInstancesRequest) { r.Tag = &[]ecs.DescribeInstancesTag{{Value: "worker"}} }, code: "InvalidTag.Mismatch", status: 400},
		{name: "name wildcard", set: func(r *ecs.DescribeInstancesRequest) { r.InstanceName = "i-node*" }, want: []string{testInst1, testInst2, testInst3}},
		{name: "page size 101", set: func(r *ecs.DescribeInstancesRequest) { r.PageSize = requests.NewInteger(101) }, code: "InvalidPageSize", status: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := ecs.CreateDescribeInstancesRequest()
			tc.set(req)
			r, err := c.ECS.DescribeInstances(req)
			if tc.code != "" {
				wantErr(t, err, tc.code, tc.status)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range r.Instances.Instance {
				got = append(got, in.InstanceId)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || r.TotalCount != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v", got, r.TotalCount, tc.want)
			}
		})
	}
	t.Run("view", func(t *testing.T) {
		req := ecs.CreateDescribeInstancesRequest()
		req.InstanceIds = jsonArray(testInst3)
		r, _ := c.ECS.DescribeInstances(req)
		in := r.Instances.Instance[0]
		if in.ZoneId != "cn-hangzhou-i" || in.VpcAttributes.VpcId != testVPC || in.EipAddress.IpAddress != "47.0.0.3" ||
			in.InstanceType != "ecs.g6.large" || len(in.NetworkInterfaces.NetworkInterface) != 1 ||
			in.NetworkInterfaces.NetworkInterface[0].NetworkInterfaceId != "eni-node3" || in.RegionId != "cn-hangzhou" {
			t.Fatalf("%+v", in)
		}
	})
}

func TestDescribeInstancesPagination(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	for i := 0; i < 47; i++ {
		if err := e.AddInstance(Instance{InstanceID: fmt.Sprintf("i-extra%02d", i), VSwitchID: testVSWH, PrivateIP: fmt.Sprintf("192.168.0.%d", 100+i)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("page number", func(t *testing.T) {
		seen := map[string]bool{}
		for p := 1; p <= 6; p++ {
			req := ecs.CreateDescribeInstancesRequest()
			req.PageNumber, req.PageSize = requests.NewInteger(p), requests.NewInteger(10)
			r, err := c.ECS.DescribeInstances(req)
			if err != nil || r.TotalCount != 50 {
				t.Fatalf("%v %+v", err, r.TotalCount)
			}
			for _, in := range r.Instances.Instance {
				seen[in.InstanceId] = true
			}
		}
		if len(seen) != 50 {
			t.Fatalf("saw %d", len(seen))
		}
	})
	t.Run("next token (MaxResults clamps to 10..100)", func(t *testing.T) {
		seen, token, pages := map[string]bool{}, "", 0
		for {
			req := ecs.CreateDescribeInstancesRequest()
			req.MaxResults, req.NextToken = requests.NewInteger(3), token
			r, err := c.ECS.DescribeInstances(req)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, in := range r.Instances.Instance {
				seen[in.InstanceId] = true
			}
			if token = r.NextToken; token == "" {
				break
			}
		}
		if len(seen) != 50 || pages != 5 {
			t.Fatalf("saw %d in %d pages", len(seen), pages)
		}
	})
	t.Run("deleted instance disappears", func(t *testing.T) {
		if err := e.DeleteInstance(testInst1); err != nil {
			t.Fatal(err)
		}
		req := ecs.CreateDescribeInstancesRequest()
		req.InstanceIds = jsonArray(testInst1)
		r, err := c.ECS.DescribeInstances(req)
		if err != nil || r.TotalCount != 0 {
			t.Fatalf("%v %d", err, r.TotalCount)
		}
		nreq := ecs.CreateDescribeNetworkInterfacesRequest()
		nreq.NetworkInterfaceId = &[]string{"eni-node1"}
		n, err := c.ECS.DescribeNetworkInterfaces(nreq)
		if err != nil || n.TotalCount != 0 {
			t.Fatalf("%v %d", err, n.TotalCount)
		}
	})
}

func TestNetworkInterfaces(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	if err := e.Seed(SeedState{ENIs: []ENI{
		{NetworkInterfaceID: "eni-trunk", Type: "Trunk", InstanceID: testInst1, VSwitchID: testVSWH, PrimaryIP: "192.168.0.50"},
		{NetworkInterfaceID: "eni-member", Type: "Member", VSwitchID: testVSWH, PrimaryIP: "192.168.0.51", TrunkENI: "eni-trunk", Status: "InUse"},
		{NetworkInterfaceID: "eni-sec", InstanceID: testInst2, VSwitchID: testVSWH, PrimaryIP: "192.168.0.60", SecondaryIPs: []string{"192.168.0.61"}},
	}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		set  func(r *ecs.DescribeNetworkInterfacesRequest)
		want []string
	}{
		{"by id", func(r *ecs.DescribeNetworkInterfacesRequest) {
			r.NetworkInterfaceId = &[]string{"eni-member", "eni-node2"}
		}, []string{"eni-node2", "eni-member"}},
		{"by secondary ip", func(r *ecs.DescribeNetworkInterfacesRequest) { r.PrivateIpAddress = &[]string{"192.168.0.61"} }, []string{"eni-sec"}},
		{"by instance", func(r *ecs.DescribeNetworkInterfacesRequest) { r.InstanceId = testInst1 }, []string{"eni-node1", "eni-trunk"}},
		{"by type", func(r *ecs.DescribeNetworkInterfacesRequest) { r.Type = "Member" }, []string{"eni-member"}},
		{"by vpc", func(r *ecs.DescribeNetworkInterfacesRequest) { r.VpcId = testVPC; r.Type = "Primary" }, []string{"eni-node1", "eni-node2", "eni-node3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := ecs.CreateDescribeNetworkInterfacesRequest()
			tc.set(req)
			r, err := c.ECS.DescribeNetworkInterfaces(req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range r.NetworkInterfaceSets.NetworkInterfaceSet {
				got = append(got, n.NetworkInterfaceId)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v want %v", got, tc.want)
			}
		})
	}
	t.Run("member shows its trunk", func(t *testing.T) {
		req := ecs.CreateDescribeNetworkInterfacesRequest()
		req.NetworkInterfaceId = &[]string{"eni-member"}
		r, _ := c.ECS.DescribeNetworkInterfaces(req)
		if r.NetworkInterfaceSets.NetworkInterfaceSet[0].Attachment.TrunkNetworkInterfaceId != "eni-trunk" {
			t.Fatalf("%+v", r.NetworkInterfaceSets.NetworkInterfaceSet[0].Attachment)
		}
	})
	t.Run("too many ids", func(t *testing.T) {
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = fmt.Sprintf("eni-%d", i)
		}
		req := ecs.CreateDescribeNetworkInterfacesRequest()
		req.NetworkInterfaceId = &ids
		_, err := c.ECS.DescribeNetworkInterfaces(req)
		wantErr(t, err, "InvalidParameter", 400)
	})
	t.Run("ModifyNetworkInterfaceAttribute SourceDestCheck", func(t *testing.T) {
		req := ecs.CreateModifyNetworkInterfaceAttributeRequest()
		req.NetworkInterfaceId, req.SourceDestCheck = "eni-node1", requests.NewBoolean(true)
		if _, err := c.ECS.ModifyNetworkInterfaceAttribute(req); err != nil {
			t.Fatal(err)
		}
		d := ecs.CreateDescribeNetworkInterfacesRequest()
		d.NetworkInterfaceId = &[]string{"eni-node1"}
		r, _ := c.ECS.DescribeNetworkInterfaces(d)
		if !r.NetworkInterfaceSets.NetworkInterfaceSet[0].SourceDestCheck {
			t.Fatal("SourceDestCheck not applied")
		}
		req = ecs.CreateModifyNetworkInterfaceAttributeRequest()
		req.NetworkInterfaceId, req.SourceDestCheck = "eni-nope", requests.NewBoolean(false)
		_, err := c.ECS.ModifyNetworkInterfaceAttribute(req)
		wantErr(t, err, "InvalidEniId.NotFound", 404)
		req = ecs.CreateModifyNetworkInterfaceAttributeRequest()
		req.NetworkInterfaceId, req.SecurityGroupId = "eni-node1", &[]string{"sg-1"}
		_, err = c.ECS.ModifyNetworkInterfaceAttribute(req)
		wantErr(t, err, "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc", 404)
	})
}

// TestRAMVisibility: a RAM policy leaves instances out of DescribeInstances
// answers, by ID filter or altogether, without an error.
func TestRAMVisibility(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	list := func(ids ...string) []string {
		t.Helper()
		req := ecs.CreateDescribeInstancesRequest()
		if len(ids) > 0 {
			req.InstanceIds = jsonArray(ids...)
		}
		resp, err := c.ECS.DescribeInstances(req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, in := range resp.Instances.Instance {
			out = append(out, in.InstanceId)
		}
		return out
	}
	e.SetRAMVisibility(RAMHiddenFromIDFilter, testInst1)
	if got := list(testInst1, testInst2); contains(got, testInst1) || !contains(got, testInst2) {
		t.Errorf("by ID with %s hidden from ID filters: %v", testInst1, got)
	}
	if got := list(); !contains(got, testInst1) {
		t.Errorf("unfiltered listing: %v, want %s in it", got, testInst1)
	}
	e.SetRAMVisibility(RAMHiddenFromAll, testInst1)
	if got := list(); contains(got, testInst1) {
		t.Errorf("unfiltered listing with %s hidden from all: %v", testInst1, got)
	}
	e.SetRAMVisibility(RAMVisible, testInst1)
	if got := list(testInst1); !contains(got, testInst1) {
		t.Errorf("by ID after the policy went: %v", got)
	}
}
