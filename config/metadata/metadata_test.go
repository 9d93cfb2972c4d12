package metadata

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// fakeIMDS is a scripted metadata service.
type fakeIMDS struct {
	mu        sync.Mutex
	items     map[string]string
	tokenPUTs int
	gets      int
	tokens    map[string]bool
	// tokenStatus, when non-zero, is answered to token PUTs.
	tokenStatus int
	// getStatuses are answered to the first GETs, in order.
	getStatuses []int
	// requireToken refuses GETs without a valid token (hardened-only mode).
	requireToken bool
	delay        time.Duration
	lastTTL      string
}

func newFakeIMDS() *fakeIMDS {
	return &fakeIMDS{items: map[string]string{
		"region-id":              "cn-hangzhou",
		"zone-id":                "cn-hangzhou-h",
		"vpc-id":                 "vpc-abc",
		"vswitch-id":             "vsw-abc",
		"instance-id":            "i-abc",
		"hostname":               "iZbp1abc",
		"mac":                    "00:16:3e:00:00:01",
		"private-ipv4":           "192.168.0.10",
		"vpc-cidr-block":         "192.168.0.0/16",
		"instance/instance-type": "ecs.g7.large",
	}, tokens: map[string]bool{}, requireToken: true}
}

func (f *fakeIMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/latest/api/token" {
		if r.Method != http.MethodPut {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		f.tokenPUTs++
		f.lastTTL = r.Header.Get(TokenTTLHeader)
		if f.tokenStatus != 0 {
			w.WriteHeader(f.tokenStatus)
			return
		}
		tok := fmt.Sprintf("tok-%d", f.tokenPUTs)
		f.tokens[tok] = true
		_, _ = w.Write([]byte(tok))
		return
	}
	f.gets++
	if len(f.getStatuses) > 0 {
		s := f.getStatuses[0]
		f.getStatuses = f.getStatuses[1:]
		if s != http.StatusOK {
			w.WriteHeader(s)
			_, _ = w.Write([]byte("<html>error page echoing " + r.Header.Get(TokenHeader) + "</html>"))
			return
		}
	}
	tok := r.Header.Get(TokenHeader)
	if (tok == "" && f.requireToken) || (tok != "" && !f.tokens[tok]) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	v, ok := f.items[strings.TrimPrefix(r.URL.Path, "/latest/meta-data/")]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	_, _ = w.Write([]byte(v + "\n"))
}

func newTestClient(t *testing.T, f *fakeIMDS, mod func(*Options)) (*Client, *clocktesting.FakePassiveClock) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	o := Options{Endpoint: srv.URL, Clock: clk, InitialBackoff: time.Millisecond, AttemptTimeout: 500 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func TestItems(t *testing.T) {
	f := newFakeIMDS()
	c, _ := newTestClient(t, f, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		fn   func(context.Context) (string, error)
		want string
	}{
		{"region", c.RegionID, "cn-hangzhou"},
		{"zone", c.ZoneID, "cn-hangzhou-h"},
		{"vpc", c.VpcID, "vpc-abc"},
		{"vswitch", c.VSwitchID, "vsw-abc"},
		{"instance", c.InstanceID, "i-abc"},
		{"hostname", c.Hostname, "iZbp1abc"},
		{"mac", c.MAC, "00:16:3e:00:00:01"},
		{"ip", c.PrivateIPv4, "192.168.0.10"},
		{"cidr", c.VpcCIDRBlock, "192.168.0.0/16"},
		{"type", c.InstanceType, "ecs.g7.large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.fn(ctx)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if f.tokenPUTs != 1 {
		t.Errorf("token PUTs = %d, want 1 (token must be cached)", f.tokenPUTs)
	}
	if f.lastTTL != "21600" {
		t.Errorf("TTL header = %q, want 21600", f.lastTTL)
	}
}

func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	t.Run("renewed before expiry", func(t *testing.T) {
		f := newFakeIMDS()
		c, clk := newTestClient(t, f, func(o *Options) { o.TokenTTL = 100 * time.Second })
		mustGet(t, c, "region-id")
		clk.SetTime(clk.Now().Add(89 * time.Second))
		mustGet(t, c, "region-id")
		if f.tokenPUTs != 1 {
			t.Fatalf("PUTs = %d, want 1", f.tokenPUTs)
		}
		clk.SetTime(clk.Now().Add(2 * time.Second)) // 91 s: within the last tenth
		mustGet(t, c, "region-id")
		if f.tokenPUTs != 2 {
			t.Fatalf("PUTs = %d, want 2", f.tokenPUTs)
		}
	})
	t.Run("401 re-fetches the token once", func(t *testing.T) {
		f := newFakeIMDS()
		c, _ := newTestClient(t, f, nil)
		mustGet(t, c, "region-id")
		f.mu.Lock()
		f.tokens = map[string]bool{} // service restarted: old tokens invalid
		f.mu.Unlock()
		mustGet(t, c, "zone-id")
		if f.tokenPUTs != 2 {
			t.Fatalf("PUTs = %d, want 2", f.tokenPUTs)
		}
	})
	t.Run("persistent 401 is an error", func(t *testing.T) {
		f := newFakeIMDS()
		c, _ := newTestClient(t, f, nil)
		f.getStatuses = []int{401, 401, 401, 401, 401}
		_, err := c.RegionID(ctx)
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("err = %v, want 401", err)
		}
		if strings.Contains(err.Error(), "tok-") {
			t.Fatalf("error echoes the token: %v", err)
		}
	})
}

func TestTokenModes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		mode        TokenMode
		tokenStatus int
		require     bool
		wantErr     string
		wantPUTs    int
	}{
		{"preferred falls back on 404", TokenPreferred, 404, false, "", 1},
		{"preferred falls back on 405", TokenPreferred, 405, false, "", 1},
		{"preferred does not fall back on 403", TokenPreferred, 403, false, "403", 1},
		{"required does not fall back on 404", TokenRequired, 404, false, "404", 1},
		{"disabled sends no PUT", TokenDisabled, 0, false, "", 0},
		{"disabled against hardened-only instance", TokenDisabled, 0, true, "401", 0},
		{"preferred 500 retried then fails", TokenPreferred, 500, false, "500", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIMDS()
			f.tokenStatus = tc.tokenStatus
			f.requireToken = tc.require
			c, _ := newTestClient(t, f, func(o *Options) { o.TokenMode = tc.mode })
			_, err := c.RegionID(ctx)
			if _, err2 := c.ZoneID(ctx); tc.wantErr == "" && err2 != nil {
				t.Fatalf("second GET: %v", err2)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if tc.wantErr == "" && f.tokenPUTs != tc.wantPUTs {
				t.Fatalf("PUTs = %d, want %d (fallback must be remembered)", f.tokenPUTs, tc.wantPUTs)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		statuses []int
		wantErr  error
		wantText string
		wantGETs int
	}{
		{"500 then ok", []int{500, 200}, nil, "", 2},
		{"429 twice then ok", []int{429, 429, 200}, nil, "", 3},
		{"500 three times", []int{500, 502, 503}, nil, "503", 3},
		{"404 not retried", []int{404}, ErrNotFound, "", 1},
		{"400 not retried", []int{400}, nil, "400", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIMDS()
			f.getStatuses = tc.statuses
			c, _ := newTestClient(t, f, nil)
			_, err := c.RegionID(ctx)
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			case tc.wantText != "" && (err == nil || !strings.Contains(err.Error(), tc.wantText)):
				t.Fatalf("err = %v, want %q", err, tc.wantText)
			case tc.wantErr == nil && tc.wantText == "" && err != nil:
				t.Fatalf("err = %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "html") {
				t.Fatalf("error echoes the body: %v", err)
			}
			if f.gets != tc.wantGETs {
				t.Fatalf("GETs = %d, want %d", f.gets, tc.wantGETs)
			}
		})
	}
}

func TestUnreachableFailsFast(t *testing.T) {
	t.Run("timeouts", func(t *testing.T) {
		f := newFakeIMDS()
		f.delay = 300 * time.Millisecond
		c, _ := newTestClient(t, f, func(o *Options) { o.AttemptTimeout = 50 * time.Millisecond })
		start := time.Now()
		_, err := c.RegionID(context.Background())
		if !IsUnreachable(err) {
			t.Fatalf("err = %v, want ErrUnreachable", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %s", d)
		}
	})
	t.Run("connection refused with defaults", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c, err := New(Options{Endpoint: url})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = c.RegionID(context.Background())
		if !IsUnreachable(err) || !strings.Contains(err.Error(), "3 attempts") {
			t.Fatalf("err = %v, want ErrUnreachable after 3 attempts", err)
		}
		// 100 ms + 400 ms of back-off plus refused connections.
		if d := time.Since(start); d < 500*time.Millisecond || d > 5*time.Second {
			t.Fatalf("took %s, want about 0.5 s", d)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		f := newFakeIMDS()
		f.getStatuses = []int{500, 500, 500}
		c, _ := newTestClient(t, f, func(o *Options) { o.InitialBackoff = time.Hour })
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := c.RegionID(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRAMRole(t *testing.T) {
	ctx := context.Background()
	const good = `{"AccessKeyId":"STS.id1234","AccessKeySecret":"ramsecret-XYZ","Expiration":"2026-01-01T06:00:00Z","SecurityToken":"ramtoken-XYZ","LastUpdated":"2026-01-01T00:00:00Z","Code":"Success"}`
	for _, tc := range []struct {
		name    string
		listing string
		creds   string
		wantErr string
	}{
		{"ok", "ccm-role\n", good, ""},
		{"no role", "", "", "not found"},
		{"code failure", "ccm-role", `{"Code":"Failure"}`, `Code "Failure"`},
		{"missing token", "ccm-role", `{"AccessKeyId":"a","AccessKeySecret":"ramsecret-XYZ","Expiration":"2026-01-01T06:00:00Z","Code":"Success"}`, "SecurityToken"},
		{"not json", "ccm-role", `{"AccessKeySecret":"ramsecret-XYZ"`, "not the documented JSON"},
		{"bad expiration", "ccm-role", strings.Replace(good, "2026-01-01T06:00:00Z", "soon", 1), "Expiration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIMDS()
			if tc.listing != "" {
				f.items["ram/security-credentials/"] = tc.listing
				f.items["ram/security-credentials/ccm-role"] = tc.creds
			}
			c, _ := newTestClient(t, f, nil)
			role, err := c.RAMRoleName(ctx)
			if err != nil {
				if tc.wantErr == "" || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("role: %v", err)
				}
				return
			}
			cr, err := c.RAMRoleCredentials(ctx, role)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "XYZ") {
					t.Fatalf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil || cr.AccessKeySecret != "ramsecret-XYZ" || cr.SecurityToken != "ramtoken-XYZ" || !cr.Expiration.Equal(time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)) {
				t.Fatalf("got %+v, %v", cr, err)
			}
			for _, s := range []string{fmt.Sprint(cr), fmt.Sprintf("%+v", cr), fmt.Sprintf("%#v", cr), fmt.Sprint(*cr)} {
				if strings.Contains(s, "XYZ") {
					t.Fatalf("formatting leaks a secret: %s", s)
				}
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{Endpoint: "100.100.100.200"},
		{Endpoint: "ftp://x"},
		{TokenMode: "sometimes"},
		{TokenTTL: 7 * time.Hour},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

func mustGet(t *testing.T, c *Client, p string) {
	t.Helper()
	if _, err := c.Get(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}
