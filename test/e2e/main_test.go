// Package e2e runs the real cloud-controller-manager binary against a real
// kube-apiserver (one per package, see framework.Main) the way the
// deployment guide runs it.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// e2eParallel is how many tests run at once (go test -parallel overrides
// it). Every test that runs a CCM has a world of its own (control plane,
// emulator, CCM) and mostly waits on the CCM's retries and on polls, so
// four at once take a fraction of the time of one after the other without
// keeping two loaded cores busier than the slowest test can stand.
const e2eParallel = 4

func TestMain(m *testing.M) {
	if err := framework.DefaultParallel(e2eParallel); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Most tests run the CCM: its build overlaps their control planes'
	// start.
	framework.BuildCCMInBackground()
	os.Exit(framework.Main(m, framework.ControlPlaneOptions{}))
}
