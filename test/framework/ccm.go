package framework

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ccmBuild is the once-per-test-binary build of cmd/cloud-controller-manager.
var ccmBuild struct {
	once   sync.Once
	logged sync.Once
	// started is set before a build can begin; Main's cleanup then waits
	// for it (after cancelling it) before it reads dir.
	started atomic.Bool
	// ctx cancels a build still running when the package's tests are done
	// (a background build nobody waited for).
	ctx      context.Context
	cancel   context.CancelFunc
	path     string
	dir      string // temp dir to remove, "" when $CCM_BIN was used
	err      error
	duration time.Duration
}

func init() { ccmBuild.ctx, ccmBuild.cancel = context.WithCancel(context.Background()) }

// buildCCMOnce runs the build the first time it is called; later calls
// wait for that build to finish.
func buildCCMOnce() {
	ccmBuild.started.Store(true)
	ccmBuild.once.Do(func() {
		if p := os.Getenv("CCM_BIN"); p != "" {
			ccmBuild.path = p
			return
		}
		start := time.Now()
		ccmBuild.path, ccmBuild.dir, ccmBuild.err = buildCCM()
		ccmBuild.duration = time.Since(start)
	})
}

// BuildCCMInBackground starts the build CCMBinary waits for, so that it
// overlaps what a package's tests do before their first CCM (starting
// control planes). Call it in TestMain before Main; a package whose tests
// run no CCM should not.
func BuildCCMInBackground() {
	ccmBuild.started.Store(true)
	go buildCCMOnce()
}

// CCMBinary returns the cloud-controller-manager binary: $CCM_BIN if set,
// otherwise one `go build` of ./cmd/cloud-controller-manager per test binary
// into a temp dir (removed by Main). A build failure fails the test.
func CCMBinary(t testing.TB) string {
	t.Helper()
	buildCCMOnce()
	if ccmBuild.err != nil {
		t.Fatalf("building the cloud-controller-manager: %v", ccmBuild.err)
	}
	if ccmBuild.dir != "" {
		ccmBuild.logged.Do(func() {
			t.Logf("built %s in %s", ccmBuild.path, ccmBuild.duration.Round(time.Millisecond))
		})
	}
	return ccmBuild.path
}

func buildCCM() (path, dir string, err error) {
	root, err := moduleRoot()
	if err != nil {
		return "", "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	dir, err = os.MkdirTemp("", "alicloud-ccm-bin-")
	if err != nil {
		return "", "", fmt.Errorf("creating build dir: %w", err)
	}
	path = filepath.Join(dir, "cloud-controller-manager")
	cmd := exec.CommandContext(ccmBuild.ctx, goBin, "build", "-o", path, "./cmd/cloud-controller-manager")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", "", fmt.Errorf("go build ./cmd/cloud-controller-manager: %w\n%s", err, out)
	}
	return path, dir, nil
}

// moduleRoot walks up from the working directory (a test's package dir) to go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getting working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func cleanupCCMBuild() {
	ccmBuild.cancel()
	if !ccmBuild.started.Load() {
		return
	}
	buildCCMOnce() // waits for a build in progress
	if ccmBuild.dir != "" {
		_ = os.RemoveAll(ccmBuild.dir)
	}
}

// CCMProcess is a running cloud-controller-manager binary.
type CCMProcess struct {
	*Process
	// Port is the --secure-port; it serves HTTPS and plain-HTTP /healthz.
	Port int
	// Dir holds the log, the serving certificate and files the test wrote.
	Dir string
	// Args is the full command line after the binary.
	Args []string
}

// StartCCM starts the CCM binary with args plus, unless args set them,
// --kubeconfig, --authentication-kubeconfig and --authorization-kubeconfig
// (the admin kubeconfig, so bearer tokens are reviewed by the apiserver),
// --secure-port (a free port: tests run in parallel, so never 10258),
// --bind-address=127.0.0.1, --cert-dir and --v=2. It does not wait for the
// process to become healthy (see WaitHealthy). The process is stopped when
// the test ends and its log tail is printed if the test failed.
func StartCCM(t testing.TB, cp *ControlPlane, args ...string) *CCMProcess {
	t.Helper()
	bin := CCMBinary(t)
	dir := TestDir(t, "ccm")
	port := 0
	if v, ok := flagValue(args, "secure-port"); ok {
		p, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("bad --secure-port %q: %v", v, err)
		}
		port = p
	} else {
		p, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		port = p
		args = append(args, "--secure-port="+strconv.Itoa(port))
	}
	defaults := [][2]string{
		{"kubeconfig", cp.Kubeconfig},
		{"authentication-kubeconfig", cp.Kubeconfig},
		{"authorization-kubeconfig", cp.Kubeconfig},
		{"bind-address", "127.0.0.1"},
		{"cert-dir", filepath.Join(dir, "certs")},
		{"v", "2"},
		// Tests converge in seconds: accept controller periods below the
		// production minimums (a hidden flag of the binary).
		{"unsafe-allow-short-periods", "true"},
	}
	for _, d := range defaults {
		if _, ok := flagValue(args, d[0]); !ok {
			args = append(args, "--"+d[0]+"="+d[1])
		}
	}
	p, err := startProcess("cloud-controller-manager", filepath.Join(dir, "ccm.log"), bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	c := &CCMProcess{Process: p, Port: port, Dir: dir, Args: args}
	t.Cleanup(func() {
		_ = p.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("----- last 60 lines of cloud-controller-manager pid %d (%s) -----\n%s", p.Pid(), p.LogPath, p.Tail(60))
		}
	})
	return c
}

// flagValue finds --name=value or --name value in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name {
			if i+1 < len(args) {
				return args[i+1], true
			}
			return "", true
		}
	}
	return "", false
}

// WaitHealthy waits until plain-HTTP /healthz answers "ok", failing the test
// early if the process exits.
func (c *CCMProcess) WaitHealthy(t testing.TB, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, fmt.Sprintf("CCM pid %d to answer plain-HTTP /healthz on port %d", c.Pid(), c.Port), func() (bool, error) {
		if c.Exited() {
			t.Fatalf("CCM pid %d exited: %v\n%s", c.Pid(), c.ExitError(), c.Tail(40))
		}
		code, body, err := c.PlainGet("/healthz")
		if err != nil {
			return false, err
		}
		if code != http.StatusOK || body != "ok" {
			return false, fmt.Errorf("status %d body %q", code, truncate(body, 200))
		}
		return true, nil
	})
}

// PlainGet GETs path over plain HTTP on the secure port (as the seed's
// livenessProbe does) and returns the status code and body.
func (c *CCMProcess) PlainGet(path string) (int, string, error) {
	return get(&http.Client{Timeout: 5 * time.Second}, fmt.Sprintf("http://127.0.0.1:%d%s", c.Port, path), "")
}

// SecureGet GETs path over HTTPS, verifying the CCM's self-signed serving
// certificate from --cert-dir, with an optional bearer token.
func (c *CCMProcess) SecureGet(path, token string) (int, string, error) {
	pool := x509.NewCertPool()
	pemBytes, err := os.ReadFile(filepath.Join(c.Dir, "certs", "cloud-controller-manager.crt"))
	if err != nil {
		return 0, "", fmt.Errorf("reading the CCM serving certificate: %w", err)
	}
	if !pool.AppendCertsFromPEM(pemBytes) {
		return 0, "", errors.New("no certificate in the CCM's cert-dir")
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
	return get(hc, fmt.Sprintf("https://127.0.0.1:%d%s", c.Port, path), token)
}

func get(hc *http.Client, url, token string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", fmt.Errorf("building request: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("reading %s: %w", url, err)
	}
	return resp.StatusCode, string(body), nil
}

// CloudConfig is the JSON cloud-config file: sections ("Global") of fields.
// It is a map so tests can add fields the provider learns later (endpoint
// overrides, vpcid, ...) without the framework knowing its schema.
type CloudConfig map[string]map[string]any

// NewCloudConfig returns the cloud-config the deployment guide's
// configmap-ccm.sh writes: base64-encoded AccessKey pair and the region.
func NewCloudConfig(accessKeyID, accessKeySecret, region string) CloudConfig {
	return CloudConfig{"Global": {
		"accessKeyID":     base64.StdEncoding.EncodeToString([]byte(accessKeyID)),
		"accessKeySecret": base64.StdEncoding.EncodeToString([]byte(accessKeySecret)),
		"region":          region,
	}}
}

// WriteCloudConfig writes cfg as JSON into a per-test file and returns its
// path, for --cloud-config.
func WriteCloudConfig(t testing.TB, cfg CloudConfig) string {
	t.Helper()
	confineToLoopback(cfg)
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatalf("encoding cloud-config: %v", err)
	}
	path := filepath.Join(TestDir(t, "cloud-config"), "cloud-config.conf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("writing cloud-config: %v", err)
	}
	return path
}

// closedLoopback is an address nothing listens on.
const closedLoopback = "http://127.0.0.1:1"

// confineToLoopback makes sure a CCM under test can never reach a real cloud
// address: every endpoint a test leaves unset (API products, STS and the ECS
// metadata service at 100.100.100.200) points at a closed loopback port.
func confineToLoopback(cfg CloudConfig) {
	g := cfg["Global"]
	if g == nil {
		g = map[string]any{}
		cfg["Global"] = g
	}
	for _, key := range []string{"slbEndpoint", "vpcEndpoint", "ecsEndpoint", "nlbEndpoint", "stsEndpoint", "metadataEndpoint"} {
		if _, ok := g[key]; !ok {
			g[key] = closedLoopback
		}
	}
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// TestDir returns a new directory for the test's files and logs. It is
// removed when the test passes and kept (and named in the output) when it
// fails, so the logs can be inspected.
func TestDir(t testing.TB, purpose string) string {
	t.Helper()
	name := unsafeChars.ReplaceAllString(t.Name()+"-"+purpose, "-")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	dir, err := os.MkdirTemp("", "alicloud-ccm-"+name+"-")
	if err != nil {
		t.Fatalf("creating test dir: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("KEEP_TEST_DIRS") != "" {
			t.Logf("kept %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return dir
}
