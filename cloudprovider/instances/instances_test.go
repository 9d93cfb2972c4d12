package instances

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

func TestResolve(t *testing.T) {
	w := startWorld(t, 0)
	tests := []struct {
		name       string
		node       *v1.Node
		wantKind   Kind
		wantID     string
		wantVia    string
		candidates []string
	}{
		{"bare providerID", node("n", withProviderID(pid(instRunning))), KindECS, instRunning, ViaProviderID, nil},
		{"alicloud:// providerID", node("n", withProviderID("alicloud://"+pid(instRunning))), KindECS, instRunning, ViaProviderID, nil},
		{"providerID wins over IP", node("n", withProviderID(pid(instEIP)), withIP("192.168.0.11")), KindECS, instEIP, ViaProviderID, nil},
		{"foreign providerID", node("n", withProviderID("aws:///us-east-1a/i-0abc")), KindForeign, "", "", nil},
		{"not an instance ID", node("n", withProviderID("cn-hangzhou.vnd-123")), KindForeign, "", "", nil},
		{"providerID in another region", node("n", withProviderID("cn-beijing.i-abc")), KindOtherRegion, "i-abc", ViaProviderID, nil},
		{"node name region.instance", node(pid(instEIP)), KindECS, instEIP, ViaNodeName, nil},
		{"node name in another region", node("cn-beijing.i-abc"), KindOtherRegion, "i-abc", ViaNodeName, nil},
		{"InternalIP in the VPC", node("worker-1", withIP("192.168.1.12")), KindECS, instEIP, ViaInternalIP, nil},
		{"IPv6 ignored, IPv4 found", node("worker-1", withIP("fd00::1"), withIP("192.168.0.11")), KindECS, instRunning, ViaInternalIP, nil},
		{"two IPs, two instances", node("worker-1", withIP("192.168.0.11"), withIP("192.168.1.12")), KindAmbiguous, "", "", []string{instEIP, instRunning}},
		{"virtual-kubelet", node("virtual-kubelet-cn-hangzhou-h", virtual, withProviderID(pid(instGone))), KindVirtual, "", "", nil},
		{"data-centre node", node("idc-1", withIP("10.1.2.3")), KindNotFound, "", "", nil},
		{"deleted instance's IP", node("worker-2", withIP("192.168.0.15")), KindNotFound, "", "", nil},
		{"metadata by hostname", node("master", withHostname("master-host")), KindECS, instMaster, ViaMetadata, nil},
		{"metadata by node name", node("master-host"), KindECS, instMaster, ViaMetadata, nil},
		{"metadata never assumed", node("other", withHostname("other-host"), withIP("10.0.0.1")), KindNotFound, "", "", nil},
	}
	p := w.provider(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Resolve(context.Background(), tc.node)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tc.wantKind || got.ID.InstanceID != tc.wantID || got.Via != tc.wantVia || !reflect.DeepEqual(got.Candidates, tc.candidates) {
				t.Errorf("Resolve = %+v, want kind %v id %q via %q candidates %v", got, tc.wantKind, tc.wantID, tc.wantVia, tc.candidates)
			}
		})
	}
}

func TestInstanceMetadata(t *testing.T) {
	w := startWorld(t, 0)
	addr := func(t v1.NodeAddressType, a string) v1.NodeAddress { return v1.NodeAddress{Type: t, Address: a} }
	tests := []struct {
		name    string
		node    *v1.Node
		want    *k8scloudprovider.InstanceMetadata
		wantErr string
		event   string
	}{
		{
			name: "by providerID: public IP, ECS hostname when kubelet gave none",
			node: node("n1", withProviderID(pid(instRunning))),
			want: &k8scloudprovider.InstanceMetadata{ProviderID: pid(instRunning), InstanceType: "ecs.g7.xlarge", Zone: "cn-hangzhou-h", Region: testRegion,
				NodeAddresses: []v1.NodeAddress{addr(v1.NodeInternalIP, "192.168.0.11"), addr(v1.NodeExternalIP, "47.0.0.11"), addr(v1.NodeHostName, "running-host")}},
		},
		{
			name: "alicloud:// providerID is returned as the node has it",
			node: node("n1", withProviderID("alicloud://"+pid(instRunning)), withHostname("kubelet-name")),
			want: &k8scloudprovider.InstanceMetadata{ProviderID: "alicloud://" + pid(instRunning), InstanceType: "ecs.g7.xlarge", Zone: "cn-hangzhou-h", Region: testRegion,
				NodeAddresses: []v1.NodeAddress{addr(v1.NodeInternalIP, "192.168.0.11"), addr(v1.NodeExternalIP, "47.0.0.11")}},
		},
		{
			name: "by InternalIP: EIP as ExternalIP, providerID to set",
			node: node("worker", tainted, withIP("192.168.1.12"), withHostname("worker")),
			want: &k8scloudprovider.InstanceMetadata{ProviderID: pid(instEIP), InstanceType: "ecs.g6.large", Zone: "cn-hangzhou-i", Region: testRegion,
				NodeAddresses: []v1.NodeAddress{addr(v1.NodeInternalIP, "192.168.1.12"), addr(v1.NodeExternalIP, "39.0.0.12")}},
		},
		{
			name: "kubelet --node-ip of a secondary ENI address is kept",
			node: node("n1", withProviderID(pid(instRunning)), withHostname("h"), withAnnotation(cloudproviderapi.AnnotationAlphaProvidedIPAddr, "192.168.0.51")),
			want: &k8scloudprovider.InstanceMetadata{ProviderID: pid(instRunning), InstanceType: "ecs.g7.xlarge", Zone: "cn-hangzhou-h", Region: testRegion,
				NodeAddresses: []v1.NodeAddress{addr(v1.NodeInternalIP, "192.168.0.11"), addr(v1.NodeInternalIP, "192.168.0.51"), addr(v1.NodeExternalIP, "47.0.0.11")}},
		},
		{
			name: "by metadata service (the CCM's own node)",
			node: node("master", tainted, withHostname("master-host")),
			want: &k8scloudprovider.InstanceMetadata{ProviderID: pid(instMaster), InstanceType: "ecs.g6.large", Zone: "cn-hangzhou-h", Region: testRegion,
				NodeAddresses: []v1.NodeAddress{addr(v1.NodeInternalIP, "192.168.0.10")}},
		},
		{
			name: "virtual node: left alone",
			node: node("vk", virtual, withProviderID("cn-hangzhou.vk-1")),
			want: &k8scloudprovider.InstanceMetadata{ProviderID: "cn-hangzhou.vk-1"},
		},
		{
			name: "initialised data-centre node: left alone, no error",
			node: node("idc", withIP("10.1.1.1")),
			want: &k8scloudprovider.InstanceMetadata{},
		},
		{
			name:    "uninitialised data-centre node: error and event naming the flag",
			node:    node("idc", tainted, withIP("10.1.1.1")),
			wantErr: "--provider-id=cn-hangzhou.<instance-id>",
			event:   EventReasonInstanceNotFound,
		},
		{
			name:    "uninitialised node matching two instances",
			node:    node("two", tainted, withIP("192.168.0.11"), withIP("192.168.1.12")),
			wantErr: "several ECS instances",
			event:   EventReasonInstanceAmbiguous,
		},
		{
			name:    "deleted instance",
			node:    node("n", withProviderID(pid(instGone))),
			wantErr: k8scloudprovider.InstanceNotFound.Error(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := record.NewFakeRecorder(10)
			p := w.provider(t, func(o *Options) { o.Events = rec })
			got, err := p.InstanceMetadata(context.Background(), tc.node)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case !reflect.DeepEqual(got, tc.want):
				t.Errorf("metadata =\n%+v\nwant\n%+v", got, tc.want)
			}
			select {
			case e := <-rec.Events:
				if tc.event == "" || !strings.Contains(e, tc.event) {
					t.Errorf("event %q, want %q", e, tc.event)
				}
			default:
				if tc.event != "" {
					t.Errorf("no event, want %s", tc.event)
				}
			}
		})
	}
}

func TestInstanceShutdown(t *testing.T) {
	w := startWorld(t, 0)
	tests := []struct {
		name   string
		node   *v1.Node
		faults *emulator.FaultProfile
		want   bool
	}{
		{"running", node("n", withProviderID(pid(instRunning))), nil, false},
		{"stopped", node("n", withProviderID(pid(instStopped))), nil, true},
		{"stopping", node("n", withProviderID(pid(instStopping))), nil, true},
		{"stopped, found by IP", node("n", withIP("192.168.1.13")), nil, true},
		{"deleted", node("n", withProviderID(pid(instGone))), nil, false},
		{"virtual", node("n", virtual), nil, false},
		{"data-centre", node("n", withIP("10.0.0.1")), nil, false},
		{"API outage: unknown is not shut down", node("n", withProviderID(pid(instStopped))),
			&emulator.FaultProfile{Outages: []emulator.Outage{{Product: "Ecs", Calls: 100}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setFaults(t, w, tc.faults)
			got, err := w.provider(t, nil).InstanceShutdown(context.Background(), tc.node)
			if err != nil || got != tc.want {
				t.Errorf("InstanceShutdown = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// setFaults installs p (nil: none) for the test and clears it afterwards.
func setFaults(t *testing.T, w *world, p *emulator.FaultProfile) {
	t.Helper()
	if p == nil {
		w.emu.SetFaults(emulator.FaultProfile{})
		return
	}
	w.emu.SetFaults(*p)
	t.Cleanup(func() { w.emu.SetFaults(emulator.FaultProfile{}) })
}

func errorRule(code string, status int) *emulator.FaultProfile {
	return &emulator.FaultProfile{Errors: []emulator.ErrorRule{{Match: "Ecs.DescribeInstances", Code: code, HTTPStatus: status}}}
}

// TestInstanceExistsSafety: false only when ECS positively says "gone".
func TestInstanceExistsSafety(t *testing.T) {
	w := startWorld(t, 0)
	empty := startWorld(t, 0) // a VPC whose only instances are gone: empty answers prove nothing
	for _, id := range []string{instMaster, instRunning, instEIP, instStopped, instStopping} {
		if err := empty.emu.DeleteInstance(id); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		w      *world
		node   *v1.Node
		faults *emulator.FaultProfile
		want   bool
	}{
		{"running", w, node("n", withProviderID(pid(instRunning))), nil, true},
		{"stopped still exists", w, node("n", withProviderID(pid(instStopped))), nil, true},
		{"deleted instance", w, node("n", withProviderID(pid(instGone))), nil, false},
		{"deleted, alicloud:// providerID", w, node("n", withProviderID("alicloud://"+pid(instGone))), nil, false},
		{"deleted, identified by node name", w, node(pid(instGone)), nil, false},
		{"InvalidInstanceId.NotFound", w, node("n", withProviderID(pid(instRunning))), errorRule(codeInstanceNotFound, 404), false},
		{"virtual node with a gone instance's providerID", w, node("vk", virtual, withProviderID(pid(instGone))), nil, true},
		{"virtual node without providerID", w, node("vk", virtual), nil, true},
		{"data-centre node", w, node("idc", withIP("10.9.9.9")), nil, true},
		{"no providerID, IP of a deleted instance", w, node("w", withIP("192.168.0.15")), nil, true},
		{"foreign providerID", w, node("n", withProviderID("gce://project/zone/vm-1")), nil, true},
		{"providerID in another region", w, node("n", withProviderID("cn-beijing.i-gone")), nil, true},
		{"throttled", w, node("n", withProviderID(pid(instGone))), errorRule("Throttling.User", 400), true},
		{"5xx InternalError", w, node("n", withProviderID(pid(instGone))), errorRule("InternalError", 500), true},
		{"ServiceUnavailable outage", w, node("n", withProviderID(pid(instGone))), &emulator.FaultProfile{Outages: []emulator.Outage{{Product: "Ecs", Calls: 100}}}, true},
		{"Forbidden", w, node("n", withProviderID(pid(instGone))), errorRule("Forbidden.RAM", 403), true},
		{"empty answer, caller sees no instance (permission?)", empty, node("n", withProviderID(pid(instGone))), nil, true},
		{"IP lookup fails", w, node("w", withIP("192.168.0.11")), errorRule("InternalError", 500), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setFaults(t, tc.w, tc.faults)
			got, err := tc.w.provider(t, nil).InstanceExists(context.Background(), tc.node)
			if err != nil || got != tc.want {
				t.Errorf("InstanceExists = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestInstanceExistsRAMHidden: an instance a RAM policy hides from
// ID-filtered calls exists (the VPC listing shows it); a gone one in the
// same batch is still gone. Hidden from every answer, nothing can tell it
// from gone: that is the documented limit.
func TestInstanceExistsRAMHidden(t *testing.T) {
	w := startWorld(t, 0)
	tests := []struct {
		name string
		vis  emulator.RAMVisibility
		want map[string]bool
	}{
		{"hidden from ID filters", emulator.RAMHiddenFromIDFilter, map[string]bool{instRunning: true, instEIP: true, instGone: false}},
		{"hidden from every answer", emulator.RAMHiddenFromAll, map[string]bool{instRunning: false, instEIP: true, instGone: false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w.emu.SetRAMVisibility(tc.vis, instRunning)
			defer w.emu.SetRAMVisibility(emulator.RAMVisible, instRunning)
			p := w.provider(t, func(o *Options) { o.BatchWindow = 50 * time.Millisecond })
			got := map[string]bool{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for id := range tc.want {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := p.InstanceExists(context.Background(), node("n-"+id, withProviderID(pid(id))))
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					got[id] = ok
					mu.Unlock()
				}()
			}
			wg.Wait()
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("InstanceExists(%s) = %v, want %v", id, got[id], want)
				}
			}
		})
	}
}

func TestInvalidInstanceIDNotFoundIsolatesTheID(t *testing.T) {
	w := startWorld(t, 0)
	// Only the first call fails: the batch of two is split and each half
	// asked again; both then exist.
	setFaults(t, w, &emulator.FaultProfile{Errors: []emulator.ErrorRule{{Match: "DescribeInstances", Code: codeInstanceNotFound, HTTPStatus: 404, Count: 1}}})
	p := w.provider(t, nil)
	got, err := p.lookup.fetchIDs(context.Background(), []string{instRunning, instEIP})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{instRunning, instEIP} {
		if got[id].verdict != present {
			t.Errorf("%s: verdict %v, want present", id, got[id].verdict)
		}
	}
}

func TestNewValidates(t *testing.T) {
	w := startWorld(t, 0)
	if _, err := New(nil, Options{Region: testRegion}); err == nil {
		t.Error("nil client accepted")
	}
	if _, err := New(w.ecs, Options{}); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("err = %v, want it to name the region", err)
	}
}
