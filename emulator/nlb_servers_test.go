package emulator

import (
	"errors"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// TestNLBServerQuotaNames: each member quota answers
// QuotaExceeded.QuotaInsufficient 400 naming the documented Quota Center
// quota (https://www.alibabacloud.com/help/en/slb/network-load-balancer/user-guide/nlb-quotas)
// and the usage, "The quota of %s is exceeded, usage %s/%s.", through the
// SDK; the engine's messages name the same quotas.
func TestNLBServerQuotaNames(t *testing.T) {
	ip := func(addr string) nlb.AddServersToServerGroupServers {
		return nlb.AddServersToServerGroupServers{ServerId: addr, ServerType: "Ip", Port: "80"}
	}
	tests := []struct {
		name   string
		limits func(*Limits)
		// run returns the error of the call over the quota.
		run   func(t *testing.T, c *nlb.Client) error
		quota string
		usage string
	}{
		{name: "servers per server group", limits: func(l *Limits) { l.NLBServersPerGroup = 2 },
			run: func(t *testing.T, c *nlb.Client) error {
				g := mustGroupNLB(t, c, "Ip", "TCP", false)
				if _, err := addServers(c, g, ip("10.0.0.1"), ip("10.0.0.2")); err != nil {
					t.Fatal(err)
				}
				_, err := addServers(c, g, ip("10.0.0.3"))
				return err
			}, quota: "nlb_quota_servergroup_noeci_servers_num", usage: "usage 2/2"},
		{name: "servers per NLB", limits: func(l *Limits) { l.NLBServersPerLB = 1 },
			run: func(t *testing.T, c *nlb.Client) error {
				lb, g := mustNLB(t, c), mustGroupNLB(t, c, "Ip", "TCP", false)
				if _, err := c.CreateListener(tcpListenerReq(lb, g, 80)); err != nil {
					t.Fatal(err)
				}
				if _, err := addServers(c, g, ip("10.0.0.1")); err != nil {
					t.Fatal(err)
				}
				_, err := addServers(c, g, ip("10.0.0.2"))
				return err
			}, quota: "nlb_quota_loadbalancer_noeci_servers_num", usage: "usage 1/1"},
		{name: "server groups per server", limits: func(l *Limits) { l.NLBGroupsPerServer = 1 },
			run: func(t *testing.T, c *nlb.Client) error {
				a, b := mustGroupNLB(t, c, "Ip", "TCP", false), mustGroupNLB(t, c, "Ip", "TCP", false)
				if _, err := addServers(c, a, ip("10.0.0.1")); err != nil {
					t.Fatal(err)
				}
				_, err := addServers(c, b, ip("10.0.0.1"))
				return err
			}, quota: "nlb_quota_server_added_num", usage: "usage 1/1"},
		{name: "a removal makes room again", limits: func(l *Limits) { l.NLBServersPerGroup = 1 },
			run: func(t *testing.T, c *nlb.Client) error {
				g := mustGroupNLB(t, c, "Ip", "TCP", false)
				if _, err := addServers(c, g, ip("10.0.0.1")); err != nil {
					t.Fatal(err)
				}
				r := nlb.CreateRemoveServersFromServerGroupRequest()
				r.ServerGroupId = g
				r.Servers = &[]nlb.RemoveServersFromServerGroupServers{{ServerId: "10.0.0.1", ServerType: "Ip", Port: "80"}}
				if _, err := c.RemoveServersFromServerGroup(r); err != nil {
					t.Fatal(err)
				}
				_, err := addServers(c, g, ip("10.0.0.2"))
				return err
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, c := nlbEnv(t, func(cfg *Config) { tc.limits(&cfg.Limits) })
			err := tc.run(t, c)
			if tc.quota == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, "QuotaExceeded.QuotaInsufficient", 400)
			var se *sdkerrors.ServerError
			if !errors.As(err, &se) || !strings.Contains(se.Message(), tc.quota) || !strings.Contains(se.Message(), tc.usage) {
				t.Fatalf("message of %v does not name %s and %s", err, tc.quota, tc.usage)
			}
		})
	}
}
