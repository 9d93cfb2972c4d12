package slimcache

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// realisticNodeImages is how many images kubelet typically reports on a
// worker that has run a few releases of a few dozen workloads (it reports
// up to --node-status-max-images, 50 by default).
const realisticNodeImages = 40

// realisticNode is a Node as an ACK worker carries it: the well-known and
// provider labels, kubelet's and CSI's annotations, managedFields of four
// managers, capacity, five conditions, node info, realisticNodeImages
// images (a digest and a tag name each) and four attached disks.
func realisticNode(i int) *v1.Node {
	id := fmt.Sprintf("i-bp1%017d", i)
	name := fmt.Sprintf("cn-hangzhou.192.168.%d.%d", i/256%256, i%256)
	labels := map[string]string{
		"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
		"beta.kubernetes.io/instance-type": "ecs.g7.2xlarge", "node.kubernetes.io/instance-type": "ecs.g7.2xlarge",
		"failure-domain.beta.kubernetes.io/region": "cn-hangzhou", "topology.kubernetes.io/region": "cn-hangzhou",
		"failure-domain.beta.kubernetes.io/zone": "cn-hangzhou-k", "topology.kubernetes.io/zone": "cn-hangzhou-k",
		"kubernetes.io/hostname": name, "alibabacloud.com/nodepool-id": "np0123456789abcdef0123456789abcdef", "ack.aliyun.com": "c0123456789abcdef",
		"node.csi.alibabacloud.com/disktype.cloud_essd": "available", "topology.diskplugin.csi.alibabacloud.com/zone": "cn-hangzhou-k",
	}
	fields := metav1.NewFieldsV1
	var cond, img strings.Builder
	for _, c := range []string{"MemoryPressure", "DiskPressure", "PIDPressure", "Ready", "NetworkUnavailable"} {
		fmt.Fprintf(&cond, `"k:{\"type\":\"%s\"}":{".":{},"f:lastHeartbeatTime":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}},`, c)
	}
	n := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: "0b6b1c43-5d44-4a8e-9f7c-3f0f8f1b2c3d", ResourceVersion: "123456789",
			Labels: labels, Annotations: map[string]string{
				"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true",
				"csi.volume.kubernetes.io/nodeid": `{"diskplugin.csi.alibabacloud.com":"` + id + `","nasplugin.csi.alibabacloud.com":"` + id + `","ossplugin.csi.alibabacloud.com":"` + id + `"}`,
			},
			ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: "kubelet", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", FieldsType: "FieldsV1",
					FieldsV1: fields(`{"f:metadata":{"f:annotations":{".":{},"f:volumes.kubernetes.io/controller-managed-attach-detach":{}},"f:labels":{".":{},` +
						`"f:beta.kubernetes.io/arch":{},"f:beta.kubernetes.io/os":{},"f:kubernetes.io/arch":{},"f:kubernetes.io/hostname":{},"f:kubernetes.io/os":{}}}}`)},
				{Manager: "kubelet", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", FieldsType: "FieldsV1", Subresource: "status",
					FieldsV1: fields(`{"f:status":{"f:allocatable":{"f:cpu":{},"f:ephemeral-storage":{},"f:memory":{},"f:pods":{}},"f:capacity":{"f:cpu":{},` +
						`"f:ephemeral-storage":{},"f:memory":{},"f:pods":{}},"f:conditions":{` + strings.TrimSuffix(cond.String(), ",") + `},` +
						`"f:daemonEndpoints":{"f:kubeletEndpoint":{"f:Port":{}}},"f:images":{},"f:nodeInfo":{"f:bootID":{},"f:containerRuntimeVersion":{},` +
						`"f:kernelVersion":{},"f:kubeProxyVersion":{},"f:kubeletVersion":{},"f:machineID":{},"f:osImage":{},"f:systemUUID":{}},"f:volumesAttached":{},"f:volumesInUse":{}}}`)},
				{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", FieldsType: "FieldsV1",
					FieldsV1: fields(`{"f:metadata":{"f:annotations":{"f:node.alpha.kubernetes.io/ttl":{}}},"f:spec":{"f:podCIDR":{},"f:podCIDRs":{".":{},"v:\"10.0.0.0/26\"":{}}}}`)},
				{Manager: "cloud-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", FieldsType: "FieldsV1",
					FieldsV1: fields(`{"f:metadata":{"f:labels":{"f:beta.kubernetes.io/instance-type":{},"f:failure-domain.beta.kubernetes.io/region":{},` +
						`"f:failure-domain.beta.kubernetes.io/zone":{},"f:node.kubernetes.io/instance-type":{},"f:topology.kubernetes.io/region":{},` +
						`"f:topology.kubernetes.io/zone":{}}},"f:spec":{"f:providerID":{}}}`)},
			}},
		Spec: v1.NodeSpec{ProviderID: "cn-hangzhou." + id, PodCIDR: "10.0.0.0/26", PodCIDRs: []string{"10.0.0.0/26"}},
		Status: v1.NodeStatus{
			Capacity: v1.ResourceList{v1.ResourceCPU: resource.MustParse("8"), v1.ResourceMemory: resource.MustParse("32211812Ki"),
				v1.ResourcePods: resource.MustParse("64"), v1.ResourceEphemeralStorage: resource.MustParse("123722704Ki")},
			Allocatable: v1.ResourceList{v1.ResourceCPU: resource.MustParse("7800m"), v1.ResourceMemory: resource.MustParse("28892516Ki"),
				v1.ResourcePods: resource.MustParse("64"), v1.ResourceEphemeralStorage: resource.MustParse("114022843818")},
			Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: fmt.Sprintf("192.168.%d.%d", i/256%256, i%256)}, {Type: v1.NodeHostName, Address: name}},
			NodeInfo: v1.NodeSystemInfo{MachineID: "20200918155227187736181754411234", SystemUUID: "f8b5f2b1-1234-4f6e-9d2c-0a1b2c3d4e5f",
				BootID: "3c1f2e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f", KernelVersion: "5.10.134-16.3.al8.x86_64", OSImage: "Alibaba Cloud Linux 3.2104 U10 (OpenAnolis Edition)",
				ContainerRuntimeVersion: "containerd://1.6.28", KubeletVersion: "v1.37.1-aliyun.1", OperatingSystem: "linux", Architecture: "amd64"},
			DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: 10250}},
		},
	}
	for _, c := range []v1.NodeConditionType{v1.NodeMemoryPressure, v1.NodeDiskPressure, v1.NodePIDPressure, v1.NodeReady, v1.NodeNetworkUnavailable} {
		n.Status.Conditions = append(n.Status.Conditions, v1.NodeCondition{Type: c, Status: v1.ConditionFalse, Reason: "Kubelet" + string(c),
			Message: "kubelet reports " + string(c), LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()})
	}
	for k := range realisticNodeImages {
		repo := fmt.Sprintf("registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/workload-%02d", k)
		img.Reset()
		for range 4 {
			fmt.Fprintf(&img, "%016x", uint64(k)*0x9e3779b97f4a7c15+uint64(i))
		}
		n.Status.Images = append(n.Status.Images, v1.ContainerImage{Names: []string{repo + "@sha256:" + img.String(), repo + ":v1.2." + fmt.Sprint(k)},
			SizeBytes: int64(20+k) << 20})
	}
	for d := range 4 {
		vol := v1.UniqueVolumeName(fmt.Sprintf("kubernetes.io/csi/diskplugin.csi.alibabacloud.com^d-bp1%017d", i*4+d))
		n.Status.VolumesInUse = append(n.Status.VolumesInUse, vol)
		n.Status.VolumesAttached = append(n.Status.VolumesAttached, v1.AttachedVolume{Name: vol, DevicePath: ""})
	}
	return n
}

// cachedBytesPerNode decodes count Nodes from JSON (as an informer does,
// so each holds its own strings), keeps them, trimmed by Transform when
// trim is set, and returns the heap they keep per Node.
func cachedBytesPerNode(tb testing.TB, count int, trim bool) float64 {
	tb.Helper()
	raw := make([][]byte, count)
	for i := range raw {
		b, err := json.Marshal(realisticNode(i))
		if err != nil {
			tb.Fatal(err)
		}
		raw[i] = b
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := make([]*v1.Node, count)
	for i, b := range raw {
		n := &v1.Node{}
		if err := json.Unmarshal(b, n); err != nil {
			tb.Fatal(err)
		}
		if trim {
			if _, err := Transform(n); err != nil {
				tb.Fatal(err)
			}
		}
		kept[i] = n
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// raw is live until here too, so its JSON counts in neither reading.
	runtime.KeepAlive(raw)
	runtime.KeepAlive(kept)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(count)
}

// TestTransformSavesOnRealisticNodes checks that the trimmed cache keeps
// less than half of what a realistic Node (realisticNode) costs whole: the
// images, volumes and managedFields are most of it.
func TestTransformSavesOnRealisticNodes(t *testing.T) {
	whole, trimmed := cachedBytesPerNode(t, 200, false), cachedBytesPerNode(t, 200, true)
	t.Logf("a realistic Node in the cache: %.1f KiB whole, %.1f KiB trimmed", whole/1024, trimmed/1024)
	if trimmed <= 0 || trimmed > whole/2 {
		t.Errorf("trimmed %.0f B per Node, whole %.0f B: want less than half", trimmed, whole)
	}
}

// BenchmarkNodeCache reports the heap a cache of 5,000 realistic Nodes
// keeps, whole and trimmed (MiB-per-5000-nodes), the figure docs/tuning.md
// quotes for real clusters, whose Nodes carry images (the S5 bench's Nodes
// carry none).
func BenchmarkNodeCache(b *testing.B) {
	for _, trim := range []bool{false, true} {
		b.Run(map[bool]string{false: "whole", true: "trimmed"}[trim], func(b *testing.B) {
			var per float64
			for range b.N {
				per = cachedBytesPerNode(b, 5000, trim)
			}
			b.ReportMetric(per*5000/(1<<20), "MiB-per-5000-nodes")
		})
	}
}
