package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// fakeRAMIMDS serves a RAM role through the real metadata client.
type fakeRAMIMDS struct {
	mu     sync.Mutex
	role   string
	gen    int // credential generation; bump to rotate
	exp    time.Time
	status int // non-zero: answer this to credential GETs
	gets   int
}

func (f *fakeRAMIMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/latest/api/token":
		_, _ = w.Write([]byte("imds-T0K3N"))
	case "/latest/meta-data/ram/security-credentials/":
		if f.role == "" {
			w.WriteHeader(404)
			return
		}
		_, _ = w.Write([]byte(f.role))
	case "/latest/meta-data/ram/security-credentials/" + f.role:
		f.gets++
		if f.status != 0 {
			w.WriteHeader(f.status)
			_, _ = fmt.Fprintf(w, "error for ram-S3CR3T-%d", f.gen)
			return
		}
		_, _ = fmt.Fprintf(w, `{"AccessKeyId":"STS.ram%d","AccessKeySecret":"ram-S3CR3T-%d","SecurityToken":"ram-T0K3N-%d","Expiration":%q,"LastUpdated":%q,"Code":"Success"}`,
			f.gen, f.gen, f.gen, f.exp.Format(time.RFC3339), f.exp.Add(-6*time.Hour).Format(time.RFC3339))
	default:
		w.WriteHeader(404)
	}
}

func newMD(t *testing.T, h http.Handler) *metadata.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := metadata.New(metadata.Options{Endpoint: srv.URL, InitialBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestNewSourceOrder(t *testing.T) {
	dir := t.TempDir()
	credFile := filepath.Join(dir, "creds.json")
	writeFile(t, credFile, `{"AccessKeyId":"STS.file","AccessKeySecret":"file-S3CR3T","SecurityToken":"file-T0K3N","Expiration":"2026-01-01T01:00:00Z"}`)
	tokenFile := filepath.Join(dir, "oidc-token")
	writeFile(t, tokenFile, "oidc.T0K3N.payload")
	sts := httptest.NewServer(&fakeSTS{t: t, exp: t0.Add(time.Hour)})
	defer sts.Close()
	role := &fakeRAMIMDS{role: "ccm-role", exp: t0.Add(6 * time.Hour)}
	md := newMD(t, role)
	noRole := newMD(t, &fakeRAMIMDS{})
	rrsa := map[string]string{EnvRoleARN: "acs:ram::1:role/ccm", EnvOIDCProviderARN: "acs:ram::1:oidc-provider/ack", EnvOIDCTokenFile: tokenFile}

	for _, tc := range []struct {
		name       string
		opts       Options
		env        map[string]string
		wantSource Source
		wantID     string
		wantToken  bool
		wantErr    string
	}{
		{name: "cloud-config first", opts: Options{AccessKeyID: "LTAIcfg", AccessKeySecret: "cfg-S3CR3T", Metadata: md},
			env: map[string]string{EnvAccessKeyID: "LTAIenv", EnvAccessKeySecret: "env-S3CR3T"}, wantSource: SourceCloudConfig, wantID: "LTAIcfg"},
		{name: "cloud-config half", opts: Options{AccessKeyID: "LTAIcfg"}, wantErr: "Global.accessKeySecret"},
		{name: "cloud-config half secret", opts: Options{AccessKeySecret: "cfg-S3CR3T"}, wantErr: "Global.accessKeyID"},
		{name: "environment", env: map[string]string{EnvAccessKeyID: "LTAIenv", EnvAccessKeySecret: "env-S3CR3T", EnvCredentialsFile: credFile},
			wantSource: SourceEnvironment, wantID: "LTAIenv"},
		{name: "environment sts", env: map[string]string{EnvAccessKeyID: "STS.env", EnvAccessKeySecret: "env-S3CR3T", EnvSecurityToken: "env-T0K3N"},
			wantSource: SourceEnvironment, wantID: "STS.env", wantToken: true},
		{name: "environment half", env: map[string]string{EnvAccessKeySecret: "env-S3CR3T"}, wantErr: EnvAccessKeyID},
		{name: "file from config", opts: Options{CredentialsFile: credFile}, env: rrsa, wantSource: SourceCredentialsFile, wantID: "STS.file", wantToken: true},
		{name: "file from env", env: map[string]string{EnvCredentialsFile: credFile}, wantSource: SourceCredentialsFile, wantID: "STS.file", wantToken: true},
		{name: "file missing", opts: Options{CredentialsFile: filepath.Join(dir, "nope.json"), Metadata: md}, wantErr: "no such file"},
		{name: "rrsa", opts: Options{STSEndpoint: sts.URL, Metadata: md}, env: rrsa, wantSource: SourceRRSA, wantID: "STS.oidc", wantToken: true},
		{name: "rrsa partial", env: map[string]string{EnvRoleARN: "acs:ram::1:role/ccm"}, wantErr: EnvOIDCProviderARN + ", " + EnvOIDCTokenFile + " not set"},
		{name: "rrsa bad session name", env: merge(rrsa, map[string]string{EnvRoleSessionName: "a b"}), wantErr: EnvRoleSessionName},
		{name: "rrsa bad endpoint", opts: Options{STSEndpoint: "ftp://sts"}, env: rrsa, wantErr: "invalid STS endpoint"},
		{name: "ram role", opts: Options{Metadata: md}, wantSource: SourceECSRAMRole, wantID: "STS.ram0", wantToken: true},
		{name: "ram role named", opts: Options{Metadata: md, RAMRoleName: "ccm-role"}, wantSource: SourceECSRAMRole, wantID: "STS.ram0", wantToken: true},
		{name: "ram role disabled", opts: Options{Metadata: md}, env: map[string]string{EnvECSMetadataDisabled: "true"}, wantErr: "no Alibaba Cloud credentials configured"},
		{name: "no role attached", opts: Options{Metadata: noRole}, wantErr: "attach a RAM role"},
		{name: "nothing", wantErr: "set Global.accessKeyID and Global.accessKeySecret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakePassiveClock(t0)
			tc.opts.Getenv = envOf(tc.env)
			tc.opts.Clock = clk
			p, src, err := New(context.Background(), tc.opts)
			noSecret(t, err)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src != tc.wantSource || p.Source() != tc.wantSource || p.GetProviderName() != "alicloud-ccm/"+string(tc.wantSource) {
				t.Fatalf("source = %s/%s, want %s", src, p.GetProviderName(), tc.wantSource)
			}
			c, err := p.GetCredentials()
			if err != nil || c.AccessKeyId != tc.wantID || (c.SecurityToken != "") != tc.wantToken || c.AccessKeySecret == "" {
				t.Fatalf("credentials = %+v, %v", c, err)
			}
		})
	}
}

func TestNoCredentialsIsTyped(t *testing.T) {
	_, _, err := New(context.Background(), Options{Getenv: envOf(nil)})
	if !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("err = %v", err)
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// scripted is a fetchFunc whose answers the test controls.
type scripted struct {
	mu    sync.Mutex
	calls int
	next  func(n int) (session, error)
}

func (s *scripted) fetch(context.Context) (session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.next(s.calls)
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func TestRefreshing(t *testing.T) {
	hourly := func(clk *clocktesting.FakePassiveClock) func(int) (session, error) {
		return func(n int) (session, error) {
			now := clk.Now()
			return session{id: fmt.Sprintf("STS.%d", n), secret: "r-S3CR3T", token: "r-T0K3N", obtained: now, expiration: now.Add(time.Hour)}, nil
		}
	}
	t.Run("cached until the refresh margin", func(t *testing.T) {
		clk := clocktesting.NewFakePassiveClock(t0)
		s := &scripted{next: hourly(clk)}
		r := newRefreshing(SourceRRSA, clk, s.fetch)
		for _, step := range []struct {
			at     time.Duration
			wantID string
			calls  int
		}{
			{0, "STS.1", 1},
			{30 * time.Minute, "STS.1", 1},
			{47 * time.Minute, "STS.1", 1},
			{48 * time.Minute, "STS.2", 2}, // 1 h lifetime: 12 min margin
			{48*time.Minute + 47*time.Minute, "STS.2", 2},
			{48*time.Minute + 49*time.Minute, "STS.3", 3},
		} {
			clk.SetTime(t0.Add(step.at))
			c, err := r.GetCredentials()
			if err != nil || c.AccessKeyId != step.wantID || s.count() != step.calls {
				t.Fatalf("at %s: got %v, %v, %d calls; want %s, %d calls", step.at, c, err, s.count(), step.wantID, step.calls)
			}
		}
	})
	t.Run("failed refresh keeps valid credentials and backs off", func(t *testing.T) {
		clk := clocktesting.NewFakePassiveClock(t0)
		ok := hourly(clk)
		fail := false
		s := &scripted{next: func(n int) (session, error) {
			if fail {
				return session{}, errors.New("sts down")
			}
			return ok(n)
		}}
		r := newRefreshing(SourceRRSA, clk, s.fetch)
		if _, err := r.GetCredentials(); err != nil {
			t.Fatal(err)
		}
		fail = true
		// Every 100 ms from the margin on: fetch is called at 0, 1 s, 3 s, 7 s...
		clk.SetTime(t0.Add(48 * time.Minute))
		start := s.count()
		for i := 0; i < 80; i++ {
			c, err := r.GetCredentials()
			if err != nil || c.AccessKeyId != "STS.1" {
				t.Fatalf("step %d: %v, %v", i, c, err)
			}
			clk.SetTime(clk.Now().Add(100 * time.Millisecond))
		}
		if got := s.count() - start; got != 4 {
			t.Fatalf("fetch calls in 8 s of failures = %d, want 4 (back-off 1, 2, 4 s)", got)
		}
		// Expired and still failing: an error that names the cause, no secret.
		clk.SetTime(t0.Add(time.Hour))
		_, err := r.GetCredentials()
		noSecret(t, err)
		if err == nil || !strings.Contains(err.Error(), "sts down") {
			t.Fatalf("err = %v", err)
		}
		// Recovery.
		fail = false
		clk.SetTime(t0.Add(time.Hour + 2*time.Minute))
		if c, err := r.GetCredentials(); err != nil || c.AccessKeySecret != "r-S3CR3T" {
			t.Fatalf("after recovery: %v, %v", c, err)
		}
	})
	t.Run("source still handing out old credentials is not hammered", func(t *testing.T) {
		clk := clocktesting.NewFakePassiveClock(t0)
		exp := t0.Add(time.Hour)
		s := &scripted{next: func(int) (session, error) {
			return session{id: "STS.same", secret: "r-S3CR3T", obtained: t0, expiration: exp}, nil
		}}
		r := newRefreshing(SourceECSRAMRole, clk, s.fetch)
		clk.SetTime(t0.Add(50 * time.Minute))
		for i := 0; i < 100; i++ {
			if _, err := r.GetCredentials(); err != nil {
				t.Fatal(err)
			}
		}
		if s.count() != 1 {
			t.Fatalf("calls = %d, want 1 within renewPoll", s.count())
		}
		clk.SetTime(t0.Add(51 * time.Minute))
		_, _ = r.GetCredentials()
		if s.count() != 2 {
			t.Fatalf("calls = %d, want 2 after renewPoll", s.count())
		}
	})
	t.Run("expired answer is an error", func(t *testing.T) {
		clk := clocktesting.NewFakePassiveClock(t0)
		s := &scripted{next: func(int) (session, error) {
			return session{id: "STS.old", secret: "r-S3CR3T", expiration: t0.Add(-time.Minute)}, nil
		}}
		_, err := newRefreshing(SourceECSRAMRole, clk, s.fetch).GetCredentials()
		noSecret(t, err)
		if err == nil || !strings.Contains(err.Error(), "expire at") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("concurrent callers share one fetch", func(t *testing.T) {
		clk := clocktesting.NewFakePassiveClock(t0)
		var inFetch atomic.Int32
		s := &scripted{}
		release := make(chan struct{})
		fetch := func(ctx context.Context) (session, error) {
			inFetch.Add(1)
			<-release
			return s.fetch(ctx)
		}
		s.next = hourly(clk)
		r := newRefreshing(SourceRRSA, clk, fetch)
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.GetCredentials(); err != nil {
					t.Error(err)
				}
			}()
		}
		for inFetch.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		close(release)
		wg.Wait()
		if s.count() != 1 {
			t.Fatalf("fetches = %d, want 1", s.count())
		}
	})
}

func TestRAMRoleRotation(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(t0)
	f := &fakeRAMIMDS{role: "ccm-role", exp: t0.Add(6 * time.Hour)}
	p, _, err := New(context.Background(), Options{Metadata: newMD(t, f), Getenv: envOf(nil), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	get := func() string {
		t.Helper()
		c, err := p.GetCredentials()
		noSecret(t, err)
		if err != nil {
			t.Fatal(err)
		}
		return c.AccessKeyId
	}
	if get() != "STS.ram0" {
		t.Fatal("first credentials")
	}
	// 6 h lifetime: the refresh starts 15 min before expiry. The service has
	// already minted the next credential (30 min before).
	f.mu.Lock()
	f.gen, f.exp, f.status = 1, t0.Add(12*time.Hour), 500
	f.mu.Unlock()
	clk.SetTime(t0.Add(5*time.Hour + 46*time.Minute))
	if get() != "STS.ram0" {
		t.Fatal("still-valid credentials must be served while the refresh fails")
	}
	f.mu.Lock()
	f.status = 0
	f.mu.Unlock()
	clk.SetTime(clk.Now().Add(2 * time.Second))
	if id := get(); id != "STS.ram1" {
		t.Fatalf("after rotation got %s", id)
	}
}
