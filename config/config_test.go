package config

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

const (
	testID     = "LTAI5tTestKeyId01"
	testSecret = "S3CR3T-HAeS0123456789abcdefXYZ"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

var logs syncBuffer

// TestMain captures klog at -v=10 and fails the run if a secret was logged.
func TestMain(m *testing.M) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for k, v := range map[string]string{"v": "10", "logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "FATAL"} {
		if err := fs.Set(k, v); err != nil {
			panic(err)
		}
	}
	klog.SetOutput(&logs)
	code := m.Run()
	klog.Flush()
	logs.mu.Lock()
	out := logs.b.String()
	logs.mu.Unlock()
	for _, s := range []string{testSecret, b64(testSecret), "S3CR3T"} {
		if strings.Contains(out, s) {
			fmt.Fprintf(os.Stderr, "FAIL: secret in logs:\n%s\n", out)
			code = 1
		}
	}
	// The canary lines come from particular tests: a -run filter (make docs
	// runs one test) may skip them, so the check only holds for a full run.
	fullRun := flag.Lookup("test.run") == nil || flag.Lookup("test.run").Value.String() == ""
	if fullRun && (!strings.Contains(out, "Filled cloud-config from the ECS metadata service") || !strings.Contains(out, "config dump")) {
		fmt.Fprintf(os.Stderr, "FAIL: log capture is not working:\n%s\n", out)
		code = 1
	}
	os.Exit(code)
}

func noSecret(t *testing.T, s string) {
	t.Helper()
	for _, x := range []string{testSecret, b64(testSecret), "S3CR3T"} {
		if strings.Contains(s, x) {
			t.Fatalf("secret leaked: %s", s)
		}
	}
}

// seedJSON is what configmap-ccm.sh writes.
var seedJSON = fmt.Sprintf(`{
    "Global": {
        "accessKeyID": "%s",
        "accessKeySecret": "%s",
        "region": "cn-hangzhou"
    }
}`, b64(testID), b64(testSecret))

func TestReadFormats(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"seed json", seedJSON},
		{"json with tabs", strings.ReplaceAll(seedJSON, "    ", "\t")},
		{"yaml", fmt.Sprintf("Global:\n  accessKeyID: %s\n  accessKeySecret: \"%s\"\n  region: cn-hangzhou\n", b64(testID), b64(testSecret))},
		{"yaml flow", fmt.Sprintf("{Global: {accessKeyID: %s, accessKeySecret: %s, region: cn-hangzhou}}", b64(testID), b64(testSecret))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, warns, err := Read(strings.NewReader(tc.in))
			if err != nil || len(warns) != 0 {
				t.Fatalf("err %v, warnings %v", err, warns)
			}
			if cfg.Global.AccessKeyID.Value() != testID || cfg.Global.AccessKeySecret.Value() != testSecret || cfg.Global.Region != "cn-hangzhou" {
				t.Fatalf("got %s", cfg)
			}
			// Defaults.
			g := cfg.Global
			if g.ClusterID != "" || g.Network != "vpc" || g.ServiceBackendType != "ecs" || g.MetadataEndpoint != metadata.DefaultEndpoint ||
				g.MetadataTokenMode != "preferred" || g.KubernetesClusterTag != "ack.aliyun.com" {
				t.Fatalf("defaults not applied: %s", cfg)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// fullJSON sets every field that has an effect.
var fullJSON = fmt.Sprintf(`{"Global": {
  "accessKeyID": %q, "accessKeySecret": %q, "credentialsFile": "/etc/ccm/sts.json",
  "region": "cn-beijing", "vpcid": "vpc-2ze0abc", "vswitchid": "cn-beijing-a:vsw-2zea,cn-beijing-b:vsw-2zeb", "zoneid": "cn-beijing-a",
  "clusterID": "c0ffee123", "kubernetesClusterTag": "k8s.io/cluster", "routeTableIDs": "vtb-1, vtb-2", "resourceGroupID": "rg-acfm",
  "serviceBackendType": "eni", "disablePublicSLB": true,
  "quotaBackendServersPerCLB": 400, "quotaListenersPerCLB": 60, "quotaVServerGroupsPerInstance": 70, "quotaRouteEntriesPerTable": 300,
  "quotaServersPerNLBServerGroup": 500, "quotaServersPerNLB": 600, "quotaListenersPerNLB": 70, "quotaNLBServerGroupsPerServer": 250, "featureGates": "IPv6DualStack=true,EndpointSlice=false",
  "network": "public", "slbEndpoint": "slb.example.com", "vpcEndpoint": "http://127.0.0.1:8080", "ecsEndpoint": "https://ecs.example.com:8443", "nlbEndpoint": "nlb.example.com",
  "stsEndpoint": "sts.example.com", "metadataEndpoint": "127.0.0.1:9999", "metadataTokenMode": "required",
  "apiQPS": {"slb": 5, "vpc": -1, "ecs": 2.5}, "apiBurst": {"slb": 10, "ecs": 3}
}}`, b64(testID), b64(testSecret))

func TestReadEveryField(t *testing.T) {
	cfg, warns, err := Read(strings.NewReader(fullJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "credentialsFile") {
		t.Fatalf("warnings = %v, want only the credentialsFile precedence warning", warns)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := cfg.Global
	want := Global{
		AccessKeyID: testID, AccessKeySecret: testSecret, CredentialsFile: "/etc/ccm/sts.json",
		Region: "cn-beijing", VpcID: "vpc-2ze0abc", VSwitchID: "cn-beijing-a:vsw-2zea,cn-beijing-b:vsw-2zeb", ZoneID: "cn-beijing-a",
		ClusterID: "c0ffee123", KubernetesClusterTag: "k8s.io/cluster", RouteTableIDs: "vtb-1, vtb-2", ResourceGroupID: "rg-acfm",
		ServiceBackendType: "eni", DisablePublicSLB: true,
		QuotaBackendServersPerCLB: 400, QuotaListenersPerCLB: 60, QuotaVServerGroupsPerInstance: 70, QuotaRouteEntriesPerTable: 300,
		QuotaServersPerNLBServerGroup: 500, QuotaServersPerNLB: 600, QuotaListenersPerNLB: 70, QuotaNLBServerGroupsPerServer: 250, FeatureGates: "IPv6DualStack=true,EndpointSlice=false",
		Network: "public", SLBEndpoint: "slb.example.com", VPCEndpoint: "http://127.0.0.1:8080", ECSEndpoint: "https://ecs.example.com:8443", NLBEndpoint: "nlb.example.com",
		STSEndpoint: "sts.example.com", MetadataEndpoint: "127.0.0.1:9999", MetadataTokenMode: "required",
		APIQPS: map[string]float64{"slb": 5, "vpc": -1, "ecs": 2.5}, APIBurst: map[string]int{"slb": 10, "ecs": 3},
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("got  %+v\nwant %+v", g, want)
	}
	// Every non-ignored field is covered by fullJSON.
	gv := reflect.ValueOf(g)
	for _, f := range globalFields {
		if f.ignored == "" && gv.Field(f.index).IsZero() {
			t.Errorf("fullJSON does not set Global.%s", f.name)
		}
	}
	// Accessors.
	if vs := g.VSwitches(); len(vs) != 2 || vs[1] != (ZoneVSwitch{Zone: "cn-beijing-b", VSwitch: "vsw-2zeb"}) {
		t.Errorf("VSwitches = %v", vs)
	}
	if rt := g.RouteTables(); !reflect.DeepEqual(rt, []string{"vtb-1", "vtb-2"}) {
		t.Errorf("RouteTables = %v", rt)
	}
	if fg := g.FeatureGateMap(); !reflect.DeepEqual(fg, map[string]bool{"IPv6DualStack": true, "EndpointSlice": false}) {
		t.Errorf("FeatureGateMap = %v", fg)
	}
	if q, b := g.RateLimit(ProductECS); q != 2.5 || b != 3 {
		t.Errorf("RateLimit(ecs) = %v, %v", q, b)
	}
	if q, b := g.RateLimit(ProductVPC); q != -1 || b != 0 {
		t.Errorf("RateLimit(vpc) = %v, %v", q, b)
	}
	if g.Endpoint(ProductVPC) != "http://127.0.0.1:8080" || g.Endpoint("sts") != "sts.example.com" || g.Endpoint(ProductNLB) != "nlb.example.com" || g.Endpoint("alb") != "" {
		t.Errorf("Endpoint")
	}
	if g.MetadataURL() != "http://127.0.0.1:9999" {
		t.Errorf("MetadataURL = %s", g.MetadataURL())
	}
	mo := g.MetadataOptions()
	if mo.Endpoint != "http://127.0.0.1:9999" || mo.TokenMode != metadata.TokenRequired {
		t.Errorf("MetadataOptions = %+v", mo)
	}
	co := g.CredentialsOptions(nil)
	if co.AccessKeyID != testID || co.AccessKeySecret != testSecret || co.Region != "cn-beijing" || co.Network != "public" || co.STSEndpoint != "sts.example.com" || co.CredentialsFile != "/etc/ccm/sts.json" {
		t.Errorf("CredentialsOptions = %+v", co)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "  \n", []string{"empty"}},
		{"not an object", `["Global"]`, []string{`"Global" object`}},
		{"no Global", `{"global2": {}}`, []string{`no "Global"`}},
		{"Global not an object", `{"Global": "x"}`, []string{`"Global" must be an object`}},
		{"bad yaml", "Global:\n  region: [a\n", []string{"neither JSON nor YAML"}},
		{"bad base64", fmt.Sprintf(`{"Global": {"accessKeyID": %q, "accessKeySecret": %q}}`, b64(testID), testSecret+"!"),
			[]string{"Global.accessKeySecret must be base64 (value not shown)"}},
		{"plain key that is valid base64", fmt.Sprintf(`{"Global": {"accessKeyID": "LTAI5tAbCdEf1234", "accessKeySecret": %q}}`, b64(testSecret)),
			[]string{"Global.accessKeyID must be base64", "plain, unencoded value"}},
		{"secret not a string", `{"Global": {"accessKeySecret": 12345}}`, []string{"Global.accessKeySecret: want a string, got a JSON number"}},
		{"aggregated type errors", `{"Global": {"region": 1, "disablePublicSLB": "yes", "apiQPS": {"slb": "fast"}, "vswitchid": ["vsw-a"]}}`,
			[]string{"Global.region: want a string, got a JSON number", "Global.disablePublicSLB: want true or false, got a JSON string",
				"Global.apiQPS: want an object of a number, got a JSON string", "Global.vswitchid: want a string, got a JSON array"}},
		{"same field twice in different case", `{"Global": {"vpcid": "vpc-a", "VpcId": "vpc-b"}}`, []string{"Global.vpcid: set twice"}},
		{"empty after decoding", fmt.Sprintf(`{"Global": {"accessKeyID": %q}}`, b64("\n")), []string{"decodes to an empty value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			noSecret(t, err.Error())
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestReadWarnings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		want  []string
		check func(*testing.T, *CloudConfig)
	}{
		{"unknown fields", `{"Global": {"region": "cn-hangzhou", "vpcID2": "x", "slbEndpiont": "y"}, "Other": 1}`,
			[]string{"unknown field Global.slbEndpiont ignored", "unknown field Global.vpcID2 ignored", `unknown top-level field "Other"`}, nil},
		{"case-insensitive names", `{"global": {"VpcId": "vpc-a", "RouteTableIds": "vtb-a"}}`,
			[]string{`"global": accepted as "Global"`, "Global.VpcId: accepted as vpcid", "Global.RouteTableIds: accepted as routeTableIDs"},
			func(t *testing.T, c *CloudConfig) {
				if c.Global.VpcID != "vpc-a" || c.Global.RouteTableIDs != "vtb-a" {
					t.Errorf("values not applied: %s", c)
				}
			}},
		{"ignored official-CCM fields", `{"Global": {"uid": "123", "privateZoneId": "pz", "privateZoneRecordTTL": 60, "nodeMonitorPeriod": 5, "nodeAddrSyncPeriod": 5,
			"serviceMaxConcurrentReconciles": 3, "nodeMaxConcurrentReconciles": 1, "routeMaxConcurrentReconciles": 1}}`,
			[]string{"Global.uid is ignored: ServiceToken mode is not supported", "Global.privateZoneId is ignored", "Global.privateZoneRecordTTL is ignored",
				"Global.nodeMonitorPeriod is ignored", "Global.nodeAddrSyncPeriod is ignored", "Global.serviceMaxConcurrentReconciles is ignored",
				"Global.nodeMaxConcurrentReconciles is ignored", "Global.routeMaxConcurrentReconciles is ignored"}, nil},
		{"unknown feature gate", `{"Global": {"featureGates": "IPv6DualStack=true,Turbo=true"}}`, []string{`unknown feature gate "Turbo"`}, nil},
		{"secret encoded with echo", fmt.Sprintf(`{"Global": {"accessKeyID": %q, "accessKeySecret": %q}}`, b64(testID+"\n"), b64(testSecret+"\n")),
			[]string{"Global.accessKeyID: the decoded value ends with a newline", "Global.accessKeySecret: the decoded value ends with a newline"},
			func(t *testing.T, c *CloudConfig) {
				if c.Global.AccessKeySecret.Value() != testSecret || c.Global.AccessKeyID.Value() != testID {
					t.Error("newline not removed")
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, warns, err := Read(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			noSecret(t, warns.String())
			if len(warns) != len(tc.want) {
				t.Errorf("warnings = %q, want %d", warns, len(tc.want))
			}
			for _, w := range tc.want {
				if !strings.Contains(warns.String(), w) {
					t.Errorf("warnings %q lack %q", warns, w)
				}
			}
			if tc.check != nil {
				tc.check(t, cfg)
			}
		})
	}
}
