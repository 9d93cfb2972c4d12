package loadbalancer

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// TestCreateRequestDefaults pins what a new CLB is created with when the
// annotations leave it open, and how declared values override it.
func TestCreateRequestDefaults(t *testing.T) {
	svc := service("web", nil)
	tests := []struct {
		name    string
		opts    Options
		edit    func(*annotations.LoadBalancer)
		check   func(t *testing.T, req *slb.CreateLoadBalancerRequest)
		wantErr string
	}{
		{name: "defaults: internet, pay-by-LCU, protected, ipv4, default name", check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
			want := map[string]string{
				"AddressType": req.AddressType, "InstanceChargeType": req.InstanceChargeType, "DeleteProtection": req.DeleteProtection,
				"ModificationProtectionStatus": req.ModificationProtectionStatus, "ModificationProtectionReason": req.ModificationProtectionReason,
				"AddressIPVersion": req.AddressIPVersion, "LoadBalancerSpec": req.LoadBalancerSpec, "VSwitchId": req.VSwitchId,
			}
			for k, v := range map[string]string{"AddressType": "internet", "InstanceChargeType": "PayByCLCU", "DeleteProtection": "on",
				"ModificationProtectionStatus": annotations.ConsoleProtection, "ModificationProtectionReason": annotations.ModificationProtectionReason,
				"AddressIPVersion": "ipv4", "LoadBalancerSpec": "", "VSwitchId": ""} {
				if want[k] != v {
					t.Errorf("%s = %q, want %q", k, want[k], v)
				}
			}
			if req.LoadBalancerName != defaultName(svc) {
				t.Errorf("name %q, want the framework's default %q", req.LoadBalancerName, defaultName(svc))
			}
		}},
		{name: "name annotation", edit: func(l *annotations.LoadBalancer) { l.Name = "mine" }, check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
			if req.LoadBalancerName != "mine" {
				t.Errorf("name %q", req.LoadBalancerName)
			}
		}},
		{name: "pay-by-spec gets the default spec", edit: func(l *annotations.LoadBalancer) { l.InstanceChargeType = "paybyspec" },
			check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
				if req.InstanceChargeType != "PayBySpec" || req.LoadBalancerSpec != annotations.DefaultSpec {
					t.Errorf("charge %q spec %q", req.InstanceChargeType, req.LoadBalancerSpec)
				}
			}},
		{name: "pay-by-spec with a spec", edit: func(l *annotations.LoadBalancer) { l.InstanceChargeType, l.Spec = "PayBySpec", "slb.s3.large" },
			check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
				if req.LoadBalancerSpec != "slb.s3.large" {
					t.Errorf("spec %q", req.LoadBalancerSpec)
				}
			}},
		{name: "bandwidth only with pay-by-bandwidth", edit: func(l *annotations.LoadBalancer) { l.Bandwidth = ptr(50) },
			check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
				if req.Bandwidth != "" {
					t.Errorf("bandwidth %q sent with pay-by-traffic", req.Bandwidth)
				}
			}},
		{name: "pay-by-bandwidth sends the bandwidth", edit: func(l *annotations.LoadBalancer) { l.InternetChargeType, l.Bandwidth = "PayByBandwidth", ptr(50) },
			check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
				if req.InternetChargeType != "paybybandwidth" || req.Bandwidth != "50" {
					t.Errorf("charge %q bandwidth %q", req.InternetChargeType, req.Bandwidth)
				}
			}},
		{name: "protections off", edit: func(l *annotations.LoadBalancer) {
			l.DeleteProtection, l.ModificationProtection = false, annotations.NonProtection
		}, check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
			if req.DeleteProtection != "off" || req.ModificationProtectionStatus != annotations.NonProtection || req.ModificationProtectionReason != "" {
				t.Errorf("delete %q modification %q reason %q", req.DeleteProtection, req.ModificationProtectionStatus, req.ModificationProtectionReason)
			}
		}},
		{name: "resource group from cloud-config", opts: Options{ResourceGroupID: "rg-default"}, check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
			if req.ResourceGroupId != "rg-default" {
				t.Errorf("resource group %q", req.ResourceGroupId)
			}
		}},
		{name: "annotated resource group wins", opts: Options{ResourceGroupID: "rg-default"},
			edit: func(l *annotations.LoadBalancer) { l.ResourceGroupID, l.ResourceGroupIDSet = "rg-mine", true },
			check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
				if req.ResourceGroupId != "rg-mine" {
					t.Errorf("resource group %q", req.ResourceGroupId)
				}
			}},
		{name: "internet refused by disablePublicSLB", opts: Options{DisablePublicSLB: true}, wantErr: "disablePublicSLB"},
		{name: "intranet needs a vSwitch", edit: func(l *annotations.LoadBalancer) { l.AddressType = annotations.AddressTypeIntranet }, wantErr: "vswitch-id"},
		{name: "intranet uses cloud-config's vSwitch and VPC", opts: Options{VSwitchID: "vsw-cfg", VpcID: "vpc-cfg"},
			edit: func(l *annotations.LoadBalancer) { l.AddressType = annotations.AddressTypeIntranet },
			check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
				if req.VSwitchId != "vsw-cfg" || req.VpcId != "vpc-cfg" {
					t.Errorf("vswitch %q vpc %q", req.VSwitchId, req.VpcId)
				}
			}},
		{name: "intranet prefers the first candidate over cloud-config's default", opts: Options{VSwitchID: "vsw-cfg"},
			edit: func(l *annotations.LoadBalancer) {
				l.AddressType, l.VSwitchCandidates = annotations.AddressTypeIntranet, []string{"vsw-1", "vsw-2"}
			},
			check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
				if req.VSwitchId != "vsw-1" {
					t.Errorf("vswitch %q", req.VSwitchId)
				}
			}},
		{name: "intranet: annotation wins and the fixed address is sent", opts: Options{VSwitchID: "vsw-cfg"},
			edit: func(l *annotations.LoadBalancer) {
				l.AddressType, l.VSwitchID, l.Address = annotations.AddressTypeIntranet, "vsw-mine", netip.MustParseAddr("10.0.0.9")
			},
			check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
				if req.VSwitchId != "vsw-mine" || req.Address != "10.0.0.9" {
					t.Errorf("vswitch %q address %q", req.VSwitchId, req.Address)
				}
			}},
		{name: "classic intranet has no vSwitch", edit: func(l *annotations.LoadBalancer) {
			l.AddressType, l.NetworkType, l.VSwitchID = annotations.AddressTypeIntranet, annotations.NetworkTypeClassic, "vsw-x"
		}, check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
			if req.VSwitchId != "" || req.VpcId != "" {
				t.Errorf("vswitch %q vpc %q on a classic CLB", req.VSwitchId, req.VpcId)
			}
		}},
		{name: "our tags win over additional tags of the same key", edit: func(l *annotations.LoadBalancer) {
			l.AdditionalTags = []annotations.Tag{{Key: TagServiceUID, Value: "forged"}, {Key: "team", Value: "a"}}
		}, check: func(t *testing.T, req *slb.CreateLoadBalancerRequest) {
			got := map[string]string{}
			for _, tg := range *req.Tag {
				got[tg.Key] = tg.Value
			}
			if got[TagServiceUID] != string(svc.UID) || got["team"] != "a" || got[TagAdditionalKeys] == "" {
				t.Errorf("tags %v", got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.ClusterID = "c"
			r := New(nil, nil, nil, opts)
			want := baseLB()
			if tc.edit != nil {
				tc.edit(&want)
			}
			req, err := r.createRequest(svc, &want)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(req.ClientToken, "k8s-") || len(req.ClientToken) > 64 {
				t.Errorf("client token %q", req.ClientToken)
			}
			tc.check(t, req)
		})
	}
}

// TestClientToken: the same Service and request give the same token (a
// retried create answers the first CLB); other parameters or a bumped
// salt give another.
func TestClientToken(t *testing.T) {
	r := New(nil, nil, nil, Options{ClusterID: "c"})
	svc := service("web", nil)
	lb := baseLB()
	token := func() string {
		req, err := r.createRequest(svc, &lb)
		if err != nil {
			t.Fatal(err)
		}
		return req.ClientToken
	}
	first := token()
	if again := token(); again != first {
		t.Errorf("token changed without a change: %s, %s", first, again)
	}
	lb.Name = "renamed"
	renamed := token()
	if renamed == first {
		t.Error("a changed request kept its token")
	}
	r.bumpSalt(svc)
	if token() == renamed {
		t.Error("a bumped salt kept the token")
	}
	other := service("other", nil)
	req, err := r.createRequest(other, &lb)
	if err != nil {
		t.Fatal(err)
	}
	if req.ClientToken == renamed {
		t.Error("two Services share a token")
	}
}
