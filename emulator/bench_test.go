package emulator

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// BenchmarkDescribeInstances measures full SDK round trips (sign, HTTP,
// verify, filter, JSON) against 100 instances, 10 per page.
func BenchmarkDescribeInstances(b *testing.B) {
	e, c := newTestEmulator(b, func(cfg *Config) { cfg.AuditLimit = 10000 })
	seedBasic(b, e)
	for i := 0; i < 97; i++ {
		if err := e.AddInstance(Instance{InstanceID: fmt.Sprintf("i-bench%03d", i), VSwitchID: testVSWH, PrivateIP: fmt.Sprintf("192.168.0.%d", 20+i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		req := ecs.CreateDescribeInstancesRequest()
		req.PrivateIpAddresses = `["192.168.0.50","192.168.0.51"]`
		if _, err := c.ECS.DescribeInstances(req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}

// BenchmarkDescribeInstancesServer measures the emulator alone (signature
// check, dispatch, filter, JSON) without the SDK client and network.
func BenchmarkDescribeInstancesServer(b *testing.B) {
	e, _ := newTestEmulator(b, func(cfg *Config) { cfg.AuditLimit = 10000 })
	seedBasic(b, e)
	h := e.Handler()
	now := time.Now()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		p := signedParams(now, fmt.Sprintf("nonce-%d", i))
		p.Set("Action", "DescribeInstances")
		p.Set("Version", VersionECS)
		p.Set("Signature", Sign(StringToSign("POST", p), testSecret))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/?"+p.Encode(), nil))
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}
