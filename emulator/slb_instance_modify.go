package emulator

// CLB instance writes: name, delete/modification protection, spec, internet
// spec and instance charge type (with the documented "takes effect at
// 00:00:00 the next day" billing changes).
// Doc pages: https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-<action-lowercase>

import (
	"net/http"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// writableLB finds a CLB for an instance-level write and checks it is not busy.
func (s *slbState) writableLB(c *call) (*clb, error) {
	lb, err := s.lb(c.str("LoadBalancerId"))
	if err != nil {
		return nil, err
	}
	s.applyPending(lb, c.Now)
	if err := checkBusy(c, lb, busyInstance); err != nil {
		return nil, err
	}
	return lb, nil
}

// slbSetLoadBalancerName renames a CLB.
func slbSetLoadBalancerName(c *call) (any, error) {
	lb, err := c.e.slb.writableLB(c)
	if err != nil {
		return nil, err
	}
	n, err := c.required("LoadBalancerName")
	if err != nil {
		return nil, err
	}
	if !validLBName(n) {
		return nil, errInvalid("LoadBalancerName", n)
	}
	lb.Name = n
	touch(c, lb)
	return &slb.SetLoadBalancerNameResponse{}, nil
}

// slbSetLoadBalancerDeleteProtection turns delete protection on or off.
func slbSetLoadBalancerDeleteProtection(c *call) (any, error) {
	lb, err := c.e.slb.writableLB(c)
	if err != nil {
		return nil, err
	}
	if _, err := c.required("DeleteProtection"); err != nil {
		return nil, err
	}
	v, err := onOff(c, "DeleteProtection", "")
	if err != nil {
		return nil, err
	}
	lb.DeleteProtection = v
	touch(c, lb)
	return &slb.SetLoadBalancerDeleteProtectionResponse{}, nil
}

// slbSetLoadBalancerModificationProtection sets ConsoleProtection or
// NonProtection; "NonProtection clears the reason".
func slbSetLoadBalancerModificationProtection(c *call) (any, error) {
	lb, err := c.e.slb.writableLB(c)
	if err != nil {
		return nil, err
	}
	if _, err := c.required("ModificationProtectionStatus"); err != nil {
		return nil, err
	}
	tmp := *lb
	if err := lbModProtection(c, &tmp); err != nil {
		return nil, err
	}
	lb.ModProtStatus, lb.ModProtReason = tmp.ModProtStatus, tmp.ModProtReason
	touch(c, lb)
	return &slb.SetLoadBalancerModificationProtectionResponse{}, nil
}

// slbModifyLoadBalancerInstanceSpec changes the spec of a pay-by-spec CLB.
func slbModifyLoadBalancerInstanceSpec(c *call) (any, error) {
	lb, err := c.e.slb.writableLB(c)
	if err != nil {
		return nil, err
	}
	spec, err := c.required("LoadBalancerSpec")
	if err != nil {
		return nil, err
	}
	if lb.InstanceChargeType == "PayByCLCU" {
		return nil, Errf(http.StatusBadRequest, "OperationDenied.PayByCLCU", "The operation is not allowed because the instanceChargeType of loadbalancer is PayByCLCU.")
	}
	if !isValidSpec(spec) {
		return nil, Errf(http.StatusBadRequest, "ModifySpecNotAllowed", "LoadBalancerSpec not allowed for this instance")
	}
	lb.Spec = spec
	touch(c, lb)
	return &slb.ModifyLoadBalancerInstanceSpecResponse{}, nil
}

// nextBillingDay is 00:00:00 of the next day in China Standard Time, when
// metering-method changes take effect (ModifyLoadBalancerInternetSpec and
// ModifyLoadBalancerInstanceChargeType pages). CST (UTC+8) is the billing
// clock of the mainland regions; we use it for every region.
func nextBillingDay(now time.Time) time.Time {
	cst := time.FixedZone("CST", 8*3600)
	t := now.In(cst)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, cst)
}

// pendingBilling is a metering change waiting for the next billing day.
type pendingBilling struct {
	at                             time.Time
	instanceCharge, internetCharge string
}

// applyPending applies a due billing change.
func (s *slbState) applyPending(lb *clb, now time.Time) {
	p := s.billing[lb.ID]
	if p == nil || now.Before(p.at) {
		return
	}
	if p.instanceCharge != "" {
		lb.InstanceChargeType, lb.Spec = p.instanceCharge, lcuSpec
	}
	if p.internetCharge != "" {
		lb.InternetChargeType = p.internetCharge
		if p.internetCharge == "paybytraffic" {
			lb.Bandwidth = 5120
		}
	}
	delete(s.billing, lb.ID)
}

// errUnfinishedOrder answers a second metering change while one is pending:
// Operation.NotAllowed "Operation Denied. Unfinished order exists." (both
// Modify* charge pages).
func errUnfinishedOrder() error {
	return Errf(http.StatusBadRequest, "Operation.NotAllowed", "Operation Denied. Unfinished order exists.")
}

// slbModifyLoadBalancerInternetSpec changes bandwidth (immediately) and/or
// the internet metering method (at 00:00 the next day).
func slbModifyLoadBalancerInternetSpec(c *call) (any, error) {
	s := c.e.slb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	ict := strings.ToLower(c.str("InternetChargeType"))
	if ict != "" && ict != "paybytraffic" && ict != "paybybandwidth" {
		return nil, Errf(http.StatusBadRequest, "Instance.InternetChargeTypeNotAllowed", "Illegal parameter. The specified InternetChargeType not allowed.")
	}
	if lb.InstanceChargeType == "PayByCLCU" && ict == "paybybandwidth" {
		return nil, Errf(http.StatusBadRequest, "OperationDenied.PayByCLCU", "The operation is not allowed because the instanceChargeType of loadbalancer is PayByCLCU.")
	}
	if ict == "paybybandwidth" && lb.AddressType == "intranet" {
		return nil, Errf(http.StatusBadRequest, "Instance.InternetChargeTypeNotAllowed", "Illegal parameter. The specified InternetChargeType not allowed.")
	}
	target := lb.InternetChargeType
	if ict != "" {
		target = ict
	}
	bw, err := c.integer("Bandwidth", 0)
	if err != nil {
		return nil, err
	}
	if c.has("Bandwidth") && (target != "paybybandwidth" || bw < 1 || bw > 5000) {
		// 1-5000, pay-by-bandwidth only (ModifyLoadBalancerInternetSpec page).
		return nil, Errf(http.StatusBadRequest, "InvalidParameter.Bandwidth", "The param Bandwidth is invalid.")
	}
	if ict != "" && ict != lb.InternetChargeType {
		if s.billing[lb.ID] != nil {
			return nil, errUnfinishedOrder()
		}
		s.billing[lb.ID] = &pendingBilling{at: nextBillingDay(c.Now), internetCharge: ict}
	}
	if c.has("Bandwidth") {
		lb.Bandwidth = bw // "If you modify only the maximum bandwidth ... immediately takes effect"
	}
	touch(c, lb)
	return &slb.ModifyLoadBalancerInternetSpecResponse{}, nil
}

// slbModifyLoadBalancerInstanceChargeType switches pay-by-spec to pay-by-LCU
// (the only direction allowed), effective at 00:00 the next day.
func slbModifyLoadBalancerInstanceChargeType(c *call) (any, error) {
	s := c.e.slb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	ict, err := c.required("InstanceChargeType")
	if err != nil {
		return nil, err
	}
	if ict != "PayByCLCU" {
		return nil, Errf(http.StatusBadRequest, "IllegalParam.InstanceChargeType", "The param InstanceChargeType is illegal.")
	}
	if v := c.str("InternetChargeType"); v != "" && strings.ToLower(v) != "paybytraffic" {
		return nil, Errf(http.StatusBadRequest, "IllegalParam.InternetChargeType", "The param InternetChargeType is illegal.")
	}
	if lb.InstanceChargeType == "PayByCLCU" {
		return nil, Errf(http.StatusBadRequest, "OperationDenied.PayByCLCU", "The operation is not allowed because the instanceChargeType of loadbalancer is PayByCLCU.")
	}
	if s.billing[lb.ID] != nil {
		return nil, errUnfinishedOrder()
	}
	s.billing[lb.ID] = &pendingBilling{at: nextBillingDay(c.Now), instanceCharge: ict, internetCharge: "paybytraffic"}
	touch(c, lb)
	return &slb.ModifyLoadBalancerInstanceChargeTypeResponse{}, nil
}
