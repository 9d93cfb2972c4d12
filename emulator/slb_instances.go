package emulator

// CLB instances: create (with ClientToken idempotency, address allocation and
// quotas), delete (delete protection, cascade), describe and modify.
// Doc pages: https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-<action-lowercase>

import (
	"errors"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

type createLBResponse = slb.CreateLoadBalancerResponse

// Documented value lists (CreateLoadBalancer page).
var validSpecs = [...]string{"slb.s1.small", "slb.s2.small", "slb.s2.medium", "slb.s3.small", "slb.s3.medium", "slb.s3.large"}

// lcuSpec is what a pay-by-LCU instance reports as LoadBalancerSpec
// (DescribeLoadBalancerAttribute page: "returns slb.lcu.elastic by default").
const lcuSpec = "slb.lcu.elastic"

func isValidSpec(s string) bool {
	for _, v := range validSpecs {
		if v == s {
			return true
		}
	}
	return false
}

// validLBName: 1-80 characters, starting with a letter; letters, digits,
// ".", "_" and "-" (CreateLoadBalancer / SetLoadBalancerName pages).
func validLBName(n string) bool {
	if len(n) < 1 || len(n) > 80 {
		return false
	}
	for i, r := range n {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r > 127
		if i == 0 && !letter {
			return false
		}
		digit := r >= '0' && r <= '9'
		if !letter && !digit && r != '.' && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// slbCreateLoadBalancer creates a pay-as-you-go CLB; new instances are
// "active" (no creating state is documented).
func slbCreateLoadBalancer(c *call) (any, error) {
	s := c.e.slb
	if err := checkRegion(c); err != nil {
		return nil, err
	}
	// ClientToken: the same token with the same parameters answers the same
	// CLB again; a reused token with other parameters gets the CLB
	// product-wide LX_REQUEST_TOKEN_CONFLICT "The ClientToken is conflict."
	// (https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode; the
	// CLB-specific code is preferred over the
	// generic IdempotentParameterMismatch of the common table).
	token, fp := c.str("ClientToken"), ""
	if token != "" {
		fp = paramFingerprint(c)
		if t, ok := s.tokens[c.AccessKey+"/"+token]; ok {
			if t.fingerprint != fp {
				return nil, Errf(http.StatusBadRequest, "LX_REQUEST_TOKEN_CONFLICT", "The ClientToken is conflict.")
			}
			cp := *t.resp
			return &cp, nil
		}
	}
	lb, err := s.buildLB(c)
	if err != nil {
		return nil, err
	}
	// Quota slb_quota_instances_num (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/quotas):
	// OverQuota "The Total is over the quota".
	if len(s.lbs) >= c.e.cfg.Limits.LoadBalancersPerAccount {
		return nil, Errf(http.StatusBadRequest, "OverQuota", "The Total is over the quota.")
	}
	if err := s.assignAddress(c.e, lb, c.str("Address")); err != nil {
		return nil, err
	}
	lb.ID = c.e.nextID("lb-")
	s.addLB(lb)
	touch(c, lb)
	resp := &createLBResponse{LoadBalancerId: lb.ID, Address: lb.Address, LoadBalancerName: lb.Name,
		VpcId: lb.VpcID, VSwitchId: lb.VSwitchID, NetworkType: lb.NetworkType,
		AddressIPVersion: lb.AddressIPVersion, ResourceGroupId: lb.ResourceGroup}
	if token != "" {
		stored := *resp
		s.tokens[c.AccessKey+"/"+token] = createToken{fingerprint: fp, resp: &stored}
	}
	return resp, nil
}

// paramFingerprint canonicalises a call's action parameters (protocol
// parameters such as Signature, Timestamp and nonce excluded).
func paramFingerprint(c *call) string {
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		if !commonParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strings.Join(c.Params[k], ","))
		b.WriteByte('&')
	}
	return b.String()
}

// buildLB validates CreateLoadBalancer's parameters into a new clb (without
// ID or address).
func (s *slbState) buildLB(c *call) (*clb, error) {
	lb := &clb{Status: "active", Created: c.Now, PayType: "PayOnDemand", listeners: map[listenerKey]*listener{}, groups: map[string]*vgroup{}}
	lb.VSwitchID = c.str("VSwitchId")
	// "If VSwitchId is set, AddressType defaults to intranet" (CreateLoadBalancer page).
	switch lb.AddressType = c.str("AddressType"); lb.AddressType {
	case "":
		lb.AddressType = "internet"
		if lb.VSwitchID != "" {
			lb.AddressType = "intranet"
		}
	case "internet", "intranet":
	default:
		return nil, errInvalid("AddressType", lb.AddressType)
	}
	switch lb.AddressIPVersion = c.str("AddressIPVersion"); lb.AddressIPVersion {
	case "":
		lb.AddressIPVersion = "ipv4"
	case "ipv4", "ipv6":
	default:
		return nil, errInvalid("AddressIPVersion", lb.AddressIPVersion)
	}
	lb.Name = c.str("LoadBalancerName")
	if lb.Name == "" {
		lb.Name = "auto_named_slb" // the system-generated name real CLBs get
	} else if !validLBName(lb.Name) {
		return nil, errInvalid("LoadBalancerName", lb.Name)
	}
	if err := lbChargeParams(c, lb); err != nil {
		return nil, err
	}
	var err error
	if lb.DeleteProtection, err = onOff(c, "DeleteProtection", "off"); err != nil {
		return nil, err
	}
	if err := lbModProtection(c, lb); err != nil {
		return nil, err
	}
	lb.ResourceGroup = c.str("ResourceGroupId")
	if lb.ResourceGroup == "" {
		lb.ResourceGroup = "rg-default" // every real resource reports its account's default group
	}
	tags := c.tags()
	if err := validateTags(tags, c.e.cfg.Limits.TagsPerResource); err != nil {
		return nil, err
	}
	lb.Tags = tags
	lb.MasterZone, lb.SlaveZone = c.str("MasterZoneId"), c.str("SlaveZoneId")
	if lb.AddressType == "internet" {
		// Internet-facing CLBs are not placed in a VPC: they report
		// NetworkType "classic" with no VpcId/VSwitchId; VPC ECS instances
		// can still be their backends.
		lb.NetworkType, lb.VSwitchID = "classic", ""
		return lb, nil
	}
	lb.NetworkType = "vpc"
	if lb.VSwitchID == "" {
		return nil, Errf(http.StatusBadRequest, "MissingParam.VSwitchId", "The parameter VSwitchId is required.")
	}
	vsw, ok := c.e.vswitchByID(lb.VSwitchID)
	if !ok {
		return nil, Errf(http.StatusBadRequest, "VSwitchNotExist", "The specified VSwitch does not exist.")
	}
	if v := c.str("VpcId"); v != "" {
		if _, ok := c.e.vpcByID(v); !ok {
			return nil, Errf(http.StatusBadRequest, "InvalidVpcId.NotExist", "The specified VPC not exist.")
		}
		if v != vsw.VpcID {
			return nil, Errf(http.StatusBadRequest, "InvalidVSwitchId.NotFound", "The specified vSwitch instance is invalid.")
		}
	}
	lb.VpcID = vsw.VpcID
	if lb.MasterZone == "" {
		lb.MasterZone = vsw.ZoneID
	}
	return lb, nil
}

// lbChargeParams reads the billing parameters of CreateLoadBalancer.
func lbChargeParams(c *call, lb *clb) error {
	switch lb.InstanceChargeType = c.str("InstanceChargeType"); lb.InstanceChargeType {
	case "":
		lb.InstanceChargeType = "PayBySpec"
	case "PayBySpec", "PayByCLCU":
	default:
		return Errf(http.StatusBadRequest, "IllegalParam.InstanceChargeType", "The param InstanceChargeType is illegal.")
	}
	if p := c.str("PayType"); p != "" && p != "PayOnDemand" {
		// Subscription CLBs are not emulated.
		return Errf(http.StatusBadRequest, "Operation.NotAllowed", "Only PayOnDemand instances are supported.")
	}
	lb.Spec = c.str("LoadBalancerSpec")
	switch {
	case lb.InstanceChargeType == "PayByCLCU":
		lb.Spec = lcuSpec // "ignored when InstanceChargeType=PayByCLCU"
	case lb.Spec == "":
		return Errf(http.StatusBadRequest, "MissingParam.LoadBalancerSpec", "The param LoadBalancerSpec is required.")
	case !isValidSpec(lb.Spec):
		return errInvalid("LoadBalancerSpec", lb.Spec)
	}
	lb.InternetChargeType = strings.ToLower(c.str("InternetChargeType"))
	switch lb.InternetChargeType {
	case "":
		lb.InternetChargeType = "paybytraffic"
	case "paybytraffic":
	case "paybybandwidth":
		if lb.InstanceChargeType == "PayByCLCU" {
			return Errf(http.StatusBadRequest, "OperationDenied.PayByCLCU", "The operation is not allowed because the instanceChargeType of loadbalancer is PayByCLCU.")
		}
	default:
		return errInvalid("InternetChargeType", lb.InternetChargeType)
	}
	bw, err := c.integer("Bandwidth", 0)
	if err != nil {
		return err
	}
	if lb.InternetChargeType == "paybybandwidth" {
		// Bandwidth 1-5120 Mbit/s per API metadata (the CreateLoadBalancer
		// page says 5000): we accept the larger range.
		if bw < 1 || bw > 5120 {
			return Errf(http.StatusBadRequest, "InvalidParameter.Bandwidth", "The param Bandwidth is invalid.")
		}
		lb.Bandwidth = bw
	} else {
		lb.Bandwidth = 5120 // pay-by-traffic instances report the maximum
	}
	return nil
}

// lbModProtection reads ModificationProtectionStatus/Reason.
func lbModProtection(c *call, lb *clb) error {
	switch lb.ModProtStatus = c.str("ModificationProtectionStatus"); lb.ModProtStatus {
	case "":
		lb.ModProtStatus = "NonProtection"
	case "NonProtection", "ConsoleProtection":
	default:
		return Errf(http.StatusBadRequest, "InvalidParam.ModificationProtectionStatus", "The param ModificationProtectionStatus is invalid.")
	}
	lb.ModProtReason = c.str("ModificationProtectionReason")
	if lb.ModProtReason != "" && (lb.ModProtStatus != "ConsoleProtection" || len(lb.ModProtReason) > 80 || !validLBName(lb.ModProtReason[:1])) {
		return Errf(http.StatusBadRequest, "InvalidParam.ModificationProtectionReason", "The param ModificationProtectionReason is invalid.")
	}
	return nil
}

// addLB indexes a new CLB.
func (s *slbState) addLB(lb *clb) {
	lb.seq = s.nextSeq()
	s.lbs[lb.ID] = lb
	s.order = append(s.order, lb)
}

// assignAddress gives a CLB its VIP. Intranet: the requested Address or the
// lowest free one of the vSwitch (the shared allocator, vpc_addresses.go).
// Internet: the next address of a deterministic public pool (47.99.0.0/16).
func (s *slbState) assignAddress(e *Emulator, lb *clb, want string) error {
	if lb.AddressType == "internet" {
		s.publicSeq++
		n := s.publicSeq
		lb.Address = netip.AddrFrom4([4]byte{47, 99, byte(n >> 8), byte(n)}).String()
		return nil
	}
	vsw, _ := e.vswitchByID(lb.VSwitchID)
	ip, err := e.allocAddress(vsw, want, 0)
	switch {
	case errors.Is(err, errAddrOutside):
		return Errf(http.StatusBadRequest, "InvalidParameter", "Illegal parameter. The IP address is not in subnet.")
	case errors.Is(err, errAddrInUse):
		// No code is documented for an Address already in use; we answer
		// the generic InvalidParameter.
		return Errf(http.StatusBadRequest, "InvalidParameter", "The specified Address %s is already in use.", want)
	case errors.Is(err, errAddrExhausted):
		return Errf(http.StatusBadRequest, "VSwitchAvailableIpNotExist", "The specified VSwitch has no availabe ip.")
	case err != nil:
		return Errf(http.StatusInternalServerError, "InternalError", "vSwitch %s: %v", vsw.VSwitchID, err)
	}
	lb.Address = ip
	return nil
}

// slbDeleteLoadBalancer deletes a CLB with its listeners, vServer groups,
// domain extensions and tags ("The listeners and tags of the SLB instance are
// deleted along with the SLB instance.", DeleteLoadBalancer page). Delete
// protection refuses it; ModificationProtection (ConsoleProtection) does not:
// it only blocks console edits, "you can modify instance configurations by
// calling API operations" (SetLoadBalancerModificationProtection page,
// https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-setloadbalancermodificationprotection).
func slbDeleteLoadBalancer(c *call) (any, error) {
	s := c.e.slb
	lb, err := s.lb(c.str("LoadBalancerId"))
	if err != nil {
		return nil, err
	}
	if lb.DeleteProtection == "on" {
		return nil, Errf(http.StatusBadRequest, "OperationDenied.DeleteProtectionIsOn", "The loadbalancer can't be deleted due to DeleteProtection is enabled.")
	}
	if err := checkBusy(c, lb, busyInstance); err != nil {
		return nil, err
	}
	s.removeLB(lb)
	return &slb.DeleteLoadBalancerResponse{}, nil
}

// removeLB drops a CLB and everything that hangs off it.
func (s *slbState) removeLB(lb *clb) {
	for _, g := range lb.groups {
		s.dropGroup(g)
	}
	for id, d := range s.domains {
		if d.LBID == lb.ID {
			delete(s.domains, id)
		}
	}
	delete(s.lbs, lb.ID)
	for i, o := range s.order {
		if o == lb {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
}

// lbView renders a CLB as DescribeLoadBalancers lists it.
func lbView(lb *clb) slb.LoadBalancer {
	return slb.LoadBalancer{
		LoadBalancerId: lb.ID, LoadBalancerName: lb.Name, LoadBalancerStatus: lb.Status,
		Address: lb.Address, AddressType: lb.AddressType, AddressIPVersion: lb.AddressIPVersion,
		NetworkType: lb.NetworkType, VpcId: lb.VpcID, VSwitchId: lb.VSwitchID,
		LoadBalancerSpec: lb.Spec, InstanceChargeType: lb.InstanceChargeType,
		InternetChargeType: lb.InternetChargeType, InternetChargeTypeAlias: lb.InternetChargeType,
		Bandwidth: lb.Bandwidth, PayType: lb.PayType, MasterZoneId: lb.MasterZone, SlaveZoneId: lb.SlaveZone,
		ResourceGroupId: lb.ResourceGroup, DeleteProtection: lb.DeleteProtection,
		ModificationProtectionStatus: lb.ModProtStatus, ModificationProtectionReason: lb.ModProtReason,
		BusinessStatus: "Normal", CreateTime: lb.Created.UTC().Format(clbTimeLayout),
		CreateTimeStamp: lb.Created.UnixMilli(), Tags: slb.TagsInDescribeLoadBalancers{Tag: tagView(lb.Tags)},
		IneffectiveOrderList: slb.IneffectiveOrderList{IneffectiveOrder: []string{}},
	}
}

// slbDescribeLoadBalancerAttribute answers one CLB with its listeners, tags
// and default-server-group backends (vServer group members are not listed,
// as documented).
func slbDescribeLoadBalancerAttribute(c *call) (any, error) {
	s := c.e.slb
	lb, err := s.lb(c.str("LoadBalancerId"))
	if err != nil {
		return nil, err
	}
	s.applyPending(lb, c.Now)
	v := lbView(lb)
	r := &slb.DescribeLoadBalancerAttributeResponse{
		LoadBalancerId: v.LoadBalancerId, LoadBalancerName: v.LoadBalancerName, LoadBalancerStatus: v.LoadBalancerStatus,
		Address: v.Address, AddressType: v.AddressType, AddressIPVersion: v.AddressIPVersion, NetworkType: v.NetworkType,
		VpcId: v.VpcId, VSwitchId: v.VSwitchId, LoadBalancerSpec: v.LoadBalancerSpec, InstanceChargeType: v.InstanceChargeType,
		InternetChargeType: v.InternetChargeType, Bandwidth: v.Bandwidth, PayType: v.PayType, MasterZoneId: v.MasterZoneId,
		SlaveZoneId: v.SlaveZoneId, RegionId: c.e.cfg.Region, RegionIdAlias: c.e.cfg.Region, ResourceGroupId: v.ResourceGroupId,
		DeleteProtection: v.DeleteProtection, ModificationProtectionStatus: v.ModificationProtectionStatus,
		ModificationProtectionReason: v.ModificationProtectionReason, BusinessStatus: v.BusinessStatus,
		CreateTime: v.CreateTime, CreateTimeStamp: v.CreateTimeStamp,
		Tags:                     slb.TagsInDescribeLoadBalancerAttribute{Tag: tagView(lb.Tags)},
		Labels:                   slb.Labels{Label: []string{}},
		ListenerPorts:            slb.ListenerPorts{ListenerPort: []int{}},
		BackendServers:           slb.BackendServersInDescribeLoadBalancerAttribute{BackendServer: []slb.BackendServerInDescribeLoadBalancerAttribute{}},
		ListenerPortsAndProtocal: slb.ListenerPortsAndProtocal{ListenerPortAndProtocal: []slb.ListenerPortAndProtocal{}},
		ListenerPortsAndProtocol: slb.ListenerPortsAndProtocol{ListenerPortAndProtocol: []slb.ListenerPortAndProtocol{}},
	}
	for _, l := range sortedListeners(lb) {
		r.ListenerPorts.ListenerPort = append(r.ListenerPorts.ListenerPort, l.port)
		r.ListenerPortsAndProtocal.ListenerPortAndProtocal = append(r.ListenerPortsAndProtocal.ListenerPortAndProtocal,
			slb.ListenerPortAndProtocal{ListenerPort: l.port, ListenerProtocal: l.proto})
		fp := 0
		if l.attrs["ListenerForward"] == "on" {
			fp = atoiOr(l.attrs["ForwardPort"], 0)
		}
		r.ListenerPortsAndProtocol.ListenerPortAndProtocol = append(r.ListenerPortsAndProtocol.ListenerPortAndProtocol,
			slb.ListenerPortAndProtocol{ListenerPort: l.port, ListenerProtocol: l.proto, Description: l.attrs["Description"],
				ListenerForward: orDefault(l.attrs["ListenerForward"], "off"), ForwardPort: fp})
	}
	return r, nil
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
