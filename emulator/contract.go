package emulator

// This file is the internal contract shared by the emulator's product files
// (core_*.go, ecs_*.go, vpc_*.go, imds_*.go, slb_*.go). It holds the world
// model every product reads (ECS instances, ENIs, VPCs, vSwitches) and the
// helpers a product handler uses to read parameters and report errors.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// APIError is an OpenAPI error answer: an HTTP status with the documented
// Code and Message. The core turns it into the JSON body
// {Code, Message, RequestId, HostId, Recommend}.
type APIError struct {
	HTTPStatus int
	Code       string
	Message    string
}

// Error implements error.
func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.HTTPStatus, e.Code, e.Message) }

// Errf builds an APIError with a formatted message.
func Errf(status int, code, format string, args ...any) *APIError {
	return &APIError{HTTPStatus: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errMissing is the documented answer for an absent required parameter
// (ECS/CLB common error table: MissingParameter / Missing{ParameterName}).
func errMissing(name string) *APIError {
	return Errf(http.StatusBadRequest, "Missing"+name, "%s is mandatory for this action.", name)
}

// errInvalid is the documented answer for a malformed parameter
// (ECS/CLB common error table: Invalid{ParameterName}).
func errInvalid(name, value string) *APIError {
	return Errf(http.StatusBadRequest, "Invalid"+name, "Specified parameter %s is not valid: %q.", name, value)
}

// handler serves one action. It runs with the emulator's state lock held, so
// it may read and change any product's state. It returns the response body
// (marshalled to JSON after the core adds RequestId) or an error; a non
// *APIError error becomes a 500 InternalError.
type handler func(c *call) (any, error)

// call is one decoded, authenticated request as a handler sees it.
type call struct {
	e         *Emulator
	Product   string     // "Slb", "Vpc" or "Ecs"
	Action    string     // e.g. "DescribeLoadBalancers"
	Params    url.Values // query and form parameters merged
	Region    string     // RegionId parameter
	AccessKey string     // the caller's AccessKeyId
	Now       time.Time  // the emulator clock at dispatch
	RequestID string
}

// str returns a parameter, or "" when absent.
func (c *call) str(name string) string { return c.Params.Get(name) }

// has reports whether a parameter was sent at all.
func (c *call) has(name string) bool { _, ok := c.Params[name]; return ok }

// required returns a parameter or the documented Missing error.
func (c *call) required(name string) (string, error) {
	v := c.Params.Get(name)
	if v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

// integer parses an optional integer parameter, with a default.
func (c *call) integer(name string, def int) (int, error) {
	v := c.Params.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errInvalid(name, v)
	}
	return n, nil
}

// boolean parses an optional boolean parameter ("true"/"false"), with a default.
func (c *call) boolean(name string, def bool) (bool, error) {
	v := c.Params.Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errInvalid(name, v)
	}
	return b, nil
}

// list returns a repeated parameter sent as Name.1, Name.2, ... in order.
func (c *call) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := c.Params[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// tags returns the repeated Key/Value pairs sent as Tag.N.Key and Tag.N.Value.
func (c *call) tags() []Tag {
	var out []Tag
	for i := 1; ; i++ {
		p := "Tag." + strconv.Itoa(i)
		k, ok := c.Params[p+".Key"]
		if !ok {
			return out
		}
		out = append(out, Tag{Key: k[0], Value: c.Params.Get(p + ".Value")})
	}
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// World model shared by the products. Seeded through the Go API and the
// control endpoint; read by every product's handlers.

// Zone is an availability zone of the emulated region.
type Zone struct {
	ZoneID string `json:"zoneId"`
}

// VPC is a seeded virtual private cloud.
type VPC struct {
	VpcID        string   `json:"vpcId"`
	CidrBlock    string   `json:"cidrBlock"`
	IPv6Cidr     string   `json:"ipv6CidrBlock,omitempty"`
	VRouterID    string   `json:"vRouterId"`
	RouteTables  []string `json:"routeTableIds,omitempty"` // filled by the emulator
	OwnerAccount string   `json:"ownerAccount,omitempty"`  // "" = the default account
}

// VSwitch is a seeded vSwitch.
type VSwitch struct {
	VSwitchID    string `json:"vSwitchId"`
	VpcID        string `json:"vpcId"`
	ZoneID       string `json:"zoneId"`
	CidrBlock    string `json:"cidrBlock"`
	RouteTableID string `json:"routeTableId,omitempty"` // "" = the VPC's system table
}

// Instance is a seeded ECS instance.
type Instance struct {
	InstanceID   string   `json:"instanceId"`
	InstanceName string   `json:"instanceName,omitempty"`
	HostName     string   `json:"hostName,omitempty"`
	InstanceType string   `json:"instanceType,omitempty"` // default ecs.g6.large
	ZoneID       string   `json:"zoneId"`
	VpcID        string   `json:"vpcId"`
	VSwitchID    string   `json:"vSwitchId"`
	PrivateIP    string   `json:"privateIp"`
	PublicIP     string   `json:"publicIp,omitempty"`
	EipAddress   string   `json:"eipAddress,omitempty"`
	Status       string   `json:"status,omitempty"` // Running (default), Stopped, Starting, Stopping, Pending
	Tags         []Tag    `json:"tags,omitempty"`
	PrimaryENI   string   `json:"primaryEniId,omitempty"` // created when empty
	RAMRole      string   `json:"ramRole,omitempty"`      // for the metadata service
	MAC          string   `json:"mac,omitempty"`
	SecurityGrps []string `json:"securityGroupIds,omitempty"`
}

// ENI is an elastic network interface (primary, secondary or a Terway trunk member).
type ENI struct {
	NetworkInterfaceID string   `json:"networkInterfaceId"`
	Type               string   `json:"type,omitempty"` // Primary, Secondary, Trunk, Member
	InstanceID         string   `json:"instanceId,omitempty"`
	VpcID              string   `json:"vpcId"`
	VSwitchID          string   `json:"vSwitchId"`
	ZoneID             string   `json:"zoneId,omitempty"`
	PrimaryIP          string   `json:"primaryIp"`
	SecondaryIPs       []string `json:"secondaryIps,omitempty"`
	MAC                string   `json:"mac,omitempty"`
	Status             string   `json:"status,omitempty"` // InUse (default), Available
	SourceDestCheck    bool     `json:"sourceDestCheck"`
	TrunkENI           string   `json:"trunkNetworkInterfaceId,omitempty"` // for Member ENIs
	Tags               []Tag    `json:"tags,omitempty"`
}

// EIP is an elastic IP address.
type EIP struct {
	AllocationID string `json:"allocationId"`
	IPAddress    string `json:"ipAddress"`
	InstanceID   string `json:"instanceId,omitempty"`   // bound resource
	InstanceType string `json:"instanceType,omitempty"` // EcsInstance, SlbInstance, NetworkInterface
	Status       string `json:"status,omitempty"`       // Available or InUse
}

// Certificate is a CLB server certificate.
type Certificate struct {
	ServerCertificateID   string `json:"serverCertificateId"`
	ServerCertificateName string `json:"serverCertificateName,omitempty"`
	Fingerprint           string `json:"fingerprint,omitempty"`
	CommonName            string `json:"commonName,omitempty"`
	ExpireTime            string `json:"expireTime,omitempty"`
}

// instanceByID finds a seeded ECS instance; the caller holds the state lock.
// Implemented in ecs_state.go.
//   func (e *Emulator) instanceByID(id string) (*Instance, bool)
// eniByID finds an ENI; implemented in ecs_state.go.
//   func (e *Emulator) eniByID(id string) (*ENI, bool)
// eniByIP finds the ENI holding a private IP in a VPC; implemented in ecs_state.go.
//   func (e *Emulator) eniByIP(vpcID, ip string) (*ENI, bool)
// vswitchByID / vpcByID: implemented in vpc_state.go.
//   func (e *Emulator) vswitchByID(id string) (*VSwitch, bool)
//   func (e *Emulator) vpcByID(id string) (*VPC, bool)
// nextID makes a new resource ID with a prefix ("lb-", "rsp-", "acl-", ...),
// deterministic for a given emulator; implemented in core_*.go.
//   func (e *Emulator) nextID(prefix string) string
// register adds an action handler; implemented in core_*.go.
//   func (e *Emulator) register(product, version, action string, h handler)
// Products register themselves from functions New calls, one file each:
//   registerSLB(e) in slb_register.go, registerNLB(e) in nlb_register.go,
//   registerVPC(e) in vpc_register.go, registerECS(e) in ecs_register.go;
//   the metadata service's paths are in imds_register.go.

// Limits are the documented quotas and per-call limits, all configurable.
// Defaults come from DefaultLimits; the reference for each is next to it.
type Limits struct {
	// CLB (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/product-overview/limits-1).
	LoadBalancersPerAccount   int `json:"loadBalancersPerAccount"`     // slb_quota_instances_num: 60 (some editions say 30)
	ListenersPerLB            int `json:"listenersPerLB"`              // slb_quota_listeners_num: 50
	BackendsPerLB             int `json:"backendsPerLB"`               // slb_quota_backendservers_num: 200
	GroupsPerServer           int `json:"groupsPerServer"`             // slb_quota_backendserver_attached_num: 50
	BackendsPerCall           int `json:"backendsPerCall"`             // TooManyBackendServers above 20 per call
	TagsPerResource           int `json:"tagsPerResource"`             // TagResources: 20
	LBIDsPerDescribe          int `json:"lbIdsPerDescribe"`            // DescribeLoadBalancers LoadBalancerId: 10
	ACLsPerAccount            int `json:"aclsPerAccount"`              // slb_quota_acls_num: 200 (docs disagree: 50/region)
	EntriesPerACL             int `json:"entriesPerAcl"`               // 300
	EntriesPerACLCall         int `json:"entriesPerAclCall"`           // AddAccessControlListEntry: 50
	DomainExtensionsPerListen int `json:"domainExtensionsPerListener"` // 3
	// NLB (https://www.alibabacloud.com/help/en/slb/network-load-balancer/product-overview/restrictions-on-use).
	NLBPerAccount           int `json:"nlbPerAccount"`           // nlb_quota_loadbalancers_num: 60
	NLBListenersPerLB       int `json:"nlbListenersPerLB"`       // nlb_quota_loadbalancer_listeners_num: 50
	NLBServersPerLB         int `json:"nlbServersPerLB"`         // nlb_quota_loadbalancer_noeci_servers_num: 400
	NLBGroupsPerAccount     int `json:"nlbGroupsPerAccount"`     // server groups per region: 3000
	NLBServersPerGroup      int `json:"nlbServersPerGroup"`      // ECS/ENI/IP servers per server group: 400
	NLBGroupsPerServer      int `json:"nlbGroupsPerServer"`      // times one server may join server groups: 200
	NLBListenersPerGroup    int `json:"nlbListenersPerGroup"`    // listeners one server group may serve: 50
	NLBServersPerCall       int `json:"nlbServersPerCall"`       // AddServersToServerGroup & co.: 40 per call
	NLBSecurityGroupsPerLB  int `json:"nlbSecurityGroupsPerLB"`  // security groups per NLB: 4
	NLBAdditionalCertsPerLB int `json:"nlbAdditionalCertsPerLB"` // nlb_quota_loadbalancer_certificates_num: 25
	// VPC.
	RouteEntriesPerTable int `json:"routeEntriesPerTable"` // vpc_quota_route_entrys_num: 200
	RoutesPerBatchCall   int `json:"routesPerBatchCall"`   // CreateRouteEntries/DeleteRouteEntries: 50
	// ECS.
	IDsPerDescribeInstances int `json:"idsPerDescribeInstances"` // 100
	IDsPerDescribeENIs      int `json:"idsPerDescribeEnis"`      // 100
	// ECS security groups (https://www.alibabacloud.com/help/en/ecs/user-guide/limitations).
	SecurityGroupRulesPerGroup int `json:"securityGroupRulesPerGroup"` // inbound + outbound rules per group: 200
	SecurityGroupRulesPerCall  int `json:"securityGroupRulesPerCall"`  // Permissions.N / SecurityGroupRuleId.N: 100
}

// DefaultLimits returns the documented defaults: CLB quotas from
// https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/quotas,
// NLB quotas from
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/user-guide/nlb-quotas,
// per-call limits from each action's page.
func DefaultLimits() Limits {
	return Limits{
		LoadBalancersPerAccount: 60, ListenersPerLB: 50, BackendsPerLB: 200, GroupsPerServer: 50,
		BackendsPerCall: 20, TagsPerResource: 20, LBIDsPerDescribe: 10, ACLsPerAccount: 200,
		EntriesPerACL: 300, EntriesPerACLCall: 50, DomainExtensionsPerListen: 3,
		NLBPerAccount: 60, NLBListenersPerLB: 50, NLBServersPerLB: 400, NLBGroupsPerAccount: 3000,
		NLBServersPerGroup: 400, NLBGroupsPerServer: 200, NLBListenersPerGroup: 50, NLBServersPerCall: 40,
		NLBSecurityGroupsPerLB: 4, NLBAdditionalCertsPerLB: 25,
		RouteEntriesPerTable: 200, RoutesPerBatchCall: 50,
		IDsPerDescribeInstances: 100, IDsPerDescribeENIs: 100,
		SecurityGroupRulesPerGroup: 200, SecurityGroupRulesPerCall: 100,
	}
}
