package instances

import (
	"context"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/workqueue"
)

// BenchmarkNodeStatusSync runs what the framework's periodic node status
// sync does for 1,000 nodes (InstanceMetadata for each node through
// workqueue.ParallelizeUntil) against the emulator, with an empty cache each
// round, and reports DescribeInstances calls per sync: with one worker (the
// framework's default --concurrent-node-syncs=1, batches filled from the
// known nodes) and with 100 workers (concurrent calls coalescing).
func BenchmarkNodeStatusSync(b *testing.B) {
	const nodes = 1000
	w := startWorld(b, nodes)
	list := make([]*v1.Node, nodes)
	for i := range list {
		list[i] = node(bulkID(i), withProviderID(pid(bulkID(i))), withHostname(bulkID(i)))
	}
	for _, bc := range []struct {
		name    string
		workers int
	}{{"1000nodes/1worker", 1}, {"1000nodes/100workers", 100}} {
		b.Run(bc.name, func(b *testing.B) {
			before := w.calls()
			for i := 0; i < b.N; i++ {
				p := w.provider(b, func(o *Options) {
					o.BatchWindow = DefaultBatchWindow
					o.KnownInstances = KnownInstancesFrom(testRegion, func() ([]*v1.Node, error) { return list, nil })
				})
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				workqueue.ParallelizeUntil(ctx, bc.workers, nodes, func(j int) {
					if err := metadataCall(p, list[j]); err != nil {
						b.Error(err)
					}
				})
				cancel()
			}
			b.ReportMetric(float64(w.calls()-before)/float64(b.N), "DescribeInstances/sync")
		})
	}
}
