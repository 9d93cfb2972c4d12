package instances

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	v1 "k8s.io/api/core/v1"
)

// ipFailingECS fails every lookup by private IP and answers the rest from
// pagedECS.
type ipFailingECS struct{ pagedECS }

func (f *ipFailingECS) DescribeInstances(ctx context.Context, req *ecs.DescribeInstancesRequest) (*ecs.DescribeInstancesResponse, error) {
	if req.PrivateIpAddresses != "" {
		return nil, errors.New("Throttling.User")
	}
	return f.pagedECS.DescribeInstances(ctx, req)
}

// TestResolveDoesNotGuessOnErrors: when the lookup by InternalIP fails,
// Resolve returns an error, never "not found": the provider-id controller
// would otherwise record a misleading Event, and InstanceMetadata would
// tell an uninitialised ECS node it is a data-centre node.
func TestResolveDoesNotGuessOnErrors(t *testing.T) {
	api := &ipFailingECS{pagedECS{insts: []ecs.Instance{vpcInst("i-a", "192.168.0.1")}}}
	p, err := New(api, Options{Region: testRegion, VpcID: testVPC, BatchWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		node    *v1.Node
		wantErr bool
		kind    Kind
	}{
		{"by InternalIP while ECS throttles", node("w1", withIP("192.168.0.1")), true, KindNotFound},
		{"by providerID: no IP lookup needed", node("w1", withProviderID(pid("i-a")), withIP("192.168.0.1")), false, KindECS},
		{"by node name: no IP lookup needed", node(pid("i-a"), withIP("192.168.0.1")), false, KindECS},
		{"virtual: no lookup at all", node("vk", virtual, withIP("192.168.0.1")), false, KindVirtual},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := p.Resolve(context.Background(), tc.node)
			if (err != nil) != tc.wantErr || res.Kind != tc.kind {
				t.Fatalf("Resolve = %v, %v; want kind %v, error %v", res.Kind, err, tc.kind, tc.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), "192.168.0.1") || !strings.Contains(err.Error(), "Throttling.User")) {
				t.Errorf("err = %v, want it to name the IP and the cause", err)
			}
		})
	}
	// The lifecycle controller keeps such a node; metadata reports the error.
	n := node("w1", tainted, withIP("192.168.0.1"))
	if ok, err := p.InstanceExists(context.Background(), n); !ok || err != nil {
		t.Errorf("InstanceExists = %v, %v; want true", ok, err)
	}
	if md, err := p.InstanceMetadata(context.Background(), n); err == nil || md != nil {
		t.Errorf("InstanceMetadata = %+v, %v; want an error", md, err)
	}
	if down, err := p.InstanceShutdown(context.Background(), n); down || err != nil {
		t.Errorf("InstanceShutdown = %v, %v; want false", down, err)
	}
}
