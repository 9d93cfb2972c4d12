package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// Test credentials installed by newTestEmulator.
const (
	testAK     = "testid"
	testSecret = "testsecret"
)

// testClients are real SDK clients pointed at a test emulator over HTTP.
type testClients struct {
	SLB  *slb.Client
	VPC  *vpc.Client
	ECS  *ecs.Client
	URL  string // http://host:port of the OpenAPI server
	Host string // host:port
}

// newTestEmulator starts an emulator (AccessKey testid/testsecret, region
// cn-hangzhou) behind an httptest server, with SDK clients for all products.
func newTestEmulator(t testing.TB, opts ...func(*Config)) (*Emulator, *testClients) {
	t.Helper()
	cfg := Config{Region: "cn-hangzhou", AccessKeys: map[string]string{testAK: testSecret}}
	for _, o := range opts {
		o(&cfg)
	}
	e := New(cfg)
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	tc := &testClients{URL: srv.URL, Host: host}
	tc.SLB, tc.VPC, tc.ECS = sdkClients(t, host, testAK, testSecret, "")
	return e, tc
}

// sdkClients builds SDK clients for one credential (an STS token when
// token != "") against host.
func sdkClients(t testing.TB, host, ak, secret, token string) (*slb.Client, *vpc.Client, *ecs.Client) {
	t.Helper()
	var cred auth.Credential
	if token != "" {
		cred = credentials.NewStsTokenCredential(ak, secret, token)
	} else {
		cred = credentials.NewAccessKeyCredential(ak, secret)
	}
	conf := func() *sdk.Config { return sdk.NewConfig().WithScheme("HTTP") }
	s, err := slb.NewClientWithOptions("cn-hangzhou", conf(), cred)
	if err != nil {
		t.Fatalf("slb client: %v", err)
	}
	v, err := vpc.NewClientWithOptions("cn-hangzhou", conf(), cred)
	if err != nil {
		t.Fatalf("vpc client: %v", err)
	}
	c, err := ecs.NewClientWithOptions("cn-hangzhou", conf(), cred)
	if err != nil {
		t.Fatalf("ecs client: %v", err)
	}
	s.Domain, v.Domain, c.Domain = host, host, host
	return s, v, c
}

// Names used by seedBasic.
const (
	testVPC   = "vpc-test"
	testVTB   = "vtb-test" // the system route table of vpc-test
	testVSWH  = "vsw-h"    // 192.168.0.0/24 in cn-hangzhou-h
	testVSWI  = "vsw-i"    // 192.168.1.0/24 in cn-hangzhou-i
	testInst1 = "i-node1"  // 192.168.0.11, eni-node1
	testInst2 = "i-node2"  // 192.168.0.12, eni-node2
	testInst3 = "i-node3"  // 192.168.1.13, eni-node3
)

// seedBasic seeds region cn-hangzhou, zones cn-hangzhou-h/i, VPC vpc-test
// (192.168.0.0/16) with its system route table vtb-test, two vSwitches and
// three running instances with primary ENIs.
func seedBasic(t testing.TB, e *Emulator) {
	t.Helper()
	err := e.Seed(SeedState{
		Region: "cn-hangzhou",
		Zones:  []string{"cn-hangzhou-h", "cn-hangzhou-i"},
		VPCs:   []VPC{{VpcID: testVPC, CidrBlock: "192.168.0.0/16", VRouterID: "vrt-test", RouteTables: []string{testVTB}}},
		VSwitches: []VSwitch{
			{VSwitchID: testVSWH, VpcID: testVPC, ZoneID: "cn-hangzhou-h", CidrBlock: "192.168.0.0/24"},
			{VSwitchID: testVSWI, VpcID: testVPC, ZoneID: "cn-hangzhou-i", CidrBlock: "192.168.1.0/24"},
		},
		Instances: []Instance{
			{InstanceID: testInst1, VSwitchID: testVSWH, PrivateIP: "192.168.0.11", PrimaryENI: "eni-node1", Tags: []Tag{{Key: "role", Value: "worker"}}},
			{InstanceID: testInst2, VSwitchID: testVSWH, PrivateIP: "192.168.0.12", PrimaryENI: "eni-node2", Tags: []Tag{{Key: "role", Value: "worker"}}},
			{InstanceID: testInst3, VSwitchID: testVSWI, PrivateIP: "192.168.1.13", PrimaryENI: "eni-node3", EipAddress: "47.0.0.3"},
		},
	})
	if err != nil {
		t.Fatalf("seedBasic: %v", err)
	}
}

// apiErr extracts code and HTTP status from an SDK error ("" and 0 when nil).
func apiErr(t testing.TB, err error) (string, int) {
	t.Helper()
	if err == nil {
		return "", 0
	}
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("not a ServerError: %T %v", err, err)
	}
	return se.ErrorCode(), se.HttpStatus()
}

// wantErr fails unless err is an API error with the code and status.
func wantErr(t testing.TB, err error, code string, status int) {
	t.Helper()
	gotCode, gotStatus := apiErr(t, err)
	if gotCode != code || gotStatus != status {
		t.Fatalf("want %s/%d, got %s/%d (%v)", code, status, gotCode, gotStatus, err)
	}
}

// withFakeClock installs a fake clock starting now (the SDK signs with real
// time, so the fake clock must stay within the timestamp tolerance or the
// test must raise it).
func withFakeClock(fc *FakeClock) func(*Config) { return func(c *Config) { c.Clock = fc } }

// rawCall sends a hand-signed RPC request and returns status and JSON body.
func rawCall(t testing.TB, base string, params url.Values, secret string) (int, map[string]any) {
	t.Helper()
	params.Set("Signature", Sign(StringToSign("POST", params), secret))
	resp, err := http.Post(base+"/?"+params.Encode(), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatalf("raw call: %v", err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, out
}

// signedParams are the protocol parameters of a DescribeVpcs call.
func signedParams(ts time.Time, nonce string) url.Values {
	return url.Values{
		"Action": {"DescribeVpcs"}, "Version": {VersionVPC}, "Format": {"JSON"}, "RegionId": {"cn-hangzhou"},
		"AccessKeyId": {testAK}, "SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"},
		"SignatureNonce": {nonce}, "Timestamp": {ts.UTC().Format("2006-01-02T15:04:05Z")},
	}
}
