package emulator

// NLB zone mappings: parsing ZoneMappings.N.*, checking them against the
// seeded VPC world, and the private and public addresses an NLB holds per
// zone (CreateLoadBalancer, UpdateLoadBalancerZones,
// UpdateLoadBalancerAddressTypeConfig).

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// zoneReq is one ZoneMappings.N item of a request.
type zoneReq struct {
	ZoneID, VSwitchID, PrivateIP, AllocationID string
}

// nlbZoneParams reads ZoneMappings.N.{ZoneId,VSwitchId,PrivateIPv4Address,AllocationId}
// (the SDK flattens the Repeated list as ZoneMappings.1.ZoneId, ...).
func nlbZoneParams(c *call) []zoneReq {
	var out []zoneReq
	for i := 1; ; i++ {
		p := "ZoneMappings." + strconv.Itoa(i) + "."
		if !c.has(p+"ZoneId") && !c.has(p+"VSwitchId") && !c.has(p+"AllocationId") {
			return out
		}
		out = append(out, zoneReq{ZoneID: c.str(p + "ZoneId"), VSwitchID: c.str(p + "VSwitchId"),
			PrivateIP: c.str(p + "PrivateIPv4Address"), AllocationID: c.str(p + "AllocationId")})
	}
}

// checkZones validates a full zone list for an NLB in vpcID: 2 to 10
// distinct zones, each with a vSwitch of that zone and VPC
// (CreateLoadBalancer: "at least 2 zones, at most 10", InvalidZones,
// ResourceNotFound.VSwitch 404, Mismatch.ZoneIdAndVswitchId).
func (e *Emulator) checkNLBZones(vpcID string, zs []zoneReq) error {
	if len(zs) == 0 {
		return nlbMissing("ZoneMappings")
	}
	seen := map[string]bool{}
	for _, z := range zs {
		if z.ZoneID == "" {
			return nlbMissing("ZoneMappings.ZoneId")
		}
		if z.VSwitchID == "" {
			return nlbMissing("ZoneMappings.VSwitchId")
		}
		if seen[z.ZoneID] {
			return Errf(http.StatusBadRequest, "InvalidZones", "The current zone list is illegal.")
		}
		seen[z.ZoneID] = true
		vsw, ok := e.vswitchByID(z.VSwitchID)
		if !ok {
			return nlbNotFound("VSwitch")
		}
		if vsw.ZoneID != z.ZoneID {
			return Errf(http.StatusBadRequest, "Mismatch.ZoneIdAndVswitchId", "The ZoneIdAndVswitchId is mismatched for %s and %s.", z.ZoneID, z.VSwitchID)
		}
		if vsw.VpcID != vpcID {
			return Errf(http.StatusBadRequest, "Mismatch.VpcId", "The VpcId is mismatched for %s and %s.", vpcID, z.VSwitchID)
		}
	}
	if len(zs) < 2 || len(zs) > 10 {
		return Errf(http.StatusBadRequest, "InvalidZones", "The current zone list is illegal.")
	}
	return nil
}

// placeZone gives a zone its private address (the requested one, or the
// first free one of the vSwitch) and, for an Internet NLB, its public
// address: the given EIP, else one NLB allocates.
func (e *Emulator) placeNLBZone(lb *nlbLB, z zoneReq) (*nlbZone, error) {
	vsw, _ := e.vswitchByID(z.VSwitchID)
	out := &nlbZone{ZoneID: z.ZoneID, VSwitchID: z.VSwitchID, EniID: e.nextID("eni-")}
	// The shared allocator (vpc_addresses.go); an address it picks leaves
	// the two lowest usable ones to nodes, as the cloud tends to.
	ip, err := e.allocAddress(vsw, z.PrivateIP, 2)
	switch {
	case errors.Is(err, errAddrOutside):
		return nil, nlbIllegal("PrivateIPv4Address")
	case errors.Is(err, errAddrInUse):
		// ResourceInUse.IP 400 (CreateLoadBalancer error table).
		return nil, Errf(http.StatusBadRequest, "ResourceInUse.IP", "The specified resource of IP is in use.")
	case errors.Is(err, errAddrExhausted):
		return nil, Errf(http.StatusBadRequest, "ResourceNotEnough.VSwitchIp", "The specified resource of VSwitchIp is not enough.")
	case err != nil:
		return nil, Errf(http.StatusInternalServerError, "InternalError", "vSwitch %s: %v", vsw.VSwitchID, err)
	}
	out.PrivateIP = ip
	if lb.AddressType == "Internet" {
		if err := e.bindNLBPublic(lb, out, z.AllocationID); err != nil {
			return nil, err
		}
	} else if z.AllocationID != "" {
		return nil, nlbIllegal("AllocationId")
	}
	return out, nil
}

// bindNLBPublic gives an Internet zone its public address.
func (e *Emulator) bindNLBPublic(lb *nlbLB, z *nlbZone, allocationID string) error {
	if allocationID == "" {
		e.nlb.publicSeq++
		n := e.nlb.publicSeq
		z.PublicIP = netip.AddrFrom4([4]byte{39, 98, byte(n >> 8), byte(n)}).String()
		return nil
	}
	eip, ok := e.vpc.eips[allocationID]
	if !ok {
		return nlbNotFound("Eip")
	}
	if eip.InstanceID != "" && eip.InstanceID != lb.ID {
		return Errf(http.StatusBadRequest, "ResourceAlreadyAssociated.Eip", "The specified resource of %s is already associated.", allocationID)
	}
	eip.InstanceID, eip.InstanceType, eip.Status = lb.ID, "Nlb", "InUse"
	z.AllocationID, z.PublicIP = allocationID, eip.IPAddress
	return nil
}

// releaseNLBPublic unbinds a zone's EIP (a user EIP returns to Available).
func (e *Emulator) releaseNLBPublic(z *nlbZone) {
	if eip, ok := e.vpc.eips[z.AllocationID]; ok && z.AllocationID != "" {
		eip.InstanceID, eip.InstanceType, eip.Status = "", "", "Available"
	}
	z.AllocationID, z.PublicIP = "", ""
}

// zoneView renders a zone mapping as the answers show it.
func zoneView(z *nlbZone) nlb.ZoneMapping {
	return nlb.ZoneMapping{ZoneId: z.ZoneID, VSwitchId: z.VSwitchID, Status: "Active",
		LoadBalancerAddresses: []nlb.LoadBalancerAddress{{EniId: z.EniID, PrivateIPv4Address: z.PrivateIP,
			AllocationId: z.AllocationID, PublicIPv4Address: z.PublicIP, PrivateIPv4HcStatus: "Healthy"}}}
}

// validNLBName: 2 to 128 characters, starting with a letter (or Chinese
// character), then letters, digits, periods, underscores and hyphens
// (CreateLoadBalancer LoadBalancerName, CreateServerGroup ServerGroupName).
func validNLBName(n string) bool {
	if l := utf8.RuneCountInString(n); l < 2 || l > 128 {
		return false
	}
	for i, r := range n {
		switch {
		case unicode.IsLetter(r):
		case i > 0 && (unicode.IsDigit(r) || r == '.' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// validNLBDescription: 2 to 256 characters of letters, digits, and
// , . ; / @ _ - (CreateListener ListenerDescription, server Description).
func validNLBDescription(d string) bool {
	if l := utf8.RuneCountInString(d); l < 2 || l > 256 {
		return false
	}
	for _, r := range d {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !containsRune(",.;/@_-", r) {
			return false
		}
	}
	return true
}

func containsRune(set string, r rune) bool {
	for _, s := range set {
		if s == r {
			return true
		}
	}
	return false
}
