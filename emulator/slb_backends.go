package emulator

// Parsing and validation of the BackendServers JSON parameter of the
// vServer group actions: a JSON string holding a list of {ServerId, Weight,
// Type, ServerIp, Port, Description}; numbers may be sent as JSON numbers
// or strings. Keys are matched in any letter case: the documentation spells
// them ServerId, Weight, ..., but the official CCM has sent them in lower
// camel case (serverId, serverIp, weight, port, type, description: the json
// tags of BackendAttribute in
// https://github.com/kubernetes/cloud-provider-alibaba-cloud/blob/master/pkg/model/load_balancer.go,
// marshalled as BackendServers by pkg/controller/service/clbv1/vgroups.go)
// to AddVServerGroupBackendServers, RemoveVServerGroupBackendServers,
// SetVServerGroupAttribute and ModifyVServerGroupBackendServers in
// production for years, so the cloud accepts them.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// jsonField reads a string or number JSON value as a string. k is the
// lower-cased key (see foldKeys).
func jsonField(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// parseBackends reads a BackendServers-style parameter. Every list is
// limited to Limits.BackendsPerCall entries ("You can specify at most 20
// backend servers in each call": TooManyBackendServers) and may not repeat a
// (ServerId, ServerIp, Port) ("The specified BackendServers contain
// duplicated value of ServerID and Port.", ModifyVServerGroupBackendServers
// page). With validate, each server must exist, be running and sit in the
// CLB's network (see validateBackend).
func (s *slbState) parseBackends(c *call, param string, lb *clb, validate bool) ([]*backend, error) {
	raw := c.str(param)
	if raw == "" {
		return nil, errMissing(param)
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(raw), &items); err != nil {
		return nil, errInvalid(param, raw)
	}
	for i, m := range items {
		items[i] = foldKeys(m)
	}
	if len(items) > c.e.cfg.Limits.BackendsPerCall {
		return nil, Errf(http.StatusBadRequest, "TooManyBackendServers", "The total number of input real servers exceeds max supported number: %d", c.e.cfg.Limits.BackendsPerCall)
	}
	out := make([]*backend, 0, len(items))
	seen := make(map[string]bool, len(items))
	lbVPC := s.backendVPC(lb)
	for _, m := range items {
		b := &backend{ServerID: jsonField(m, "serverid"), ServerIP: jsonField(m, "serverip"), Type: jsonField(m, "type"),
			Description: jsonField(m, "description"), Weight: 100}
		if b.ServerID == "" {
			return nil, errMissing("ServerId")
		}
		if b.Type == "" {
			b.Type = "ecs"
		}
		p := jsonField(m, "port")
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errInvalid("Port", p)
		}
		b.Port = n
		if w := jsonField(m, "weight"); w != "" {
			n, err := strconv.Atoi(w)
			if err != nil || n < 0 || n > 100 {
				return nil, errInvalid("Weight", w)
			}
			b.Weight = n
		}
		if len(b.Description) > 80 {
			return nil, errInvalid("Description", b.Description)
		}
		if validate {
			if err := s.validateBackend(c.e, lb, &lbVPC, b); err != nil {
				return nil, err
			}
		} else if b.Type == "ecs" {
			b.ServerIP = "" // ecs members are identified by instance and port
			if in, ok := c.e.instanceByID(b.ServerID); ok {
				b.ServerIP = in.PrivateIP
			}
		}
		if seen[b.key()] {
			return nil, Errf(http.StatusBadRequest, "InvalidParameter", "The specified BackendServers contain duplicated value of ServerID and Port.")
		}
		seen[b.key()] = true
		out = append(out, b)
	}
	return out, nil
}

// foldKeys lower-cases the keys of one BackendServers entry, so that
// ServerId, serverId and serverid are read alike.
func foldKeys(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// backendVPC is the VPC a CLB's backends must live in: its own for VPC
// CLBs; for internet (classic) CLBs the VPC of the members it already has,
// since "All BackendServers on one Specified LoadBalancer have to be in the
// same vpc or all classic" (InvalidBackendServers.Inconsistent, in
// https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode).
func (s *slbState) backendVPC(lb *clb) string {
	if lb.VpcID != "" {
		return lb.VpcID
	}
	for _, g := range lb.groups {
		for _, b := range g.Backends {
			if b.VpcID != "" {
				return b.VpcID
			}
		}
	}
	return ""
}

// validateBackend checks one member to add:
//   - ecs: an existing instance (InvalidServerId.NotExist) that is running
//     ("You can add only running backend servers": ObtainIpFail);
//   - eni: an existing ENI (404 ResourceNotFound.vServers) and ServerIp one
//     of its addresses ("an ENI with several IPs is listed once per IP");
//   - eci: ServerIp required (ECI is not modelled beyond its IP);
//   - any other Type: BackendServer.InvalidType.
//
// All must be in the CLB's VPC (NetworkConflict) or, for CLBs outside a
// VPC, in the VPC of the other members (InvalidBackendServers.Inconsistent).
func (s *slbState) validateBackend(e *Emulator, lb *clb, lbVPC *string, b *backend) error {
	var vpc string
	switch b.Type {
	case "ecs":
		in, ok := e.instanceByID(b.ServerID)
		if !ok {
			return Errf(http.StatusBadRequest, "InvalidServerId.NotExist", "The specified ServerId is not exist.")
		}
		if in.Status != "" && in.Status != "Running" {
			return Errf(http.StatusBadRequest, "ObtainIpFail", "The specified BackendServers is invalid; some of the specified backend servers do not exist or are not running.")
		}
		vpc, b.ServerIP = in.VpcID, in.PrivateIP
	case "eni":
		n, ok := e.eniByID(b.ServerID)
		if !ok {
			return Errf(http.StatusNotFound, "ResourceNotFound.vServers", "The specified enis %s does not exist.", b.ServerID)
		}
		if b.ServerIP == "" {
			return errMissing("ServerIp")
		}
		owned := n.PrimaryIP == b.ServerIP
		for _, ip := range n.SecondaryIPs {
			owned = owned || ip == b.ServerIP
		}
		if !owned {
			return Errf(http.StatusBadRequest, "InvalidParameter", "The specified ServerIp %s does not belong to %s.", b.ServerIP, b.ServerID)
		}
		vpc = n.VpcID
	case "eci":
		if b.ServerIP == "" {
			return errMissing("ServerIp")
		}
		a, err := netip.ParseAddr(b.ServerIP)
		if err != nil {
			return errInvalid("ServerIp", b.ServerIP)
		}
		vpc = *lbVPC
		if v, ok := e.vpcByID(vpc); ok {
			if p, err := netip.ParsePrefix(v.CidrBlock); err == nil && !p.Contains(a) {
				return Errf(http.StatusBadRequest, "NetworkConflict", "The backend server %s is not in the VPC %s of the load balancer.", b.ServerIP, vpc)
			}
		}
	default:
		return Errf(http.StatusBadRequest, "BackendServer.InvalidType", "The specified Type is invalid.")
	}
	switch {
	case lb.VpcID != "" && vpc != lb.VpcID:
		return Errf(http.StatusBadRequest, "NetworkConflict", "The backend server %s is not in the VPC %s of the load balancer.", b.ServerID, lb.VpcID)
	case lb.VpcID == "" && *lbVPC != "" && vpc != *lbVPC:
		return Errf(http.StatusBadRequest, "InvalidBackendServers.Inconsistent", "All BackendServers on one Specified LoadBalancer have to be in the same vpc or all classic")
	}
	if *lbVPC == "" {
		*lbVPC = vpc
	}
	b.VpcID = vpc
	return nil
}
