package emulator

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// reportRate reports calls per second of the timed loop.
func reportRate(b *testing.B, start time.Time) {
	if s := time.Since(start).Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "calls/s")
	}
}

// BenchmarkDescribeLoadBalancers measures a full SDK round trip (sign, HTTP,
// verify, handler, JSON both ways) listing 20 CLBs with tags.
func BenchmarkDescribeLoadBalancers(b *testing.B) {
	_, c := slbEnv(b)
	for i := 0; i < 20; i++ {
		r := newLBReq("bench")
		r.Tag = &[]slb.CreateLoadBalancerTag{{Key: "cluster", Value: "c1"}}
		if _, err := c.CreateLoadBalancer(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r := slb.CreateDescribeLoadBalancersRequest()
		r.Tags = `[{"TagKey":"cluster","TagValue":"c1"}]`
		resp, err := c.DescribeLoadBalancers(r)
		if err != nil || resp.TotalCount != 20 {
			b.Fatalf("%v %v", resp, err)
		}
	}
	reportRate(b, start)
}

// BenchmarkAddVServerGroupBackendServers measures adding one member per call
// (removing it again every 100 calls keeps the group under the quotas).
func BenchmarkAddVServerGroupBackendServers(b *testing.B) {
	_, c := slbEnv(b, func(cfg *Config) { cfg.Limits = DefaultLimits(); cfg.Limits.BackendsPerLB = 1000 })
	lb := mustLB(b, c, "bench")
	g := mustGroup(b, c, lb, nil)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		port := 1000 + i%100
		if err := addMembers(c, g, be{"ServerId": testInst1, "Port": port, "Weight": 100}); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 {
			b.StopTimer()
			rm := slb.CreateRemoveVServerGroupBackendServersRequest()
			var list []be
			for p := 1000; p < 1020; p++ {
				list = append(list, be{"ServerId": testInst1, "Port": p})
			}
			rm.VServerGroupId, rm.BackendServers = g, beJSON(list...)
			if _, err := c.RemoveVServerGroupBackendServers(rm); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	reportRate(b, start)
}
