package routes

import (
	"context"
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// BenchmarkRoutesFromZero measures a cluster going from 0 to N nodes at
// once, as the framework's route controller drives it (every CreateRoute
// concurrently), against the emulator with production-like route timing:
// entries stay Pending for 1s, every call takes 50ms, and the client keeps
// its default rate limits (VPC 5 qps). Reported per run:
//
//   - s_to_available: until every entry is Available in the emulator;
//   - s_to_return: until every CreateRoute returned (includes the ENI
//     source/destination check, done for every instance);
//   - create_calls and ideal_calls: CreateRouteEntries calls against
//     ceil(N/50) per table;
//   - conflicts: calls or entries refused as busy/conflicting (TaskConflict,
//     IncorrectRouteEntryStatus), which serialising must keep at 0;
//   - vpc_calls, ecs_calls: every API call made.
func BenchmarkRoutesFromZero(b *testing.B) {
	for _, tc := range []struct {
		nodes, tables int
	}{{nodes: 500, tables: 1}, {nodes: 500, tables: 2}} {
		b.Run(fmt.Sprintf("nodes=%d/tables=%d", tc.nodes, tc.tables), func(b *testing.B) {
			for range b.N {
				benchFromZero(b, tc.nodes, tc.tables)
			}
		})
	}
}

func benchFromZero(b *testing.B, nodes, tables int) {
	b.StopTimer()
	e := newEnv(b, envOptions{instances: nodes, delay: time.Second, latency: 50 * time.Millisecond,
		routeQuota: nodes + 100, customTables: tables - 1, rateLimited: true})
	ids := append([]string{e.system}, e.custom...)
	r := e.newRoutes(b, func(c *Config) {
		c.Tuning = Tuning{} // the defaults
		if tables > 1 {
			c.RouteTableIDs = ids
		}
	})
	var ns []*v1.Node
	for i := range nodes {
		ns = append(ns, e.addNode(i, fmt.Sprintf("172.16.%d.%d/26", i/4, 64*(i%4))))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	e.emu.ResetAudit()

	b.StartTimer()
	start := time.Now()
	available := make(chan time.Duration, 1)
	go func() {
		for ctx.Err() == nil {
			if e.allAvailable(ids, nodes) {
				available <- time.Since(start)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	errs := createAll(ctx, r, ns)
	returned := time.Since(start)
	b.StopTimer()
	if len(errs) > 0 {
		b.Fatalf("%d CreateRoute errors, e.g. %v", len(errs), firstErr(errs))
	}
	var avail time.Duration
	select {
	case avail = <-available:
	case <-time.After(time.Minute):
		b.Fatal("entries never all Available")
	}
	creates, _, conflicts := e.writeCalls()
	var vpcCalls, ecsCalls int
	for _, a := range e.emu.Audit() {
		switch a.Product {
		case "Vpc":
			vpcCalls++
		case "Ecs":
			ecsCalls++
		}
	}
	b.ReportMetric(avail.Seconds(), "s_to_available")
	b.ReportMetric(returned.Seconds(), "s_to_return")
	b.ReportMetric(float64(creates), "create_calls")
	b.ReportMetric(float64((nodes+49)/50*tables), "ideal_calls")
	b.ReportMetric(float64(conflicts)+float64(r.Stats().BusyRefusals), "conflicts")
	b.ReportMetric(float64(vpcCalls), "vpc_calls")
	b.ReportMetric(float64(ecsCalls), "ecs_calls")
}

// allAvailable reports whether every table has n Available custom entries.
func (e *env) allAvailable(tables []string, n int) bool {
	for _, t := range tables {
		got := 0
		for _, en := range e.entries(t) {
			if en.Status == statusAvailable {
				got++
			}
		}
		if got < n {
			return false
		}
	}
	return true
}
