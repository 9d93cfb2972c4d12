package emulator

// NLB shared bandwidth (Internet Shared Bandwidth, cbwp-...):
// AttachCommonBandwidthPackageToLoadBalancer and
// DetachCommonBandwidthPackageFromLoadBalancer. Each page is
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-<action in lower case>.
// Bandwidth packages themselves are a VPC resource the emulator does not
// model: any cbwp- ID is taken as it is.

import (
	"net/http"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbAttachCommonBandwidthPackageToLoadBalancer: asynchronous; an Internet
// NLB only (OperationDenied.IntranetLoadBalancer 400), one package at a
// time (ResourceAlreadyAssociated.loadbalancer 400)
// (api-nlb-2022-04-30-attachcommonbandwidthpackagetoloadbalancer).
func nlbAttachCommonBandwidthPackageToLoadBalancer(c *call) (any, error) {
	s := c.e.nlb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	pkg, err := nlbRequired(c, "BandwidthPackageId")
	if err != nil {
		return nil, err
	}
	if lb.AddressType != "Internet" {
		return nil, Errf(http.StatusBadRequest, "OperationDenied.IntranetLoadBalancer", "The operation is not allowed because of IntranetLoadBalancer.")
	}
	if lb.BandwidthPackage != "" {
		return nil, Errf(http.StatusBadRequest, "ResourceAlreadyAssociated.loadbalancer", "The specified resource of loadbalancer is already associated.")
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	lb.BandwidthPackage = pkg
	j := s.newJob(c, "update", lb.ID)
	return &nlb.AttachCommonBandwidthPackageToLoadBalancerResponse{JobId: j.ID}, nil
}

// nlbDetachCommonBandwidthPackageFromLoadBalancer: asynchronous; the
// package must be the NLB's (else IllegalParam.BandwidthPackageId)
// (api-nlb-2022-04-30-detachcommonbandwidthpackagefromloadbalancer).
func nlbDetachCommonBandwidthPackageFromLoadBalancer(c *call) (any, error) {
	s := c.e.nlb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	pkg, err := nlbRequired(c, "BandwidthPackageId")
	if err != nil {
		return nil, err
	}
	if pkg != lb.BandwidthPackage {
		return nil, nlbIllegal("BandwidthPackageId")
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	lb.BandwidthPackage = ""
	j := s.newJob(c, "update", lb.ID)
	return &nlb.DetachCommonBandwidthPackageFromLoadBalancerResponse{JobId: j.ID}, nil
}
