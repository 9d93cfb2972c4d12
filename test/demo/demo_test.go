package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// TestDemoCheck runs `make demo`'s program in check mode (what
// DEMO_EXIT_AFTER_CHECK=1 does) against the shared etcd and kube-apiserver
// binaries, so `make test` proves the demo works: the Service gets an
// address, its CLB has a listener and backends in the emulator, the
// uninitialised node is initialised, the VNode is left alone and the pod
// CIDR routes exist.
func TestDemoCheck(t *testing.T) {
	_, err := framework.FindBinary("ETCD_BIN", "etcd")
	if err == nil {
		_, err = framework.FindBinary("KUBE_APISERVER_BIN", "kube-apiserver")
	}
	if err != nil {
		framework.SkipOrFail(t, err.Error())
	}
	ccm := framework.CCMBinary(t)
	defer func() {
		// framework.Main is not used here (this package starts its own
		// control plane), so the CCM build directory is removed by hand.
		if os.Getenv("CCM_BIN") == "" {
			_ = os.RemoveAll(filepath.Dir(ccm))
		}
	}()
	// The demo's defaults (seed, manifest) are relative to the repository root.
	t.Chdir(filepath.Join("..", ".."))
	port, err := framework.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o := options{
		dir:   filepath.Join(t.TempDir(), "demo"),
		check: true,
		seed:  "examples/emulator-seed.json",
		// Free ports: other test packages run at the same time.
		ccmBin: ccm, emuAPI: "127.0.0.1:0", emuMetadata: "127.0.0.1:0", emuControl: "127.0.0.1:0",
		securePort: port,
		wait:       45 * time.Second,
		out:        &out,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	err = run(ctx, o)
	t.Logf("demo check took %s", time.Since(start).Round(100*time.Millisecond))
	if err != nil {
		t.Fatalf("demo check: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"EXTERNAL-IP ", "listener tcp:80", "initialised by the CCM", "VNode, left alone",
		"-> Instance i-demonode1", "curl http://127.0.0.1:" + strconv.Itoa(port) + "/healthz  ->  200 ok", "check passed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
	if _, err := os.Stat(o.dir); !os.IsNotExist(err) {
		t.Errorf("work directory %s not removed after a passing check: %v", o.dir, err)
	}
}
