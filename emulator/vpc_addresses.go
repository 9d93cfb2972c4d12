package emulator

// Private addresses of a vSwitch: one allocator shared by every product that
// takes an address from a vSwitch (CLB VIPs, NLB zone addresses), so no two
// resources ever hold the same address. Instances and pods hold theirs
// through their ENIs.

import (
	"errors"
	"net/netip"
)

// Allocation failures; each product answers them with its own code.
var (
	errAddrOutside   = errors.New("address outside the vSwitch's usable range")
	errAddrInUse     = errors.New("address in use")
	errAddrExhausted = errors.New("no free address in the vSwitch")
	errAddrBadCIDR   = errors.New("vSwitch has a bad CIDR")
)

// usableRange is the first and last address a vSwitch hands out: "the
// first IP address and the last three IP addresses of each vSwitch CIDR
// block are reserved by the system"
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createvswitch).
func usableRange(pfx netip.Prefix) (first, last netip.Addr) {
	first, last = pfx.Addr().Next(), lastAddr(pfx)
	for i := 0; i < 3; i++ {
		last = last.Prev()
	}
	return first, last
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	host := len(b)*8 - p.Bits()
	for i := len(b) - 1; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		b[i] |= byte(1<<n - 1)
		host -= n
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// addrHeld reports whether an ENI, a CLB or an NLB zone of the VPC holds ip.
func (e *Emulator) addrHeld(vpcID, ip string) bool {
	if _, used := e.eniByIP(vpcID, ip); used {
		return true
	}
	for _, lb := range e.slb.order {
		if lb.VpcID == vpcID && lb.Address == ip {
			return true
		}
	}
	for _, lb := range e.nlb.lbs {
		if lb.VpcID != vpcID {
			continue
		}
		for _, z := range lb.Zones {
			if z.PrivateIP == ip {
				return true
			}
		}
	}
	return false
}

// allocAddress takes an address of a vSwitch: want when given (usable and
// free), else the lowest free usable address, skipping the first skip
// usable ones when the vSwitch has room to spare. The caller holds e.mu
// and records the address on its resource, which is what holds it.
func (e *Emulator) allocAddress(vsw *VSwitch, want string, skip int) (string, error) {
	pfx, err := netip.ParsePrefix(vsw.CidrBlock)
	if err != nil {
		return "", errAddrBadCIDR
	}
	pfx = pfx.Masked()
	first, last := usableRange(pfx)
	usable := func(a netip.Addr) bool { return a.Compare(first) >= 0 && a.Compare(last) <= 0 }
	if want != "" {
		a, err := netip.ParseAddr(want)
		if err != nil || !pfx.Contains(a) || !usable(a) {
			return "", errAddrOutside
		}
		if e.addrHeld(vsw.VpcID, a.String()) {
			return "", errAddrInUse
		}
		return a.String(), nil
	}
	if pfx.Bits() < 30 {
		for i := 0; i < skip; i++ {
			first = first.Next()
		}
	}
	for a := first; usable(a); a = a.Next() {
		if ip := a.String(); !e.addrHeld(vsw.VpcID, ip) {
			return ip, nil
		}
	}
	return "", errAddrExhausted
}
