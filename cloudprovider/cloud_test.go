package cloudprovider

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

const (
	testKeyID     = "LTAItestkeyid"
	testKeySecret = "s3cr3t-value-that-must-not-leak"
)

// startEmulator runs an in-process emulator seeded with one VPC and one ECS
// instance that the metadata service answers for.
func startEmulator(t *testing.T) *emulator.Servers {
	t.Helper()
	srv, err := emulator.Start(emulator.Config{AccessKeys: map[string]string{testKeyID: testKeySecret}}, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	err = srv.Emulator.Seed(emulator.SeedState{
		Zones:     []string{"cn-hangzhou-h"},
		VPCs:      []emulator.VPC{{VpcID: "vpc-1", CidrBlock: "192.168.0.0/16", VRouterID: "vrt-1"}},
		VSwitches: []emulator.VSwitch{{VSwitchID: "vsw-1", VpcID: "vpc-1", ZoneID: "cn-hangzhou-h", CidrBlock: "192.168.0.0/24"}},
		Instances: []emulator.Instance{{InstanceID: "i-master", ZoneID: "cn-hangzhou-h", VpcID: "vpc-1", VSwitchID: "vsw-1", PrivateIP: "192.168.0.10"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Emulator.SetMetadataInstance("i-master")
	return srv
}

func writeConfig(t *testing.T, global map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"Global":{`)
	first := true
	for k, v := range global {
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, "%q:%q", k, v)
	}
	b.WriteString("}}")
	path := filepath.Join(t.TempDir(), "cloud-config.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// endpoints points every product, STS and the metadata service at srv.
func endpoints(srv *emulator.Servers) map[string]string {
	return map[string]string{
		"slbEndpoint": srv.APIURL, "vpcEndpoint": srv.APIURL, "ecsEndpoint": srv.APIURL, "nlbEndpoint": srv.APIURL,
		"stsEndpoint": srv.APIURL, "metadataEndpoint": srv.MetadataURL,
	}
}

func TestNewFromFile(t *testing.T) {
	srv := startEmulator(t)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		global  map[string]string
		wantErr string
		wantVPC string
	}{
		{
			name:    "seed config: keys and region, the rest from the metadata service",
			global:  map[string]string{"accessKeyID": b64(testKeyID), "accessKeySecret": b64(testKeySecret), "region": "cn-hangzhou"},
			wantVPC: "vpc-1",
		},
		{
			name:    "config values win over metadata",
			global:  map[string]string{"accessKeyID": b64(testKeyID), "accessKeySecret": b64(testKeySecret), "region": "cn-hangzhou", "vpcid": "vpc-configured"},
			wantVPC: "vpc-configured",
		},
		{
			name:    "bad base64 names the field, not the value",
			global:  map[string]string{"accessKeyID": b64(testKeyID), "accessKeySecret": "%%%" + testKeySecret, "region": "cn-hangzhou"},
			wantErr: "accessKeySecret",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := endpoints(srv)
			for k, v := range tc.global {
				g[k] = v
			}
			cloud, err := NewFromFile(writeConfig(t, g), Options{UserAgent: "alicloud-ccm/test"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testKeySecret) {
					t.Fatalf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cloud.cfg.Global.VpcID; got != tc.wantVPC {
				t.Errorf("vpc = %q, want %q", got, tc.wantVPC)
			}
		})
	}
}

func TestNewFromFileOffECSNamesTheField(t *testing.T) {
	// No region in the file and no metadata service: the error says what to set.
	path := writeConfig(t, map[string]string{
		"accessKeyID": base64.StdEncoding.EncodeToString([]byte(testKeyID)), "accessKeySecret": base64.StdEncoding.EncodeToString([]byte(testKeySecret)),
		"metadataEndpoint": "http://127.0.0.1:1", "slbEndpoint": "http://127.0.0.1:1", "vpcEndpoint": "http://127.0.0.1:1", "ecsEndpoint": "http://127.0.0.1:1",
	})
	_, err := NewFromFile(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "set Global.region") {
		t.Fatalf("err = %v, want it to say which field to set", err)
	}
}

// TestPreflightCallsAPIWithoutLeakingSecrets runs the start-up check through
// the real SDK against the emulator with klog at -v=10 and checks that no
// secret appears in the log.
func TestPreflightCallsAPIWithoutLeakingSecrets(t *testing.T) {
	var logs bytes.Buffer
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", "10")
	_ = fs.Set("logtostderr", "false")
	klog.SetOutput(&logs)
	defer func() { _ = fs.Set("v", "0"); _ = fs.Set("logtostderr", "true"); klog.SetOutput(os.Stderr) }()

	srv := startEmulator(t)
	g := endpoints(srv)
	g["accessKeyID"] = base64.StdEncoding.EncodeToString([]byte(testKeyID))
	g["accessKeySecret"] = base64.StdEncoding.EncodeToString([]byte(testKeySecret))
	g["region"] = "cn-hangzhou"
	cloud, err := NewFromFile(writeConfig(t, g), Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	cloud.Initialize(nil, stop)
	deadline := time.Now().Add(10 * time.Second)
	for srv.Emulator.CallCount("DescribeVpcAttribute", "") == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := srv.Emulator.CallCount("DescribeVpcAttribute", ""); n == 0 {
		t.Fatalf("preflight made no DescribeVpcAttribute call")
	}
	klog.Flush()
	if strings.Contains(logs.String(), testKeySecret) {
		t.Fatalf("log leaks the AccessKey secret")
	}
}
