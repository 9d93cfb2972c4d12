package emulator

import (
	"fmt"
	"net/netip"
)

// ECS (API version 2014-05-26) state: instances and ENIs, kept in insertion
// order so listings are deterministic.

// ecsState is all ECS state of one emulator; guarded by Emulator.mu.
type ecsState struct {
	instances map[string]*Instance
	instOrder []string
	enis      map[string]*ENI
	eniOrder  []string
	ramHidden map[string]RAMVisibility  // see ecs_ram.go
	sgs       map[string]*SecurityGroup // see ecs_secgroups.go
	sgOrder   []string
}

// newECSState returns empty ECS state.
func newECSState() *ecsState {
	return &ecsState{instances: map[string]*Instance{}, enis: map[string]*ENI{}, sgs: map[string]*SecurityGroup{}}
}

func (e *Emulator) instanceByID(id string) (*Instance, bool) {
	in, ok := e.ecs.instances[id]
	return in, ok
}

func (e *Emulator) eniByID(id string) (*ENI, bool) {
	n, ok := e.ecs.enis[id]
	return n, ok
}

// eniByIP finds the ENI holding ip (primary or secondary) in a VPC.
func (e *Emulator) eniByIP(vpcID, ip string) (*ENI, bool) {
	for _, n := range e.eniList() {
		if n.VpcID != vpcID {
			continue
		}
		if n.PrimaryIP == ip || contains(n.SecondaryIPs, ip) {
			return n, true
		}
	}
	return nil, false
}

// instanceList returns instances in insertion order.
func (e *Emulator) instanceList() []*Instance {
	out := make([]*Instance, 0, len(e.ecs.instOrder))
	for _, id := range e.ecs.instOrder {
		if in, ok := e.ecs.instances[id]; ok {
			out = append(out, in)
		}
	}
	return out
}

// eniList returns ENIs in insertion order.
func (e *Emulator) eniList() []*ENI {
	out := make([]*ENI, 0, len(e.ecs.eniOrder))
	for _, id := range e.ecs.eniOrder {
		if n, ok := e.ecs.enis[id]; ok {
			out = append(out, n)
		}
	}
	return out
}

// macFor derives a stable MAC in Alibaba's 00:16:3e OUI from a sequence number.
func (e *Emulator) newMAC() string {
	e.idSeq++
	h := splitmix64(e.idSeq)
	return fmt.Sprintf("00:16:3e:%02x:%02x:%02x", byte(h>>16), byte(h>>8), byte(h))
}

// addInstance validates and stores an instance; the caller holds e.mu.
func (e *Emulator) addInstance(in Instance) error {
	if in.InstanceID == "" {
		in.InstanceID = e.nextID("i-")
	}
	vs, ok := e.vpc.vswitches[in.VSwitchID]
	if !ok {
		return fmt.Errorf("unknown vswitch %q", in.VSwitchID)
	}
	if in.VpcID == "" {
		in.VpcID = vs.VpcID
	}
	if in.VpcID != vs.VpcID {
		return fmt.Errorf("vswitch %s is in vpc %s, not %s", vs.VSwitchID, vs.VpcID, in.VpcID)
	}
	if in.ZoneID == "" {
		in.ZoneID = vs.ZoneID
	}
	if in.PrivateIP != "" {
		a, err := netip.ParseAddr(in.PrivateIP)
		p, _ := netip.ParsePrefix(vs.CidrBlock)
		if err != nil || !p.Contains(a) {
			return fmt.Errorf("private ip %q is not in vswitch cidr %s", in.PrivateIP, vs.CidrBlock)
		}
	}
	if in.Status == "" {
		in.Status = "Running"
	}
	if in.InstanceType == "" {
		in.InstanceType = "ecs.g6.large"
	}
	if in.InstanceName == "" {
		in.InstanceName = in.InstanceID
	}
	if in.HostName == "" {
		// ECS default host names look like "iZbp1...Z".
		in.HostName = "iZ" + in.InstanceID[2:] + "Z"
	}
	if in.MAC == "" {
		in.MAC = e.newMAC()
	}
	old, exists := e.ecs.instances[in.InstanceID]
	if in.PrimaryENI == "" && exists {
		in.PrimaryENI = old.PrimaryENI
	}
	if in.PrimaryENI == "" {
		in.PrimaryENI = e.nextID("eni-")
	}
	if _, ok := e.ecs.enis[in.PrimaryENI]; !ok || exists {
		n := ENI{NetworkInterfaceID: in.PrimaryENI, Type: "Primary", InstanceID: in.InstanceID, VpcID: in.VpcID,
			VSwitchID: in.VSwitchID, ZoneID: in.ZoneID, PrimaryIP: in.PrivateIP, MAC: in.MAC, Status: "InUse"}
		if prev, ok := e.ecs.enis[in.PrimaryENI]; ok {
			n.SecondaryIPs, n.SourceDestCheck, n.Tags = prev.SecondaryIPs, prev.SourceDestCheck, prev.Tags
		}
		if err := e.addENI(n); err != nil {
			return err
		}
	}
	if in.EipAddress != "" && e.eipByAddress(in.EipAddress) == nil {
		id := e.nextID("eip-")
		e.vpc.eips[id] = &EIP{AllocationID: id, IPAddress: in.EipAddress, InstanceID: in.InstanceID, InstanceType: "EcsInstance", Status: "InUse"}
	}
	if !exists {
		e.ecs.instOrder = append(e.ecs.instOrder, in.InstanceID)
	}
	e.ecs.instances[in.InstanceID] = &in
	return nil
}

func (e *Emulator) eipByAddress(ip string) *EIP {
	for _, x := range e.vpc.eips {
		if x.IPAddress == ip {
			return x
		}
	}
	return nil
}

// addENI validates and stores an ENI; the caller holds e.mu.
func (e *Emulator) addENI(n ENI) error {
	if n.NetworkInterfaceID == "" {
		n.NetworkInterfaceID = e.nextID("eni-")
	}
	vs, ok := e.vpc.vswitches[n.VSwitchID]
	if !ok {
		return fmt.Errorf("unknown vswitch %q", n.VSwitchID)
	}
	if n.VpcID == "" {
		n.VpcID = vs.VpcID
	}
	if n.ZoneID == "" {
		n.ZoneID = vs.ZoneID
	}
	if n.Type == "" {
		n.Type = "Secondary"
	}
	if n.Status == "" {
		n.Status = "Available"
		if n.InstanceID != "" {
			n.Status = "InUse"
		}
	}
	if n.MAC == "" {
		n.MAC = e.newMAC()
	}
	if _, exists := e.ecs.enis[n.NetworkInterfaceID]; !exists {
		e.ecs.eniOrder = append(e.ecs.eniOrder, n.NetworkInterfaceID)
	}
	e.ecs.enis[n.NetworkInterfaceID] = &n
	return nil
}

// AddInstance adds (or replaces) an ECS instance, creating its primary ENI.
func (e *Emulator) AddInstance(in Instance) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.addInstance(in); err != nil {
		return fmt.Errorf("add instance %s: %w", in.InstanceID, err)
	}
	return nil
}

// SetInstanceStatus changes an instance's status (Running, Stopped, ...).
func (e *Emulator) SetInstanceStatus(id, status string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.ecs.instances[id]
	if !ok {
		return fmt.Errorf("set status: instance %q not found", id)
	}
	in.Status = status
	return nil
}

// SetSourceDestCheck turns an ENI's source/destination check on or off, as
// a user does in the console or with ModifyNetworkInterfaceAttribute.
func (e *Emulator) SetSourceDestCheck(eniID string, on bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.ecs.enis[eniID]
	if !ok {
		return fmt.Errorf("set source/destination check: ENI %q not found", eniID)
	}
	n.SourceDestCheck = on
	return nil
}

// DeleteInstance releases an instance: it disappears from every listing,
// with its primary ENI; secondary ENIs are detached and its EIPs freed.
func (e *Emulator) DeleteInstance(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.ecs.instances[id]
	if !ok {
		return fmt.Errorf("delete instance: %q not found", id)
	}
	delete(e.ecs.instances, id)
	e.ecs.instOrder = removeString(e.ecs.instOrder, id)
	for _, n := range e.eniList() {
		if n.InstanceID != id {
			continue
		}
		if n.NetworkInterfaceID == in.PrimaryENI || n.Type == "Primary" {
			delete(e.ecs.enis, n.NetworkInterfaceID)
			e.ecs.eniOrder = removeString(e.ecs.eniOrder, n.NetworkInterfaceID)
			continue
		}
		n.InstanceID, n.Status = "", "Available"
	}
	for _, x := range e.vpc.eips {
		if x.InstanceID == id {
			x.InstanceID, x.InstanceType, x.Status = "", "", "Available"
		}
	}
	return nil
}

func removeString(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}
