package routes

import (
	"strings"
	"sync"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"

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

	// entryFailures counts the per-entry answers of CreateRouteEntries and
	// DeleteRouteEntries: the batch call itself succeeds when entries fail,
	// so alicloud_api_requests_total shows Success and cannot tell that a
	// table is full.
	entryFailures = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "alicloud",
		Subsystem:      "ccm",
		Name:           "route_entry_failures_total",
		Help:           "Route entries a batch CreateRouteEntries/DeleteRouteEntries call refused, by route table, operation (create, delete) and error class (quota, busy, exists, not_found, other...).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"route_table", "operation", "class"})
)

var registerOnce sync.Once

// registerMetrics registers the gauges in the legacy registry (the CCM's
// /metrics) once; component-base metrics are no-ops until registered.
func registerMetrics() {
	registerOnce.Do(func() { legacyregistry.MustRegister(tableEntries, tableQuota, entryFailures) })
}

// observeTable exports a table's custom entry count and quota.
func observeTable(table string, entries, quota int) {
	tableEntries.WithLabelValues(table).Set(float64(entries))
	tableQuota.WithLabelValues(table).Set(float64(quota))
	// A zero sample per table, so an alert on increase() sees the first
	// quota refusal rather than a series that appears with it.
	entryFailures.WithLabelValues(table, opLabel(opCreate), classLabel(cloudapi.ClassQuota))
}

// observeEntryFailure counts one refused entry of a batch route write.
func observeEntryFailure(table string, kind opKind, class cloudapi.Class) {
	entryFailures.WithLabelValues(table, opLabel(kind), classLabel(class)).Inc()
}

// opLabel is an op kind as a label value: create or delete.
func opLabel(k opKind) string {
	if k == opCreate {
		return "create"
	}
	return "delete"
}

// classLabel is a class's name as a label value ("not found" -> "not_found").
func classLabel(c cloudapi.Class) string { return strings.ReplaceAll(c.String(), " ", "_") }
