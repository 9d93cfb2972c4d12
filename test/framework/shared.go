package framework

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
// CI=true. On test failure the components' log tails are printed. Tests on
// it must not run a CCM with its node controllers: see Dedicated.
func Shared(t testing.TB) *ControlPlane {
	t.Helper()
	shared.once.Do(func() {
		etcd, kas, err := Binaries()
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
		SkipOrFail(t, shared.missing.Error())
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

// Binaries returns the etcd and kube-apiserver binaries: $ETCD_BIN and
// $KUBE_APISERVER_BIN, else bin/etcd and bin/kube-apiserver in CacheDir().
func Binaries() (etcd, kubeAPIServer string, err error) {
	if etcd, err = findBinary("ETCD_BIN", "etcd"); err != nil {
		return "", "", err
	}
	if kubeAPIServer, err = findBinary("KUBE_APISERVER_BIN", "kube-apiserver"); err != nil {
		return "", "", err
	}
	return etcd, kubeAPIServer, nil
}

// Dedicated starts a control plane for the calling test alone and tears it
// down when the test ends (keeping its logs if the test failed). Use it for
// every test that runs a CCM with its node controllers: a CCM acts on all
// Nodes of its cluster, and its cloud-node-lifecycle controller deletes the
// not-ready Nodes whose instances its own emulator does not know, i.e. the
// other tests' Nodes on a shared control plane. It skips or fails (CI=true)
// like Shared when a binary is missing. Options are those given to Main.
func Dedicated(t testing.TB) *ControlPlane {
	t.Helper()
	etcd, kas, err := Binaries()
	if err != nil {
		SkipOrFail(t, err.Error())
	}
	cp, err := StartControlPlane(etcd, kas, shared.opts)
	if err != nil {
		t.Fatalf("control plane failed to start: %v", err)
	}
	t.Logf("dedicated control plane ready in %s", cp.StartupDuration.Round(time.Millisecond))
	t.Cleanup(func() {
		failed := t.Failed()
		if failed {
			t.Logf("control plane in %s\n%s", cp.Dir, cp.LogTails(20))
		}
		if err := cp.Teardown(); err != nil {
			t.Logf("tearing down the control plane: %v", err)
		}
		if failed || os.Getenv("KEEP_TEST_DIRS") != "" {
			t.Logf("kept %s", cp.Dir)
			return
		}
		_ = os.RemoveAll(cp.Dir)
	})
	return cp
}
