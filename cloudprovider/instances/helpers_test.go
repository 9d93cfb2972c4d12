package instances

import (
	"fmt"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

const (
	testRegion    = "cn-hangzhou"
	testVPC       = "vpc-test1"
	testKeyID     = "LTAItestinstances"
	testKeySecret = "instances-test-secret"
)

// world is an emulator seeded with a few instances, and clients for it.
type world struct {
	srv *emulator.Servers
	emu *emulator.Emulator
	ecs *cloudapi.ECS
	md  *metadata.Client
}

// Seeded instances (see startWorld).
const (
	instRunning  = "i-running1"
	instEIP      = "i-eip1"
	instStopped  = "i-stopped1"
	instStopping = "i-stopping1"
	instMaster   = "i-master1"
	instGone     = "i-gone1"
)

// startWorld starts an emulator on 127.0.0.1 with the test instances plus
// extra instances i-bulkN (192.168.16.0/20). instGone is seeded and deleted,
// so ECS knows nothing of it.
func startWorld(t testing.TB, extra int) *world {
	t.Helper()
	srv, err := emulator.Start(emulator.Config{Region: testRegion, AccessKeys: map[string]string{testKeyID: testKeySecret}}, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	seed := emulator.SeedState{
		Zones: []string{"cn-hangzhou-h", "cn-hangzhou-i"},
		VPCs:  []emulator.VPC{{VpcID: testVPC, CidrBlock: "192.168.0.0/16", VRouterID: "vrt-test1"}},
		VSwitches: []emulator.VSwitch{
			{VSwitchID: "vsw-h", VpcID: testVPC, ZoneID: "cn-hangzhou-h", CidrBlock: "192.168.0.0/24"},
			{VSwitchID: "vsw-i", VpcID: testVPC, ZoneID: "cn-hangzhou-i", CidrBlock: "192.168.1.0/24"},
			{VSwitchID: "vsw-bulk", VpcID: testVPC, ZoneID: "cn-hangzhou-i", CidrBlock: "192.168.16.0/20"},
		},
		Instances: []emulator.Instance{
			{InstanceID: instMaster, HostName: "master-host", ZoneID: "cn-hangzhou-h", VpcID: testVPC, VSwitchID: "vsw-h", PrivateIP: "192.168.0.10"},
			{InstanceID: instRunning, HostName: "running-host", InstanceType: "ecs.g7.xlarge", ZoneID: "cn-hangzhou-h", VpcID: testVPC, VSwitchID: "vsw-h", PrivateIP: "192.168.0.11", PublicIP: "47.0.0.11"},
			{InstanceID: instEIP, HostName: "eip-host", ZoneID: "cn-hangzhou-i", VpcID: testVPC, VSwitchID: "vsw-i", PrivateIP: "192.168.1.12", EipAddress: "39.0.0.12"},
			{InstanceID: instStopped, ZoneID: "cn-hangzhou-i", VpcID: testVPC, VSwitchID: "vsw-i", PrivateIP: "192.168.1.13", Status: "Stopped"},
			{InstanceID: instStopping, ZoneID: "cn-hangzhou-i", VpcID: testVPC, VSwitchID: "vsw-i", PrivateIP: "192.168.1.14", Status: "Stopping"},
			{InstanceID: instGone, ZoneID: "cn-hangzhou-h", VpcID: testVPC, VSwitchID: "vsw-h", PrivateIP: "192.168.0.15"},
		},
		// A secondary ENI of instRunning: its address may be kubelet's --node-ip.
		ENIs: []emulator.ENI{{NetworkInterfaceID: "eni-sec1", Type: "Secondary", InstanceID: instRunning, VpcID: testVPC, VSwitchID: "vsw-h", PrimaryIP: "192.168.0.51"}},
	}
	for i := 0; i < extra; i++ {
		seed.Instances = append(seed.Instances, emulator.Instance{
			InstanceID: bulkID(i), ZoneID: "cn-hangzhou-i", VpcID: testVPC, VSwitchID: "vsw-bulk", PrivateIP: bulkIP(i),
		})
	}
	if err := srv.Emulator.Seed(seed); err != nil {
		t.Fatal(err)
	}
	if err := srv.Emulator.DeleteInstance(instGone); err != nil {
		t.Fatal(err)
	}
	srv.Emulator.SetMetadataInstance(instMaster)
	clients, err := cloudapi.New(cloudapi.Options{
		Region:      testRegion,
		Credentials: credentials.NewStaticAKCredentialsProvider(testKeyID, testKeySecret),
		// Fast retries: fault cases must not wait for real backoff.
		Retry: cloudapi.RetryPolicy{MaxAttempts: 2, BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond},
		ECS:   cloudapi.ProductOptions{Endpoint: srv.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		SLB:   cloudapi.ProductOptions{Endpoint: srv.APIURL},
		VPC:   cloudapi.ProductOptions{Endpoint: srv.APIURL},
	})
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.New(metadata.Options{Endpoint: srv.MetadataURL, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &world{srv: srv, emu: srv.Emulator, ecs: clients.ECS, md: md}
}

func bulkID(i int) string { return fmt.Sprintf("i-bulk%05d", i) }
func bulkIP(i int) string { return fmt.Sprintf("192.168.%d.%d", 16+i/250, 1+i%250) }

// provider returns a fresh Instances (empty cache) for the world.
func (w *world) provider(t testing.TB, mod func(*Options)) *Instances {
	t.Helper()
	opts := Options{Region: testRegion, VpcID: testVPC, Metadata: w.md, BatchWindow: 2 * time.Millisecond}
	if mod != nil {
		mod(&opts)
	}
	p, err := New(w.ecs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// calls returns how many DescribeInstances calls reached the emulator.
func (w *world) calls() int { return w.emu.CallCount("DescribeInstances", "") }

// nodeOpt shapes a test node.
type nodeOpt func(*v1.Node)

func withProviderID(id string) nodeOpt { return func(n *v1.Node) { n.Spec.ProviderID = id } }
func withIP(ip string) nodeOpt {
	return func(n *v1.Node) {
		n.Status.Addresses = append(n.Status.Addresses, v1.NodeAddress{Type: v1.NodeInternalIP, Address: ip})
	}
}
func withHostname(h string) nodeOpt {
	return func(n *v1.Node) {
		n.Status.Addresses = append(n.Status.Addresses, v1.NodeAddress{Type: v1.NodeHostName, Address: h})
	}
}
func virtual(n *v1.Node) {
	n.Labels = map[string]string{nodeclass.VirtualLabel: nodeclass.VirtualValue}
}
func tainted(n *v1.Node) {
	n.Spec.Taints = append(n.Spec.Taints, v1.Taint{Key: cloudproviderapi.TaintExternalCloudProvider, Value: "true", Effect: v1.TaintEffectNoSchedule})
}
func withAnnotation(k, v string) nodeOpt {
	return func(n *v1.Node) { n.Annotations = map[string]string{k: v} }
}

func node(name string, opts ...nodeOpt) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func pid(id string) string { return testRegion + "." + id }
