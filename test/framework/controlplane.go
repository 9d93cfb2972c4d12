package framework

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Timeouts of the control plane's life cycle. kube-apiserver is ready in
// about 3 s on an idle machine; the margins cover 2 busy cores.
const (
	etcdReadyTimeout      = 30 * time.Second
	apiserverReadyTimeout = 90 * time.Second
	stopGrace             = 15 * time.Second
	startAttempts         = 3 // attempts when a FreePort race is lost
)

// ControlPlaneOptions tune StartControlPlane.
type ControlPlaneOptions struct {
	// AuthorizationMode is kube-apiserver's --authorization-mode; default
	// "RBAC", so the admin token (group system:masters) may do anything while
	// service-account credentials are checked like in a real cluster.
	AuthorizationMode string
	// ExtraAPIServerArgs are appended to kube-apiserver's command line.
	ExtraAPIServerArgs []string
}

// ControlPlane is a running etcd plus kube-apiserver on 127.0.0.1.
type ControlPlane struct {
	// Dir holds the data, certificates, keys, kubeconfig and logs.
	Dir string
	// Host is the apiserver URL, https://127.0.0.1:<port>.
	Host string
	// Token is the bearer token of the admin user (group system:masters).
	Token string
	// CAFile verifies the apiserver's serving certificate.
	CAFile string
	// Kubeconfig is a kubeconfig file for the admin user.
	Kubeconfig string
	// Config is the admin rest.Config.
	Config *rest.Config
	// Client is an admin clientset.
	Client kubernetes.Interface
	// Etcd and APIServer are the running processes.
	Etcd, APIServer *Process
	// StartupDuration is how long StartControlPlane took.
	StartupDuration time.Duration

	etcdURL string
}

// StartControlPlane starts etcd and kube-apiserver with the given binaries
// in a new directory under os.TempDir(), waits for /readyz and returns an
// admin client. The caller must call Teardown.
func StartControlPlane(etcdBin, apiserverBin string, opts ControlPlaneOptions) (*ControlPlane, error) {
	start := time.Now()
	dir, err := os.MkdirTemp("", "alicloud-ccm-cp-")
	if err != nil {
		return nil, fmt.Errorf("creating control-plane dir: %w", err)
	}
	cp := &ControlPlane{Dir: dir}
	fail := func(err error) (*ControlPlane, error) {
		_ = cp.Teardown()
		return nil, fmt.Errorf("%w\n%s", err, cp.LogTails(30))
	}
	if err := cp.startEtcd(etcdBin); err != nil {
		return fail(err)
	}
	if err := cp.writeAuthFiles(); err != nil {
		return fail(err)
	}
	if err := cp.startAPIServer(apiserverBin, opts); err != nil {
		return fail(err)
	}
	if err := cp.writeKubeconfig(); err != nil {
		return fail(err)
	}
	cp.StartupDuration = time.Since(start)
	return cp, nil
}

func (cp *ControlPlane) startEtcd(bin string) error {
	// --unsafe-no-fsync (etcd >= 3.5, and in late 3.4 releases) makes
	// writes cheap: test data need not survive a power loss.
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	noFsync := strings.Contains(string(help), "unsafe-no-fsync")
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		clientPort, err := FreePort()
		if err != nil {
			return err
		}
		peerPort, err := FreePort()
		if err != nil {
			return err
		}
		client := "http://127.0.0.1:" + strconv.Itoa(clientPort)
		peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
		dataDir := filepath.Join(cp.Dir, fmt.Sprintf("etcd-data-%d", attempt))
		args := []string{
			"--name=default", "--data-dir=" + dataDir,
			"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
			"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=default=" + peer,
		}
		if noFsync {
			args = append(args, "--unsafe-no-fsync")
		}
		p, err := startProcess("etcd", filepath.Join(cp.Dir, "etcd.log"), bin, args...)
		if err != nil {
			return err
		}
		cp.Etcd = p
		httpc := &http.Client{Timeout: 2 * time.Second}
		lastErr = Poll(etcdReadyTimeout, "etcd "+client+"/health", func() (bool, error) {
			if p.Exited() {
				return false, fmt.Errorf("etcd exited: %w", p.ExitError())
			}
			return probe(httpc, client+"/health", "", `"health":"true"`)
		})
		if lastErr == nil {
			cp.etcdURL = client
			return nil
		}
		p.Kill()
		if !lostPortRace(p) {
			break
		}
	}
	return fmt.Errorf("starting etcd: %w", lastErr)
}

// writeAuthFiles generates the service-account key pair (in Go, so tests
// need no openssl) and the static token file of the admin user.
func (cp *ControlPlane) writeAuthFiles() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generating service-account key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("encoding service-account public key: %w", err)
	}
	if err := os.WriteFile(cp.path("sa.key"), pem.EncodeToMemory(&pem.Block{
		Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return fmt.Errorf("writing sa.key: %w", err)
	}
	if err := os.WriteFile(cp.path("sa.pub"), pem.EncodeToMemory(&pem.Block{
		Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		return fmt.Errorf("writing sa.pub: %w", err)
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return fmt.Errorf("generating token: %w", err)
	}
	cp.Token = hex.EncodeToString(tok)
	line := cp.Token + ",admin,admin-uid,system:masters\n"
	if err := os.WriteFile(cp.path("tokens.csv"), []byte(line), 0o600); err != nil {
		return fmt.Errorf("writing tokens.csv: %w", err)
	}
	return nil
}

func (cp *ControlPlane) startAPIServer(bin string, opts ControlPlaneOptions) error {
	authz := opts.AuthorizationMode
	if authz == "" {
		authz = "RBAC"
	}
	certDir := cp.path("certs")
	cp.CAFile = filepath.Join(certDir, "apiserver.crt")
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		port, err := FreePort()
		if err != nil {
			return err
		}
		args := []string{
			"--etcd-servers=" + cp.etcdURL,
			// Loopback only: 127.0.0.1 as advertise address is accepted
			// only without the endpoint reconciler.
			"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
			"--secure-port=" + strconv.Itoa(port), "--cert-dir=" + certDir,
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + cp.path("sa.pub"),
			"--service-account-signing-key-file=" + cp.path("sa.key"),
			"--token-auth-file=" + cp.path("tokens.csv"),
			"--authorization-mode=" + authz,
			"--service-cluster-ip-range=10.0.0.0/24",
			// No kube-controller-manager creates "default" service accounts,
			// so the admission plugin would reject every Pod.
			"--disable-admission-plugins=ServiceAccount",
		}
		args = append(args, opts.ExtraAPIServerArgs...)
		p, err := startProcess("kube-apiserver", cp.path("kube-apiserver.log"), bin, args...)
		if err != nil {
			return err
		}
		cp.APIServer = p
		cp.Host = "https://127.0.0.1:" + strconv.Itoa(port)
		lastErr = Poll(apiserverReadyTimeout, "kube-apiserver "+cp.Host+"/readyz", func() (bool, error) {
			if p.Exited() {
				return false, fmt.Errorf("kube-apiserver exited: %w", p.ExitError())
			}
			// The serving certificate appears in --cert-dir only once the
			// apiserver has started, so the client is built per attempt.
			httpc, err := cp.httpClient()
			if err != nil {
				return false, err
			}
			return probe(httpc, cp.Host+"/readyz", cp.Token, "ok")
		})
		if lastErr == nil {
			return nil
		}
		_ = p.Stop(stopGrace)
		if !lostPortRace(p) {
			break
		}
	}
	return fmt.Errorf("starting kube-apiserver: %w", lastErr)
}

// lostPortRace reports whether p failed because another process took the
// port FreePort found; only that failure is worth another attempt.
func lostPortRace(p *Process) bool {
	return strings.Contains(p.Tail(50), "address already in use")
}

// httpClient returns a client that verifies the apiserver with CAFile.
func (cp *ControlPlane) httpClient() (*http.Client, error) {
	pem, err := os.ReadFile(cp.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading apiserver certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", cp.CAFile)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}, nil
}

// probe GETs url and reports whether it answered 200 with a body containing want.
func probe(c *http.Client, url, token, want string) (bool, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return false, fmt.Errorf("building request: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return false, fmt.Errorf("GET %s: %d %q", url, resp.StatusCode, truncate(string(body), 300))
	}
	return true, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// writeKubeconfig writes a CA-verified admin kubeconfig and builds clients.
func (cp *ControlPlane) writeKubeconfig() error {
	cp.Kubeconfig = cp.path("kubeconfig")
	if err := cp.writeTokenKubeconfig(cp.Kubeconfig, cp.Token); err != nil {
		return err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	// Tests create objects in bursts; the default 5 QPS would slow them.
	rc.QPS, rc.Burst = 100, 200
	cp.Config = rc
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("building clientset: %w", err)
	}
	cp.Client = cs
	// One authenticated round trip proves the kubeconfig is right.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cs.Discovery().RESTClient().Get().AbsPath("/version").DoRaw(ctx); err != nil {
		return fmt.Errorf("GET /version with the kubeconfig: %w", err)
	}
	return nil
}

// writeTokenKubeconfig writes a CA-verified kubeconfig authenticating with token.
func (cp *ControlPlane) writeTokenKubeconfig(path, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: cp.Host, CertificateAuthority: cp.CAFile}
	cfg.AuthInfos["user"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "user"}
	cfg.CurrentContext = "test"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// ServiceAccountKubeconfig requests a token for the service account (which
// must exist) through the TokenRequest API and writes a kubeconfig using it
// into a per-test directory, e.g. to run the CCM with exactly the
// permissions a deployment manifest grants its service account.
func (cp *ControlPlane) ServiceAccountKubeconfig(t testing.TB, namespace, name string) string {
	t.Helper()
	exp := int64(3600)
	tr, err := cp.Client.CoreV1().ServiceAccounts(namespace).CreateToken(Ctx(t), name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("requesting a token for service account %s/%s: %v", namespace, name, err)
	}
	path := filepath.Join(TestDir(t, "sa-kubeconfig"), "kubeconfig")
	if err := cp.writeTokenKubeconfig(path, tr.Status.Token); err != nil {
		t.Fatal(err)
	}
	return path
}

// Teardown stops kube-apiserver before etcd: an apiserver whose etcd is gone
// hangs in graceful shutdown. It leaves Dir (logs) for the caller to remove.
func (cp *ControlPlane) Teardown() error {
	var errs []error
	if cp.APIServer != nil {
		errs = append(errs, cp.APIServer.Stop(stopGrace))
	}
	if cp.Etcd != nil {
		errs = append(errs, cp.Etcd.Stop(stopGrace))
	}
	return errors.Join(errs...)
}

// LogTails returns the last n lines of each component's log, for failures.
func (cp *ControlPlane) LogTails(n int) string {
	var b strings.Builder
	for _, p := range []*Process{cp.Etcd, cp.APIServer} {
		if p == nil {
			continue
		}
		fmt.Fprintf(&b, "----- last %d lines of %s (%s) -----\n%s\n", n, p.Name, p.LogPath, p.Tail(n))
	}
	return b.String()
}

func (cp *ControlPlane) path(name string) string { return filepath.Join(cp.Dir, name) }
