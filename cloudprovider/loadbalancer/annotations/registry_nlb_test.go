package annotations

import (
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// TestNLBRegistry keeps the NLB registry consistent: every entry documents
// itself, NLB-only keys are not CLB keys, shared keys are, and lookups
// accept both prefixes.
func TestNLBRegistry(t *testing.T) {
	for _, a := range AllNLB() {
		if a.Doc == "" || a.Type == "" || a.Mutability == "" || a.Default == "" || !strings.HasSuffix(a.Doc, ".") {
			t.Errorf("%s: Doc (ending with a full stop), Type, Default and Mutability are required: %+v", a.Name, a)
		}
		if !slices.Contains(NLBGroups, a.Group) {
			t.Errorf("%s: group %q is not an NLB group", a.Name, a.Group)
		}
		_, clb := byName[a.Name]
		if only := isNLBOnly(a.Name); only == clb {
			t.Errorf("%s: NLB-only %v but a CLB key %v", a.Name, only, clb)
		}
		for _, key := range []string{string(a.Name), a.Name.Legacy()} {
			if key == "" { // backend-type has no legacy form
				continue
			}
			if got, ok := LookupNLB(key); !ok || got.Name != a.Name {
				t.Errorf("LookupNLB(%s) = %v, %v", key, got.Name, ok)
			}
		}
	}
	if n := len(AllNLB()); n != len(nlbAnnotations)+len(nlbShared) {
		t.Errorf("AllNLB has %d entries, want %d: an entry has a group outside NLBGroups", n, len(nlbAnnotations)+len(nlbShared))
	}
	if _, ok := LookupNLB(string(KeyHTTP2Enabled)); ok {
		t.Error("a CLB-only key (http2-enabled) has an NLB meaning")
	}
}

// TestNLBKeysOfTheOfficialCCM pins the NLB-only keys the official CCM
// honours: dropping one from the registry fails here.
func TestNLBKeysOfTheOfficialCCM(t *testing.T) {
	official := []string{"zone-maps", "security-group-ids", "bandwidth-package-id", "ipv6-address-type", "cross-zone-enabled",
		"cacert-id", "cacert", "additional-cert-ids", "alpn", "alpn-policy", "cps", "ppv2-pvl-ep-id-enabled",
		"ppv2-pvl-eps-id-enabled", "ppv2-pvl-vpc-id-enabled", "listener-port-range", "server-group-type", "preserve-client-ip"}
	for _, k := range official {
		if !isNLBOnly(Prefix + Name(k)) {
			t.Errorf("%s is not in the NLB registry", k)
		}
	}
	if len(nlbAnnotations) != len(official) {
		t.Errorf("%d NLB-only keys, the official CCM has %d: update this list with the source", len(nlbAnnotations), len(official))
	}
}

func TestProductOf(t *testing.T) {
	class := func(c string) func(*v1.Service) { return func(s *v1.Service) { s.Spec.LoadBalancerClass = &c } }
	anno := func(k, v string) func(*v1.Service) {
		return func(s *v1.Service) { s.Annotations = map[string]string{k: v} }
	}
	tests := []struct {
		name string
		edit func(*v1.Service)
		want Product
	}{
		{"nothing: CLB", func(*v1.Service) {}, ProductCLB},
		{"NLB class", class(NLBClass), ProductNLB},
		{"another class", class("example.com/lb"), ProductOther},
		{"another class wins over the annotation", func(s *v1.Service) {
			class("example.com/lb")(s)
			s.Annotations = map[string]string{string(KeyLoadBalancerType): "nlb"}
		}, ProductOther},
		{"annotation nlb", anno(string(KeyLoadBalancerType), "nlb"), ProductNLB},
		{"annotation NLB, padded", anno(string(KeyLoadBalancerType), " NLB "), ProductNLB},
		{"legacy prefix", anno(LegacyPrefix+"type", "nlb"), ProductNLB},
		{"annotation clb", anno(string(KeyLoadBalancerType), "clb"), ProductCLB},
		{"annotation empty", anno(string(KeyLoadBalancerType), ""), ProductCLB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &v1.Service{Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer}}
			tt.edit(svc)
			if got := ProductOf(svc); got != tt.want {
				t.Errorf("ProductOf = %q, want %q", got, tt.want)
			}
		})
	}
}
