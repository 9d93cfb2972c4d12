package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

func validBase() *CloudConfig {
	c := &CloudConfig{Global: Global{Region: "cn-hangzhou", VpcID: "vpc-abc"}}
	c.applyDefaults()
	return c
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Global)
		want []string // each error must name the field and the value
	}{
		{"ok", func(*Global) {}, nil},
		{"half key pair", func(g *Global) { g.AccessKeySecret = testSecret }, []string{"Global.accessKeySecret is set but Global.accessKeyID is not"}},
		{"region", func(g *Global) { g.Region = "Hangzhou" }, []string{`Global.region: invalid value "Hangzhou"`}},
		{"vpcid", func(g *Global) { g.VpcID = "vsw-abc" }, []string{`Global.vpcid: invalid value "vsw-abc"`}},
		{"zone format", func(g *Global) { g.ZoneID = "h" }, []string{`Global.zoneid: invalid value "h"`}},
		{"zone not in region", func(g *Global) { g.ZoneID = "cn-beijing-a" }, []string{`Global.zoneid: invalid value "cn-beijing-a": zone is not in Global.region "cn-hangzhou"`}},
		{"bare vswitch", func(g *Global) { g.VSwitchID = "vsw-abc" }, nil},
		{"vswitch entry", func(g *Global) { g.VSwitchID = "cn-hangzhou-h:vsw-a,vpc-b" }, []string{`Global.vswitchid: invalid value "cn-hangzhou-h:vsw-a,vpc-b": entry "vpc-b"`}},
		{"vswitch duplicate", func(g *Global) { g.VSwitchID = "cn-hangzhou-h:vsw-a,cn-hangzhou-i:vsw-a" }, []string{"vSwitch vsw-a listed twice"}},
		{"vswitch zone", func(g *Global) { g.VSwitchID = "cn-beijing-a:vsw-a" }, []string{`Global.vswitchid: invalid value "cn-beijing-a:vsw-a": zone "cn-beijing-a" is not in Global.region`}},
		{"route tables", func(g *Global) { g.RouteTableIDs = "vtb-a,rtb-b" }, []string{`Global.routeTableIDs: invalid value "vtb-a,rtb-b": entry "rtb-b"`}},
		{"route table duplicate", func(g *Global) { g.RouteTableIDs = "vtb-a,vtb-a" }, []string{"vtb-a listed twice"}},
		{"resource group", func(g *Global) { g.ResourceGroupID = "group1" }, []string{`Global.resourceGroupID: invalid value "group1"`}},
		{"cluster id", func(g *Global) { g.ClusterID = "my cluster" }, []string{`Global.clusterID: invalid value "my cluster"`}},
		{"cluster tag", func(g *Global) { g.KubernetesClusterTag = "a,b" }, []string{`Global.kubernetesClusterTag: invalid value "a,b"`}},
		{"backend type", func(g *Global) { g.ServiceBackendType = "eci" }, []string{`Global.serviceBackendType: invalid value "eci": want one of ecs, eni`}},
		{"network", func(g *Global) { g.Network = "internet" }, []string{`Global.network: invalid value "internet"`}},
		{"token mode", func(g *Global) { g.MetadataTokenMode = "v2" }, []string{`Global.metadataTokenMode: invalid value "v2"`}},
		{"feature gates", func(g *Global) { g.FeatureGates = "IPv6DualStack" }, []string{`Global.featureGates: invalid value "IPv6DualStack": entry "IPv6DualStack"`}},
		{"endpoint scheme", func(g *Global) { g.SLBEndpoint = "ftp://slb" }, []string{`Global.slbEndpoint: invalid value "ftp://slb"`}},
		{"endpoint path", func(g *Global) { g.VPCEndpoint = "https://vpc.example.com/api" }, []string{`Global.vpcEndpoint: invalid value "https://vpc.example.com/api"`}},
		{"endpoint port", func(g *Global) { g.ECSEndpoint = "ecs.example.com:99999" }, []string{`Global.ecsEndpoint: invalid value "ecs.example.com:99999": port`}},
		{"sts endpoint", func(g *Global) { g.STSEndpoint = "http://" }, []string{`Global.stsEndpoint: invalid value "http://"`}},
		{"metadata endpoint", func(g *Global) { g.MetadataEndpoint = "http://100.100.100.200/latest" }, []string{`Global.metadataEndpoint: invalid value`}},
		{"qps product", func(g *Global) { g.APIQPS = map[string]float64{"alb": 1} }, []string{`Global.apiQPS: unknown product "alb"`}},
		{"qps zero", func(g *Global) { g.APIQPS = map[string]float64{"slb": 0} }, []string{"Global.apiQPS.slb: invalid value 0"}},
		{"burst", func(g *Global) { g.APIBurst = map[string]int{"ecs": 0, "sts": 1} }, []string{"Global.apiBurst.ecs: invalid value 0", `Global.apiBurst: unknown product "sts"`}},
		{"quota", func(g *Global) { g.QuotaListenersPerCLB = -1 }, []string{`Global.quotaListenersPerCLB: invalid value "-1"`}},
		{"NLB quota", func(g *Global) { g.QuotaServersPerNLB = -2 }, []string{`Global.quotaServersPerNLB: invalid value "-2"`}},
		{"all at once", func(g *Global) { g.Region, g.VpcID, g.Network, g.ServiceBackendType = "x", "y", "z", "w" },
			[]string{"Global.region", "Global.vpcid", "Global.network", "Global.serviceBackendType"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validBase()
			tc.mod(&c.Global)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			noSecret(t, err.Error())
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := len(strings.Split(err.Error(), "\n")); n != len(tc.want) {
				t.Errorf("%d errors, want %d: %v", n, len(tc.want), err)
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, scheme, want string }{
		{"", "https", "<nil>"},
		{"slb.example.com", "https", "https://slb.example.com"},
		{"slb.example.com:8443", "https", "https://slb.example.com:8443"},
		{"http://127.0.0.1:8080/", "https", "http://127.0.0.1:8080"},
		{"100.100.100.200", "http", "http://100.100.100.200"},
		{"[::1]:80", "https", "https://[::1]:80"},
		{"https://user@x", "https", "error"},
		{"https://x?a=b", "https", "error"},
		{"tcp://x", "https", "error"},
		{":80", "https", "error"},
	} {
		u, err := ParseEndpoint(tc.in, tc.scheme)
		got := fmt.Sprint(u)
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("ParseEndpoint(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// fakeMD is a MetadataSource; a nil map entry means "not found".
type fakeMD struct {
	items map[string]string
	err   error // returned for everything when set
	calls int
}

func (f *fakeMD) get(k string) (string, error) {
	f.calls++
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.items[k]
	if !ok {
		return "", fmt.Errorf("metadata GET %s: %w", k, metadata.ErrNotFound)
	}
	return v, nil
}
func (f *fakeMD) RegionID(context.Context) (string, error)   { return f.get("region-id") }
func (f *fakeMD) ZoneID(context.Context) (string, error)     { return f.get("zone-id") }
func (f *fakeMD) VpcID(context.Context) (string, error)      { return f.get("vpc-id") }
func (f *fakeMD) VSwitchID(context.Context) (string, error)  { return f.get("vswitch-id") }
func (f *fakeMD) InstanceID(context.Context) (string, error) { return f.get("instance-id") }

func ecsMD() *fakeMD {
	return &fakeMD{items: map[string]string{"region-id": "cn-hangzhou", "zone-id": "cn-hangzhou-h", "vpc-id": "vpc-md", "vswitch-id": "vsw-md", "instance-id": "i-md"}}
}

func TestComplete(t *testing.T) {
	unreachable := fmt.Errorf("%w at http://100.100.100.200 (3 attempts): dial tcp: i/o timeout", metadata.ErrUnreachable)
	for _, tc := range []struct {
		name      string
		cfg       string
		md        MetadataSource
		want      Global // only the four location fields are compared
		wantErr   []string
		wantWarn  []string
		wantCalls int
		wantInst  string
	}{
		{name: "all from metadata", cfg: `{"Global": {}}`, md: ecsMD(),
			want: Global{Region: "cn-hangzhou", VpcID: "vpc-md", ZoneID: "cn-hangzhou-h", VSwitchID: "cn-hangzhou-h:vsw-md"}, wantCalls: 5, wantInst: "i-md"},
		{name: "config wins", cfg: `{"Global": {"region": "cn-hangzhou", "vpcid": "vpc-cfg", "zoneid": "cn-hangzhou-i"}}`, md: ecsMD(),
			want: Global{Region: "cn-hangzhou", VpcID: "vpc-cfg", ZoneID: "cn-hangzhou-i", VSwitchID: "vsw-md"}, wantCalls: 2, wantInst: "i-md"},
		{name: "fully configured does not ask", cfg: `{"Global": {"region": "cn-hangzhou", "vpcid": "vpc-cfg", "zoneid": "cn-hangzhou-i", "vswitchid": "vsw-cfg"}}`,
			md: &fakeMD{err: unreachable}, want: Global{Region: "cn-hangzhou", VpcID: "vpc-cfg", ZoneID: "cn-hangzhou-i", VSwitchID: "vsw-cfg"}, wantCalls: 0},
		{name: "off ECS: region missing", cfg: `{"Global": {"vpcid": "vpc-cfg"}}`, md: &fakeMD{err: unreachable},
			wantErr:  []string{"Global.region is not set and the ECS metadata service is unreachable (ECS metadata service is unreachable at http://100.100.100.200 (3 attempts): dial tcp: i/o timeout): set Global.region"},
			wantWarn: []string{"Global.zoneid is not set", "Global.vswitchid is not set"}, wantCalls: 1},
		{name: "off ECS: both missing, asked once", cfg: `{"Global": {}}`, md: &fakeMD{err: unreachable},
			wantErr: []string{"set Global.region", "Global.vpcid is not set and the ECS metadata service is unreachable", "set Global.vpcid"}, wantCalls: 1},
		{name: "lookups disabled", cfg: `{"Global": {"vpcid": "vpc-cfg"}}`, md: nil,
			wantErr: []string{"Global.region is not set and the ECS metadata service is unreachable (metadata lookups are disabled): set Global.region"}},
		{name: "classic network instance", cfg: `{"Global": {}}`, md: &fakeMD{items: map[string]string{"region-id": "cn-hangzhou", "zone-id": "cn-hangzhou-h", "instance-id": "i-x"}},
			wantErr:  []string{"Global.vpcid is not set and the ECS metadata service did not provide it (metadata GET vpc-id: metadata item not found): set Global.vpcid"},
			wantWarn: []string{"Global.vswitchid is not set and the ECS metadata service did not provide it"}, wantCalls: 5},
		{name: "metadata region invalid for config zone", cfg: `{"Global": {"zoneid": "cn-beijing-a"}}`, md: ecsMD(),
			wantErr: []string{`Global.zoneid: invalid value "cn-beijing-a": zone is not in Global.region "cn-hangzhou"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := Read(strings.NewReader(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			warns, err := cfg.Complete(context.Background(), tc.md)
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
			if len(tc.wantErr) == 0 && err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.wantWarn {
				if !strings.Contains(warns.String(), w) {
					t.Errorf("warnings %q lack %q", warns, w)
				}
			}
			if f, ok := tc.md.(*fakeMD); ok && tc.wantCalls != 0 && f.calls != tc.wantCalls {
				t.Errorf("metadata calls = %d, want %d", f.calls, tc.wantCalls)
			}
			if len(tc.wantErr) > 0 {
				return
			}
			g := cfg.Global
			if got := (Global{Region: g.Region, VpcID: g.VpcID, ZoneID: g.ZoneID, VSwitchID: g.VSwitchID}); !reflectEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if cfg.Discovered.InstanceID != tc.wantInst {
				t.Errorf("instance = %q, want %q", cfg.Discovered.InstanceID, tc.wantInst)
			}
		})
	}
}

func reflectEqual(a, b Global) bool {
	return a.Region == b.Region && a.VpcID == b.VpcID && a.ZoneID == b.ZoneID && a.VSwitchID == b.VSwitchID
}

// TestCompleteOffECSFailsFast runs the real metadata client against an
// address that refuses connections: the error comes in well under 5 s.
func TestCompleteOffECSFailsFast(t *testing.T) {
	md, err := metadata.New(metadata.Options{Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Read(strings.NewReader(`{"Global": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Complete(context.Background(), md)
	if err == nil || !strings.Contains(err.Error(), "set Global.region") || !strings.Contains(err.Error(), "set Global.vpcid") || !errors.Is(err, err) {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	cfg, _, err := Read(strings.NewReader(fullJSON))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(cfg)
	gjs, _ := json.Marshal(cfg.Global)
	for _, s := range []string{
		cfg.String(), cfg.RedactedString(), fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s %q", cfg, cfg, cfg, cfg, cfg),
		fmt.Sprintf("%v %+v %#v", *cfg, cfg.Global, cfg.Global), fmt.Sprintf("%s %q %x", cfg.Global.AccessKeySecret, cfg.Global.AccessKeySecret, cfg.Global.AccessKeySecret),
		string(js), string(gjs),
	} {
		noSecret(t, s)
	}
	if !strings.Contains(cfg.RedactedString(), `"accessKeySecret":"[redacted]"`) || !strings.Contains(cfg.RedactedString(), `"region":"cn-beijing"`) {
		t.Errorf("RedactedString = %s", cfg.RedactedString())
	}
	klog.InfoS("config dump", "cfg", cfg, "global", cfg.Global, "secret", cfg.Global.AccessKeySecret)
	klog.V(10).Infof("config dump %v %+v", cfg, cfg.Global)
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.conf")
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(good, []byte(seedJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"Global": {"region": "x", "network": "y", "accessKeySecret": "`+testSecret+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(good); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "Global.accessKeySecret must be base64") {
		t.Fatalf("err = %v", err)
	}
	noSecret(t, err.Error())
	_, _, err = Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("want error")
	}
}
