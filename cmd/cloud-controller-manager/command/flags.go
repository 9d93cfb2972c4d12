package command

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/cloud-provider/options"
)

// Lower bounds of the controller periods. k8s.io/cloud-provider accepts any
// duration, but a zero or tiny period makes its controllers loop without
// pause (wait.Until with a period of 0 never sleeps), and every round of
// these controllers reads the cloud: the route controller lists the route
// tables and the node controllers describe instances.
const (
	// minRouteReconciliationPeriod bounds --route-reconciliation-period.
	minRouteReconciliationPeriod = 10 * time.Second
	// minNodeMonitorPeriod bounds --node-monitor-period (default 5 s): each
	// round asks the cloud about every NotReady node.
	minNodeMonitorPeriod = time.Second
	// minNodeStatusUpdateFrequency bounds --node-status-update-frequency
	// (default 5 m): each round reads the metadata of every node.
	minNodeStatusUpdateFrequency = 10 * time.Second
	// minLeaderElectRetryPeriod bounds --leader-elect-retry-period: the
	// leader writes its Lease once per period.
	minLeaderElectRetryPeriod = 100 * time.Millisecond
)

// shortPeriodsFlag lifts the period minimums above. It is hidden: the
// end-to-end tests use it to converge in seconds against the emulator; a
// production cluster has no reason to set it.
const shortPeriodsFlag = "unsafe-allow-short-periods"

// validateFlags rejects flag values that k8s.io/cloud-provider accepts
// although they silently disable a controller (0 workers) or make it hammer
// the cloud or the apiserver (a period of 0), and leader-election timings
// client-go would only refuse later with a panic in a background goroutine.
// Each error names the flag and the value.
func validateFlags(o *options.CloudControllerManagerOptions, allowShortPeriods bool) error {
	var errs []error
	atLeast := func(flag string, v, minimum int32) {
		if v < minimum {
			errs = append(errs, fmt.Errorf("--%s=%d: must be at least %d", flag, v, minimum))
		}
	}
	period := func(flag string, v, minimum time.Duration) {
		if allowShortPeriods {
			minimum = time.Nanosecond // still never 0: that loops without pause
		}
		if v < minimum {
			errs = append(errs, fmt.Errorf("--%s=%s: must be at least %s", flag, v, minimum))
		}
	}

	if o.ServiceController.ServiceControllerConfiguration != nil {
		// 0 workers: no Service ever gets a load balancer, and nothing says so.
		atLeast("concurrent-service-syncs", o.ServiceController.ConcurrentServiceSyncs, 1)
	}
	if o.NodeController != nil {
		atLeast("concurrent-node-syncs", o.NodeController.ConcurrentNodeSyncs, 1)
		// 0 means "same as --concurrent-node-syncs".
		atLeast("concurrent-node-status-updates", o.NodeController.ConcurrentNodeStatusUpdates, 0)
	}
	if o.NodeLifecycleController != nil {
		atLeast("concurrent-node-lifecycle-syncs", o.NodeLifecycleController.ConcurrentNodeLifecycleSyncs, 1)
		period("node-monitor-period", o.NodeLifecycleController.NodeMonitorPeriod.Duration, minNodeMonitorPeriod)
	}
	if o.KubeCloudShared != nil {
		period("route-reconciliation-period", o.KubeCloudShared.RouteReconciliationPeriod.Duration, minRouteReconciliationPeriod)
	}
	period("node-status-update-frequency", o.NodeStatusUpdateFrequency.Duration, minNodeStatusUpdateFrequency)
	if g := o.Generic; g != nil {
		if d := g.ControllerStartInterval.Duration; d < 0 {
			errs = append(errs, fmt.Errorf("--controller-start-interval=%s: must not be negative", d))
		}
		if d := g.MinResyncPeriod.Duration; d < 0 {
			errs = append(errs, fmt.Errorf("--min-resync-period=%s: must not be negative", d))
		}
		errs = append(errs, validateLeaderElection(g.LeaderElection.LeaderElect,
			g.LeaderElection.LeaseDuration.Duration, g.LeaderElection.RenewDeadline.Duration,
			g.LeaderElection.RetryPeriod.Duration, allowShortPeriods)...)
	}
	return errors.Join(errs...)
}

// validateLeaderElection checks the relations client-go's leader elector
// requires (lease > renew deadline > 1.2 x retry period, all positive); the
// framework passes them on unchecked and the elector panics on start.
func validateLeaderElection(elect bool, lease, renew, retry time.Duration, allowShort bool) []error {
	if !elect {
		return nil
	}
	var errs []error
	minRetry := minLeaderElectRetryPeriod
	if allowShort {
		minRetry = time.Nanosecond
	}
	if retry < minRetry {
		errs = append(errs, fmt.Errorf("--leader-elect-retry-period=%s: must be at least %s", retry, minRetry))
	}
	if renew <= 0 {
		errs = append(errs, fmt.Errorf("--leader-elect-renew-deadline=%s: must be positive", renew))
	}
	if lease <= renew {
		errs = append(errs, fmt.Errorf("--leader-elect-lease-duration=%s: must be longer than --leader-elect-renew-deadline=%s", lease, renew))
	}
	if jittered := time.Duration(leaderelection.JitterFactor * float64(retry)); renew > 0 && renew <= jittered {
		errs = append(errs, fmt.Errorf("--leader-elect-renew-deadline=%s: must be longer than %.1f x --leader-elect-retry-period=%s (%s)",
			renew, leaderelection.JitterFactor, retry, jittered))
	}
	return errs
}
