package credentials

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// fakeSTS implements AssumeRoleWithOIDC.
type fakeSTS struct {
	t      *testing.T
	mu     sync.Mutex
	exp    time.Time
	tokens []string
	// errBody, when set, is answered with errStatus.
	errStatus int
	errBody   string
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	if r.Method != http.MethodPost || q.Get("Action") != "AssumeRoleWithOIDC" || q.Get("Version") != "2015-04-01" || q.Get("Format") != "JSON" {
		f.t.Errorf("bad request %s %s", r.Method, r.URL)
	}
	if err := r.ParseForm(); err != nil {
		f.t.Error(err)
	}
	for _, k := range []string{"Signature", "AccessKeyId", "SignatureMethod"} {
		if r.Form.Has(k) {
			f.t.Errorf("anonymous call carries %s", k)
		}
	}
	for k, want := range map[string]string{"RoleArn": "acs:ram::1:role/ccm", "OIDCProviderArn": "acs:ram::1:oidc-provider/ack", "RoleSessionName": "alicloud-ccm", "DurationSeconds": "3600"} {
		if got := r.PostForm.Get(k); got != want {
			f.t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	tok := r.PostForm.Get("OIDCToken")
	f.tokens = append(f.tokens, tok)
	if f.errStatus != 0 {
		w.WriteHeader(f.errStatus)
		_, _ = w.Write([]byte(strings.ReplaceAll(f.errBody, "$TOKEN", tok)))
		return
	}
	_, _ = fmt.Fprintf(w, `{"RequestId":"req-1","Credentials":{"AccessKeyId":"STS.oidc","AccessKeySecret":"oidc-S3CR3T-%d","SecurityToken":"oidc-T0K3N","Expiration":%q}}`,
		len(f.tokens), f.exp.Format(time.RFC3339))
}

func TestOIDC(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	writeFile(t, tokenFile, "hdr0123456.T0K3Npayload-1.sig0123456\n")
	env := envOf(map[string]string{EnvRoleARN: "acs:ram::1:role/ccm", EnvOIDCProviderARN: "acs:ram::1:oidc-provider/ack", EnvOIDCTokenFile: tokenFile})
	f := &fakeSTS{t: t, exp: t0.Add(time.Hour)}
	srv := httptest.NewServer(f)
	defer srv.Close()
	clk := clocktesting.NewFakePassiveClock(t0)
	host := strings.TrimPrefix(srv.URL, "http://")

	p, src, err := New(context.Background(), Options{STSEndpoint: "http://" + host, Getenv: env, Clock: clk})
	if err != nil || src != SourceRRSA {
		t.Fatalf("New: %v %v", src, err)
	}
	// The kubelet rotates the projected token; the next refresh must send the new one.
	writeFile(t, tokenFile, "hdr0123456.T0K3Npayload-2.sig0123456")
	f.mu.Lock()
	f.exp = t0.Add(2 * time.Hour)
	f.mu.Unlock()
	clk.SetTime(t0.Add(49 * time.Minute))
	c, err := p.GetCredentials()
	if err != nil || c.AccessKeySecret != "oidc-S3CR3T-2" {
		t.Fatalf("refresh: %+v %v", c, err)
	}
	if len(f.tokens) != 2 || f.tokens[0] != "hdr0123456.T0K3Npayload-1.sig0123456" || f.tokens[1] != "hdr0123456.T0K3Npayload-2.sig0123456" {
		t.Fatalf("tokens sent: %q", f.tokens)
	}

	for _, tc := range []struct {
		name, body, want string
		status           int
	}{
		{"sts error echoing the token", `{"RequestId":"req-9","Code":"AuthenticationFail.OIDCToken.Invalid","Message":"bad token $TOKEN"}`, "AuthenticationFail.OIDCToken.Invalid, RequestId req-9: bad token <redacted>", 400},
		{"html error page echoing the token", `<html>$TOKEN</html>`, "HTTP 502 (answer is not an STS error document)", 502},
		{"success without credentials", `{"RequestId":"req-2"}`, "no Credentials", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.mu.Lock()
			f.errStatus, f.errBody = tc.status, tc.body
			f.mu.Unlock()
			if tc.status == 200 {
				f.mu.Lock()
				f.errStatus = 0
				f.mu.Unlock()
				srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(tc.body)) }))
				defer srv2.Close()
				cfg, err := newOIDCConfig(Options{STSEndpoint: srv2.URL}, "r", "p", tokenFile, "")
				if err != nil {
					t.Fatal(err)
				}
				_, err = cfg.fetch(context.Background())
				noSecret(t, err)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			r := newRefreshing(SourceRRSA, clocktesting.NewFakePassiveClock(t0), (&oidcConfig{roleARN: "acs:ram::1:role/ccm", providerARN: "acs:ram::1:oidc-provider/ack",
				tokenFile: tokenFile, sessionName: "alicloud-ccm", endpoint: mustURL(t, srv.URL), http: http.DefaultClient}).fetch)
			_, err := r.GetCredentials()
			noSecret(t, err)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := STSEndpoint(s, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSTSEndpoint(t *testing.T) {
	for _, tc := range []struct{ override, region, network, want, wantErr string }{
		{"", "", "", "https://sts.aliyuncs.com/", ""},
		{"", "cn-hangzhou", "vpc", "https://sts-vpc.cn-hangzhou.aliyuncs.com/", ""},
		{"", "cn-hangzhou", "public", "https://sts.cn-hangzhou.aliyuncs.com/", ""},
		{"sts.example.com:8443", "cn-hangzhou", "vpc", "https://sts.example.com:8443/", ""},
		{"http://127.0.0.1:9000", "", "", "http://127.0.0.1:9000/", ""},
		{"http://127.0.0.1:9000/path", "", "", "", "invalid STS endpoint"},
		{"ftp://sts", "", "", "", "invalid STS endpoint"},
	} {
		u, err := STSEndpoint(tc.override, tc.region, tc.network)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err = %v", tc.override, err)
			}
			continue
		}
		if err != nil || u.String() != tc.want {
			t.Errorf("%q/%q/%q: got %v, %v; want %s", tc.override, tc.region, tc.network, u, err, tc.want)
		}
	}
}

func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sts.json")
	doc := func(n int, exp time.Time) string {
		return fmt.Sprintf(`{"AccessKeyId":"STS.f%d","AccessKeySecret":"f-S3CR3T-%d","SecurityToken":"f-T0K3N-%d","Expiration":%q}`, n, n, n, exp.Format(time.RFC3339))
	}
	writeFile(t, path, doc(1, t0.Add(time.Hour)))
	clk := clocktesting.NewFakePassiveClock(t0)
	p := newFileProvider(path, clk)
	id := func() (string, error) {
		c, err := p.GetCredentials()
		noSecret(t, err)
		if err != nil {
			return "", err
		}
		return c.AccessKeyId, nil
	}
	step := func(d time.Duration) { clk.SetTime(clk.Now().Add(d)) }
	touch := func(content string) {
		writeFile(t, path, content)
		// File systems with coarse timestamps: make the change visible by mtime too.
		mt := time.Now().Add(time.Duration(len(content)) * time.Second)
		if err := os.Chtimes(path, mt, mt); err != nil {
			t.Fatal(err)
		}
	}

	if got, err := id(); got != "STS.f1" || err != nil {
		t.Fatalf("first read: %s %v", got, err)
	}
	touch(doc(2, t0.Add(2*time.Hour)))
	if got, _ := id(); got != "STS.f1" {
		t.Fatal("the file must not be stat'ed on every call")
	}
	step(fileStatEvery)
	if got, _ := id(); got != "STS.f2" {
		t.Fatalf("rotation not picked up: %s", got)
	}
	// A broken rewrite keeps the last good credentials.
	for _, bad := range []string{`{"AccessKeyId":"STS.f3","AccessKeySecret":"f-S3CR3T-3"`, `{"AccessKeyId":"STS.f3"}`, `{"AccessKeyId":"STS.f3","AccessKeySecret":"f-S3CR3T-3","Expiration":"tomorrow"}`, `{"AccessKeyId":"STS.f3","AccessKeySecret":"f-S3CR3T-3","Expiration":"2025-01-01T00:00:00Z"}`} {
		touch(bad)
		step(fileStatEvery)
		if got, err := id(); got != "STS.f2" || err != nil {
			t.Fatalf("after bad rewrite %q: %s %v", bad, got, err)
		}
	}
	// Same size and mtime but new content: seen within fileReadEvery.
	good := doc(4, t0.Add(2*time.Hour))
	writeFile(t, path, good)
	step(fileReadEvery)
	if got, _ := id(); got != "STS.f4" {
		t.Fatalf("content change not seen: %s", got)
	}
	// Not rotated before expiry: an error naming the problem.
	clk.SetTime(t0.Add(2 * time.Hour))
	if _, err := id(); err == nil || !strings.Contains(err.Error(), "not rotated") {
		t.Fatalf("err = %v", err)
	}
	// Deleted.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := id(); err == nil {
		t.Fatal("want an error for a missing file")
	}
}

func TestParseSTSFile(t *testing.T) {
	for _, tc := range []struct{ in, wantErr string }{
		{`{"AccessKeyId":"a","AccessKeySecret":"b-S3CR3T"}`, ""},
		{`{"AccessKeyId":"a","AccessKeySecret":"b-S3CR3T","SecurityToken":"c-T0K3N","Expiration":"2026-01-01T00:00:00Z"}`, ""},
		{`{"AccessKeySecret":"b-S3CR3T"}`, "missing AccessKeyId"},
		{`{"AccessKeyId":"a","AccessKeySecret":"b-S3CR3T`, "not valid JSON"},
		{`{"AccessKeyId":"a","AccessKeySecret":12}`, "AccessKeySecret must be a JSON string"},
		{`["b-S3CR3T"]`, "not a JSON object"},
		{`{"AccessKeyId":"a","AccessKeySecret":"b-S3CR3T","Expiration":"x"}`, "not an RFC 3339"},
	} {
		_, err := parseSTSFile([]byte(tc.in))
		noSecret(t, err)
		if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: err = %v, want %q", tc.in, err, tc.wantErr)
		}
	}
}
