package emulator

import (
	"fmt"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

func TestSLBAccessControlLists(t *testing.T) {
	_, c := slbEnv(t, func(cfg *Config) {
		cfg.Limits = DefaultLimits()
		cfg.Limits.ACLsPerAccount, cfg.Limits.EntriesPerACL, cfg.Limits.EntriesPerACLCall = 2, 3, 2
	})
	a := mustACL(t, c, "office")
	_, err := c.CreateAccessControlList(&slb.CreateAccessControlListRequest{RpcRequest: slb.CreateCreateAccessControlListRequest().RpcRequest, AclName: "office"})
	wantErr(t, err, "InvalidParameter", 400)
	mustACL(t, c, "other")
	_, err = c.CreateAccessControlList(&slb.CreateAccessControlListRequest{RpcRequest: slb.CreateCreateAccessControlListRequest().RpcRequest, AclName: "third"})
	wantErr(t, err, "AclNumberOverLimit", 400)

	add := func(entries string) error {
		r := slb.CreateAddAccessControlListEntryRequest()
		r.AclId, r.AclEntrys = a, entries
		_, err := c.AddAccessControlListEntry(r)
		return err
	}
	if err := add(`[{"entry":"10.0.0.0/24","comment":"lan"},{"entry":"1.2.3.4","comment":"vpn"}]`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, entries, code string
	}{
		{"exists", `[{"entry":"10.0.0.0/24"}]`, "InvalidParam.AclEntryExists"},
		{"per call", `[{"entry":"10.1.0.0/24"},{"entry":"10.2.0.0/24"},{"entry":"10.3.0.0/24"}]`, "AclEntryExceedLimit"},
		{"per acl", `[{"entry":"10.1.0.0/24"},{"entry":"10.2.0.0/24"}]`, "AclEntryExceedLimit"},
		{"bad entry", `[{"entry":"nope"}]`, "InvalidEntry"},
		{"ipv6 in ipv4 acl", `[{"entry":"2001:db8::/64"}]`, "IllegalEntry"},
		{"bad json", `[{`, "AclEntryIllegal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, add(tt.entries), tt.code, 400) })
	}
	rm := slb.CreateRemoveAccessControlListEntryRequest()
	rm.AclId, rm.AclEntrys = a, `[{"entry":"1.2.3.4/32"},{"entry":"9.9.9.9/32"}]`
	if _, err := c.RemoveAccessControlListEntry(rm); err != nil {
		t.Fatal(err)
	}
	lb := mustLB(t, c, "acl")
	l := tcpListener(lb, 80)
	l.AclStatus, l.AclId, l.AclType = "on", a, "white"
	if _, err := c.CreateLoadBalancerTCPListener(l); err != nil {
		t.Fatal(err)
	}
	d := slb.CreateDescribeAccessControlListAttributeRequest()
	d.AclId = a
	attr, err := c.DescribeAccessControlListAttribute(d)
	if err != nil || attr.AclName != "office" || attr.TotalAclEntry != 1 || attr.AclEntrys.AclEntry[0].AclEntryIP != "10.0.0.0/24" ||
		len(attr.RelatedListeners.RelatedListener) != 1 || attr.RelatedListeners.RelatedListener[0].AclType != "white" {
		t.Fatalf("attribute: %+v %v", attr, err)
	}
	del := slb.CreateDeleteAccessControlListRequest()
	del.AclId = a
	_, err = c.DeleteAccessControlList(del)
	wantErr(t, err, "OperationFailed.AclBindedWithVip", 400)
	ls := slb.CreateDescribeAccessControlListsRequest()
	ls.AclName, ls.PageSize = "off", requests.NewInteger(1)
	list, err := c.DescribeAccessControlLists(ls)
	if err != nil || list.TotalCount != 1 || list.Acls.Acl[0].AclId != a {
		t.Fatalf("lists: %+v %v", list, err)
	}
	ld := slb.CreateDeleteLoadBalancerListenerRequest()
	ld.LoadBalancerId, ld.ListenerPort = lb, requests.NewInteger(80)
	if _, err := c.DeleteLoadBalancerListener(ld); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteAccessControlList(del); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeAccessControlListAttribute(d)
	wantErr(t, err, "AclNotExist", 400)
}

func TestSLBTags(t *testing.T) {
	_, c := slbEnv(t)
	lb := mustLB(t, c, "t")
	g := mustGroup(t, c, lb, nil)
	acl := mustACL(t, c, "a")
	cert := uploadCert(t, c, "t.example.com")
	if _, err := c.CreateLoadBalancerTCPListener(tcpListener(lb, 80)); err != nil {
		t.Fatal(err)
	}
	tag := func(rtype string, ids []string, tags ...slb.TagResourcesTag) error {
		r := slb.CreateTagResourcesRequest()
		r.ResourceType, r.ResourceId, r.Tag = rtype, &ids, &tags
		_, err := c.TagResources(r)
		return err
	}
	for _, tt := range []struct{ rtype, id string }{
		{"instance", lb}, {"listener", lb + "_tcp_80"}, {"vservergroup", g}, {"acl", acl}, {"certificate", cert},
	} {
		if err := tag(tt.rtype, []string{tt.id}, slb.TagResourcesTag{Key: "team", Value: "a"}, slb.TagResourcesTag{Key: "env", Value: "prod"}); err != nil {
			t.Fatalf("%s: %v", tt.rtype, err)
		}
		lr := slb.CreateListTagResourcesRequest()
		lr.ResourceType, lr.ResourceId = tt.rtype, &[]string{tt.id}
		resp, err := c.ListTagResources(lr)
		if err != nil || len(resp.TagResources.TagResource) != 2 || resp.TagResources.TagResource[0].TagKey != "env" ||
			resp.TagResources.TagResource[0].ResourceId != tt.id {
			t.Fatalf("%s list: %+v %v", tt.rtype, resp, err)
		}
	}
	var many []slb.TagResourcesTag
	for i := 0; i < 19; i++ {
		many = append(many, slb.TagResourcesTag{Key: fmt.Sprint("k", i), Value: "v"})
	}
	tests := []struct {
		name  string
		rtype string
		ids   []string
		tags  []slb.TagResourcesTag
		code  string
	}{
		{"unknown resource", "instance", []string{"lb-nope"}, []slb.TagResourcesTag{{Key: "a", Value: "b"}}, "ResourceNotExist"},
		{"bad type", "disk", []string{lb}, []slb.TagResourcesTag{{Key: "a", Value: "b"}}, "InvalidParam.ResourceType"},
		{"reserved prefix", "instance", []string{lb}, []slb.TagResourcesTag{{Key: "acs:x", Value: "b"}}, "InvalidParam.TagKey"},
		{"duplicate key", "instance", []string{lb}, []slb.TagResourcesTag{{Key: "a", Value: "b"}, {Key: "a", Value: "c"}}, "Duplicate.TagKey"},
		{"over 20 on resource", "instance", []string{lb}, many, "QuotaLimitExceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tag(tt.rtype, tt.ids, tt.tags...), tt.code, 400) })
	}
	// Filter by tag across resources, then paginate.
	lr := slb.CreateListTagResourcesRequest()
	lr.ResourceType, lr.Tag = "instance", &[]slb.ListTagResourcesTag{{Key: "team", Value: "a"}}
	resp, err := c.ListTagResources(lr)
	if err != nil || len(resp.TagResources.TagResource) != 2 {
		t.Fatalf("by tag: %+v %v", resp, err)
	}
	lr = slb.CreateListTagResourcesRequest() // the SDK keeps sent parameters in a reused request
	lr.ResourceType = "instance"
	_, err = c.ListTagResources(lr)
	wantErr(t, err, "MissingParam.TagOrResourceId", 400)

	un := slb.CreateUntagResourcesRequest()
	un.ResourceType, un.ResourceId, un.TagKey = "instance", &[]string{lb}, &[]string{"team"}
	if _, err := c.UntagResources(un); err != nil {
		t.Fatal(err)
	}
	if a := describeLB(t, c, lb); len(a.Tags.Tag) != 1 || a.Tags.Tag[0].TagKey != "env" {
		t.Fatalf("after untag: %+v", a.Tags)
	}
	un = slb.CreateUntagResourcesRequest()
	un.ResourceType, un.ResourceId = "instance", &[]string{lb}
	if _, err := c.UntagResources(un); err != nil {
		t.Fatal(err)
	}
	if a := describeLB(t, c, lb); len(a.Tags.Tag) != 0 {
		t.Fatalf("after untag all: %+v", a.Tags)
	}
}

func TestSLBListTagResourcesPaging(t *testing.T) {
	_, c := slbEnv(t)
	for i := 0; i < 6; i++ {
		r := newLBReq(fmt.Sprint("p", i))
		var tags []slb.CreateLoadBalancerTag
		for k := 0; k < 10; k++ {
			tags = append(tags, slb.CreateLoadBalancerTag{Key: fmt.Sprint("k", k), Value: "v"})
		}
		r.Tag = &tags
		if _, err := c.CreateLoadBalancer(r); err != nil {
			t.Fatal(err)
		}
	}
	rows, token := 0, ""
	for pages := 1; ; pages++ {
		r := slb.CreateListTagResourcesRequest()
		r.ResourceType, r.Tag, r.NextToken = "instance", &[]slb.ListTagResourcesTag{{Key: "k0"}}, token
		resp, err := c.ListTagResources(r)
		if err != nil {
			t.Fatal(err)
		}
		rows += len(resp.TagResources.TagResource)
		if token = resp.NextToken; token == "" {
			if pages != 2 {
				t.Fatalf("pages %d", pages)
			}
			break
		}
	}
	if rows != 60 {
		t.Fatalf("rows %d", rows)
	}
	r := slb.CreateListTagResourcesRequest()
	r.ResourceType, r.Tag, r.NextToken = "instance", &[]slb.ListTagResourcesTag{{Key: "k0"}}, "bogus"
	_, err := c.ListTagResources(r)
	wantErr(t, err, "QueryTokenNotExist", 400)
}

func TestSLBCertificatesAndDomainExtensions(t *testing.T) {
	_, c := slbEnv(t, func(cfg *Config) { cfg.Limits = DefaultLimits(); cfg.Limits.DomainExtensionsPerListen = 1 })
	cert := uploadCert(t, c, "www.example.com")
	cert2 := uploadCert(t, c, "api.example.com")
	ds := slb.CreateDescribeServerCertificatesRequest()
	ds.ServerCertificateId = cert
	certs, err := c.DescribeServerCertificates(ds)
	if err != nil || len(certs.ServerCertificates.ServerCertificate) != 1 || certs.ServerCertificates.ServerCertificate[0].CommonName != "www.example.com" ||
		certs.ServerCertificates.ServerCertificate[0].CreateTimeStamp == 0 {
		t.Fatalf("certs: %+v %v", certs, err)
	}
	lb := mustLB(t, c, "d")
	hs := slb.CreateCreateLoadBalancerHTTPSListenerRequest()
	hs.LoadBalancerId, hs.ListenerPort, hs.BackendServerPort, hs.Bandwidth = lb, requests.NewInteger(443), requests.NewInteger(80), requests.NewInteger(-1)
	hs.HealthCheck, hs.ServerCertificateId = "off", cert
	if _, err := c.CreateLoadBalancerHTTPSListener(hs); err != nil {
		t.Fatal(err)
	}
	cd := slb.CreateCreateDomainExtensionRequest()
	cd.LoadBalancerId, cd.ListenerPort, cd.Domain, cd.ServerCertificateId = lb, requests.NewInteger(443), "api.example.com", "nope"
	_, err = c.CreateDomainExtension(cd)
	wantErr(t, err, "InvalidParameter.ServerCertificateId", 400)
	cd.ServerCertificateId = cert2
	de, err := c.CreateDomainExtension(cd)
	if err != nil {
		t.Fatal(err)
	}
	cd.Domain = "b.example.com"
	_, err = c.CreateDomainExtension(cd)
	wantErr(t, err, "DomainExtensionNumberOverLimit", 400)
	cd.ListenerPort = requests.NewInteger(8443)
	_, err = c.CreateDomainExtension(cd)
	wantErr(t, err, "ListenerNotFound", 404)
	sd := slb.CreateSetDomainExtensionAttributeRequest()
	sd.DomainExtensionId, sd.ServerCertificateId = de.DomainExtensionId, cert
	if _, err := c.SetDomainExtensionAttribute(sd); err != nil {
		t.Fatal(err)
	}
	dd := slb.CreateDescribeDomainExtensionsRequest()
	dd.LoadBalancerId, dd.ListenerPort = lb, requests.NewInteger(443)
	list, err := c.DescribeDomainExtensions(dd)
	if err != nil || len(list.DomainExtensions.DomainExtension) != 1 || list.DomainExtensions.DomainExtension[0].ServerCertificateId != cert ||
		list.DomainExtensions.DomainExtension[0].Domain != "api.example.com" {
		t.Fatalf("domains: %+v %v", list, err)
	}
	hd := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
	hd.LoadBalancerId, hd.ListenerPort = lb, requests.NewInteger(443)
	if a, err := c.DescribeLoadBalancerHTTPSListenerAttribute(hd); err != nil || len(a.DomainExtensions.DomainExtension) != 1 {
		t.Fatalf("listener domains: %+v %v", a, err)
	}
	del := slb.CreateDeleteDomainExtensionRequest()
	del.DomainExtensionId = de.DomainExtensionId
	if _, err := c.DeleteDomainExtension(del); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteDomainExtension(del)
	wantErr(t, err, "InvalidParameter.DomainExtensionId", 400)
}

func TestSLBSeedLoadBalancer(t *testing.T) {
	e, c := slbEnv(t)
	w := 30
	var members []SeedBackend
	for p := 0; p < 25; p++ { // more than one call's worth
		members = append(members, SeedBackend{ServerID: testInst1, Port: 30000 + p, Weight: &w})
	}
	id, err := e.SeedLoadBalancer(SeedLB{
		LoadBalancerID: "lb-foreign", Name: "hand-made", AddressType: "intranet", VSwitchID: testVSWI,
		DeleteProtection: true, Tags: []Tag{{Key: "owner", Value: "other-cluster"}},
		VServerGroups: []SeedVServerGroup{{VServerGroupID: "rsp-foreign", Name: "web", Backends: members}},
		Listeners: []SeedListener{
			{Protocol: "tcp", Port: 80, VServerGroup: "web", Attributes: map[string]string{"Scheduler": "rr", "HealthCheckInterval": "7"}},
			{Protocol: "udp", Port: 80, BackendServerPort: 80, Status: "stopped"},
		},
	})
	if err != nil || id != "lb-foreign" {
		t.Fatalf("seed: %s %v", id, err)
	}
	a := describeLB(t, c, id)
	if a.LoadBalancerName != "hand-made" || a.DeleteProtection != "on" || a.Address != "192.168.1.1" || len(a.ListenerPorts.ListenerPort) != 2 {
		t.Fatalf("seeded: %+v", a)
	}
	if ms := groupMembers(t, c, "rsp-foreign"); len(ms) != 25 || ms[0].Weight != 30 {
		t.Fatalf("members: %d", len(ms))
	}
	d := slb.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	d.LoadBalancerId, d.ListenerPort = id, requests.NewInteger(80)
	if l, err := c.DescribeLoadBalancerTCPListenerAttribute(d); err != nil || l.Status != "running" || l.Scheduler != "rr" ||
		l.HealthCheckInterval != 7 || l.VServerGroupId != "rsp-foreign" {
		t.Fatalf("listener: %+v %v", l, err)
	}
	if _, err := e.SeedLoadBalancer(SeedLB{LoadBalancerID: "lb-foreign"}); err == nil {
		t.Fatal("duplicate seed accepted")
	}
	if _, err := e.SeedLoadBalancer(SeedLB{Name: "bad", Listeners: []SeedListener{{Protocol: "tcp", Port: 80, VServerGroup: "nope"}}}); err == nil {
		t.Fatal("bad group reference accepted")
	}
	if all, err := c.DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest()); err != nil || all.TotalCount != 1 {
		t.Fatalf("failed seed left a CLB behind: %v %v", all, err)
	}
}
