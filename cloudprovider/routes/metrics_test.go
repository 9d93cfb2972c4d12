package routes

import (
	"context"
	"fmt"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/component-base/metrics/testutil"
)

// The route table gauges follow the listings the capability makes anyway:
// every custom entry counts (a foreign one too, as the quota counts it),
// the quota is the configured one, and reading them costs no API call.
func TestRouteTableGauges(t *testing.T) {
	tests := []struct {
		name      string
		quota     int
		nodes     int
		foreign   int
		wantQuota float64
	}{
		{"default quota, own and foreign entries", 0, 3, 2, DefaultEntryQuota},
		{"raised quota", 500, 1, 0, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{instances: tt.nodes})
			for i := range tt.foreign {
				e.seedEntry(t, e.system, fmt.Sprintf("10.9.%d.0/24", i), "Instance", e.instances[0])
			}
			r := e.newRoutes(t, func(c *Config) { c.EntryQuota = tt.quota })
			var nodes []*v1.Node
			for i := range tt.nodes {
				nodes = append(nodes, e.addNode(i, podCIDR(i)))
			}
			if errs := createAll(context.Background(), r, nodes); len(errs) > 0 {
				t.Fatalf("CreateRoute: %v", errs)
			}
			if _, err := r.ListRoutes(context.Background(), "kubernetes"); err != nil {
				t.Fatal(err)
			}
			calls := len(e.emu.Audit())
			got, err := testutil.GetGaugeMetricValue(tableEntries.WithLabelValues(e.system))
			if err != nil {
				t.Fatal(err)
			}
			if want := float64(tt.nodes + tt.foreign); got != want {
				t.Errorf("alicloud_ccm_route_table_entries{route_table=%q} = %v, want %v", e.system, got, want)
			}
			if q, _ := testutil.GetGaugeMetricValue(tableQuota.WithLabelValues(e.system)); q != tt.wantQuota {
				t.Errorf("alicloud_ccm_route_table_entry_quota = %v, want %v", q, tt.wantQuota)
			}
			if n := len(e.emu.Audit()); n != calls {
				t.Errorf("reading the gauges made %d API calls", n-calls)
			}
		})
	}
}
