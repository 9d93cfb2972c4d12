package routes

import (
	"context"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// filterlessECS answers DescribeNetworkInterfaces with every ENI, whatever
// the Type and InstanceId filters say (an answer the CCM must not trust
// blindly), and records the ENIs whose attribute was modified.
type filterlessECS struct {
	mu       sync.Mutex
	sets     []ecs.NetworkInterfaceSet
	modified []string
}

func (f *filterlessECS) ListNetworkInterfaces(_ context.Context, _ *ecs.DescribeNetworkInterfacesRequest) ([]ecs.NetworkInterfaceSet, error) {
	return f.sets, nil
}

func (f *filterlessECS) ModifyNetworkInterfaceAttribute(_ context.Context, req *ecs.ModifyNetworkInterfaceAttributeRequest) (*ecs.ModifyNetworkInterfaceAttributeResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.modified = append(f.modified, req.NetworkInterfaceId)
	return &ecs.ModifyNetworkInterfaceAttributeResponse{}, nil
}

// TestSourceDestCheckOnlyPrimaryENI: only the instance's primary ENI is
// modified, even when the listing also holds its secondary ENIs (Terway
// pod ENIs, say) or other instances' ENIs.
func TestSourceDestCheckOnlyPrimaryENI(t *testing.T) {
	for _, name := range []string{"vpc listing", "per-instance lookup"} {
		t.Run(name, func(t *testing.T) {
			api := &filterlessECS{sets: []ecs.NetworkInterfaceSet{
				{NetworkInterfaceId: "eni-secondary", Type: "Secondary", InstanceId: "i-node", SourceDestCheck: true},
				{NetworkInterfaceId: "eni-trunk-member", Type: "Member", Attachment: ecs.Attachment{InstanceId: "i-node"}, SourceDestCheck: true},
				{NetworkInterfaceId: "eni-primary", Type: "Primary", InstanceId: "i-node", SourceDestCheck: true},
				{NetworkInterfaceId: "eni-other", Type: "Primary", InstanceId: "i-other", SourceDestCheck: true},
			}}
			s := newSrcDstCheck(api, "vpc-test")
			if name == "vpc listing" {
				s.refresh(context.Background(), []string{"i-node"})
				if !s.pending("i-node") {
					t.Error("the check read as on is not pending")
				}
			}
			if err := s.ensure(context.Background(), "i-node"); err != nil {
				t.Fatal(err)
			}
			if len(api.modified) != 1 || api.modified[0] != "eni-primary" {
				t.Errorf("modified ENIs %v, want only eni-primary", api.modified)
			}
			if s.pending("i-node") {
				t.Error("still pending after the check went off")
			}
		})
	}
}
