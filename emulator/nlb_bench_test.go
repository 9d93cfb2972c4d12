package emulator

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// BenchmarkNLBListLoadBalancers measures a full SDK round trip listing 20
// tagged NLBs with their zone mappings.
func BenchmarkNLBListLoadBalancers(b *testing.B) {
	_, c := nlbEnv(b, func(cfg *Config) { cfg.AuditLimit = 10000 })
	for i := 0; i < 20; i++ {
		r := newNLBReq("bench")
		r.Tag = &[]nlb.CreateLoadBalancerTag{{Key: "cluster", Value: "c1"}}
		if _, err := c.CreateLoadBalancer(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r := nlb.CreateListLoadBalancersRequest()
		r.Tag = &[]nlb.ListLoadBalancersTag{{Key: "cluster", Value: "c1"}}
		resp, err := c.ListLoadBalancers(r)
		if err != nil || resp.TotalCount != 20 {
			b.Fatalf("%v %v", resp, err)
		}
	}
	reportRate(b, start)
}

// BenchmarkNLBAddServersToServerGroup measures adding one member per call
// plus its GetJobStatus poll (the pair a CCM makes per change); every 100
// calls the members are removed again, untimed.
func BenchmarkNLBAddServersToServerGroup(b *testing.B) {
	_, c := nlbEnv(b, func(cfg *Config) { cfg.AuditLimit = 10000 })
	g := mustGroupNLB(b, c, "Ip", "TCP", false)
	ip := func(i int) string { return "10.1.0." + itoa(1+i%100) }
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		resp, err := addServers(c, g, nlb.AddServersToServerGroupServers{ServerId: ip(i), ServerType: "Ip", Port: "80"})
		if err != nil {
			b.Fatal(err)
		}
		if s := jobStatus(b, c, resp.JobId); s != "Succeeded" {
			b.Fatalf("job %s", s)
		}
		if i%100 == 99 || i == b.N-1 {
			b.StopTimer()
			var rm []nlb.RemoveServersFromServerGroupServers
			for k := i - i%100; k <= i; k++ {
				rm = append(rm, nlb.RemoveServersFromServerGroupServers{ServerId: ip(k), ServerType: "Ip", Port: "80"})
			}
			r := nlb.CreateRemoveServersFromServerGroupRequest()
			r.ServerGroupId, r.Servers = g, &rm
			if _, err := c.RemoveServersFromServerGroup(r); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	reportRate(b, start)
}
