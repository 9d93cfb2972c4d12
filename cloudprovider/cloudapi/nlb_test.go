package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// NLB client tests: the real SDK over HTTP against the in-process emulator.

const (
	nlbTestVPC  = "vpc-nlbtest"
	nlbTestVSWH = "vsw-nlbh"
	nlbTestVSWI = "vsw-nlbi"
)

// nlbEnv is an emulator with two zones and an NLB client on it.
type nlbEnv struct {
	emu   *emulator.Emulator
	clock *emulator.FakeClock
	job   time.Duration
	nlb   *NLB
}

// newNLBEnv starts the emulator; jobs last jobDuration on a fake clock.
func newNLBEnv(t *testing.T, jobDuration time.Duration) *nlbEnv {
	t.Helper()
	// The emulator checks request timestamps against its clock (15 minutes).
	clock := emulator.NewFakeClock(time.Now())
	cfg := emulator.Config{Region: "cn-hangzhou", AccessKeys: map[string]string{"testid": "testsecret"},
		Clock: clock, NLBJobDuration: jobDuration}
	srv, err := emulator.Start(cfg, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	err = srv.Emulator.Seed(emulator.SeedState{
		Region: "cn-hangzhou",
		Zones:  []string{"cn-hangzhou-h", "cn-hangzhou-i"},
		VPCs:   []emulator.VPC{{VpcID: nlbTestVPC, CidrBlock: "192.168.0.0/16", VRouterID: "vrt-nlbtest"}},
		VSwitches: []emulator.VSwitch{
			{VSwitchID: nlbTestVSWH, VpcID: nlbTestVPC, ZoneID: "cn-hangzhou-h", CidrBlock: "192.168.0.0/20"},
			{VSwitchID: nlbTestVSWI, VpcID: nlbTestVPC, ZoneID: "cn-hangzhou-i", CidrBlock: "192.168.16.0/20"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := New(Options{
		Region:      "cn-hangzhou",
		Credentials: credentials.NewStaticAKCredentialsProvider("testid", "testsecret"),
		NLB:         ProductOptions{Endpoint: srv.APIURL, RateLimit: RateLimit{QPS: -1}},
		Retry:       RetryPolicy{MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &nlbEnv{emu: srv.Emulator, clock: clock, job: jobDuration, nlb: clients.NLB}
}

// calls counts the emulator's answers to action by result code.
func (e *nlbEnv) calls(action string) map[string]int { return e.emu.Counts()["Nlb."+action] }

// createLB creates an Internet NLB over both zones with the given tags.
func (e *nlbEnv) createLB(t *testing.T, name string, tags map[string]string) *nlb.CreateLoadBalancerResponse {
	t.Helper()
	r := nlb.CreateCreateLoadBalancerRequest()
	r.LoadBalancerName, r.AddressType, r.VpcId = name, "Internet", nlbTestVPC
	r.ZoneMappings = &[]nlb.CreateLoadBalancerZoneMappings{{ZoneId: "cn-hangzhou-h", VSwitchId: nlbTestVSWH},
		{ZoneId: "cn-hangzhou-i", VSwitchId: nlbTestVSWI}}
	var tl []nlb.CreateLoadBalancerTag
	for k, v := range tags {
		tl = append(tl, nlb.CreateLoadBalancerTag{Key: k, Value: v})
	}
	if tl != nil {
		r.Tag = &tl
	}
	resp, err := e.nlb.CreateLoadBalancer(context.Background(), r)
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	if r.ClientToken == "" {
		t.Error("CreateLoadBalancer was sent without a ClientToken")
	}
	return resp
}

// ipGroup creates an Ip server group (anonymous, untagged) and lets its job end.
func (e *nlbEnv) ipGroup(t *testing.T) string {
	t.Helper()
	r := nlb.CreateCreateServerGroupRequest()
	r.ServerGroupName, r.ServerGroupType, r.VpcId, r.Protocol = "group1", "Ip", nlbTestVPC, "TCP"
	resp, err := e.nlb.CreateServerGroup(context.Background(), r)
	if err != nil {
		t.Fatalf("CreateServerGroup: %v", err)
	}
	e.clock.Advance(e.job)
	return resp.ServerGroupId
}

// ipServers returns n Ip members 192.168.0.10+ on port 80.
func ipServers(n int) []nlb.AddServersToServerGroupServers {
	out := make([]nlb.AddServersToServerGroupServers, n)
	for i := range out {
		ip := fmt.Sprintf("192.168.%d.%d", i/200, 10+i%200)
		out[i] = nlb.AddServersToServerGroupServers{ServerId: ip, ServerIp: ip, ServerType: "Ip", Port: "80"}
	}
	return out
}

func TestNLBCreateFindByTagAndJob(t *testing.T) {
	e := newNLBEnv(t, 10*time.Second)
	ctx := context.Background()
	ours := e.createLB(t, "ours", map[string]string{"kubernetes.do.not.delete": "a1", "ack.aliyun.com": "c1"})
	e.createLB(t, "other", map[string]string{"ack.aliyun.com": "c2"})

	// The create job runs: the check says so without waiting.
	err := e.nlb.CheckJobs(ctx, ours.JobId)
	var jp *JobsPendingError
	if !errors.As(err, &jp) || len(jp.Jobs) != 1 || jp.Jobs[0] != ours.JobId {
		t.Fatalf("CheckJobs while the create runs = %v, want JobsPendingError{%s}", err, ours.JobId)
	}
	e.clock.Advance(11 * time.Second)
	if err := e.nlb.CheckJobs(ctx, ours.JobId); err != nil {
		t.Fatalf("CheckJobs after the job = %v", err)
	}

	tests := []struct {
		name string
		tags map[string]string
		want []string
	}{
		{"by ownership tag", map[string]string{"kubernetes.do.not.delete": "a1"}, []string{ours.LoadbalancerId}},
		{"by cluster tag of another", map[string]string{"ack.aliyun.com": "c1"}, []string{ours.LoadbalancerId}},
		{"no match", map[string]string{"kubernetes.do.not.delete": "zz"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := nlb.CreateListLoadBalancersRequest()
			var tl []nlb.ListLoadBalancersTag
			for k, v := range tt.tags {
				tl = append(tl, nlb.ListLoadBalancersTag{Key: k, Value: v})
			}
			r.Tag = &tl
			got, err := e.nlb.ListAllLoadBalancers(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, lb := range got {
				ids = append(ids, lb.LoadBalancerId)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("found %v, want %v", ids, tt.want)
			}
		})
	}
}

func TestNLBListAllPaginates(t *testing.T) {
	e := newNLBEnv(t, 0)
	ctx := context.Background()
	lim := emulator.DefaultLimits()
	lim.NLBPerAccount = 200
	e.emu.SetLimits(lim)
	var ids []string
	for i := 0; i < 105; i++ {
		ids = append(ids, e.createLB(t, fmt.Sprintf("lb%d", i), nil).LoadbalancerId)
	}
	tests := []struct {
		name      string
		ids       *[]string
		want      int
		wantCalls int
	}{
		{"all, two pages of 100", nil, 105, 2},
		{"25 IDs, two calls of at most 20", &[]string{}, 25, 2},
		{"empty ID filter lists nothing", &[]string{}, 0, 0},
	}
	sub := ids[:25]
	tests[1].ids = &sub
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.calls("ListLoadBalancers")["OK"]
			r := nlb.CreateListLoadBalancersRequest()
			r.LoadBalancerIds = tt.ids
			got, err := e.nlb.ListAllLoadBalancers(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("listed %d, want %d", len(got), tt.want)
			}
			if n := e.calls("ListLoadBalancers")["OK"] - before; n != tt.wantCalls {
				t.Errorf("%d ListLoadBalancers calls, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestNLBServerBatches(t *testing.T) {
	tests := []struct {
		servers, wantCalls int
	}{{1, 1}, {40, 1}, {41, 2}, {130, 4}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.servers), func(t *testing.T) {
			e := newNLBEnv(t, 0)
			ctx := context.Background()
			g := e.ipGroup(t)
			servers := ipServers(tt.servers)
			jobs, err := e.nlb.AddServers(ctx, g, servers)
			if err != nil {
				t.Fatal(err)
			}
			if n := e.calls("AddServersToServerGroup")["OK"]; n != tt.wantCalls || len(jobs) != tt.wantCalls {
				t.Errorf("%d AddServersToServerGroup calls and %d jobs, want %d", n, len(jobs), tt.wantCalls)
			}
			got, err := e.nlb.ListAllServerGroupServers(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.servers {
				t.Fatalf("listed %d members, want %d", len(got), tt.servers)
			}
			if pages, want := e.calls("ListServerGroupServers")["OK"], (tt.servers+99)/100; pages != want {
				t.Errorf("%d ListServerGroupServers pages, want %d", pages, want)
			}
			upd := make([]nlb.UpdateServerGroupServersAttributeServers, len(servers))
			rm := make([]nlb.RemoveServersFromServerGroupServers, len(servers))
			for i, s := range servers {
				upd[i] = nlb.UpdateServerGroupServersAttributeServers{ServerId: s.ServerId, ServerIp: s.ServerIp, ServerType: s.ServerType, Port: s.Port, Weight: "50"}
				rm[i] = nlb.RemoveServersFromServerGroupServers{ServerId: s.ServerId, ServerIp: s.ServerIp, ServerType: s.ServerType, Port: s.Port}
			}
			if _, err := e.nlb.UpdateServers(ctx, g, upd); err != nil {
				t.Fatal(err)
			}
			if _, err := e.nlb.RemoveServers(ctx, g, rm); err != nil {
				t.Fatal(err)
			}
			for _, a := range []string{"UpdateServerGroupServersAttribute", "RemoveServersFromServerGroup"} {
				if n := e.calls(a)["OK"]; n != tt.wantCalls {
					t.Errorf("%d %s calls, want %d", n, a, tt.wantCalls)
				}
			}
			if got, _ := e.nlb.ListAllServerGroupServers(ctx, g); len(got) != 0 {
				t.Errorf("%d members left after RemoveServers", len(got))
			}
		})
	}
}

// A member batch whose group still runs the previous batch's job is not
// sent: AddServers returns JobsPendingError with what is left, at once.
func TestNLBAddServersStopsAtRunningJob(t *testing.T) {
	e := newNLBEnv(t, 5*time.Second)
	ctx := context.Background()
	g := e.ipGroup(t)
	servers := ipServers(95)
	jobs, err := e.nlb.AddServers(ctx, g, servers)
	var jp *JobsPendingError
	if !errors.As(err, &jp) || jp.Left != 55 || len(jobs) != 1 {
		t.Fatalf("AddServers = %d jobs, %v; want 1 job and JobsPendingError with 55 left", len(jobs), err)
	}
	if !IsJobsPending(fmt.Errorf("wrapped: %w", err)) {
		t.Error("IsJobsPending misses a wrapped JobsPendingError")
	}
	if n := e.calls("AddServersToServerGroup"); n["OK"] != 1 || len(n) != 1 {
		t.Errorf("AddServersToServerGroup answers %v, want one success and no refused write", n)
	}
	e.clock.Advance(6 * time.Second)
	if _, err := e.nlb.AddServers(ctx, g, servers[40:80]); err != nil {
		t.Fatalf("AddServers after the job ended: %v", err)
	}
}

func TestNLBPendingJobs(t *testing.T) {
	e := newNLBEnv(t, 10*time.Second)
	ctx := context.Background()
	a := e.createLB(t, "lb-a", nil).JobId
	b := e.createLB(t, "lb-b", nil).JobId
	tests := []struct {
		name                 string
		ids                  []string
		advance              time.Duration
		want                 []string
		wantList, wantGetJob int
	}{
		{"one job: GetJobStatus", []string{a}, 0, []string{a}, 0, 1},
		{"two jobs: one ListAsynJobs", []string{a, b, a}, 0, []string{a, b}, 1, 0},
		{"unknown job counts as done, asked alone", []string{a, "job-unknown"}, 0, []string{a}, 1, 2},
		{"all done", []string{a, b}, 11 * time.Second, nil, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(tt.advance)
			list0, get0 := e.calls("ListAsynJobs"), e.calls("GetJobStatus")
			l0, g0 := sum(list0), sum(get0)
			got, err := e.nlb.PendingJobs(ctx, tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("pending %v, want %v", got, tt.want)
			}
			if l, g := sum(e.calls("ListAsynJobs"))-l0, sum(e.calls("GetJobStatus"))-g0; l != tt.wantList || g != tt.wantGetJob {
				t.Errorf("%d ListAsynJobs and %d GetJobStatus calls, want %d and %d", l, g, tt.wantList, tt.wantGetJob)
			}
		})
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Every NLB call is counted with product "nlb", whatever its answer.
func TestNLBCallsCounted(t *testing.T) {
	e := newNLBEnv(t, 0)
	ctx := context.Background()
	ok0 := counter(t, requestsTotal.WithLabelValues("nlb", "GetLoadBalancerAttribute", CodeSuccess))
	nf0 := counter(t, requestsTotal.WithLabelValues("nlb", "GetLoadBalancerAttribute", "ResourceNotFound.loadBalancer"))
	id := e.createLB(t, "lb-m", nil).LoadbalancerId
	r := nlb.CreateGetLoadBalancerAttributeRequest()
	r.LoadBalancerId = id
	if _, err := e.nlb.GetLoadBalancerAttribute(ctx, r); err != nil {
		t.Fatal(err)
	}
	r = nlb.CreateGetLoadBalancerAttributeRequest()
	r.LoadBalancerId = "nlb-missing"
	if _, err := e.nlb.GetLoadBalancerAttribute(ctx, r); Code(err) != "ResourceNotFound.loadBalancer" {
		t.Fatalf("GetLoadBalancerAttribute of a missing NLB = %v", err)
	}
	if d := counter(t, requestsTotal.WithLabelValues("nlb", "GetLoadBalancerAttribute", CodeSuccess)) - ok0; d != 1 {
		t.Errorf("Success delta %v, want 1", d)
	}
	if d := counter(t, requestsTotal.WithLabelValues("nlb", "GetLoadBalancerAttribute", "ResourceNotFound.loadBalancer")) - nf0; d != 1 {
		t.Errorf("ResourceNotFound.loadBalancer delta %v, want 1", d)
	}
}

// NLB busy answers are retried (the write was not executed), with the
// same ClientToken; a write that stays busy returns its code to the caller.
func TestNLBBusyRetried(t *testing.T) {
	tests := []struct {
		name      string
		fault     string // injected once on UpdateLoadBalancerAttribute; "" none
		jobRuns   bool   // the NLB's create job still runs
		wantCode  string
		wantCalls int
	}{
		{"lock conflict once", "Conflict.Lock", false, "", 2},
		{"job status once", "IncorrectStatus.loadbalancer", false, "", 2},
		{"job still running", "", true, "ResourceInConfiguring.loadbalancer", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newNLBEnv(t, 10*time.Second)
			id := e.createLB(t, "busy1", nil).LoadbalancerId
			if !tt.jobRuns {
				e.clock.Advance(11 * time.Second)
			}
			if tt.fault != "" {
				e.emu.SetFaults(emulator.FaultProfile{Errors: []emulator.ErrorRule{{Match: "Nlb.UpdateLoadBalancerAttribute", Code: tt.fault, Count: 1}}})
			}
			busy0 := counter(t, retriesTotal.WithLabelValues("nlb", "UpdateLoadBalancerAttribute", RetryReasonBusy))
			r := nlb.CreateUpdateLoadBalancerAttributeRequest()
			r.LoadBalancerId, r.LoadBalancerName = id, "renamed"
			_, err := e.nlb.UpdateLoadBalancerAttribute(context.Background(), r)
			if Code(err) != tt.wantCode {
				t.Fatalf("UpdateLoadBalancerAttribute = %v, want code %q", err, tt.wantCode)
			}
			if n := sum(e.calls("UpdateLoadBalancerAttribute")); n != tt.wantCalls {
				t.Errorf("%d attempts, want %d", n, tt.wantCalls)
			}
			if d := counter(t, retriesTotal.WithLabelValues("nlb", "UpdateLoadBalancerAttribute", RetryReasonBusy)) - busy0; int(d) != tt.wantCalls-1 {
				t.Errorf("busy retries %v, want %d", d, tt.wantCalls-1)
			}
			tokens := map[string]bool{}
			for _, a := range e.emu.Audit() {
				if a.Action == "UpdateLoadBalancerAttribute" {
					tokens[a.Params["ClientToken"]] = true
				}
			}
			if len(tokens) != 1 || tokens[""] {
				t.Errorf("attempts carried ClientTokens %v, want one non-empty token", tokens)
			}
		})
	}
}

// A job that ended Failed is reported as such, naming the cloud's reason.
func TestNLBJobFailed(t *testing.T) {
	f := newFakeAPI(t, func(action string, _ url.Values, _ int) reply {
		switch action {
		case "GetJobStatus":
			return ok(map[string]any{"Status": JobFailed, "DynamicCode": "QuotaExceeded.X", "DynamicMessage": "no room"})
		default:
			return ok(map[string]any{"Jobs": []map[string]any{{"Id": "job-1", "Status": JobSucceeded},
				{"Id": "job-2", "Status": JobFailed, "ApiName": "CreateListener", "ErrorCode": "Conflict.Port"}}})
		}
	})
	c := newTestClients(t, f)
	tests := []struct {
		ids  []string
		want string
	}{
		{[]string{"job-9"}, "NLB job job-9 failed: QuotaExceeded.X no room"},
		{[]string{"job-1", "job-2"}, "NLB job job-2 (CreateListener) failed: Conflict.Port"},
	}
	for _, tt := range tests {
		err := c.NLB.CheckJobs(context.Background(), tt.ids...)
		var jf *JobFailedError
		if !errors.As(err, &jf) || err.Error() != tt.want {
			t.Errorf("CheckJobs(%v) = %v, want JobFailedError %q", tt.ids, err, tt.want)
		}
	}
}

// An NLB quota answer is classified as a quota and not repeated.
func TestNLBQuotaNotRetried(t *testing.T) {
	e := newNLBEnv(t, 0)
	lim := emulator.DefaultLimits()
	lim.NLBPerAccount = 1
	e.emu.SetLimits(lim)
	e.createLB(t, "first", nil)
	r := nlb.CreateCreateLoadBalancerRequest()
	r.LoadBalancerName, r.AddressType, r.VpcId = "second", "Internet", nlbTestVPC
	r.ZoneMappings = &[]nlb.CreateLoadBalancerZoneMappings{{ZoneId: "cn-hangzhou-h", VSwitchId: nlbTestVSWH},
		{ZoneId: "cn-hangzhou-i", VSwitchId: nlbTestVSWI}}
	_, err := e.nlb.CreateLoadBalancer(context.Background(), r)
	if ClassOf(Code(err)) != ClassQuota {
		t.Fatalf("CreateLoadBalancer over the quota = %v, want a quota class", err)
	}
	if n := sum(e.calls("CreateLoadBalancer")); n != 2 {
		t.Errorf("%d CreateLoadBalancer calls, want 2 (the refused one not repeated)", n)
	}
}
