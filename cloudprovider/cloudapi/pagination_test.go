package cloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

func TestForEachPage(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		next      func(token string) (string, error)
		wantPages int
		wantErr   string
	}{
		{"single page", func(string) (string, error) { return "", nil }, 1, ""},
		{"three pages", func(tok string) (string, error) {
			return map[string]string{"": "t1", "t1": "t2", "t2": ""}[tok], nil
		}, 3, ""},
		{"error stops", func(tok string) (string, error) {
			if tok == "t1" {
				return "", errBoom
			}
			return "t1", nil
		}, 2, "boom"},
		{"repeated token", func(string) (string, error) { return "same", nil }, 2, "again"},
		{"endless tokens capped", func(tok string) (string, error) { return tok + "x", nil }, MaxPages, "exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := 0
			err := ForEachPage(context.Background(), func(tok string) (string, error) {
				pages++
				return tt.next(tok)
			})
			if pages != tt.wantPages {
				t.Errorf("pages = %d, want %d", pages, tt.wantPages)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ForEachPage(ctx, func(string) (string, error) { return "", nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
}

func TestForEachPageNumber(t *testing.T) {
	tests := []struct {
		name      string
		pageSize  int
		items     int // items the fake holds
		total     int // TotalCount it reports (-1: items)
		wantPages int
		wantErr   bool
	}{
		{"empty", 10, 0, -1, 1, false},
		{"exact multiple", 10, 30, -1, 3, false},
		{"short last page", 10, 25, -1, 3, false},
		{"total shrinks: short page ends", 10, 15, 100, 2, false},
		{"total grows: stops at total", 10, 100, 20, 2, false},
		{"bad page size", 0, 0, -1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := 0
			err := ForEachPageNumber(context.Background(), tt.pageSize, func(page int) (int, int, error) {
				pages++
				got := min(tt.pageSize, max(0, tt.items-(page-1)*tt.pageSize))
				total := tt.total
				if total < 0 {
					total = tt.items
				}
				return got, total, nil
			})
			if pages != tt.wantPages || (err != nil) != tt.wantErr {
				t.Fatalf("pages = %d, err = %v; want %d pages, err %v", pages, err, tt.wantPages, tt.wantErr)
			}
		})
	}
}

func TestChunk(t *testing.T) {
	ids := make([]string, 25)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	got := Chunk(ids, 10)
	if len(got) != 3 || len(got[0]) != 10 || len(got[2]) != 5 || got[2][4] != "24" {
		t.Fatalf("Chunk = %v", got)
	}
	if Chunk([]string(nil), 10) != nil {
		t.Fatal("Chunk(nil) should be nil")
	}
}

func lbIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("lb-%03d", i)
	}
	return ids
}

func TestListLoadBalancers(t *testing.T) {
	all := lbIDs(250)
	f := newFakeAPI(t, func(_ string, p url.Values, _ int) reply {
		ids := all
		if filter := p.Get("LoadBalancerId"); filter != "" {
			ids = strings.Split(filter, ",")
		}
		page, _ := strconv.Atoi(p.Get("PageNumber"))
		size, _ := strconv.Atoi(p.Get("PageSize"))
		lo, hi := min(len(ids), (page-1)*size), min(len(ids), page*size)
		var lbs []map[string]any
		for _, id := range ids[lo:hi] {
			lbs = append(lbs, map[string]any{"LoadBalancerId": id})
		}
		return ok(map[string]any{"TotalCount": len(ids), "PageNumber": page, "PageSize": size,
			"LoadBalancers": map[string]any{"LoadBalancer": lbs}})
	})
	c := newTestClients(t, f)
	ctx := context.Background()

	t.Run("all pages", func(t *testing.T) {
		got, err := c.SLB.ListLoadBalancers(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 250 || got[249].LoadBalancerId != "lb-249" {
			t.Fatalf("got %d load balancers", len(got))
		}
	})
	t.Run("ID batches of 10", func(t *testing.T) {
		before := len(f.callsOf("DescribeLoadBalancers"))
		req := slb.CreateDescribeLoadBalancersRequest()
		req.LoadBalancerId = strings.Join(lbIDs(25), ",") + ",lb-000" // one duplicate
		req.AddressType = "intranet"
		got, err := c.SLB.ListLoadBalancers(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 25 {
			t.Fatalf("got %d load balancers, want 25", len(got))
		}
		calls := f.callsOf("DescribeLoadBalancers")[before:]
		if len(calls) != 3 {
			t.Fatalf("%d calls, want 3", len(calls))
		}
		for _, call := range calls {
			if n := len(strings.Split(call.Params.Get("LoadBalancerId"), ",")); n > MaxLoadBalancerIDsPerCall {
				t.Errorf("call with %d IDs", n)
			}
			if call.Params.Get("AddressType") != "intranet" {
				t.Errorf("filter not carried over: %v", call.Params)
			}
		}
	})
}

func TestListRouteEntries(t *testing.T) {
	pages := map[string][]string{"": {"r1", "r2"}, "tok1": {"r3"}, "tok2": {"r4", "r5"}}
	nextOf := map[string]string{"": "tok1", "tok1": "tok2", "tok2": ""}
	f := newFakeAPI(t, func(_ string, p url.Values, _ int) reply {
		tok := p.Get("NextToken")
		var entries []map[string]any
		for _, id := range pages[tok] {
			entries = append(entries, map[string]any{"RouteEntryId": id, "RouteTableId": p.Get("RouteTableId")})
		}
		return ok(map[string]any{"NextToken": nextOf[tok], "RouteEntrys": map[string]any{"RouteEntry": entries}})
	})
	c := newTestClients(t, f)
	req := vpc.CreateDescribeRouteEntryListRequest()
	req.RouteTableId = "vtb-1"
	got, err := c.VPC.ListRouteEntries(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.RouteEntryId)
	}
	if !reflect.DeepEqual(ids, []string{"r1", "r2", "r3", "r4", "r5"}) {
		t.Fatalf("route entries = %v", ids)
	}
	for _, call := range f.callsOf("DescribeRouteEntryList") {
		if call.Params.Get("MaxResult") != "100" || call.Params.Get("RouteTableId") != "vtb-1" {
			t.Errorf("bad params %v", call.Params)
		}
	}
}

func TestListInstances(t *testing.T) {
	// The fake returns matching instances two at a time to exercise
	// NextToken inside each ID batch.
	f := newFakeAPI(t, func(_ string, p url.Values, _ int) reply {
		var ids []string
		if err := json.Unmarshal([]byte(p.Get("InstanceIds")), &ids); err != nil {
			return apiErr(400, "InvalidParameter", err.Error())
		}
		start, _ := strconv.Atoi(p.Get("NextToken"))
		end := min(len(ids), start+2)
		var insts []map[string]any
		for _, id := range ids[start:end] {
			if id != "i-missing" {
				insts = append(insts, map[string]any{"InstanceId": id})
			}
		}
		next := ""
		if end < len(ids) {
			next = strconv.Itoa(end)
		}
		return ok(map[string]any{"NextToken": next, "Instances": map[string]any{"Instance": insts}})
	})
	c := newTestClients(t, f)
	ids := make([]string, 0, 205)
	for i := range 204 {
		ids = append(ids, fmt.Sprintf("i-%03d", i))
	}
	ids = append(ids, "i-missing")
	got, err := c.ECS.ListInstances(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 204 {
		t.Fatalf("got %d instances, want 204", len(got))
	}
	batches := map[string]bool{}
	for _, call := range f.callsOf("DescribeInstances") {
		var ids []string
		_ = json.Unmarshal([]byte(call.Params.Get("InstanceIds")), &ids)
		if len(ids) > MaxInstanceIDsPerCall {
			t.Fatalf("call with %d IDs", len(ids))
		}
		batches[call.Params.Get("InstanceIds")] = true
	}
	if len(batches) != 3 {
		t.Fatalf("%d distinct ID batches, want 3", len(batches))
	}
	before := len(f.callsOf("DescribeInstances"))
	if got, err := c.ECS.ListInstances(context.Background(), nil); err != nil || got != nil {
		t.Fatalf("ListInstances(nil) = %v, %v", got, err)
	}
	if len(f.callsOf("DescribeInstances")) != before {
		t.Fatal("ListInstances(nil) called the API")
	}
}
