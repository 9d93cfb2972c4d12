package routes

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// DefaultEntryQuota is the default of the quota QuotaName: 200 custom route
// entries per route table.
const DefaultEntryQuota = 200

// The gauges come from the listings the route capability makes anyway
// (ListRoutes and the writer's settle listings): they cost no API call.
var (
	tableEntries = metrics.NewGaugeVec(&metrics.GaugeOpts{
		Namespace:      "alicloud",
		Subsystem:      "ccm",
		Name:           "route_table_entries",
		Help:           "Custom route entries of a VPC route table the CCM writes, all owners included, as of the CCM's last listing of it.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"route_table"})

	tableQuota = metrics.NewGaugeVec(&metrics.GaugeOpts{
		Namespace:      "alicloud",
		Subsystem:      "ccm",
		Name:           "route_table_entry_quota",
		Help:           "Custom route entries a VPC route table may hold (Global.quotaRouteEntriesPerTable, the quota vpc_quota_route_entrys_num).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"route_table"})
)

var registerOnce sync.Once

// registerMetrics registers the gauges in the legacy registry (the CCM's
// /metrics) once; component-base metrics are no-ops until registered.
func registerMetrics() {
	registerOnce.Do(func() { legacyregistry.MustRegister(tableEntries, tableQuota) })
}

// observeTable exports a table's custom entry count and quota.
func observeTable(table string, entries, quota int) {
	tableEntries.WithLabelValues(table).Set(float64(entries))
	tableQuota.WithLabelValues(table).Set(float64(quota))
}
