package command

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/cloud-provider/options"
)

func TestMapLegacyLock(t *testing.T) {
	tests := []struct{ in, want string }{
		{"endpoints", "leases"},
		{"configmaps", "leases"},
		{"endpointsleases", "leases"},
		{"configmapsleases", "leases"},
		{"leases", "leases"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			opts, err := options.NewCloudControllerManagerOptions()
			if err != nil {
				t.Fatal(err)
			}
			opts.Generic.LeaderElection.ResourceLock = tc.in
			mapLegacyLock(opts)
			if got := opts.Generic.LeaderElection.ResourceLock; got != tc.want {
				t.Errorf("lock %q mapped to %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSeedCommandLineParses(t *testing.T) {
	cmd, err := New(make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	// The deployment guide's command line, unchanged.
	args := []string{"--leader-elect=true", "--cloud-provider=alicloud", "--use-service-account-credentials=true",
		"--cloud-config=/etc/kubernetes/config/cloud-config.conf", "--configure-cloud-routes=true",
		"--route-reconciliation-period=3m", "--leader-elect-resource-lock=endpoints", "--cluster-cidr=172.16.0.0/16"}
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("seed flags rejected: %v", err)
	}
	if f := cmd.Flags().Lookup("plain-http-healthz"); f == nil || f.Value.String() != "true" {
		t.Errorf("plain-http-healthz should default to true")
	}
}

func TestVersionString(t *testing.T) {
	v := VersionString()
	for _, want := range []string{"alicloud-cloud-controller-manager", gitVersion, "go1.", "alibaba-cloud-sdk-go"} {
		if !strings.Contains(v, want) {
			t.Errorf("version %q lacks %q", v, want)
		}
	}
}

func TestIsHealthPath(t *testing.T) {
	tests := map[string]bool{
		"/healthz": true, "/healthz/leaderElection": true, "/livez": false, "/readyz": false,
		"/metrics": false, "/healthzz": false, "/": false, "/debug/pprof": false,
	}
	for p, want := range tests {
		if got := isHealthPath(p); got != want {
			t.Errorf("isHealthPath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestLoopbackTarget(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0.0.0.0:10258", "127.0.0.1:10258"},
		{"[::]:10258", "[::1]:10258"},
		{"127.0.0.1:999", "127.0.0.1:999"},
		{"10.1.2.3:10258", "10.1.2.3:10258"},
	}
	for _, tc := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := loopbackTarget(addr); got != tc.want {
			t.Errorf("loopbackTarget(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestDualListener serves HTTPS and plain-HTTP health on one port, as the
// CCM does on --secure-port.
func TestDualListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dual := newDualListener(ln)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			_, _ = io.WriteString(w, "ok")
		case "/healthz/broken":
			http.Error(w, "not ready", http.StatusInternalServerError)
		default:
			_, _ = io.WriteString(w, "secure "+r.URL.Path)
		}
	}))
	srv.Listener = dual.TLS()
	srv.StartTLS()
	defer srv.Close()
	stop := make(chan struct{})
	defer close(stop)
	go servePlainHealth(dual.Plain(), ln.Addr(), stop)

	base := "http://" + ln.Addr().String()
	tests := []struct {
		name, url  string
		wantStatus int
		wantBody   string
	}{
		{"plain healthz is forwarded", base + "/healthz", 200, "ok"},
		{"plain health check keeps its status", base + "/healthz/broken", 500, "not ready"},
		{"plain metrics refused", base + "/metrics", 403, "use HTTPS"},
		{"https still served", "https://" + ln.Addr().String() + "/metrics", 200, "secure /metrics"},
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := client.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tc.url, resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

// TestDefaultAndSeedFlagsValid checks validateFlags accepts the framework's
// defaults and the deployment guide's command line.
func TestDefaultAndSeedFlagsValid(t *testing.T) {
	cmd, err := New(make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags([]string{"--leader-elect=true", "--route-reconciliation-period=3m", "--configure-cloud-routes=true"}); err != nil {
		t.Fatal(err)
	}
	opts, err := options.NewCloudControllerManagerOptions()
	if err != nil {
		t.Fatal(err)
	}
	if err := validateFlags(opts, false); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
	opts.KubeCloudShared.RouteReconciliationPeriod.Duration = 3 * time.Minute
	if err := validateFlags(opts, false); err != nil {
		t.Errorf("seed flags rejected: %v", err)
	}
}

// TestLeaderElectRetryPeriodDefault: a standby must notice a released Lease
// in under 2 s with the deployment guide's flags, and an explicit flag wins.
func TestLeaderElectRetryPeriodDefault(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "700ms"},
		{[]string{"--leader-elect-retry-period=2s"}, "2s"},
	}
	for _, tc := range tests {
		cmd, err := New(make(chan struct{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := cmd.Flags().Lookup("leader-elect-retry-period").Value.String(); got != tc.want {
			t.Errorf("args %v: retry period %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestConcurrentServiceSyncsDefault: without the flag the CCM runs
// defaultConcurrentServiceSyncs service workers (the framework's default
// is 1); an explicit flag wins, including 1.
func TestConcurrentServiceSyncsDefault(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, strconv.Itoa(defaultConcurrentServiceSyncs)},
		{[]string{"--concurrent-service-syncs=1"}, "1"},
		{[]string{"--concurrent-service-syncs=7"}, "7"},
	}
	for _, tc := range tests {
		cmd, err := New(make(chan struct{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := cmd.Flags().Lookup("concurrent-service-syncs").Value.String(); got != tc.want {
			t.Errorf("args %v: %s service workers, want %s", tc.args, got, tc.want)
		}
	}
}
