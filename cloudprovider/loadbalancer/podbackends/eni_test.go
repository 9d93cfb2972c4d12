package podbackends

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// scriptedCloud answers with fixed ENIs, CIDR blocks and errors, and
// records each call.
type scriptedCloud struct {
	enis     []ecs.NetworkInterfaceSet
	cidr     string
	eniErr   error
	vpcErr   error
	calls    []string
	vpcCalls int
}

func (f *scriptedCloud) ListNetworkInterfaces(_ context.Context, req *ecs.DescribeNetworkInterfacesRequest) ([]ecs.NetworkInterfaceSet, error) {
	f.calls = append(f.calls, req.Type+":"+strings.Join(*req.PrivateIpAddress, ","))
	if f.eniErr != nil {
		return nil, f.eniErr
	}
	var out []ecs.NetworkInterfaceSet
	for _, n := range f.enis {
		if (req.Type == "" && (n.Type == typeMember || n.Type == typeTrunk)) || (req.Type != "" && n.Type != req.Type) {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

func (f *scriptedCloud) DescribeVpcAttribute(_ context.Context, req *vpc.DescribeVpcAttributeRequest) (*vpc.DescribeVpcAttributeResponse, error) {
	f.vpcCalls++
	if f.vpcErr != nil {
		return nil, f.vpcErr
	}
	return &vpc.DescribeVpcAttributeResponse{VpcId: req.VpcId, CidrBlock: f.cidr}, nil
}

// eni is an ENI with a primary and secondary addresses.
func eni(id, typ, primary string, secondary ...string) ecs.NetworkInterfaceSet {
	n := ecs.NetworkInterfaceSet{NetworkInterfaceId: id, Type: typ, PrivateIpAddress: primary}
	for _, ip := range secondary {
		n.PrivateIpSets.PrivateIpSet = append(n.PrivateIpSets.PrivateIpSet, ecs.PrivateIpSet{PrivateIpAddress: ip})
	}
	return n
}

// TestResolveCases pins how pod IPs are decided: found on a primary or
// secondary address, on a trunk or member ENI only when the plain lookup
// missed them, outside the VPC (including what is not an IP), missing,
// duplicates asked once; and that an API error fails the whole answer.
func TestResolveCases(t *testing.T) {
	tests := []struct {
		name             string
		cloud            scriptedCloud
		ips              []string
		eni              map[string]string
		outside, missing []string
		calls            []string
		err              string
	}{
		{name: "secondary addresses count", cloud: scriptedCloud{enis: []ecs.NetworkInterfaceSet{eni("eni-a", "Secondary", "192.168.0.2", "192.168.0.3")}},
			ips: []string{"192.168.0.3", "192.168.0.3"}, eni: map[string]string{"192.168.0.3": "eni-a"}, calls: []string{":192.168.0.3"}},
		{name: "trunk ENIs are asked for only what is still unknown", cloud: scriptedCloud{enis: []ecs.NetworkInterfaceSet{
			eni("eni-a", "Secondary", "192.168.0.2"), eni("eni-t", typeTrunk, "192.168.0.9")}},
			ips: []string{"192.168.0.2", "192.168.0.9"}, eni: map[string]string{"192.168.0.2": "eni-a", "192.168.0.9": "eni-t"},
			calls: []string{":192.168.0.2,192.168.0.9", "Member:192.168.0.9", "Trunk:192.168.0.9"}},
		{name: "a member ENI answers before the trunk is asked", cloud: scriptedCloud{enis: []ecs.NetworkInterfaceSet{eni("eni-m", typeMember, "192.168.0.7")}},
			ips: []string{"192.168.0.7"}, eni: map[string]string{"192.168.0.7": "eni-m"}, calls: []string{":192.168.0.7", "Member:192.168.0.7"}},
		{name: "outside the VPC and not an address: no lookup", ips: []string{"10.1.0.1", "not-an-ip"},
			eni: map[string]string{}, outside: []string{"10.1.0.1", "not-an-ip"}},
		{name: "inside without an ENI is missing", ips: []string{"192.168.9.9"}, eni: map[string]string{}, missing: []string{"192.168.9.9"},
			calls: []string{":192.168.9.9", "Member:192.168.9.9", "Trunk:192.168.9.9"}},
		{name: "an ENI lookup error fails the answer", cloud: scriptedCloud{eniErr: errors.New("Throttling")}, ips: []string{"192.168.0.2"},
			calls: []string{":192.168.0.2"}, err: "Throttling"},
		{name: "a VPC read error fails the answer before any lookup", cloud: scriptedCloud{vpcErr: errors.New("Forbidden.RAM")}, ips: []string{"192.168.0.2"},
			err: "CIDR blocks of VPC vpc-1"},
		{name: "a VPC without a usable block is an error", cloud: scriptedCloud{cidr: "garbage"}, ips: []string{"192.168.0.2"}, err: "no CIDR block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cloud
			if c.cidr == "" {
				c.cidr = "192.168.0.0/16"
			}
			res, err := NewResolver(&c, &c, "vpc-1").Resolve(context.Background(), tc.ips)
			if !reflect.DeepEqual(c.calls, tc.calls) {
				t.Errorf("calls %q, want %q", c.calls, tc.calls)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.ENI, tc.eni) || !reflect.DeepEqual(res.Outside, tc.outside) || !reflect.DeepEqual(res.Missing, tc.missing) {
				t.Errorf("got eni %v outside %v missing %v; want %v %v %v", res.ENI, res.Outside, res.Missing, tc.eni, tc.outside, tc.missing)
			}
		})
	}
}

// TestResolverCacheLifetimes: an answer is reused for ENITTL and the VPC's
// blocks for VPCTTL; after that they are read again.
func TestResolverCacheLifetimes(t *testing.T) {
	c := &scriptedCloud{cidr: "192.168.0.0/16", enis: []ecs.NetworkInterfaceSet{eni("eni-a", "Secondary", "192.168.0.2")}}
	r := NewResolver(c, c, "vpc-1")
	r.ENITTL, r.VPCTTL = time.Minute, time.Hour
	now := time.Unix(1000, 0)
	r.now = func() time.Time { return now }
	resolve := func() {
		t.Helper()
		res, err := r.Resolve(context.Background(), []string{"192.168.0.2"})
		if err != nil || res.ENI["192.168.0.2"] != "eni-a" {
			t.Fatalf("Resolve = %+v, %v", res, err)
		}
	}
	steps := []struct {
		advance         time.Duration
		lookups, vpcAll int
	}{
		{0, 1, 1},                // first answer
		{30 * time.Second, 1, 1}, // both cached
		{time.Minute, 2, 1},      // the ENI answer expired, the blocks did not
		{time.Hour, 3, 2},        // both expired
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		resolve()
		if len(c.calls) != s.lookups || c.vpcCalls != s.vpcAll {
			t.Errorf("step %d: %d lookups and %d VPC reads, want %d and %d", i, len(c.calls), c.vpcCalls, s.lookups, s.vpcAll)
		}
	}
}
