package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// TestBadFlagsFailAtStart runs the binary with flag values k8s.io/cloud-provider
// accepts although they silently disable a controller or make it loop
// without pause, and leader-election timings client-go refuses only later:
// each must stop the binary at start with an error naming the flag and its
// value, before it reads the kubeconfig or the cloud-config.
func TestBadFlagsFailAtStart(t *testing.T) {
	t.Parallel()
	bin := framework.CCMBinary(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no service workers", []string{"--concurrent-service-syncs=0"}, "--concurrent-service-syncs=0"},
		{"negative service workers", []string{"--concurrent-service-syncs=-3"}, "--concurrent-service-syncs=-3"},
		{"no node workers", []string{"--concurrent-node-syncs=0"}, "--concurrent-node-syncs=0"},
		{"no node lifecycle workers", []string{"--concurrent-node-lifecycle-syncs=0"}, "--concurrent-node-lifecycle-syncs=0"},
		{"negative node status workers", []string{"--concurrent-node-status-updates=-1"}, "--concurrent-node-status-updates=-1"},
		{"route period below 10s", []string{"--route-reconciliation-period=2s"}, "--route-reconciliation-period=2s"},
		{"route period 0", []string{"--route-reconciliation-period=0s"}, "--route-reconciliation-period=0s"},
		{"node monitor period 0", []string{"--node-monitor-period=0s"}, "--node-monitor-period=0s"},
		{"node status every 100ms", []string{"--node-status-update-frequency=100ms"}, "--node-status-update-frequency=100ms"},
		{"negative start interval", []string{"--controller-start-interval=-1s"}, "--controller-start-interval=-1s"},
		{"retry period 0", []string{"--leader-elect-retry-period=0s"}, "--leader-elect-retry-period=0s"},
		{"lease not longer than renew", []string{"--leader-elect-lease-duration=10s", "--leader-elect-renew-deadline=10s"},
			"--leader-elect-lease-duration=10s"},
		{"renew not longer than jittered retry", []string{"--leader-elect-renew-deadline=5s", "--leader-elect-retry-period=5s"},
			"--leader-elect-renew-deadline=5s"},
		// The tests' escape hatch lifts the minimums, never the zero.
		{"route period 0 with short periods allowed", []string{"--unsafe-allow-short-periods", "--route-reconciliation-period=0s"},
			"--route-reconciliation-period=0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append([]string{"--cloud-provider=alicloud", "--leader-elect=true",
				"--cloud-config=/nonexistent/cloud-config.conf", "--kubeconfig=/nonexistent/kubeconfig",
				"--secure-port=0"}, tc.args...)
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want exit code 1\n%s", err, out)
			}
			msg := string(out)
			if !strings.Contains(msg, tc.want+":") {
				t.Fatalf("output does not name %q:\n%s", tc.want, msg)
			}
			// Stopped by the flag check, not later by the missing files.
			for _, later := range []string{"kubeconfig", "cloud-config.conf"} {
				if strings.Contains(msg, "/nonexistent/"+later) {
					t.Errorf("the binary went past the flag check (it mentions %s):\n%s", later, msg)
				}
			}
			t.Logf("%s", strings.TrimSpace(lastLine(msg)))
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "Error:") || strings.HasPrefix(lines[i], "--") {
			return strings.Join(lines[i:], " | ")
		}
	}
	return lines[len(lines)-1]
}
