package loadbalancer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestIPMode: Proxy exactly when a listener speaks PROXY protocol, read
// from the parsed listeners when there are some, else from the annotation
// alone (GetLoadBalancer).
func TestIPMode(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name string
		ann  map[string]string
		cfg  *annotations.Config
		want v1.LoadBalancerIPMode
	}{
		{"no config, no annotation", nil, nil, v1.LoadBalancerIPModeVIP},
		{"no config, annotation on", anno("proxy-protocol", "on"), nil, v1.LoadBalancerIPModeProxy},
		{"no config, annotation On is off", anno("proxy-protocol", "On"), nil, v1.LoadBalancerIPModeVIP},
		{"config: one listener of two", nil, &annotations.Config{Listeners: []annotations.Listener{{ProxyProtocol: &off}, {ProxyProtocol: &on}}},
			v1.LoadBalancerIPModeProxy},
		{"config: unset and off", nil, &annotations.Config{Listeners: []annotations.Listener{{}, {ProxyProtocol: &off}}}, v1.LoadBalancerIPModeVIP},
		{"config wins over the annotation", anno("proxy-protocol", "on"), &annotations.Config{Listeners: []annotations.Listener{{}}},
			v1.LoadBalancerIPModeVIP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ipMode(service("web", tc.ann), tc.cfg); got == nil || *got != tc.want {
				t.Errorf("ipMode = %v, want %s", got, tc.want)
			}
		})
	}
}

// TestStatusPublished pins what EnsureLoadBalancer publishes and what
// GetLoadBalancer reports: the CLB address with its ipMode, or the
// hostname alone (the API server refuses ipMode without an IP).
func TestStatusPublished(t *testing.T) {
	tests := []struct {
		name     string
		ann      map[string]string
		hostname string
		mode     v1.LoadBalancerIPMode
	}{
		{name: "address", ann: map[string]string{}, mode: v1.LoadBalancerIPModeVIP},
		{name: "proxy protocol", ann: anno("proxy-protocol", "on"), mode: v1.LoadBalancerIPModeProxy},
		{name: "hostname", ann: anno("hostname", "lb.example.com"), hostname: "lb.example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			svc := service("web", tc.ann)
			st := e.ensure(svc)
			addr := e.lbs()[0].Address
			if len(st.Ingress) != 1 {
				t.Fatalf("ingress %+v, want one entry", st.Ingress)
			}
			in := st.Ingress[0]
			if tc.hostname != "" {
				if in.Hostname != tc.hostname || in.IP != "" || in.IPMode != nil {
					t.Errorf("ingress %+v, want the hostname alone", in)
				}
			} else if in.IP != addr || in.IPMode == nil || *in.IPMode != tc.mode {
				t.Errorf("ingress %+v, want %s with ipMode %s", in, addr, tc.mode)
			}
			got, exists, err := e.r.GetLoadBalancer(context.Background(), "kubernetes", svc)
			if err != nil || !exists || len(got.Ingress) != 1 || got.Ingress[0].IP != addr {
				t.Errorf("GetLoadBalancer = %+v, %v, %v; want the CLB address", got, exists, err)
			}
		})
	}
}

// TestGetLoadBalancerName: the name annotation (either prefix), else the
// framework's default name, as the official CCM names its CLBs.
func TestGetLoadBalancerName(t *testing.T) {
	r := New(nil, nil, nil, Options{})
	plain := service("web", nil)
	legacy := service("web", map[string]string{annotations.KeyName.Legacy(): " legacy-name "})
	for _, tc := range []struct {
		name string
		svc  *v1.Service
		want string
	}{
		{"annotation", service("web", anno("name", "my-clb")), "my-clb"},
		{"legacy prefix, trimmed", legacy, "legacy-name"},
		{"empty is unset", service("web", anno("name", "")), k8scloudprovider.DefaultLoadBalancerName(plain)},
		{"default", plain, k8scloudprovider.DefaultLoadBalancerName(plain)},
	} {
		if got := r.GetLoadBalancerName(context.Background(), "", tc.svc); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestFindTrustsTagsNotNames: a CLB that only has the Service's name is
// never taken (a new one is created beside it and the other is left
// alone); the CLB with our tags is found whatever its name.
func TestFindTrustsTagsNotNames(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	impostor, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: defaultName(svc)})
	if err != nil {
		t.Fatal(err)
	}
	e.ensure(svc)
	var ours string
	for _, lb := range e.lbs() {
		if lb.LoadBalancerId != impostor {
			ours = lb.LoadBalancerId
		}
	}
	if ours == "" || len(e.lbs()) != 2 {
		t.Fatalf("CLBs %v: want the impostor and a new one", e.lbs())
	}
	if ls := e.listeners(impostor); len(ls) != 0 {
		t.Errorf("the same-named CLB got listeners: %v", ls)
	}
	// Renamed by hand: still ours by its tags.
	renamed := service("web", anno("name", "renamed"))
	st, err := e.r.find(context.Background(), renamed, LenientLookup(renamed))
	if err != nil || st == nil || st.lb.LoadBalancerId != ours || st.own != ownOurs {
		t.Fatalf("find = %+v, %v; want %s as ours", st, err, ours)
	}
}

// TestFindRefusals: two CLBs with our tags stop reconciles (naming both)
// but are both deleted; an id naming no CLB is refused with an Event.
func TestFindRefusals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	tags := []emulator.Tag{{Key: TagServiceUID, Value: string(svc.UID)}, {Key: TagClusterID, Value: testCluster}}
	a, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "one", Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "two", Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.r.EnsureLoadBalancer(ctx, "", svc, e.nodes)
	var dup *DuplicateError
	if !errors.As(err, &dup) || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Fatalf("EnsureLoadBalancer = %v, want a DuplicateError naming %s and %s", err, a, b)
	}
	if _, exists, err := e.r.GetLoadBalancer(ctx, "", svc); err != nil || !exists {
		t.Fatalf("GetLoadBalancer = %v, %v; want exists", exists, err)
	}
	if err := e.r.EnsureLoadBalancerDeleted(ctx, "", svc); err != nil {
		t.Fatal(err)
	}
	if lbs := e.lbs(); len(lbs) != 0 {
		t.Errorf("CLBs left: %v", lbs)
	}

	gone := service("gone", anno("id", "lb-doesnotexist"))
	e.eventsOf("")
	e.emu.ResetAudit()
	_, err = e.r.EnsureLoadBalancer(ctx, "", gone, e.nodes)
	var re *ReuseError
	if !errors.As(err, &re) || re.ID != "lb-doesnotexist" || !strings.Contains(err.Error(), "no such CLB") {
		t.Fatalf("EnsureLoadBalancer = %v, want a ReuseError", err)
	}
	if !hasEvent(e.eventsOf(v1.EventTypeWarning), ReasonReuseRefused) {
		t.Error("no ReuseRefused Warning")
	}
	if w := e.writes(); len(w) > 0 {
		t.Errorf("wrote %v", w)
	}
}

// TestReuseRefusal: CLBs created by a CCM or a cluster may not be reused;
// the reason names the tag.
func TestReuseRefusal(t *testing.T) {
	for _, tc := range []struct {
		tags   map[string]string
		refuse string
	}{
		{nil, ""},
		{map[string]string{"team": "a"}, ""},
		{map[string]string{TagServiceUID: "u"}, TagServiceUID},
		{map[string]string{TagOfficialOwner: "a123"}, TagOfficialOwner},
		{map[string]string{TagOfficialCluster: "c1"}, TagOfficialCluster},
	} {
		got := ReuseRefusal("CLB", tc.tags, "", "")
		if (got == "") != (tc.refuse == "") || !strings.Contains(got, tc.refuse) {
			t.Errorf("reuseRefusal(%v) = %q, want one naming %q", tc.tags, got, tc.refuse)
		}
	}
}

// TestErrorMessages: each refusal names what the user must act on.
func TestErrorMessages(t *testing.T) {
	ours := &lbState{}
	ours.lb.LoadBalancerId = "lb-ours"
	for _, tc := range []struct {
		err  error
		want []string
	}{
		{&ReuseError{ID: "lb-x", Reason: "because"}, []string{"lb-x", annoPrefix + annoID, "because"}},
		{&CLBChangedError{ReuseID: "lb-x", ours: ours}, []string{"lb-x", "lb-ours", "create a new Service"}},
		{&DuplicateError{UID: "u-1", ours: []*lbState{ours, ours}}, []string{"u-1", "lb-ours, lb-ours", "by hand"}},
		{&ListenerConflictError{Port: 80, Protocol: "tcp", Holder: "theirs", Reason: "taken"}, []string{"80/tcp", "taken", `"theirs"`}},
	} {
		msg := tc.err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%T: %q does not name %q", tc.err, msg, w)
			}
		}
	}
	if got := []string{ownership(0).String(), ownOurs.String(), ownOfficial.String(), ownReused.String(), ownForeign.String()}; !slices.Equal(got,
		[]string{"none", "ours", "official", "reused", "foreign"}) {
		t.Errorf("ownership names %v", got)
	}
}
