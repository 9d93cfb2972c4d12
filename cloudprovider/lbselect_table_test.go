package cloudprovider

import (
	"context"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestHostnames: the refusal names the NLB by its published DNS names.
func TestHostnames(t *testing.T) {
	ing := func(ip, host string) v1.LoadBalancerIngress { return v1.LoadBalancerIngress{IP: ip, Hostname: host} }
	st := v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{ing("1.1.1.1", ""), ing("", "a"), ing("", "b")}}
	if got := hostnames(st); got != "a,b" {
		t.Errorf("hostnames = %q, want a,b", got)
	}
}

// fakeNLB records the calls the selection makes on the NLB engine.
type fakeNLB struct {
	calls  []string
	exists bool
	nodes  []string // of the last UpdateLoadBalancer
	id     string
	owned  string // OwnedNLB's answer
	// ownedErr is OwnedNLB's error
	ownedErr error
}

func (f *fakeNLB) OwnedNLB(context.Context, *v1.Service) (string, error) {
	f.calls = append(f.calls, "Owned")
	return f.owned, f.ownedErr
}

func (f *fakeNLB) GetLoadBalancer(context.Context, string, *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	f.calls = append(f.calls, "Get")
	return nil, f.exists, nil
}

func (f *fakeNLB) GetLoadBalancerName(context.Context, string, *v1.Service) string {
	f.calls = append(f.calls, "Name")
	return "nlb-name"
}

func (f *fakeNLB) EnsureLoadBalancer(context.Context, string, *v1.Service, []*v1.Node) (*v1.LoadBalancerStatus, error) {
	f.calls = append(f.calls, "Ensure")
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{Hostname: "nlb-1.cn-hangzhou.nlb.aliyuncs.com"}}}, nil
}

func (f *fakeNLB) UpdateLoadBalancer(_ context.Context, _ string, _ *v1.Service, nodes []*v1.Node) error {
	f.calls = append(f.calls, "Update")
	f.nodes = nil
	for _, n := range nodes {
		f.nodes = append(f.nodes, n.Name)
	}
	return nil
}

func (f *fakeNLB) EnsureLoadBalancerDeleted(context.Context, string, *v1.Service) error {
	f.calls = append(f.calls, "Delete")
	return nil
}

func (f *fakeNLB) BackendPolicy(*v1.Service) (podbackends.Policy, bool) {
	f.calls = append(f.calls, "Policy")
	return podbackends.PolicyENI, true
}

func (f *fakeNLB) SetClusterID(id string) { f.id = id }

var (
	nlbStatus = v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{Hostname: "nlb-1.cn-hangzhou.nlb.aliyuncs.com"}}}
	clbStatus = v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: "47.0.0.1"}}}
)

// lbService is a LoadBalancer Service with an optional class, annotations
// and status.
func lbService(class *string, anno map[string]string, st v1.LoadBalancerStatus) *v1.Service {
	return &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", UID: "uid-web", Annotations: anno},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, LoadBalancerClass: class,
			Ports: []v1.ServicePort{{Name: "tcp", Port: 80, NodePort: 30080, Protocol: v1.ProtocolTCP}}},
		Status: v1.ServiceStatus{LoadBalancer: st}}
}

// slbCalls lists the SLB actions in the emulator's audit log.
func slbCalls(srv *emulator.Servers) []string {
	var out []string
	for _, a := range srv.Emulator.Audit() {
		out = append(out, a.Action)
	}
	return out
}

// TestProductRefusals is the table of Services no engine may write for:
// each gets its reason as a Warning Event and an error, and no cloud call
// is made beyond the read that looks for an existing CLB. NLB Services
// with nothing yet, or with their NLB, pass to the NLB engine.
func TestProductRefusals(t *testing.T) {
	other, nlbClass := "example.com/lb", annotations.NLBClass
	nlbAnnotation := map[string]string{string(annotations.KeyLoadBalancerType): "nlb"}
	// An NLB Service reusing an NLB names it with the id annotation, which
	// the CLB engine's lookup reads as a CLB that does not exist.
	nlbReuse := map[string]string{string(annotations.KeyLoadBalancerType): "nlb", string(annotations.KeyID): "nlb-reused0000000000"}
	tests := []struct {
		name        string
		class       *string
		annotations map[string]string
		status      v1.LoadBalancerStatus
		owned       string // the NLB our tags give the Service
		ownedErr    error  // the answer of that lookup when it fails
		wantReason  string // "" = no Event
		wantErr     string // "" = the engine may run
		wantOwned   bool   // the NLB engine's tag lookup is asked
	}{
		{name: "CLB Service", wantErr: "", wantOwned: true},
		{name: "CLB Service without status that has an NLB (the annotation left nlb while it was made)", owned: "nlb-1",
			wantOwned: true, wantReason: loadbalancer.ReasonTypeChangeRefused, wantErr: "has an NLB (nlb-1) but asks for a CLB"},
		{name: "CLB Service with a CLB", status: clbStatus, wantErr: ""},
		// Credentials without NLB permissions cannot have made an NLB: the
		// CLB is made (a RAM policy written for CLB keeps working).
		{name: "CLB Service, the NLB lookup is denied", ownedErr: &cloudapi.APIError{Product: "Nlb", Action: "ListLoadBalancers", Code: "Forbidden.RAM", HTTPStatus: 403},
			wantOwned: true, wantErr: ""},
		{name: "CLB Service, the NLB lookup fails", ownedErr: &cloudapi.APIError{Product: "Nlb", Action: "ListLoadBalancers", Code: "ServiceUnavailable", HTTPStatus: 503},
			wantOwned: true, wantErr: "looking for an NLB"},
		{name: "another controller's class", class: &other, wantErr: "not this CCM's"},
		{name: "asks for a CLB, has an NLB", status: nlbStatus, wantReason: loadbalancer.ReasonTypeChangeRefused, wantErr: "cannot switch"},
		{name: "NLB annotation, has a CLB", annotations: nlbAnnotation, status: clbStatus, wantReason: loadbalancer.ReasonTypeChangeRefused,
			wantErr: "annotation " + string(annotations.KeyLoadBalancerType) + ": nlb asks for an NLB, but the Service has a CLB"},
		{name: "NLB class, has a CLB", class: &nlbClass, status: clbStatus, wantReason: loadbalancer.ReasonTypeChangeRefused,
			wantErr: "spec.loadBalancerClass " + nlbClass + " asks for an NLB, but the Service has a CLB"},
		{name: "NLB annotation, nothing yet", annotations: nlbAnnotation, wantErr: ""},
		{name: "NLB class, nothing yet", class: &nlbClass, wantErr: ""},
		{name: "NLB annotation reusing an NLB by id", annotations: nlbReuse, wantErr: ""},
		{name: "NLB class reusing an NLB by id", class: &nlbClass, annotations: map[string]string{string(annotations.KeyID): "nlb-reused0000000000"}, wantErr: ""},
		{name: "NLB annotation, has its NLB", annotations: nlbAnnotation, status: nlbStatus, wantErr: ""},
		{name: "NLB class, has its NLB", class: &nlbClass, status: nlbStatus, wantErr: ""},
	}
	c, srv := routedCloud(t, "c-1")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := record.NewFakeRecorder(5)
			fake := &fakeNLB{owned: tc.owned, ownedErr: tc.ownedErr}
			p := &productSelector{clb: c.clbEngine(), nlb: fake, events: rec}
			svc := lbService(tc.class, tc.annotations, tc.status)
			srv.Emulator.ResetAudit()
			err := p.refusal(context.Background(), "kubernetes", svc)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			var event string
			select {
			case event = <-rec.Events:
			default:
			}
			if tc.wantReason == "" && event != "" || !strings.Contains(event, tc.wantReason) {
				t.Errorf("event %q, want reason %q", event, tc.wantReason)
			}
			for _, a := range srv.Emulator.Audit() {
				if !strings.HasPrefix(a.Action, "Describe") && !strings.HasPrefix(a.Action, "List") {
					t.Errorf("write %s while deciding", a.Action)
				}
			}
			if want := map[bool][]string{true: {"Owned"}}[tc.wantOwned]; !slices.Equal(fake.calls, want) {
				t.Errorf("NLB engine calls while deciding: %v, want %v", fake.calls, want)
			}
			fake.calls = nil
			// UpdateLoadBalancer leaves refused Services alone (no call at
			// all). A Service refused only because the NLB lookup found an
			// NLB has no status to tell: the CLB engine's backend sync looks
			// for its CLB, finds none and writes nothing.
			if tc.wantReason != "" && !tc.wantOwned || tc.class == &other {
				srv.Emulator.ResetAudit()
				if err := p.UpdateLoadBalancer(context.Background(), "kubernetes", svc, nil); err != nil {
					t.Errorf("UpdateLoadBalancer = %v, want a silent no-op", err)
				}
				if err := p.SyncBackends(context.Background(), svc, nil); err != nil {
					t.Errorf("SyncBackends = %v, want a silent no-op", err)
				}
				if n := len(srv.Emulator.Audit()); n != 0 || len(fake.calls) != 0 {
					t.Errorf("calls for a refused Service's backends: %d cloud, NLB engine %v", n, fake.calls)
				}
			}
		})
	}
	if c.clbEngine() == nil || c.nlbEngine() == nil {
		t.Error("an engine is not reachable behind the product selector")
	}
}

// TestProductRouting: each entry point sends each kind of Service to the
// right engine: the NLB engine's calls are recorded, the CLB engine's show
// as SLB calls in the emulator's audit.
func TestProductRouting(t *testing.T) {
	other, nlbClass := "example.com/lb", annotations.NLBClass
	nlbAnnotation := map[string]string{string(annotations.KeyLoadBalancerType): "nlb"}
	excluded := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "excluded", Labels: map[string]string{v1.LabelNodeExcludeBalancers: "true"}}}
	plain := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "plain"}}
	type call func(p *productSelector, svc *v1.Service) error
	ensure := func(p *productSelector, svc *v1.Service) error {
		_, err := p.EnsureLoadBalancer(context.Background(), "kubernetes", svc, nil)
		return err
	}
	update := func(p *productSelector, svc *v1.Service) error {
		return p.UpdateLoadBalancer(context.Background(), "kubernetes", svc, []*v1.Node{plain, excluded})
	}
	sync := func(p *productSelector, svc *v1.Service) error {
		return p.SyncBackends(context.Background(), svc, []*v1.Node{plain, excluded})
	}
	del := func(p *productSelector, svc *v1.Service) error {
		return p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", svc)
	}
	get := func(p *productSelector, svc *v1.Service) error {
		_, _, err := p.GetLoadBalancer(context.Background(), "kubernetes", svc)
		return err
	}
	tests := []struct {
		name      string
		svc       *v1.Service
		nlbExists bool
		op        call
		wantNLB   []string // the NLB engine's calls
		wantNodes []string // the nodes the NLB engine got
		wantSLB   bool     // whether the CLB engine called the SLB API
		wantErr   bool
	}{
		{name: "ensure: NLB by class", svc: lbService(&nlbClass, nil, v1.LoadBalancerStatus{}), op: ensure, wantNLB: []string{"Ensure"}, wantSLB: true /* the CLB lookup */},
		{name: "ensure: NLB by annotation, with its NLB", svc: lbService(nil, nlbAnnotation, nlbStatus), op: ensure, wantNLB: []string{"Ensure"}},
		{name: "ensure: another class", svc: lbService(&other, nil, v1.LoadBalancerStatus{}), op: ensure, wantErr: true},
		{name: "update: NLB Service gets the framework's nodes as given", svc: lbService(&nlbClass, nil, nlbStatus), op: update,
			wantNLB: []string{"Update"}, wantNodes: []string{"plain", "excluded"}},
		{name: "update: CLB Service", svc: lbService(nil, nil, clbStatus), op: update, wantSLB: true},
		{name: "endpoints sync: NLB Service gets the framework's node set", svc: lbService(nil, nlbAnnotation, nlbStatus), op: sync,
			wantNLB: []string{"Update"}, wantNodes: []string{"plain"}},
		{name: "endpoints sync: CLB Service", svc: lbService(nil, nil, clbStatus), op: sync, wantSLB: true},
		{name: "delete: NLB Service cleans both products", svc: lbService(&nlbClass, nil, nlbStatus), op: del, wantNLB: []string{"Delete"}, wantSLB: true},
		{name: "delete: CLB Service with its CLB's status: the CLB engine only", svc: lbService(nil, nil, clbStatus), op: del, wantSLB: true},
		{name: "delete: CLB Service without status cleans both products", svc: lbService(nil, nil, v1.LoadBalancerStatus{}), op: del,
			wantNLB: []string{"Delete"}, wantSLB: true},
		{name: "delete: CLB Service with an NLB's status (a refused switch) cleans both products", svc: lbService(nil, nil, nlbStatus), op: del,
			wantNLB: []string{"Delete"}, wantSLB: true},
		{name: "delete: NLB annotation with a CLB's status (a refused switch) cleans both products", svc: lbService(nil, nlbAnnotation, clbStatus), op: del,
			wantNLB: []string{"Delete"}, wantSLB: true},
		{name: "delete: another class is left alone", svc: lbService(&other, nil, v1.LoadBalancerStatus{}), op: del},
		{name: "get: NLB found, no CLB lookup", svc: lbService(&nlbClass, nil, nlbStatus), nlbExists: true, op: get, wantNLB: []string{"Get"}},
		{name: "get: no NLB, then the CLB is looked for", svc: lbService(nil, nlbAnnotation, v1.LoadBalancerStatus{}), op: get, wantNLB: []string{"Get"}, wantSLB: true},
		{name: "get: no CLB, then the NLB is looked for (a class dropped with the type)", svc: lbService(nil, nil, v1.LoadBalancerStatus{}), op: get,
			wantNLB: []string{"Get"}, wantSLB: true},
		{name: "get: no CLB, a CLB's status: no NLB lookup", svc: lbService(nil, nil, clbStatus), op: get, wantSLB: true},
		{name: "get: another class", svc: lbService(&other, nil, v1.LoadBalancerStatus{}), op: get},
	}
	c, srv := routedCloud(t, "c-1")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeNLB{exists: tc.nlbExists}
			p := &productSelector{clb: c.clbEngine(), nlb: fake, events: record.NewFakeRecorder(10)}
			srv.Emulator.ResetAudit()
			err := tc.op(p, tc.svc)
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, want error %v", err, tc.wantErr)
			}
			if !slices.Equal(fake.calls, tc.wantNLB) {
				t.Errorf("NLB engine calls %v, want %v", fake.calls, tc.wantNLB)
			}
			if tc.wantNodes != nil && !slices.Equal(fake.nodes, tc.wantNodes) {
				t.Errorf("NLB engine got nodes %v, want %v", fake.nodes, tc.wantNodes)
			}
			if got := slbCalls(srv); (len(got) > 0) != tc.wantSLB {
				t.Errorf("SLB calls %v, want some: %v", got, tc.wantSLB)
			}
		})
	}
}

// TestProductPolicyAndName: the backend policy and the name come from the
// wanted product's engine; another class has neither.
func TestProductPolicyAndName(t *testing.T) {
	other, nlbClass := "example.com/lb", annotations.NLBClass
	c, _ := routedCloud(t, "c-1")
	fake := &fakeNLB{}
	p := &productSelector{clb: c.clbEngine(), nlb: fake, events: record.NewFakeRecorder(10)}
	if pol, ok := p.BackendPolicy(lbService(&nlbClass, nil, v1.LoadBalancerStatus{})); !ok || pol != podbackends.PolicyENI {
		t.Errorf("NLB policy %q, %v; want the NLB engine's", pol, ok)
	}
	if pol, ok := p.BackendPolicy(lbService(nil, nil, v1.LoadBalancerStatus{})); !ok || pol != podbackends.PolicyCluster {
		t.Errorf("CLB policy %q, %v; want Cluster", pol, ok)
	}
	if _, ok := p.BackendPolicy(lbService(&other, nil, v1.LoadBalancerStatus{})); ok {
		t.Error("another class has a backend policy")
	}
	if n := p.GetLoadBalancerName(context.Background(), "kubernetes", lbService(&nlbClass, nil, v1.LoadBalancerStatus{})); n != "nlb-name" {
		t.Errorf("NLB name %q", n)
	}
	if n := p.GetLoadBalancerName(context.Background(), "kubernetes", lbService(nil, nil, v1.LoadBalancerStatus{})); n == "" || n == "nlb-name" {
		t.Errorf("CLB name %q", n)
	}
	if n := p.GetLoadBalancerName(context.Background(), "kubernetes", lbService(&other, nil, v1.LoadBalancerStatus{})); n != "" {
		t.Errorf("another class got a name %q", n)
	}
	if !slices.Equal(fake.calls, []string{"Policy", "Name"}) {
		t.Errorf("NLB engine calls %v", fake.calls)
	}
}
