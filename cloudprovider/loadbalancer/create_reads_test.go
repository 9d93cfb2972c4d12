package loadbalancer

import (
	"context"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// TestCreateReads: a new Service's reconcile reads only what a new CLB
// can have: its tag lookup and its (empty) group list; no lookup by name
// and no listener read of the CLB it just created.
func TestCreateReads(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 2})
	e.emu.ResetAudit()
	e.ensure(service("web", nil, port{"http", 80, 30080, ""}, port{"https", 443, 30443, ""}))
	got := map[string]int{}
	for _, a := range e.emu.Audit() {
		if a.Action == "DescribeLoadBalancers" && a.Params["LoadBalancerName"] != "" {
			got["DescribeLoadBalancers by name"]++
			continue
		}
		got[a.Action]++
	}
	for action, want := range map[string]int{
		"DescribeLoadBalancerListeners": 0, "DescribeLoadBalancers by name": 0,
		"CreateLoadBalancer": 1, "CreateVServerGroup": 2, "CreateLoadBalancerTCPListener": 2,
	} {
		if got[action] != want {
			t.Errorf("%s: %d calls, want %d (all: %v)", action, got[action], want, got)
		}
	}
}

// missOnce is an SLB client whose first tag lookup finds nothing, as a
// lookup racing the Service's first create may.
type missOnce struct {
	SLBAPI
	missed bool
}

func (m *missOnce) ListLoadBalancers(ctx context.Context, req *slb.DescribeLoadBalancersRequest) ([]slb.LoadBalancer, error) {
	if !m.missed && strings.Contains(req.Tags, TagServiceUID) {
		m.missed = true
		return nil, nil
	}
	return m.SLBAPI.ListLoadBalancers(ctx, req)
}

// TestCreateTokenAnswersOlderCLB: when the tag lookup misses the
// Service's CLB and the create's ClientToken answers with it, its
// listeners (not read, as of a new CLB) make the listener creates fail;
// the retry finds the CLB by its tag and converges with no second CLB and
// no listener written twice.
func TestCreateTokenAnswersOlderCLB(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 2})
	svc := service("web", nil)
	e.ensure(svc)
	e.r.slb = &missOnce{SLBAPI: e.r.slb}
	e.emu.ResetAudit()
	_, err := e.r.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes)
	if err == nil || !strings.Contains(err.Error(), "ListenerAlreadyExists") {
		t.Errorf("the reconcile whose lookup missed: %v, want the listener create refused", err)
	}
	if got := e.writes(); len(got) != 2 || got[0] != "CreateLoadBalancer" {
		t.Errorf("it wrote %v, want the token's create and one refused listener create", got)
	}
	e.emu.ResetAudit()
	e.ensure(svc)
	if n := len(e.lbs()); n != 1 {
		t.Errorf("%d CLBs, want 1", n)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("the retry wrote %v, want nothing (converged)", w)
	}
}
