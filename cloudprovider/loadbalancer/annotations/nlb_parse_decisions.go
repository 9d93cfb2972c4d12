package annotations

// Decisions the NLB engine makes from the parsed values, stated once here
// beside the CLB ones (decisions.go) so no level of the engine re-derives
// them from annotation strings.

// SharedWeight is the weight annotation where it counts: on a reused NLB
// the Service shares through vgroup-port, where it is the Service's share,
// spread over its backends, as in the official CCM. Elsewhere it is nil.
func (c *NLBConfig) SharedWeight() *int {
	if c.LB.ReuseID == "" || len(c.Backend.VGroupPorts) == 0 {
		return nil
	}
	return c.Backend.Weight
}

// ServerGroupID is the user's server group (vgroup-port) the listener of
// port forwards to on a reused NLB; "" when the CCM manages its own.
func (c *NLBConfig) ServerGroupID(port int32) string {
	if c.LB.ReuseID == "" {
		return ""
	}
	return c.Backend.VGroupPorts[port]
}

// BackendPort is the port the listener's backends serve on: the NodePort
// for node backends, the numeric target port for pod (eni) backends, and
// 0 for a port-range listener (its members take the port the client
// connected to) or when not known yet (no NodePort allocated, a named
// target port, which may differ per pod).
func (l *NLBListener) BackendPort(t BackendType) int {
	switch {
	case l.PortRange != nil:
		return 0
	case t == BackendENI:
		return l.TargetPort.IntValue()
	}
	return int(l.NodePort)
}
