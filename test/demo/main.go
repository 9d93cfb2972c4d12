// Command demo is what `make demo` runs: a local kube-apiserver and etcd,
// the Alibaba Cloud OpenAPI emulator seeded with a VPC, vSwitches, a route
// table and ECS instances, Nodes matching those instances, and the real
// cloud-controller-manager binary started with the deployment guide's
// command line. It applies the guide's intranet LoadBalancer Service
// (ccm-test.yaml), shows what the CCM did (read back from Kubernetes and from
// the emulator), and keeps everything running until Ctrl-C.
//
// With --check (or DEMO_EXIT_AFTER_CHECK=1) it exits after the report
// instead: 0 when the Service got an address, its CLB exists, the nodes were
// initialised and the pod CIDR routes exist, 1 otherwise. CI and the test
// next to this file use that mode.
//
// hack/demo.sh builds the binaries first and runs this program from the
// repository root; every default below is relative to it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// options configure one demo run.
type options struct {
	// dir is the work directory: kubeconfig, cloud-config, logs.
	dir string
	// keep leaves dir in place on exit.
	keep bool
	// check exits after the report with a verdict instead of waiting for Ctrl-C.
	check bool
	// seed is the emulator's initial state (emulator.SeedState JSON).
	seed string
	// Binaries; empty etcd/apiserver paths are looked up like the tests do.
	ccmBin, etcdBin, apiserverBin string
	// Emulator listen addresses. Fixed by default so users can curl the
	// control endpoint; a busy address falls back to a free port.
	emuAPI, emuMetadata, emuControl string
	// securePort is the CCM's --secure-port; 0 means 10258 when free.
	securePort int
	// wait bounds how long the report waits for the CCM's work.
	wait time.Duration
	// out receives the report.
	out io.Writer
}

// envOr returns the environment variable key, or def when it is unset.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// envBool reads a boolean environment variable (1, true, yes).
func envBool(key string) bool {
	v, _ := strconv.ParseBool(envOr(key, "false"))
	return v || os.Getenv(key) == "yes"
}

// parseOptions reads flags, whose defaults come from DEMO_* variables.
func parseOptions(args []string, out io.Writer) (options, error) {
	o := options{out: out}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.dir, "dir", envOr("DEMO_DIR", ".demo"), "work directory (kubeconfig, cloud-config, logs) [DEMO_DIR]")
	fs.BoolVar(&o.keep, "keep", envBool("DEMO_KEEP"), "keep the work directory on exit [DEMO_KEEP=1]")
	fs.BoolVar(&o.check, "check", envBool("DEMO_EXIT_AFTER_CHECK"),
		"exit after the report: 0 if everything the CCM should do was done, else 1 [DEMO_EXIT_AFTER_CHECK=1]")
	fs.StringVar(&o.seed, "seed", envOr("DEMO_SEED", "examples/emulator-seed.json"), "emulator seed (SeedState JSON) [DEMO_SEED]")
	fs.StringVar(&o.ccmBin, "ccm-bin", envOr("CCM_BIN", "bin/cloud-controller-manager"), "cloud-controller-manager binary [CCM_BIN]")
	fs.StringVar(&o.etcdBin, "etcd-bin", os.Getenv("ETCD_BIN"), "etcd binary (default: the hack/test-binaries.sh cache) [ETCD_BIN]")
	fs.StringVar(&o.apiserverBin, "apiserver-bin", os.Getenv("KUBE_APISERVER_BIN"),
		"kube-apiserver binary (default: the hack/test-binaries.sh cache) [KUBE_APISERVER_BIN]")
	fs.StringVar(&o.emuAPI, "emulator-api", envOr("DEMO_EMULATOR_API", "127.0.0.1:9080"), "emulator OpenAPI address [DEMO_EMULATOR_API]")
	fs.StringVar(&o.emuMetadata, "emulator-metadata", envOr("DEMO_EMULATOR_METADATA", "127.0.0.1:9081"),
		"emulator metadata-service address [DEMO_EMULATOR_METADATA]")
	fs.StringVar(&o.emuControl, "emulator-control", envOr("DEMO_EMULATOR_CONTROL", "127.0.0.1:9082"),
		"emulator control-endpoint address [DEMO_EMULATOR_CONTROL]")
	port, err := strconv.Atoi(envOr("DEMO_SECURE_PORT", "0"))
	if err != nil {
		return o, fmt.Errorf("DEMO_SECURE_PORT: %w", err)
	}
	fs.IntVar(&o.securePort, "secure-port", port, "CCM --secure-port (default 10258, or a free port if it is taken) [DEMO_SECURE_PORT]")
	wait, err := time.ParseDuration(envOr("DEMO_WAIT", "60s"))
	if err != nil {
		return o, fmt.Errorf("DEMO_WAIT: %w", err)
	}
	fs.DurationVar(&o.wait, "wait", wait, "how long to wait for the CCM's work before reporting [DEMO_WAIT]")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}

func main() {
	o, err := parseOptions(os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	// The first SIGINT/SIGTERM cancels ctx and starts the clean-up; the
	// children run in their own process groups, so only this program gets
	// the terminal's Ctrl-C and it stops them in order (CCM, apiserver, etcd).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A second Ctrl-C kills the demo at once; the children die with it
	// (framework.StartProcess sets their parent-death signal).
	go func() { <-ctx.Done(); stop() }()
	err = run(ctx, o)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "demo: interrupted")
		stop()
		os.Exit(130) //nolint:gocritic // exitAfterDefer: stop() has just run
	case err != nil:
		fmt.Fprintln(os.Stderr, "demo:", err)
		stop()
		os.Exit(1)
	}
}
