package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// Fake AccessKey pair: the only one the emulator accepts. It is shaped like
// a real pair so the cloud-config looks like the one configmap-ccm.sh writes.
const (
	demoKeyID     = "LTAI5tDemoEmulatorKey000"
	demoKeySecret = "DemoEmulatorSecret0000000000000"
)

// workDirMarker marks a directory this program created, so a re-run may
// empty it and a mistyped --dir never deletes someone's files.
const workDirMarker = ".alicloud-ccm-demo"

// demo is one run: the processes it started and where their files are.
type demo struct {
	o          options
	dir        string // absolute work directory
	cp         *framework.ControlPlane
	emu        *emulator.Servers
	ccm        *framework.CCMProcess
	kubeconfig string
	cloudConf  string
	ccmLog     string
	region     string
	seed       emulator.SeedState
	nodes      []nodePlan
	// routeTables are the seeded VPC's tables when it has several.
	routeTables []string
	started     time.Time
}

// run starts everything, reports, and then either returns a verdict
// (check mode) or waits for ctx (Ctrl-C). Everything started is stopped on
// every return path.
func run(ctx context.Context, o options) (err error) {
	d := &demo{o: o, started: time.Now()}
	defer func() {
		// Ctrl-C while starting is no failure: nothing worth keeping.
		failed := err != nil && !errors.Is(err, context.Canceled)
		if cerr := d.cleanup(failed); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := d.start(ctx); err != nil {
		return err
	}
	f := d.observe(ctx)
	d.report(f)
	if o.check {
		return d.verdict(f)
	}
	d.nextSteps()
	return d.follow(ctx)
}

// step prints a numbered heading.
func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(d.o.out, "\n==> %s\n", fmt.Sprintf(format, args...))
}

// say prints one indented line.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.o.out, "    %s\n", fmt.Sprintf(format, args...))
}

// start performs steps 1-6: control plane, emulator, nodes, cloud-config,
// CCM and the example Service.
func (d *demo) start(ctx context.Context) error {
	stepFns := []func(context.Context) error{
		d.prepareDir, d.startControlPlane, d.startEmulator, d.registerNodes,
		d.writeCloudConfig, d.startCCM, d.applyService,
	}
	for _, fn := range stepFns {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		if err := fn(ctx); err != nil {
			return err
		}
	}
	return nil
}

// prepareDir creates the work directory, emptying one a previous run left.
func (d *demo) prepareDir(context.Context) error {
	dir, err := filepath.Abs(d.o.dir)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", d.o.dir, err)
	}
	d.dir = dir
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, workDirMarker)); err != nil {
			return fmt.Errorf("work directory %s is not empty and was not made by the demo; choose another with DEMO_DIR", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("emptying the previous run's %s: %w", dir, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating work directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, workDirMarker), nil, 0o644); err != nil {
		return fmt.Errorf("marking work directory: %w", err)
	}
	return nil
}

// startControlPlane is step 1: etcd and kube-apiserver on loopback.
func (d *demo) startControlPlane(context.Context) error {
	d.step("1/8 Starting etcd and kube-apiserver on 127.0.0.1 (free ports)")
	etcd, apiserver := d.o.etcdBin, d.o.apiserverBin
	var err error
	if etcd == "" {
		if etcd, err = framework.FindBinary("ETCD_BIN", "etcd"); err != nil {
			return err
		}
	}
	if apiserver == "" {
		if apiserver, err = framework.FindBinary("KUBE_APISERVER_BIN", "kube-apiserver"); err != nil {
			return err
		}
	}
	// StartControlPlane makes its directory under os.TempDir(); pointing
	// TMPDIR at the work directory for the call keeps the etcd data and the
	// component logs with the demo's other files.
	oldTmp, hadTmp := os.LookupEnv("TMPDIR")
	_ = os.Setenv("TMPDIR", d.dir)
	d.cp, err = framework.StartControlPlane(etcd, apiserver, framework.ControlPlaneOptions{})
	if hadTmp {
		_ = os.Setenv("TMPDIR", oldTmp)
	} else {
		_ = os.Unsetenv("TMPDIR")
	}
	if err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	d.kubeconfig = filepath.Join(d.dir, "kubeconfig")
	if err := writeKubeconfig(d.kubeconfig, d.cp); err != nil {
		return err
	}
	d.say("kube-apiserver %s ready in %s (etcd and apiserver logs in %s)", d.cp.Host,
		d.cp.StartupDuration.Round(100*time.Millisecond), d.cp.Dir)
	d.say("kubeconfig: %s", d.kubeconfig)
	return nil
}

// startEmulator is step 2: the emulator in-process, seeded from the
// example seed file.
func (d *demo) startEmulator(context.Context) error {
	d.step("2/8 Starting the Alibaba Cloud OpenAPI emulator (SLB, VPC, ECS, metadata service), seeded from %s", d.o.seed)
	b, err := os.ReadFile(d.o.seed)
	if err != nil {
		return fmt.Errorf("reading the emulator seed: %w", err)
	}
	if err := json.Unmarshal(b, &d.seed); err != nil {
		return fmt.Errorf("parsing the emulator seed %s: %w", d.o.seed, err)
	}
	d.region = d.seed.Region
	if d.region == "" {
		d.region = "cn-hangzhou"
	}
	cfg := emulator.Config{Region: d.region, AccessKeys: map[string]string{demoKeyID: demoKeySecret}}
	d.emu, err = emulator.Start(cfg, d.o.emuAPI, d.o.emuMetadata, d.o.emuControl)
	if err != nil && isAddrInUse(err) {
		d.say("note: %v; using free ports instead (set DEMO_EMULATOR_API, _METADATA, _CONTROL to choose)", err)
		d.emu, err = emulator.Start(cfg, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("starting the emulator: %w", err)
	}
	if err := d.emu.Emulator.Seed(d.seed); err != nil {
		return fmt.Errorf("seeding the emulator from %s: %w", d.o.seed, err)
	}
	st0 := d.emu.Emulator.Dump()
	// A CLB "made in the console", which examples/services/reuse-*.yaml and
	// vgroup-port-weight.yaml name (the JSON seed format has no CLBs).
	seededLB := len(st0.Instances) > 0 && len(st0.VSwitches) > 0
	if seededLB {
		_, err := d.emu.Emulator.SeedLoadBalancer(emulator.SeedLB{
			LoadBalancerID: "lb-demo-existing", Name: "made-in-the-console", AddressType: "intranet", VSwitchID: st0.VSwitches[0].VSwitchID,
			VServerGroups: []emulator.SeedVServerGroup{{VServerGroupID: "rsp-demo-shared", Name: "shared",
				Backends: []emulator.SeedBackend{{ServerID: st0.Instances[0].InstanceID, Port: 9000, Description: "user"}}}},
			Listeners: []emulator.SeedListener{{Protocol: "tcp", Port: 443, VServerGroup: "shared", Attributes: map[string]string{"Description": "console"}}},
		})
		if err != nil {
			return fmt.Errorf("seeding the CLB lb-demo-existing: %w", err)
		}
	}
	st := d.emu.Emulator.Dump()
	d.say("OpenAPI %s   metadata service %s   control endpoint %s", d.emu.APIURL, d.emu.MetadataURL, d.emu.ControlURL)
	for _, v := range st.VPCs {
		d.say("VPC %s %s", v.VpcID, v.CidrBlock)
	}
	for _, v := range st.VSwitches {
		d.say("  vSwitch %s %s in %s", v.VSwitchID, v.CidrBlock, v.ZoneID)
	}
	var tables []string
	for _, rt := range st.RouteTables {
		d.say("  route table %s (%s), %d entries", rt.RouteTableID, rt.Type, len(rt.Entries))
		if len(st.VPCs) > 0 && rt.VpcID == st.VPCs[0].VpcID {
			tables = append(tables, rt.RouteTableID)
		}
	}
	if len(tables) > 1 {
		d.routeTables = tables
	}
	for _, in := range st.Instances {
		d.say("  ECS %s %s %s %s", in.InstanceID, in.InstanceType, in.PrivateIP, in.Status)
	}
	for _, c := range st.Certificates {
		d.say("  certificate %s (%s)", c.ServerCertificateID, c.ServerCertificateName)
	}
	if seededLB {
		d.say("  CLB lb-demo-existing, made \"in the console\" (for examples/services/reuse-*.yaml)")
	}
	return nil
}

// isAddrInUse reports whether a listen failed because the port is taken.
func isAddrInUse(err error) bool {
	var op *net.OpError
	return strings.Contains(err.Error(), "address already in use") || (errors.As(err, &op) && op.Op == "listen")
}

// cloudConfig is the file configmap-ccm.sh writes, field for field and in
// its order, plus the endpoint overrides that point the CCM at the emulator.
type cloudConfig struct {
	Global struct {
		AccessKeyID      string `json:"accessKeyID"`
		AccessKeySecret  string `json:"accessKeySecret"`
		Region           string `json:"region"`
		SLBEndpoint      string `json:"slbEndpoint"`
		VPCEndpoint      string `json:"vpcEndpoint"`
		ECSEndpoint      string `json:"ecsEndpoint"`
		NLBEndpoint      string `json:"nlbEndpoint"`
		STSEndpoint      string `json:"stsEndpoint"`
		MetadataEndpoint string `json:"metadataEndpoint"`
		RouteTableIDs    string `json:"routeTableIDs,omitempty"`
	}
}

// writeCloudConfig is step 4.
func (d *demo) writeCloudConfig(ctx context.Context) error {
	d.step("4/8 Writing the cloud-config (as the deployment guide's configmap-ccm.sh does)")
	var c cloudConfig
	g := &c.Global
	g.AccessKeyID = base64.StdEncoding.EncodeToString([]byte(demoKeyID))
	g.AccessKeySecret = base64.StdEncoding.EncodeToString([]byte(demoKeySecret))
	g.Region = d.region
	g.SLBEndpoint, g.VPCEndpoint, g.ECSEndpoint, g.STSEndpoint = d.emu.APIURL, d.emu.APIURL, d.emu.APIURL, d.emu.APIURL
	// The CLB engine asks the NLB API whether a Service being created
	// already has an NLB (a product switch), so the NLB endpoint too.
	g.NLBEndpoint = d.emu.APIURL
	g.MetadataEndpoint = d.emu.MetadataURL
	g.RouteTableIDs = strings.Join(d.routeTables, ",")
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the cloud-config: %w", err)
	}
	d.cloudConf = filepath.Join(d.dir, "cloud-config.conf")
	if err := os.WriteFile(d.cloudConf, b, 0o600); err != nil {
		return fmt.Errorf("writing the cloud-config: %w", err)
	}
	// The same content as the ConfigMap the script creates, so the cluster
	// looks like the guide's (the CCM here reads the file directly).
	if err := createCloudConfigMap(ctx, d.cp.Client, string(b)); err != nil {
		return err
	}
	d.say("%s (also ConfigMap kube-system/cloud-config):", d.cloudConf)
	for _, line := range strings.Split(string(b), "\n") {
		d.say("  %s", line)
	}
	d.say("accessKeyID/accessKeySecret: the emulator's fake pair, base64-encoded exactly as the script does.")
	d.say("The *Endpoint lines are the only addition: the emulator stands in for Alibaba Cloud, so the")
	d.say("SLB, VPC, ECS and STS APIs and the ECS metadata service (normally http://100.100.100.200)")
	d.say("are redirected to it. Nothing leaves 127.0.0.1.")
	if g.RouteTableIDs != "" {
		d.say("routeTableIDs: the seeded VPC has %d route tables (the system one and a custom one for a", len(d.routeTables))
		d.say("vSwitch); with more than one the CCM must be told which carry pod routes, as on Alibaba Cloud.")
	}
	return nil
}

// securePort returns the requested port, else 10258 (the guide's
// livenessProbe port) when free, else a free one.
func (d *demo) securePort() (int, error) {
	if d.o.securePort != 0 {
		return d.o.securePort, nil
	}
	if l, err := net.Listen("tcp", "127.0.0.1:10258"); err == nil {
		_ = l.Close()
		return 10258, nil
	}
	d.say("note: port 10258 is taken; using a free port (set DEMO_SECURE_PORT to choose)")
	return framework.FreePort()
}

// startCCM is step 5: the real binary with the seed's flags.
func (d *demo) startCCM(ctx context.Context) error {
	d.step("5/8 Starting the cloud-controller-manager with the deployment guide's command line")
	if err := d.applyRBAC(ctx); err != nil {
		return err
	}
	bin, err := filepath.Abs(d.o.ccmBin)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", d.o.ccmBin, err)
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("cloud-controller-manager binary: %w (run `make build`, or set CCM_BIN)", err)
	}
	port, err := d.securePort()
	if err != nil {
		return err
	}
	args := append(framework.SeedArgs(d.cloudConf),
		// Off-cluster additions: where the apiserver is, and loopback only.
		"--kubeconfig="+d.kubeconfig,
		"--authentication-kubeconfig="+d.kubeconfig,
		"--authorization-kubeconfig="+d.kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+filepath.Join(d.dir, "ccm-certs"),
		"--v=2",
	)
	d.ccmLog = filepath.Join(d.dir, "cloud-controller-manager.log")
	p, err := framework.StartProcess("cloud-controller-manager", d.ccmLog, bin, args...)
	if err != nil {
		return err
	}
	d.ccm = &framework.CCMProcess{Process: p, Port: port, Dir: d.dir, Args: args}
	d.say("%s \\", bin)
	for i, a := range args {
		sep := " \\"
		if i == len(args)-1 {
			sep = ""
		}
		d.say("    %s%s", a, sep)
	}
	d.say("(the first 8 flags are the guide's; the rest point it at the local apiserver and keep it on 127.0.0.1)")
	d.say("log: %s", d.ccmLog)
	err = pollCtx(ctx, 60*time.Second, func() (bool, error) {
		if d.ccm.Exited() {
			return false, errStop{fmt.Errorf("the CCM exited: %w", d.ccm.ExitError())}
		}
		code, body, err := d.ccm.PlainGet("/healthz")
		return err == nil && code == 200 && body == "ok", err
	})
	if err != nil {
		// cleanup prints the log's tail.
		return fmt.Errorf("waiting for the CCM's plain-HTTP /healthz on port %d: %w", port, err)
	}
	d.say("healthy: GET http://127.0.0.1:%d/healthz -> ok (the guide's plain-HTTP livenessProbe)", port)
	return nil
}

// errStop wraps an error that ends a pollCtx at once.
type errStop struct{ error }

// pollCtx calls cond every 500 ms until it is true, timeout passes or ctx
// ends. An error from cond is reported at the deadline (the component may
// still be starting), unless it is an errStop.
func pollCtx(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if stop := (errStop{}); errors.As(err, &stop) {
			return stop.error
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("condition not met")
			}
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted: %w", ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// cleanup stops the CCM, the emulator, then kube-apiserver before etcd,
// and removes the work directory unless asked to keep it (or, when failed,
// keeps it so the logs can be read).
func (d *demo) cleanup(failed bool) error {
	var errs []error
	if d.ccm != nil {
		if failed {
			fmt.Fprintf(d.o.out, "\n---- last lines of %s ----\n%s\n", d.ccmLog, d.ccm.Tail(40))
		}
		if err := d.ccm.Stop(10 * time.Second); err != nil {
			errs = append(errs, fmt.Errorf("stopping the CCM: %w", err))
		}
	}
	if d.emu != nil {
		if err := d.emu.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the emulator: %w", err))
		}
	}
	if d.cp != nil {
		if err := d.cp.Teardown(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the control plane: %w", err))
		}
	}
	if d.dir != "" {
		switch {
		case d.o.keep:
			fmt.Fprintf(d.o.out, "kept %s (DEMO_KEEP=1)\n", d.dir)
		case failed:
			fmt.Fprintf(d.o.out, "kept %s for its logs (remove it, or just re-run the demo)\n", d.dir)
		default:
			if err := os.RemoveAll(d.dir); err != nil {
				errs = append(errs, fmt.Errorf("removing %s: %w", d.dir, err))
			}
		}
	}
	if len(errs) == 0 && !d.o.check {
		fmt.Fprintf(d.o.out, "stopped everything after %s\n", time.Since(d.started).Round(time.Second))
	}
	return errors.Join(errs...)
}
