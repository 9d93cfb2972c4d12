package emulator

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// TestNLBBandwidthPackage drives Attach/DetachCommonBandwidthPackage
// through the SDK: asynchronous (the NLB is Configuring until the job
// ends), one package at a time, Internet NLBs only, a detach names the
// attached package, and the package shows in the NLB's attributes.
func TestNLBBandwidthPackage(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, c := nlbEnv(t, withJobs(fc, 5*time.Second))
	id := mustNLB(t, c)
	fc.Advance(10 * time.Second)

	at := nlb.CreateAttachCommonBandwidthPackageToLoadBalancerRequest()
	at.LoadBalancerId, at.BandwidthPackageId = id, "cbwp-1"
	resp, err := c.AttachCommonBandwidthPackageToLoadBalancer(at)
	if err != nil || resp.JobId == "" {
		t.Fatalf("attach: %v %+v", err, resp)
	}
	if got := getNLB(t, c, id); got.BandwidthPackageId != "cbwp-1" || got.LoadBalancerStatus != "Configuring" {
		t.Fatalf("after attach: %s %s", got.BandwidthPackageId, got.LoadBalancerStatus)
	}
	at2 := nlb.CreateAttachCommonBandwidthPackageToLoadBalancerRequest()
	at2.LoadBalancerId, at2.BandwidthPackageId = id, "cbwp-2"
	_, err = c.AttachCommonBandwidthPackageToLoadBalancer(at2)
	wantErr(t, err, "ResourceInConfiguring.loadbalancer", 400)
	fc.Advance(10 * time.Second)
	_, err = c.AttachCommonBandwidthPackageToLoadBalancer(at2)
	wantErr(t, err, "ResourceAlreadyAssociated.loadbalancer", 400)

	de := nlb.CreateDetachCommonBandwidthPackageFromLoadBalancerRequest()
	de.LoadBalancerId, de.BandwidthPackageId = id, "cbwp-2"
	_, err = c.DetachCommonBandwidthPackageFromLoadBalancer(de)
	wantErr(t, err, "IllegalParam.BandwidthPackageId", 400)
	de.BandwidthPackageId = "cbwp-1"
	if _, err := c.DetachCommonBandwidthPackageFromLoadBalancer(de); err != nil {
		t.Fatal(err)
	}
	fc.Advance(10 * time.Second)
	if got := getNLB(t, c, id); got.BandwidthPackageId != "" || got.LoadBalancerStatus != "Active" {
		t.Fatalf("after detach: %q %s", got.BandwidthPackageId, got.LoadBalancerStatus)
	}

	// An intranet NLB takes no bandwidth package.
	r := newNLBReq("intra")
	r.AddressType = "Intranet"
	cr, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	fc.Advance(10 * time.Second)
	at.LoadBalancerId = cr.LoadbalancerId
	_, err = c.AttachCommonBandwidthPackageToLoadBalancer(at)
	wantErr(t, err, "OperationDenied.IntranetLoadBalancer", 400)
}
