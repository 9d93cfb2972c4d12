package emulator

import (
	"errors"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

func TestSignatureErrorsThroughSDK(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	cases := []struct {
		name, ak, secret, code string
		status                 int
	}{
		{"valid", testAK, testSecret, "", 0},
		{"bad secret", testAK, "wrong", "SignatureDoesNotMatch", 400},
		{"unknown key", "nobody", "x", "InvalidAccessKeyId.NotFound", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, v, _ := sdkClients(t, c.Host, tc.ak, tc.secret, "")
			_, err := v.DescribeVpcs(vpc.CreateDescribeVpcsRequest())
			if tc.code == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.status)
			var se *sdkerrors.ServerError
			errors.As(err, &se)
			if tc.code == "SignatureDoesNotMatch" {
				// The SDK compares our StringToSign with its own: equal means
				// "the secret is wrong", which proves the canonicalisation matches.
				if !strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
					t.Fatalf("StringToSign mismatch with the SDK: recommend %q message %q", se.Recommend(), se.Message())
				}
				if strings.Contains(se.Message(), "wrong") {
					t.Fatalf("secret leaked into message")
				}
			}
		})
	}
	for _, a := range e.Audit() {
		if strings.Contains(a.AccessKeyID, "secret") || a.Params["Signature"] != "" {
			t.Fatalf("audit leaks secrets: %+v", a)
		}
	}
}

func TestSignatureRawRequests(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	now := time.Now()
	cases := []struct {
		name   string
		ts     time.Time
		nonce  string
		mutate func(p map[string][]string)
		code   string
		status int
	}{
		{name: "ok", ts: now, nonce: "n1", status: 200},
		{name: "reused nonce", ts: now, nonce: "n1", code: "SignatureNonceUsed", status: 400},
		{name: "expired timestamp", ts: now.Add(-16 * time.Minute), nonce: "n2", code: "InvalidTimeStamp.Expired", status: 400},
		{name: "future timestamp", ts: now.Add(16 * time.Minute), nonce: "n3", code: "InvalidTimeStamp.Expired", status: 400},
		{name: "unknown action", ts: now, nonce: "n4", mutate: func(p map[string][]string) { p["Action"] = []string{"Nope"} }, code: "InvalidAction", status: 403},
		{name: "unknown version", ts: now, nonce: "n5", mutate: func(p map[string][]string) { p["Version"] = []string{"2099-01-01"} }, code: "InvalidApi.NotFound", status: 404},
		{name: "other region", ts: now, nonce: "n6", mutate: func(p map[string][]string) { p["RegionId"] = []string{"us-west-1"} }, code: "InvalidRegionId.NotFound", status: 404},
		{name: "missing timestamp", ts: now, nonce: "n7", mutate: func(p map[string][]string) { delete(p, "Timestamp") }, code: "IllegalTimestamp", status: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := signedParams(tc.ts, tc.nonce)
			if tc.mutate != nil {
				tc.mutate(p)
			}
			status, body := rawCall(t, c.URL, p, testSecret)
			if status != tc.status || (tc.code != "" && body["Code"] != tc.code) {
				t.Fatalf("want %s/%d, got %v/%d: %v", tc.code, tc.status, body["Code"], status, body)
			}
			if tc.code != "" && (body["RequestId"] == "" || body["HostId"] == nil || body["Recommend"] == nil) {
				t.Fatalf("error body shape: %v", body)
			}
		})
	}
}

func TestSTSCredentials(t *testing.T) {
	fc := NewFakeClock(time.Now())
	e, c := newTestEmulator(t, withFakeClock(fc))
	seedBasic(t, e)
	e.AddSTSCredential(STSCredential{AccessKeyID: "STS.a", AccessKeySecret: "s", SecurityToken: "tok", Expiration: fc.Now().Add(time.Minute)})
	cases := []struct {
		name, token, code string
		advance           time.Duration
		status            int
	}{
		{"valid token", "tok", "", 0, 0},
		{"wrong token", "other", "InvalidSecurityToken.MismatchWithAccessKey", 0, 400},
		{"expired", "tok", "InvalidSecurityToken.Expired", 2 * time.Minute, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc.Advance(tc.advance)
			_, v, _ := sdkClients(t, c.Host, "STS.a", "s", tc.token)
			req := vpc.CreateDescribeVpcsRequest()
			req.PageSize = requests.NewInteger(10)
			_, err := v.DescribeVpcs(req)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.status)
		})
	}
}

func TestNonceMemoryBounded(t *testing.T) {
	fc := NewFakeClock(time.Now())
	e, _ := newTestEmulator(t, withFakeClock(fc), func(c *Config) { c.NonceMemory = 3000 })
	a := &e.auth
	for i := 0; i < 10000; i++ {
		a.mu.Lock()
		key := "k" + itoa(i)
		a.nonces[key] = fc.Now()
		a.order = append(a.order, nonceEntry{key, fc.Now()})
		if len(a.nonces) > a.limit {
			a.dropOldest()
		}
		a.mu.Unlock()
	}
	if len(a.nonces) > 3000 || len(a.order)-a.head > 3000 || len(a.order) > 7000 {
		t.Fatalf("nonce memory not bounded: %d live, %d queued", len(a.nonces), len(a.order))
	}
	fc.Advance(16 * time.Minute)
	a.expireNonces(fc.Now())
	if len(a.nonces) != 0 {
		t.Fatalf("nonces not expired: %d", len(a.nonces))
	}
}
