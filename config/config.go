// Package config reads the CCM's cloud-config file (--cloud-config).
//
// The file is JSON or YAML with one top-level object, Global, e.g. the file
// written by the deployment guide's configmap-ccm.sh:
//
//	{"Global": {"accessKeyID": "<base64>", "accessKeySecret": "<base64>", "region": "cn-hangzhou"}}
//
// Use Load (or Read then Validate), then Complete to fill region, VPC,
// vSwitch and zone from the ECS metadata service where the file leaves them
// empty. docs/cloud-config.md is generated from the Global struct below: its
// doc comments and `json`, `default` and `ignored` struct tags. Regenerate it
// with
//
//	UPDATE_DOCS=1 go test ./config/ -run TestCloudConfigDocIsFresh
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// CloudConfig is the parsed cloud-config file.
type CloudConfig struct {
	// Global holds every setting.
	Global Global `json:"Global"`
	// Discovered records what Complete learnt from the metadata service.
	Discovered Discovered `json:"-"`
}

// Discovered is what Complete learnt from the ECS metadata service.
type Discovered struct {
	// InstanceID is the ECS instance the CCM runs on; empty off ECS.
	InstanceID string
	// Fields lists the Global fields (json names) Complete filled in.
	Fields []string
}

// Global is the content of the top-level "Global" object. Field names are
// matched case-insensitively (as the official CCM does), with a warning when
// the spelling differs from the documented one.
type Global struct {
	// AccessKey ID of a RAM user, base64-encoded (as configmap-ccm.sh writes it:
	// `echo -n "$ACCESS_KEY_ID" | base64 -w 0`). After Read it holds the decoded
	// value. Set together with accessKeySecret, or leave both empty to use another
	// credentials source (see below).
	AccessKeyID Secret `json:"accessKeyID,omitempty"`
	// AccessKey secret, base64-encoded like accessKeyID. Never logged or printed.
	AccessKeySecret Secret `json:"accessKeySecret,omitempty"`
	// Path of an STS credentials file, JSON `{"AccessKeyId", "AccessKeySecret",
	// "SecurityToken", "Expiration"}`, re-read when it changes. Used when no
	// AccessKey pair is set in this file or in the environment. Default: the
	// environment variable ALIBABA_CLOUD_CREDENTIALS_FILE.
	CredentialsFile string `json:"credentialsFile,omitempty"`
	// Region ID, e.g. `cn-hangzhou`. Default: the region of the ECS instance the
	// CCM runs on (metadata service). Required when the CCM does not run on ECS.
	Region string `json:"region,omitempty"`
	// ID of the cluster's VPC (`vpc-...`). Default: the VPC of the ECS instance
	// the CCM runs on. Required when the CCM does not run on ECS.
	VpcID string `json:"vpcid,omitempty"`
	// vSwitches for internal (intranet) load balancers without a vSwitch
	// annotation: `zone:vsw-...[,zone:vsw-...]`, or a single bare `vsw-...`.
	// Default: the vSwitch of the ECS instance the CCM runs on.
	VSwitchID string `json:"vswitchid,omitempty"`
	// Zone ID, e.g. `cn-hangzhou-h`; must be in region. Default: the zone of the
	// ECS instance the CCM runs on.
	ZoneID string `json:"zoneid,omitempty"`
	// Identity of the cluster in the ownership tags and descriptions of the
	// cloud resources the CCM creates (1-128 letters, digits and ._:/@-).
	// Unset: load balancers use the UID of the cluster's `kube-system`
	// namespace (read at start; needs `get` on it, else the old default
	// `clusterid` with an error in the log), so two clusters sharing a CLB
	// (`id` annotation) never take each other's listeners, vServer groups or
	// backends; route descriptions keep `clusterid`. What an earlier version
	// wrote under `clusterid` stays recognised where tags prove it ours (a
	// Service's own CLB and ACL), not on a reused CLB: to upgrade one cluster
	// whose Services reuse CLBs, set `clusterid`. Set it also for clusters
	// cloned from one etcd snapshot (same UID). Keep it stable: changing it
	// orphans existing load balancers.
	ClusterID string `json:"clusterID,omitempty"`
	// ECS tag key that marks the cluster's instances.
	KubernetesClusterTag string `json:"kubernetesClusterTag,omitempty" default:"ack.aliyun.com"`
	// Comma-separated route table IDs (`vtb-...`) the route controller writes
	// pod CIDR routes into. Default: the VPC's route table, when it has exactly
	// one.
	RouteTableIDs string `json:"routeTableIDs,omitempty"`
	// Resource group ID (`rg-...`) for new load balancers. Default: the
	// account's default resource group.
	ResourceGroupID string `json:"resourceGroupID,omitempty"`
	// Default load balancer backend type of Services: `ecs` (node instances) or
	// `eni` (pod ENIs, for Terway).
	ServiceBackendType string `json:"serviceBackendType,omitempty" default:"ecs"`
	// Forbid internet-facing load balancers; Services asking for one fail.
	DisablePublicSLB bool `json:"disablePublicSLB,omitempty"`
	// Backend servers per CLB: the Quota Center quota
	// `slb_quota_backendservers_num`. Set it when the quota was raised. A
	// Service with more eligible backends gets a stable, zone-balanced
	// subset of them (and a Normal Event saying so).
	QuotaBackendServersPerCLB int `json:"quotaBackendServersPerCLB,omitempty" default:"200"`
	// Listeners per CLB: the Quota Center quota `slb_quota_listeners_num`.
	// A Service with more ports gets a Warning Event and no CLB.
	QuotaListenersPerCLB int `json:"quotaListenersPerCLB,omitempty" default:"50"`
	// vServer groups one ECS instance may be a member of, over all CLBs: the
	// Quota Center quota `slb_quota_backendserver_attached_num`. A Service
	// whose groups would put nodes over it gets a Warning Event and no CLB.
	QuotaVServerGroupsPerInstance int `json:"quotaVServerGroupsPerInstance,omitempty" default:"50"`
	// Servers (ECS instances, ENIs, IPs) per NLB server group: the Quota
	// Center quota `nlb_quota_servergroup_noeci_servers_num`. Set it when
	// the quota was raised. An NLB Service whose server group would hold
	// more gets a Warning Event and no change.
	QuotaServersPerNLBServerGroup int `json:"quotaServersPerNLBServerGroup,omitempty" default:"400"`
	// Distinct servers (ECS instances, ENIs, IPs) behind one NLB, over all
	// its server groups: the Quota Center quota
	// `nlb_quota_loadbalancer_noeci_servers_num`. An NLB Service that would
	// put more behind its NLB gets a Warning Event and no change.
	QuotaServersPerNLB int `json:"quotaServersPerNLB,omitempty" default:"400"`
	// Listeners per NLB: the Quota Center quota
	// `nlb_quota_loadbalancer_listeners_num`. An NLB Service with more
	// ports gets a Warning Event and no NLB.
	QuotaListenersPerNLB int `json:"quotaListenersPerNLB,omitempty" default:"50"`
	// Times one server (ECS instance, ENI, IP) may be a member of NLB
	// server groups, over all NLBs: the Quota Center quota
	// `nlb_quota_server_added_num`. An NLB Service whose groups would put a
	// node over it gets a Warning Event and no change.
	QuotaNLBServerGroupsPerServer int `json:"quotaNLBServerGroupsPerServer,omitempty" default:"200"`
	// Custom route entries per VPC route table: the Quota Center quota
	// `vpc_quota_route_entrys_num`. Exported with each table's entry count
	// (alicloud_ccm_route_table_entry_quota), so an alert fires before the
	// table is full.
	QuotaRouteEntriesPerTable int `json:"quotaRouteEntriesPerTable,omitempty" default:"200"`
	// Feature gates, `Name=true|false[,...]`. Known: IPv6DualStack,
	// EndpointSlice, FilterServiceOnNodeChange, LoadBalancerTypeAnnotation;
	// unknown names produce a warning.
	FeatureGates string `json:"featureGates,omitempty"`
	// Endpoint network of the Alibaba Cloud APIs: `vpc` (e.g.
	// slb-vpc.cn-hangzhou.aliyuncs.com, reachable from the VPC without
	// Internet access) or `public`.
	Network string `json:"network,omitempty" default:"vpc"`
	// SLB (CLB) API endpoint override: `host[:port]` (HTTPS) or
	// `http(s)://host[:port]`.
	SLBEndpoint string `json:"slbEndpoint,omitempty"`
	// VPC API endpoint override, like slbEndpoint.
	VPCEndpoint string `json:"vpcEndpoint,omitempty"`
	// ECS API endpoint override, like slbEndpoint.
	ECSEndpoint string `json:"ecsEndpoint,omitempty"`
	// NLB (Network Load Balancer) API endpoint override, like slbEndpoint.
	NLBEndpoint string `json:"nlbEndpoint,omitempty"`
	// STS endpoint override for RRSA (AssumeRoleWithOIDC), like slbEndpoint.
	// Default: `sts-vpc.<region>.aliyuncs.com` when network is `vpc`, else
	// `sts.<region>.aliyuncs.com`.
	STSEndpoint string `json:"stsEndpoint,omitempty"`
	// ECS instance metadata service address: `host[:port]` or
	// `http(s)://host[:port]`; without a scheme, http (the service has no TLS).
	MetadataEndpoint string `json:"metadataEndpoint,omitempty" default:"http://100.100.100.200"`
	// Session-token (IMDSv2, "hardened mode") use of the metadata service:
	// `preferred` (tokens; plain requests only if the service does not
	// implement tokens, i.e. answers 404/405), `required`, or `disabled`.
	MetadataTokenMode string `json:"metadataTokenMode,omitempty" default:"preferred"`
	// Client-side API rate limits in requests per second, per product: keys
	// `slb`, `vpc`, `ecs`, `nlb`. A negative value disables limiting. Unset
	// products use the client defaults (slb 10, vpc 5, ecs 20, nlb 10).
	APIQPS map[string]float64 `json:"apiQPS,omitempty"`
	// Client-side API burst sizes per product, keys as in apiQPS.
	APIBurst map[string]int `json:"apiBurst,omitempty"`
	// ServiceToken mode of the official CCM (exec of a `servicetoken` binary).
	UID string `json:"uid,omitempty" ignored:"ServiceToken mode is not supported; use RRSA, an ECS RAM role or a credentials file instead"`
	// Service controller workers.
	ServiceMaxConcurrentReconciles int `json:"serviceMaxConcurrentReconciles,omitempty" ignored:"use the --concurrent-service-syncs flag"`
	// Node controller workers.
	NodeMaxConcurrentReconciles int `json:"nodeMaxConcurrentReconciles,omitempty" ignored:"use the --concurrent-node-syncs flag"`
	// Route controller workers.
	RouteMaxConcurrentReconciles int `json:"routeMaxConcurrentReconciles,omitempty" ignored:"routes are reconciled in batches; see --route-reconciliation-period"`
	// Node monitor period (unused by the official CCM v2 too).
	NodeMonitorPeriod int64 `json:"nodeMonitorPeriod,omitempty" ignored:"use the --node-monitor-period flag"`
	// Node address sync period (unused by the official CCM v2 too).
	NodeAddrSyncPeriod int64 `json:"nodeAddrSyncPeriod,omitempty" ignored:"node addresses are synced by the node controller"`
	// PrivateZone ID of the official CCM's pvtz controller.
	PrivateZoneID string `json:"privateZoneId,omitempty" ignored:"the PrivateZone controller is not part of this CCM"`
	// PrivateZone record TTL of the official CCM's pvtz controller.
	PrivateZoneRecordTTL int64 `json:"privateZoneRecordTTL,omitempty" ignored:"the PrivateZone controller is not part of this CCM"`
}

// Secret is a string that never prints: String, GoString and MarshalJSON
// return a placeholder, so fmt verbs, structured logs and json.Marshal of a
// config are safe. Use Value for the real content.
type Secret string

const redacted = "[redacted]"

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String returns a placeholder, or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the placeholder too, for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// MarshalJSON writes the placeholder.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON accepts a JSON string (or null). Its errors never quote the input.
func (s *Secret) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		// Only the JSON kind, so decodeField can say what was found.
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeOf("")}
	}
	*s = Secret(v)
	return nil
}

func jsonKind(b []byte) string {
	switch b = bytes.TrimSpace(b); {
	case len(b) == 0:
		return "value"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	}
	return "number"
}

// String is RedactedString.
func (c *CloudConfig) String() string { return c.RedactedString() }

// GoString is RedactedString, for %#v.
func (c *CloudConfig) GoString() string { return c.RedactedString() }

// RedactedString renders the config as JSON with secrets replaced by
// "[redacted]", suitable for logs.
func (c *CloudConfig) RedactedString() string {
	if c == nil {
		return "<nil>"
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Unreachable for this type; do not fall back to %v, which is how
		// secrets usually leak.
		return "<unprintable cloud-config>"
	}
	return string(b)
}

// Warnings are non-fatal findings (unknown or ignored fields, normalized
// values). Callers log each of them.
type Warnings []string

func (w *Warnings) addf(format string, a ...any) { *w = append(*w, fmt.Sprintf(format, a...)) }

// String joins the warnings with "; ".
func (w Warnings) String() string { return strings.Join(w, "; ") }
