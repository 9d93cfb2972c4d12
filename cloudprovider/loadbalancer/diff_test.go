package loadbalancer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

func ecs(id string, port, weight int, desc string) backend {
	return backend{ServerID: id, Type: annotations.BackendECS, Port: port, Weight: weight, Description: desc}
}

func ids(bs []backend) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s:%d:%d", b.ServerID, b.Port, b.Weight))
	}
	return out
}

func TestDiffBackends(t *testing.T) {
	const mine, theirs = "k8s/30080/web/default/c", "user"
	owned := func(b backend) bool { return b.Description == mine }
	tests := []struct {
		name                string
		desired, actual     []backend
		ignoreWeight        bool
		add, remove, update []string
	}{
		{name: "empty group: add all",
			desired: []backend{ecs("i-1", 30080, 100, mine), ecs("i-2", 30080, 100, mine)},
			add:     []string{"i-1:30080:100", "i-2:30080:100"}},
		{name: "in sync: nothing",
			desired: []backend{ecs("i-1", 30080, 100, mine)}, actual: []backend{ecs("i-1", 30080, 100, mine)}},
		{name: "node gone: remove ours",
			desired: []backend{ecs("i-1", 30080, 100, mine)},
			actual:  []backend{ecs("i-1", 30080, 100, mine), ecs("i-2", 30080, 100, mine)},
			remove:  []string{"i-2:30080:100"}},
		{name: "foreign member is never removed",
			desired: []backend{ecs("i-1", 30080, 100, mine)},
			actual:  []backend{ecs("i-1", 30080, 100, mine), ecs("i-9", 8080, 50, theirs)}},
		{name: "weight change is an update",
			desired: []backend{ecs("i-1", 30080, 50, mine)}, actual: []backend{ecs("i-1", 30080, 100, mine)},
			update: []string{"i-1:30080:50"}},
		{name: "ignore-weight-update skips weight-only changes",
			desired: []backend{ecs("i-1", 30080, 50, mine)}, actual: []backend{ecs("i-1", 30080, 100, mine)}, ignoreWeight: true},
		{name: "identical foreign member is left alone, not updated",
			desired: []backend{ecs("i-1", 30080, 100, mine)}, actual: []backend{ecs("i-1", 30080, 70, theirs)}},
		{name: "NodePort change: add new port, remove old",
			desired: []backend{ecs("i-1", 30081, 100, mine)}, actual: []backend{ecs("i-1", 30080, 100, mine)},
			add: []string{"i-1:30081:100"}, remove: []string{"i-1:30080:100"}},
		{name: "duplicate desired members are sent once",
			desired: []backend{ecs("i-1", 30080, 100, mine), ecs("i-1", 30080, 100, mine)},
			add:     []string{"i-1:30080:100"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := diffBackends(tc.desired, tc.actual, owned, tc.ignoreWeight)
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"add", ids(p.add), tc.add}, {"remove", ids(p.remove), tc.remove}, {"update", ids(p.update), tc.update}} {
				if c.want == nil {
					c.want = []string{}
				}
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

func many(n int, prefix string) []backend {
	out := make([]backend, n)
	for i := range out {
		out[i] = ecs(fmt.Sprintf("%s%d", prefix, i), 30080, 100, "d")
	}
	return out
}

func TestOrderPlan(t *testing.T) {
	tests := []struct {
		name  string
		plan  backendPlan
		batch int
		want  []string // op:size (replace: new members; as many old ones)
	}{
		{name: "a swap is one replace call (a pod moved to another node)",
			plan: backendPlan{add: many(1, "n"), remove: many(1, "o")}, batch: 20,
			want: []string{"replace:1"}},
		{name: "pairs first, then the adds left",
			plan: backendPlan{add: many(3, "n"), remove: many(2, "o")}, batch: 20,
			want: []string{"replace:2", "add:1"}},
		{name: "pairs first, then the removes left",
			plan: backendPlan{add: many(2, "n"), remove: many(25, "o")}, batch: 20,
			want: []string{"replace:2", "remove:20", "remove:3"}},
		{name: "pairs in batches of at most the per-call limit",
			plan: backendPlan{add: many(30, "n"), remove: many(30, "o")}, batch: 20,
			want: []string{"replace:20", "replace:10"}},
		{name: "adds in batches of at most the per-call limit",
			plan: backendPlan{add: many(45, "n")}, batch: 20,
			want: []string{"add:20", "add:20", "add:5"}},
		{name: "configurable batch size",
			plan: backendPlan{add: many(45, "n")}, batch: 10,
			want: []string{"add:10", "add:10", "add:10", "add:10", "add:5"}},
		{name: "weight updates last",
			plan: backendPlan{add: many(1, "n"), update: many(21, "u"), remove: many(1, "o")}, batch: 20,
			want: []string{"replace:1", "update:20", "update:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			adds, removes := 0, 0
			for _, s := range orderPlan(tc.plan, tc.batch) {
				got = append(got, fmt.Sprintf("%s:%d", s.op, len(s.batch)))
				if s.op == "replace" && len(s.old) != len(s.batch) {
					t.Errorf("replace of %d old members by %d new ones", len(s.old), len(s.batch))
				}
				switch s.op {
				case "replace":
					adds, removes = adds+len(s.batch), removes+len(s.old)
				case "add":
					adds += len(s.batch)
				case "remove":
					removes += len(s.batch)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("steps = %v, want %v", got, tc.want)
			}
			if adds != len(tc.plan.add) || removes != len(tc.plan.remove) {
				t.Errorf("steps add %d and remove %d members, the plan %d and %d", adds, removes, len(tc.plan.add), len(tc.plan.remove))
			}
			if fewest := tc.plan.minCalls(tc.batch); fewest != len(got) {
				t.Errorf("minCalls = %d, steps = %d", fewest, len(got))
			}
		})
	}
}

func TestSpreadWeight(t *testing.T) {
	for _, tc := range []struct{ total, count, want int }{{100, 3, 33}, {100, 200, 1}, {0, 5, 0}, {50, 0, 0}} {
		if got := spreadWeight(tc.total, tc.count); got != tc.want {
			t.Errorf("spreadWeight(%d, %d) = %d, want %d", tc.total, tc.count, got, tc.want)
		}
	}
}

func TestEligibleNodes(t *testing.T) {
	cordoned := node("cordoned", "cn-hangzhou.i-c", nil)
	cordoned.Spec.Unschedulable = true
	nodes := []*v1.Node{
		node("ecs", "cn-hangzhou.i-a", map[string]string{"pool": "web"}),
		node("ecs-prefixed", "alicloud://cn-hangzhou.i-b", nil),
		cordoned,
		node("vk", "cn-hangzhou.i-vk", map[string]string{"type": "virtual-kubelet"}),
		node("idc", "", nil),
		node("other-cloud", "aws:///us-east-1a/i-0abc", nil),
		node("excluded", "cn-hangzhou.i-x", map[string]string{labelExcludeFromLB: ""}),
	}
	tests := []struct {
		name string
		spec annotations.Backend
		want []string
	}{
		{"defaults keep cordoned nodes", annotations.Backend{}, []string{"i-a", "i-b", "i-c"}},
		{"remove-unscheduled-backend", annotations.Backend{RemoveUnscheduled: true}, []string{"i-a", "i-b"}},
		{"backend-label", annotations.Backend{NodeLabels: map[string]string{"pool": "web"}}, []string{"i-a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range eligibleNodes(nodes, &tc.spec) {
				got = append(got, c.instanceID)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlanListeners(t *testing.T) {
	svc := service("web", nil)
	r := New(nil, nil, nil, Options{ClusterID: "c"})
	mine := keyFor(svc, "c", 80).String()
	lst := func(port int, proto, desc, status string) slb.ListenerInDescribeLoadBalancerListeners {
		return slb.ListenerInDescribeLoadBalancerListeners{ListenerPort: port, ListenerProtocol: proto, Description: desc, Status: status, VServerGroupId: "rsp-1"}
	}
	spec := func(ls ...annotations.Listener) *annotations.Config { return &annotations.Config{Listeners: ls} }
	tcp80 := annotations.Listener{Port: 80, Protocol: annotations.ProtocolTCP, NodePort: 30080}
	udp80 := annotations.Listener{Port: 80, Protocol: annotations.ProtocolUDP, NodePort: 30080}
	http80 := annotations.Listener{Port: 80, Protocol: annotations.ProtocolHTTP, NodePort: 30080}
	groups := map[listenerKey]string{{80, "tcp"}: "rsp-1", {80, "udp"}: "rsp-1", {80, "http"}: "rsp-1"}
	tests := []struct {
		name    string
		spec    *annotations.Config
		actual  []slb.ListenerInDescribeLoadBalancerListeners
		manage  bool
		want    []string
		wantErr bool
	}{
		{name: "create and start", spec: spec(tcp80), manage: true, want: []string{"create 80/tcp", "start 80/tcp"}},
		{name: "TCP and UDP on one port", spec: spec(tcp80, udp80), manage: true,
			want: []string{"create 80/tcp", "start 80/tcp", "create 80/udp", "start 80/udp"}},
		{name: "in sync", spec: spec(tcp80), actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", mine, "running")}, manage: true},
		{name: "stopped listener of ours is started", spec: spec(tcp80),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", mine, "stopped")}, manage: true, want: []string{"start 80/tcp"}},
		{name: "protocol change deletes then creates", spec: spec(http80),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", mine, "running")}, manage: true,
			want: []string{"delete 80/tcp", "create 80/http", "start 80/http"}},
		{name: "port removed deletes our listener", spec: spec(),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", mine, "running")}, manage: true, want: []string{"delete 80/tcp"}},
		{name: "foreign listener on our port is a conflict", spec: spec(tcp80),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", "console", "running")}, manage: true, wantErr: true},
		{name: "foreign listener on another port is untouched", spec: spec(tcp80),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(443, "tcp", "console", "running")}, manage: true,
			want: []string{"create 80/tcp", "start 80/tcp"}},
		{name: "reused without override: our listener is not updated", spec: spec(annotations.Listener{Port: 80, Protocol: annotations.ProtocolTCP, NodePort: 30080, Scheduler: "rr"}),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", mine, "running")}, manage: false},
		{name: "reused without override: stale listener of ours stays", spec: spec(),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", mine, "running")}, manage: false},
		{name: "reused without override: no listener is created", spec: spec(tcp80),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(443, "tcp", "console", "running")}, manage: false},
		{name: "reused without override: a foreign listener on our port is no conflict", spec: spec(tcp80),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", "console", "running")}, manage: false},
		{name: "attribute change is one update with the changed attribute", spec: spec(annotations.Listener{Port: 80, Protocol: annotations.ProtocolTCP, NodePort: 30080, Scheduler: "rr"}),
			actual: []slb.ListenerInDescribeLoadBalancerListeners{lst(80, "tcp", mine, "running")}, manage: true, want: []string{"update 80/tcp [Scheduler]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acts, err := r.planListeners(svc, tc.spec, tc.actual, groups, "", "", tc.manage)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want a conflict error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range acts {
				s := fmt.Sprintf("%s %d/%s", a.op, a.port, a.proto)
				if a.op == opUpdate {
					s = fmt.Sprintf("%s %d/%s %v", a.op, a.port, a.proto, setAttrNames(&a.attrs))
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("actions = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	svc := service("web", nil)
	def := "a" + "uidweb000011112222"
	_ = def
	tests := []struct {
		name    string
		tags    map[string]string
		reuseID string
		want    ownership
		refuse  bool
	}{
		{"ours", map[string]string{TagServiceUID: string(svc.UID), TagClusterID: "c"}, "", ownOurs, true},
		{"ours in another cluster is foreign", map[string]string{TagServiceUID: string(svc.UID), TagClusterID: "other"}, "", ownForeign, true},
		{"another Service's", map[string]string{TagServiceUID: "x", TagClusterID: "c"}, "", ownForeign, true},
		{"official CCM's for this Service", map[string]string{TagOfficialOwner: defaultName(svc), TagOfficialCluster: "c"}, "", ownOfficial, true},
		{"official CCM's for another Service", map[string]string{TagOfficialOwner: "aother"}, "", ownForeign, true},
		{"user's CLB named by id", map[string]string{"team": "a"}, "lb-1", ownReused, false},
		{"ACK API server CLB named by id", map[string]string{TagOfficialCluster: "c-123"}, "lb-1", ownReused, true},
		{"untagged CLB not named by id", nil, "", ownForeign, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.tags, "lb-1", svc, []string{"c"}, tc.reuseID); got != tc.want {
				t.Errorf("classify = %v, want %v", got, tc.want)
			}
			if got := ReuseRefusal("CLB", tc.tags, "", "") != ""; got != tc.refuse {
				t.Errorf("refused = %v, want %v", got, tc.refuse)
			}
		})
	}
}

func TestOwnerKeys(t *testing.T) {
	svc := service("web", nil)
	long := service("a-very-long-service-name-that-goes-on-and-on-for-sixty-chars", nil)
	long.Namespace = "a-namespace-that-is-also-quite-long-indeed"
	for _, s := range []*v1.Service{svc, long} {
		k := keyFor(s, "c", 30080)
		if len(k.groupName()) > maxGroupNameLen {
			t.Errorf("%s: group name %q longer than %d", s.Name, k.groupName(), maxGroupNameLen)
		}
		if !ownedBy(k.groupName(), s, "c") || !ownedBy(k.String(), s, "c") {
			t.Errorf("%s: own keys not recognised", s.Name)
		}
		if ownedBy(k.groupName(), s, "other-cluster") {
			t.Errorf("%s: key of another cluster recognised", s.Name)
		}
	}
	if ownedBy(keyFor(svc, "c", 80).String(), long, "c") || ownedBy("my listener", svc, "c") {
		t.Error("foreign descriptions recognised as ours")
	}
}

func TestPlanAdditionalTags(t *testing.T) {
	tests := []struct {
		name       string
		have, want map[string]string
		add        map[string]string
		remove     []string
	}{
		{name: "first tags are tracked", have: map[string]string{}, want: map[string]string{"team": "web", "env": "prod"},
			add: map[string]string{"team": "web", "env": "prod", TagAdditionalKeys: "env,team"}},
		{name: "in sync", have: map[string]string{"team": "web", TagAdditionalKeys: "team"}, want: map[string]string{"team": "web"},
			add: map[string]string{}},
		{name: "removed key we added is untagged, the console's stays",
			have: map[string]string{"team": "web", "env": "prod", "owner": "me", TagAdditionalKeys: "env,team"}, want: map[string]string{"team": "web"},
			add: map[string]string{TagAdditionalKeys: "team"}, remove: []string{"env"}},
		{name: "annotation removed: all of ours go with the list",
			have: map[string]string{"team": "web", "owner": "me", TagAdditionalKeys: "team"}, want: nil,
			add: map[string]string{}, remove: []string{TagAdditionalKeys, "team"}},
		{name: "untracked key is never removed (adopted CLB)", have: map[string]string{"team": "web"}, want: nil,
			add: map[string]string{}},
		{name: "a tracked key the user already removed", have: map[string]string{TagAdditionalKeys: "env"}, want: map[string]string{},
			add: map[string]string{}, remove: []string{TagAdditionalKeys}},
		{name: "value change", have: map[string]string{"team": "web", TagAdditionalKeys: "team"}, want: map[string]string{"team": "api"},
			add: map[string]string{"team": "api"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			add, remove := planAdditionalTags(tc.have, tc.want)
			if !reflect.DeepEqual(add, tc.add) || !reflect.DeepEqual(remove, tc.remove) {
				t.Errorf("add %v remove %v, want add %v remove %v", add, remove, tc.add, tc.remove)
			}
		})
	}
}

func TestAdditionalKeysValueFitsATagValue(t *testing.T) {
	want := map[string]string{}
	for i := 0; i < 20; i++ {
		want[fmt.Sprintf("cost-allocation-key-%02d", i)] = "x"
	}
	v := additionalKeysValue(want)
	if len(v) > maxTagValueLen || !strings.HasPrefix(v, "cost-allocation-key-00,") {
		t.Errorf("value %q (%d characters)", v, len(v))
	}
}
