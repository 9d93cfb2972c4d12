package emulator

// RAM visibility of ECS instances.
//
// DescribeInstances does not refuse a RAM identity that may not see an
// instance: it leaves the instance out of the answer ("a RAM user or RAM
// role without the required permissions gets an empty list"; use DryRun to
// tell,
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinstances).
// ecs:DescribeInstances can be granted
// on chosen instance resources (acs:ecs:<region>:<account>:instance/<id>, the
// "RAM authorization" table of the same page), with conditions, so one
// identity may see an instance in some answers and not in others. The
// emulator models the two shapes that matter to a CCM: instances left out
// of answers to calls that filter by InstanceIds, and instances left out of
// every answer.

// RAMVisibility is how a RAM policy shows an instance to DescribeInstances.
type RAMVisibility int

const (
	// RAMVisible means the instance is in every answer it matches (the default).
	RAMVisible RAMVisibility = iota
	// RAMHiddenFromIDFilter means calls that set InstanceIds never return the
	// instance; listings by VPC, vSwitch, IP, tag and so on still do.
	RAMHiddenFromIDFilter
	// RAMHiddenFromAll means no DescribeInstances answer contains the instance.
	RAMHiddenFromAll
)

// SetRAMVisibility sets how DescribeInstances shows the instances to the
// caller (every access key alike), modelling a RAM policy; RAMVisible undoes
// it. The instances need not exist.
func (e *Emulator) SetRAMVisibility(v RAMVisibility, instanceIDs ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ecs.ramHidden == nil {
		e.ecs.ramHidden = map[string]RAMVisibility{}
	}
	for _, id := range instanceIDs {
		if v == RAMVisible {
			delete(e.ecs.ramHidden, id)
		} else {
			e.ecs.ramHidden[id] = v
		}
	}
}

// hiddenByRAM reports whether a DescribeInstances answer leaves the instance
// out; byID is whether the call filters by InstanceIds. The caller holds e.mu.
func (e *Emulator) hiddenByRAM(id string, byID bool) bool {
	switch e.ecs.ramHidden[id] {
	case RAMHiddenFromAll:
		return true
	case RAMHiddenFromIDFilter:
		return byID
	case RAMVisible:
	}
	return false
}
