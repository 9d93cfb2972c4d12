package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbStateJSON is the NLB part of GET /state plus the EIPs, for comparing
// the whole NLB world before and after a failed job.
func nlbStateJSON(t *testing.T, e *Emulator) string {
	t.Helper()
	d := e.Dump()
	b, err := json.Marshal([]any{d.NLB, d.EIPs})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNLBFailedJobs: a JobFailureRule makes the job of a matching write end
// Failed (GetJobStatus and ListAsynJobs agree); until then the resource is
// busy as usual, and when it ends the write is undone, whatever it was.
func TestNLBFailedJobs(t *testing.T) {
	const job = 10 * time.Second
	tests := []struct {
		action string
		write  func(c *nlb.Client, lb, lis, group string) (string, error)
	}{
		{"CreateLoadBalancer", func(c *nlb.Client, _, _, _ string) (string, error) {
			r := newNLBReq("failing")
			(*r.ZoneMappings)[1].AllocationId = "eip-free2"
			resp, err := c.CreateLoadBalancer(r)
			return resp.JobId, err
		}},
		{"DeleteLoadBalancer", func(c *nlb.Client, lb, _, _ string) (string, error) {
			r := nlb.CreateDeleteLoadBalancerRequest()
			r.LoadBalancerId = lb
			resp, err := c.DeleteLoadBalancer(r)
			return resp.JobId, err
		}},
		{"UpdateLoadBalancerAttribute", func(c *nlb.Client, lb, _, _ string) (string, error) {
			r := nlb.CreateUpdateLoadBalancerAttributeRequest()
			r.LoadBalancerId, r.LoadBalancerName = lb, "renamed"
			resp, err := c.UpdateLoadBalancerAttribute(r)
			return resp.JobId, err
		}},
		{"UpdateLoadBalancerZones", func(c *nlb.Client, lb, _, _ string) (string, error) {
			r := nlb.CreateUpdateLoadBalancerZonesRequest()
			r.LoadBalancerId = lb
			r.ZoneMappings = &[]nlb.UpdateLoadBalancerZonesZoneMappings{
				{ZoneId: "cn-hangzhou-h", VSwitchId: testVSWH, PrivateIPv4Address: "192.168.0.150"},
				{ZoneId: "cn-hangzhou-i", VSwitchId: testVSWI}}
			resp, err := c.UpdateLoadBalancerZones(r)
			return resp.JobId, err
		}},
		{"CreateListener", func(c *nlb.Client, lb, _, group string) (string, error) {
			resp, err := c.CreateListener(tcpListenerReq(lb, group, 8080))
			return resp.JobId, err
		}},
		{"DeleteListener", func(c *nlb.Client, _, lis, _ string) (string, error) {
			r := nlb.CreateDeleteListenerRequest()
			r.ListenerId = lis
			resp, err := c.DeleteListener(r)
			return resp.JobId, err
		}},
		{"StopListener", func(c *nlb.Client, _, lis, _ string) (string, error) {
			r := nlb.CreateStopListenerRequest()
			r.ListenerId = lis
			resp, err := c.StopListener(r)
			return resp.JobId, err
		}},
		{"AddServersToServerGroup", func(c *nlb.Client, _, _, group string) (string, error) {
			resp, err := addServers(c, group, nlb.AddServersToServerGroupServers{ServerId: testInst2, ServerType: "Ecs", Port: "80"})
			return resp.JobId, err
		}},
		{"UpdateServerGroupServersAttribute", func(c *nlb.Client, _, _, group string) (string, error) {
			r := nlb.CreateUpdateServerGroupServersAttributeRequest()
			r.ServerGroupId = group
			r.Servers = &[]nlb.UpdateServerGroupServersAttributeServers{{ServerId: testInst1, ServerType: "Ecs", Port: "80", Weight: "7"}}
			resp, err := c.UpdateServerGroupServersAttribute(r)
			return resp.JobId, err
		}},
		{"TagResources", func(c *nlb.Client, lb, _, _ string) (string, error) {
			r := nlb.CreateTagResourcesRequest()
			r.ResourceType, r.ResourceId = "loadbalancer", &[]string{lb}
			r.Tag = &[]nlb.TagResourcesTag{{Key: "k", Value: "v"}}
			resp, err := c.TagResources(r)
			return resp.JobId, err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			fc := NewFakeClock(time.Now())
			e, c := nlbEnv(t, withJobs(fc, job))
			lb := mustNLB(t, c)
			group := mustGroupNLB(t, c, "Instance", "TCP", false)
			fc.Advance(job)
			if _, err := addServers(c, group, nlb.AddServersToServerGroupServers{ServerId: testInst1, ServerType: "Ecs", Port: "80"}); err != nil {
				t.Fatal(err)
			}
			lr, err := c.CreateListener(tcpListenerReq(lb, group, 80))
			if err != nil {
				t.Fatal(err)
			}
			fc.Advance(job)
			before := nlbStateJSON(t, e)

			e.SetFaults(FaultProfile{JobFailures: []JobFailureRule{{Match: "Nlb." + tc.action, Count: 1}}})
			id, err := tc.write(c, lb, lr.ListenerId, group)
			if err != nil || id == "" {
				t.Fatalf("%s: job %q, %v", tc.action, id, err)
			}
			if s := jobStatus(t, c, id); s != "Processing" {
				t.Fatalf("while it runs: job %s", s)
			}
			fc.Advance(job)
			if s := jobStatus(t, c, id); s != "Failed" {
				t.Fatalf("after it ends: job %s, want Failed", s)
			}
			if jobs, err := listAsynJobs(t, c, id); err != nil || jobs[id] != "Failed" {
				t.Fatalf("ListAsynJobs: %v %v", jobs, err)
			}
			if after := nlbStateJSON(t, e); after != before {
				t.Fatalf("the failed %s was not undone:\nbefore %s\nafter  %s", tc.action, before, after)
			}
			// The rule fired once: the same write now succeeds.
			id, err = tc.write(c, lb, lr.ListenerId, group)
			if err != nil {
				t.Fatalf("second %s: %v", tc.action, err)
			}
			fc.Advance(job)
			if s := jobStatus(t, c, id); s != "Succeeded" {
				t.Fatalf("second %s: job %s", tc.action, s)
			}
		})
	}
}

// TestNLBFailedCreateStates: a failed create shows Provisioning while its
// job runs, then the NLB is gone (ResourceNotFound.loadBalancer) and its
// EIP is free again; with jobs that end at once the undo is immediate.
func TestNLBFailedCreateStates(t *testing.T) {
	fc := NewFakeClock(time.Now())
	e, c := nlbEnv(t, withJobs(fc, 5*time.Second))
	e.SetFaults(FaultProfile{JobFailures: []JobFailureRule{{Match: "CreateLoadBalancer"}}})
	r := newNLBReq("web")
	(*r.ZoneMappings)[1].AllocationId = "eip-free1"
	resp, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	if s := getNLB(t, c, resp.LoadbalancerId).LoadBalancerStatus; s != "Provisioning" {
		t.Fatalf("while the job runs: %s", s)
	}
	fc.Advance(5 * time.Second)
	g := nlb.CreateGetLoadBalancerAttributeRequest()
	g.LoadBalancerId = resp.LoadbalancerId
	_, err = c.GetLoadBalancerAttribute(g)
	wantErr(t, err, "ResourceNotFound.loadBalancer", 404)
	// The EIP can be bound again.
	e.SetFaults(FaultProfile{})
	if _, err := c.CreateLoadBalancer(r); err != nil {
		t.Fatalf("create with the freed EIP: %v", err)
	}

	// Jobs that end at once: the answer's job is already Failed.
	e2, c2 := nlbEnv(t)
	e2.SetFaults(FaultProfile{JobFailures: []JobFailureRule{{Match: "Nlb"}}})
	resp, err = c2.CreateLoadBalancer(newNLBReq("web"))
	if err != nil {
		t.Fatal(err)
	}
	if s := jobStatus(t, c2, resp.JobId); s != "Failed" {
		t.Fatalf("job %s", s)
	}
	l := nlb.CreateListLoadBalancersRequest()
	l.MaxResults = requests.NewInteger(10)
	if got, err := c2.ListLoadBalancers(l); err != nil || got.TotalCount != 0 {
		t.Fatalf("ListLoadBalancers after a failed create: %+v %v", got, err)
	}
}

// TestJobFailuresControlEndpoint: POST /faults takes jobFailures.
func TestJobFailuresControlEndpoint(t *testing.T) {
	e, _ := newTestEmulator(t)
	srv := httptest.NewServer(e.ControlHandler())
	t.Cleanup(srv.Close)
	body := `{"jobFailures":[{"match":"Nlb.AddServersToServerGroup","rate":0.5,"count":3}]}`
	resp, err := http.Post(srv.URL+"/faults", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := e.Faults().JobFailures; resp.StatusCode != 200 || len(got) != 1 || got[0].Match != "Nlb.AddServersToServerGroup" || got[0].Rate != 0.5 || got[0].Count != 3 {
		t.Fatalf("status %d, rules %+v", resp.StatusCode, got)
	}
}
