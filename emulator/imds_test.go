package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

func metaGet(t *testing.T, base, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" {
		req.Header.Set("X-aliyun-ecs-metadata-token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func putToken(t *testing.T, base, ttl string, xff bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/latest/api/token", nil)
	if ttl != "" {
		req.Header.Set("X-aliyun-ecs-metadata-token-ttl-seconds", ttl)
	}
	if xff {
		req.Header.Set("X-Forwarded-For", "10.0.0.1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetadataTokenFlow(t *testing.T) {
	fc := NewFakeClock(time.Now())
	e, _ := newTestEmulator(t, withFakeClock(fc))
	seedBasic(t, e)
	e.SetMetadataInstance(testInst3)
	srv := httptest.NewServer(e.MetadataHandler())
	defer srv.Close()
	for _, tc := range []struct {
		name, ttl string
		xff       bool
		status    int
	}{
		{"ok", "60", false, 200}, {"ttl 0", "0", false, 400}, {"ttl too big", "21601", false, 400},
		{"no ttl", "", false, 400}, {"x-forwarded-for", "60", true, 403},
	} {
		if st, _ := putToken(t, srv.URL, tc.ttl, tc.xff); st != tc.status {
			t.Fatalf("%s: status %d want %d", tc.name, st, tc.status)
		}
	}
	_, tok := putToken(t, srv.URL, "60", false)
	if st, body := metaGet(t, srv.URL, "/latest/meta-data/instance-id", tok); st != 200 || body != testInst3 {
		t.Fatalf("%d %q", st, body)
	}
	if st, _ := metaGet(t, srv.URL, "/latest/meta-data/instance-id", "bogus"); st != 401 {
		t.Fatalf("bogus token: %d", st)
	}
	if st, _ := metaGet(t, srv.URL, "/latest/meta-data/instance-id", ""); st != 200 {
		t.Fatalf("tokenless in optional mode: %d", st)
	}
	e.SetMetadataTokenRequired(true)
	if st, _ := metaGet(t, srv.URL, "/latest/meta-data/instance-id", ""); st != 403 {
		t.Fatalf("tokenless in required mode: %d", st)
	}
	fc.Advance(61 * time.Second)
	if st, _ := metaGet(t, srv.URL, "/latest/meta-data/instance-id", tok); st != 401 {
		t.Fatalf("expired token: %d", st)
	}
	// A token is bound to the instance it was issued on.
	_, tok = putToken(t, srv.URL, "60", false)
	e.SetMetadataInstance(testInst1)
	if st, _ := metaGet(t, srv.URL, "/latest/meta-data/instance-id", tok); st != 401 {
		t.Fatalf("token of another instance: %d", st)
	}
}

func TestMetadataItems(t *testing.T) {
	e, _ := newTestEmulator(t)
	seedBasic(t, e)
	e.SetMetadataInstance(testInst3)
	srv := httptest.NewServer(e.MetadataHandler())
	defer srv.Close()
	in, _ := func() (*Instance, bool) { e.mu.Lock(); defer e.mu.Unlock(); return e.instanceByID(testInst3) }()
	mac := in.MAC
	for path, want := range map[string]string{
		"region-id": "cn-hangzhou", "zone-id": "cn-hangzhou-i", "vpc-id": testVPC, "vswitch-id": testVSWI,
		"instance-id": testInst3, "private-ipv4": "192.168.1.13", "instance/instance-type": "ecs.g6.large",
		"mac": mac, "vpc-cidr-block": "192.168.0.0/16", "vswitch-cidr-block": "192.168.1.0/24",
		"hostname": in.HostName, "network/interfaces/macs/": mac + "/",
		"network/interfaces/macs/" + mac + "/network-interface-id": "eni-node3",
		"network/interfaces/macs/" + mac + "/private-ipv4s":        `["192.168.1.13"]`,
		"network/interfaces/macs/" + mac + "/gateway":              "192.168.1.253",
		"network/interfaces/macs/" + mac + "/netmask":              "255.255.255.0",
	} {
		if st, body := metaGet(t, srv.URL, "/latest/meta-data/"+path, ""); st != 200 || body != want {
			t.Errorf("%s: %d %q want %q", path, st, body, want)
		}
	}
	if st, _ := metaGet(t, srv.URL, "/latest/meta-data/ram/security-credentials/", ""); st != 404 {
		t.Errorf("no role: %d", st)
	}
	if st, _ := metaGet(t, srv.URL, "/latest/meta-data/nope", ""); st != 404 {
		t.Errorf("unknown item: %d", st)
	}
}

func TestMetadataRAMCredentials(t *testing.T) {
	fc := NewFakeClock(time.Now())
	e, c := newTestEmulator(t, withFakeClock(fc))
	seedBasic(t, e)
	if err := e.AddInstance(Instance{InstanceID: "i-role", VSwitchID: testVSWH, PrivateIP: "192.168.0.77", RAMRole: "NodeRole"}); err != nil {
		t.Fatal(err)
	}
	e.SetMetadataInstance("i-role")
	e.SetMetadataCredentialTTL(10 * time.Minute)
	srv := httptest.NewServer(e.MetadataHandler())
	defer srv.Close()
	if st, body := metaGet(t, srv.URL, "/latest/meta-data/ram/security-credentials/", ""); st != 200 || body != "NodeRole" {
		t.Fatalf("%d %q", st, body)
	}
	read := func() map[string]string {
		st, body := metaGet(t, srv.URL, "/latest/meta-data/ram/security-credentials/NodeRole", "")
		var m map[string]string
		if st != 200 || json.Unmarshal([]byte(body), &m) != nil || m["Code"] != "Success" {
			t.Fatalf("%d %s", st, body)
		}
		return m
	}
	first := read()
	exp, _ := time.Parse("2006-01-02T15:04:05Z", first["Expiration"])
	if d := exp.Sub(fc.Now()); d < 9*time.Minute || d > 10*time.Minute {
		t.Fatalf("expiration in %v", d)
	}
	// The issued triple is accepted by the API.
	_, _, ec := sdkClients(t, c.Host, first["AccessKeyId"], first["AccessKeySecret"], first["SecurityToken"])
	if _, err := ec.DescribeInstances(ecs.CreateDescribeInstancesRequest()); err != nil {
		t.Fatalf("sts call: %v", err)
	}
	if again := read(); again["AccessKeyId"] != first["AccessKeyId"] {
		t.Fatal("credential rotated too early")
	}
	fc.Advance(6 * time.Minute) // inside the refresh window (half the TTL)
	second := read()
	if second["AccessKeyId"] == first["AccessKeyId"] {
		t.Fatal("credential not refreshed")
	}
	// Both remain usable until the first expires.
	if _, err := ec.DescribeInstances(ecs.CreateDescribeInstancesRequest()); err != nil {
		t.Fatalf("old credential before expiry: %v", err)
	}
	fc.Advance(5 * time.Minute)
	_, err := ec.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	wantErr(t, err, "InvalidSecurityToken.Expired", 400)
	for _, a := range e.Audit() {
		if a.Params["SecurityToken"] != "" {
			t.Fatal("token in audit")
		}
	}
}
