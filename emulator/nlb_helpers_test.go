package emulator

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbEnv starts a seeded emulator (seedBasic plus the unbound EIPs
// eip-free1 and eip-free2) and returns a real NLB SDK client over HTTP.
func nlbEnv(t testing.TB, opts ...func(*Config)) (*Emulator, *nlb.Client) {
	t.Helper()
	e, tc := newTestEmulator(t, opts...)
	seedBasic(t, e)
	if err := e.Seed(SeedState{EIPs: []EIP{{AllocationID: "eip-free1", IPAddress: "47.1.1.1"},
		{AllocationID: "eip-free2", IPAddress: "47.1.1.2"}}}); err != nil {
		t.Fatal(err)
	}
	return e, nlbClient(t, tc.Host)
}

// nlbClient is a real NLB SDK client for host. One client must not be used
// from several goroutines at once (the SDK sets its timeouts per call).
func nlbClient(t testing.TB, host string) *nlb.Client {
	t.Helper()
	c, err := nlb.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme("HTTP"),
		credentials.NewAccessKeyCredential(testAK, testSecret))
	if err != nil {
		t.Fatalf("nlb client: %v", err)
	}
	c.Domain = host
	return c
}

// withJobs sets the NLB job duration and a fake clock starting now.
func withJobs(fc *FakeClock, d time.Duration) func(*Config) {
	return func(c *Config) { c.Clock, c.NLBJobDuration = fc, d }
}

// twoZones are zone mappings over seedBasic's two vSwitches.
func twoZones() *[]nlb.CreateLoadBalancerZoneMappings {
	return &[]nlb.CreateLoadBalancerZoneMappings{{ZoneId: "cn-hangzhou-h", VSwitchId: testVSWH}, {ZoneId: "cn-hangzhou-i", VSwitchId: testVSWI}}
}

// newNLBReq is a valid Internet CreateLoadBalancer request.
func newNLBReq(name string) *nlb.CreateLoadBalancerRequest {
	r := nlb.CreateCreateLoadBalancerRequest()
	r.LoadBalancerName, r.AddressType, r.VpcId, r.ZoneMappings = name, "Internet", testVPC, twoZones()
	return r
}

// mustNLB creates an NLB and returns its ID.
func mustNLB(t testing.TB, c *nlb.Client) string {
	t.Helper()
	resp, err := c.CreateLoadBalancer(newNLBReq("web"))
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	if resp.JobId == "" || resp.LoadbalancerId == "" {
		t.Fatalf("CreateLoadBalancer answer lacks IDs: %+v", resp)
	}
	return resp.LoadbalancerId
}

// getNLB reads an NLB.
func getNLB(t testing.TB, c *nlb.Client, id string) *nlb.GetLoadBalancerAttributeResponse {
	t.Helper()
	r := nlb.CreateGetLoadBalancerAttributeRequest()
	r.LoadBalancerId = id
	resp, err := c.GetLoadBalancerAttribute(r)
	if err != nil {
		t.Fatalf("GetLoadBalancerAttribute %s: %v", id, err)
	}
	return resp
}

// jobStatus reads a job's status through GetJobStatus.
func jobStatus(t testing.TB, c *nlb.Client, job string) string {
	t.Helper()
	r := nlb.CreateGetJobStatusRequest()
	r.JobId = job
	resp, err := c.GetJobStatus(r)
	if err != nil {
		t.Fatalf("GetJobStatus %s: %v", job, err)
	}
	return resp.Status
}

// listAsynJobs calls ListAsynJobs, which the Go SDK has no typed request
// for, through the SDK's CommonRequest (same signing and transport).
func listAsynJobs(t testing.TB, c *nlb.Client, ids ...string) (map[string]string, error) {
	t.Helper()
	r := requests.NewCommonRequest()
	r.Method, r.Scheme, r.Domain = "POST", "HTTP", c.Domain
	r.Product, r.Version, r.ApiName = "Nlb", VersionNLB, "ListAsynJobs"
	for i, id := range ids {
		r.FormParams["JobIds."+itoa(i+1)] = id
	}
	resp, err := c.ProcessCommonRequest(r)
	if err != nil {
		return nil, err
	}
	var out struct {
		Jobs []struct {
			ID     string `json:"Id"`
			Status string
		}
	}
	if err := json.Unmarshal(resp.GetHttpContentBytes(), &out); err != nil {
		t.Fatalf("decode ListAsynJobs: %v", err)
	}
	m := map[string]string{}
	for _, j := range out.Jobs {
		m[j.ID] = j.Status
	}
	return m, nil
}

// mustGroupNLB creates a server group of a type ("Instance" or "Ip") and
// protocol, optionally all-port, and returns its ID.
func mustGroupNLB(t testing.TB, c *nlb.Client, typ, proto string, anyPort bool) string {
	t.Helper()
	r := nlb.CreateCreateServerGroupRequest()
	r.ServerGroupName, r.ServerGroupType, r.Protocol, r.VpcId = "k8s.80.TCP.svc", typ, proto, testVPC
	r.AnyPortEnabled = requests.NewBoolean(anyPort)
	if anyPort {
		r.HealthCheckConfig.HealthCheckConnectPort = "80" // members have port 0
	}
	resp, err := c.CreateServerGroup(r)
	if err != nil {
		t.Fatalf("CreateServerGroup: %v", err)
	}
	return resp.ServerGroupId
}

// mustSSLGroup creates a TCP Instance group that does not preserve client
// IPs, the kind a TCPSSL listener takes.
func mustSSLGroup(t testing.TB, c *nlb.Client) string {
	t.Helper()
	r := nlb.CreateCreateServerGroupRequest()
	r.ServerGroupName, r.VpcId, r.PreserveClientIpEnabled = "k8s.443.TCPSSL.svc", testVPC, requests.NewBoolean(false)
	resp, err := c.CreateServerGroup(r)
	if err != nil {
		t.Fatalf("CreateServerGroup: %v", err)
	}
	return resp.ServerGroupId
}

// tcpListenerReq is a TCP listener on port for a group.
func tcpListenerReq(lb, group string, port int) *nlb.CreateListenerRequest {
	r := nlb.CreateCreateListenerRequest()
	r.LoadBalancerId, r.ServerGroupId, r.ListenerProtocol = lb, group, "TCP"
	r.ListenerPort = requests.NewInteger(port)
	return r
}

// addServers adds members to a group.
func addServers(c *nlb.Client, group string, servers ...nlb.AddServersToServerGroupServers) (*nlb.AddServersToServerGroupResponse, error) {
	r := nlb.CreateAddServersToServerGroupRequest()
	r.ServerGroupId, r.Servers = group, &servers
	return c.AddServersToServerGroup(r)
}

// groupServers lists a group's members.
func groupServers(t testing.TB, c *nlb.Client, group string) []nlb.Server {
	t.Helper()
	r := nlb.CreateListServerGroupServersRequest()
	r.ServerGroupId = group
	resp, err := c.ListServerGroupServers(r)
	if err != nil {
		t.Fatalf("ListServerGroupServers: %v", err)
	}
	return resp.Servers
}
