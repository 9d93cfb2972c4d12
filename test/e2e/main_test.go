// Package e2e runs the real cloud-controller-manager binary against a real
// kube-apiserver (one per package, see framework.Main) the way the
// deployment guide runs it.
package e2e

import (
	"os"
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

func TestMain(m *testing.M) {
	os.Exit(framework.Main(m, framework.ControlPlaneOptions{}))
}
