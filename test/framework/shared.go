package framework

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// shared is the package-wide control plane that Main owns and Shared hands
// out: one etcd+apiserver per test package keeps a 2-core machine usable.
var shared struct {
	opts ControlPlaneOptions

	once    sync.Once
	cp      *ControlPlane
	err     error // the control plane failed to start
	missing error // a binary is missing (skip, or fail in CI)
	failed  atomic.Bool
}

// Main runs a package's tests around one shared control plane, started on
// the first call to Shared and torn down after all tests. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(framework.Main(m, framework.ControlPlaneOptions{})) }
func Main(m *testing.M, opts ControlPlaneOptions) int {
	shared.opts = opts
	code := m.Run()
	if cp := shared.cp; cp != nil {
		if err := cp.Teardown(); err != nil {
			fmt.Fprintf(os.Stderr, "framework: tearing down the control plane: %v\n", err)
		}
		if code != 0 || shared.failed.Load() || os.Getenv("KEEP_TEST_DIRS") != "" {
			fmt.Fprintf(os.Stderr, "framework: control-plane logs kept in %s\n", cp.Dir)
		} else {
			_ = os.RemoveAll(cp.Dir)
		}
	}
	cleanupCCMBuild()
	return code
}

// Shared returns the package's control plane, starting it on first use. It
// skips the test when etcd or kube-apiserver is missing, or fails it when
// CI=true. On test failure the components' log tails are printed.
func Shared(t testing.TB) *ControlPlane {
	t.Helper()
	shared.once.Do(func() {
		etcd, err := findBinary("ETCD_BIN", "etcd")
		if err != nil {
			shared.missing = err
			return
		}
		kas, err := findBinary("KUBE_APISERVER_BIN", "kube-apiserver")
		if err != nil {
			shared.missing = err
			return
		}
		shared.cp, shared.err = StartControlPlane(etcd, kas, shared.opts)
		if shared.err == nil {
			t.Logf("control plane (etcd %s, kube-apiserver %s) ready in %s", etcd, kas, shared.cp.StartupDuration)
		}
	})
	if shared.missing != nil {
		skipOrFail(t, shared.missing.Error())
	}
	if shared.err != nil {
		t.Fatalf("control plane failed to start: %v", shared.err)
	}
	cp := shared.cp
	t.Cleanup(func() {
		if t.Failed() {
			shared.failed.Store(true)
			t.Logf("control plane in %s\n%s", cp.Dir, cp.LogTails(20))
		}
	})
	return cp
}
