package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

func TestFaults(t *testing.T) {
	type step struct {
		advance time.Duration
		code    string // "" = success
		status  int
	}
	now := time.Now()
	cases := []struct {
		name    string
		profile FaultProfile
		steps   []step
	}{
		{"throttle 2/s burst 2", FaultProfile{Throttle: map[string]ThrottleSpec{"DescribeInstances": {Rate: 2, Burst: 2}}},
			[]step{{0, "", 0}, {0, "", 0}, {0, "Throttling.User", 400}, {500 * time.Millisecond, "", 0}, {0, "Throttling.User", 400}}},
		{"injected error twice", FaultProfile{Errors: []ErrorRule{{Match: "Ecs.DescribeInstances", Code: "InternalError", Count: 2}}},
			[]step{{0, "InternalError", 500}, {0, "InternalError", 500}, {0, "", 0}}},
		{"outage next 2 calls", FaultProfile{Outages: []Outage{{Product: "Ecs", Calls: 2}}},
			[]step{{0, "ServiceUnavailable", 503}, {0, "ServiceUnavailable", 503}, {0, "", 0}}},
		{"outage window", FaultProfile{Outages: []Outage{{Product: "*", From: now.Add(time.Second), Until: now.Add(3 * time.Second)}}},
			[]step{{0, "", 0}, {time.Second, "ServiceUnavailable", 503}, {2 * time.Second, "", 0}}},
		{"other product unaffected", FaultProfile{Outages: []Outage{{Product: "Slb", Calls: 5}}}, []step{{0, "", 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc := NewFakeClock(now)
			e, c := newTestEmulator(t, withFakeClock(fc))
			seedBasic(t, e)
			e.SetFaults(tc.profile)
			for i, s := range tc.steps {
				fc.Advance(s.advance)
				_, err := c.ECS.DescribeInstances(ecs.CreateDescribeInstancesRequest())
				if s.code == "" {
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					continue
				}
				wantErr(t, err, s.code, s.status)
			}
		})
	}
}

func TestInjectedErrorRateIsDeterministic(t *testing.T) {
	run := func() []string {
		e, c := newTestEmulator(t)
		seedBasic(t, e)
		e.SetFaults(FaultProfile{Seed: 42, Errors: []ErrorRule{{Match: "*", Code: "SystemBusy", Rate: 0.5}}})
		var out []string
		for i := 0; i < 40; i++ {
			_, err := c.VPC.DescribeVpcs(vpc.CreateDescribeVpcsRequest())
			code, _ := apiErr(t, err)
			out = append(out, code)
		}
		return out
	}
	a, b := run(), run()
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("call %d differs: %q vs %q", i, a[i], b[i])
		}
		if a[i] != "" {
			fails++
		}
	}
	if fails < 10 || fails > 30 {
		t.Fatalf("rate 0.5 gave %d/40 failures", fails)
	}
}

func TestLatencyAndAudit(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	e.SetFaults(FaultProfile{Latency: map[string]LatencySpec{"Vpc": {Fixed: Duration(20 * time.Millisecond)}}})
	start := time.Now()
	if _, err := c.VPC.DescribeVpcs(vpc.CreateDescribeVpcsRequest()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("latency not applied: %v", d)
	}
	if _, err := c.ECS.DescribeInstances(ecs.CreateDescribeInstancesRequest()); err != nil {
		t.Fatal(err)
	}
	req := vpc.CreateDescribeVpcAttributeRequest()
	req.VpcId = "vpc-missing"
	_, _ = c.VPC.DescribeVpcAttribute(req)
	a := e.Audit()
	if len(a) != 3 || a[0].Action != "DescribeVpcs" || a[0].Latency < 20*time.Millisecond || a[0].AccessKeyID != testAK ||
		a[2].Code != "InvalidVpcId.NotFound" || a[2].HTTPStatus != 404 || a[2].Params["VpcId"] != "vpc-missing" {
		t.Fatalf("audit %+v", a)
	}
	if n := e.CallCount("DescribeVpcAttribute", "InvalidVpcId.NotFound"); n != 1 {
		t.Fatalf("count %d", n)
	}
	if e.Counts()["Ecs.DescribeInstances"]["OK"] != 1 {
		t.Fatalf("counts %v", e.Counts())
	}
	e.ResetAudit()
	if len(e.Audit()) != 0 || len(e.Counts()) != 0 {
		t.Fatal("reset failed")
	}
}

func TestControlEndpoint(t *testing.T) {
	fc := NewFakeClock(time.Now())
	e, c := newTestEmulator(t, withFakeClock(fc), func(cfg *Config) { cfg.RouteEntryDelay = time.Minute })
	ctl := httptest.NewServer(e.ControlHandler())
	defer ctl.Close()
	post := func(path string, body any) int {
		b, _ := json.Marshal(body)
		resp, err := http.Post(ctl.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	seed := SeedState{
		VPCs:      []VPC{{VpcID: "vpc-c", CidrBlock: "10.0.0.0/16", RouteTables: []string{"vtb-c"}}},
		VSwitches: []VSwitch{{VSwitchID: "vsw-c", VpcID: "vpc-c", ZoneID: "cn-hangzhou-h", CidrBlock: "10.0.0.0/24"}},
		Instances: []Instance{{InstanceID: "i-c", VSwitchID: "vsw-c", PrivateIP: "10.0.0.2"}},
	}
	if st := post("/seed", seed); st != 200 {
		t.Fatalf("seed %d", st)
	}
	if st := post("/seed", SeedState{Instances: []Instance{{InstanceID: "i-x", VSwitchID: "vsw-none"}}}); st != 400 {
		t.Fatalf("bad seed accepted: %d", st)
	}
	r, err := createRoute(c, "vtb-c", "172.16.0.0/24", "i-c")
	if err != nil {
		t.Fatal(err)
	}
	if st := post("/clock/advance", map[string]string{"duration": "61s"}); st != 200 {
		t.Fatalf("advance %d", st)
	}
	resp, err := http.Get(ctl.URL + "/state")
	if err != nil {
		t.Fatal(err)
	}
	var d DumpState
	_ = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	found := false
	for _, tab := range d.RouteTables {
		for _, en := range tab.Entries {
			if en.RouteEntryID == r.RouteEntryId && en.Status == "Available" {
				found = true
			}
		}
	}
	if !found || len(d.Instances) != 1 {
		t.Fatalf("state %+v", d)
	}
	if st := post("/faults", FaultProfile{Outages: []Outage{{Product: "Vpc", Calls: 1}}}); st != 200 {
		t.Fatalf("faults %d", st)
	}
	_, err = c.VPC.DescribeVpcs(vpc.CreateDescribeVpcsRequest())
	wantErr(t, err, "ServiceUnavailable", 503)
	if st := post("/instances/delete", map[string]string{"instanceId": "i-c"}); st != 200 {
		t.Fatalf("delete %d", st)
	}
	resp, _ = http.Get(ctl.URL + "/audit")
	var au struct {
		Entries []AuditEntry
		Counts  Counts
	}
	_ = json.NewDecoder(resp.Body).Decode(&au)
	resp.Body.Close()
	if len(au.Entries) != 2 || au.Counts["Vpc.DescribeVpcs"]["ServiceUnavailable"] != 1 {
		t.Fatalf("audit %+v", au)
	}
}

func TestAuditRedactsSecrets(t *testing.T) {
	p := keyParams(map[string][]string{"PrivateKey": {"-----BEGIN"}, "SecurityToken": {"tok"}, "ClientToken": {"c"}, "VpcId": {"v"}})
	if p["PrivateKey"] != "<redacted>" || p["SecurityToken"] != "" || p["ClientToken"] != "c" || p["VpcId"] != "v" {
		t.Fatalf("%v", p)
	}
	if l := withDefaultLimits(Limits{RouteEntriesPerTable: 3}); l.RouteEntriesPerTable != 3 || l.BackendsPerCall != 20 {
		t.Fatalf("%+v", l)
	}
}
