package annotations

import "fmt"

// Load balancer instance annotations.
const (
	// KeyAddressType: internet or intranet.
	KeyAddressType Name = Prefix + "address-type"
	// KeyVSwitchID: vSwitch of an intranet load balancer.
	KeyVSwitchID Name = Prefix + "vswitch-id"
	// KeyNetworkType: classic or vpc.
	KeyNetworkType Name = Prefix + "network-type"
	// KeyIP: fixed private address.
	KeyIP Name = Prefix + "ip"
	// KeyChargeType: Internet charge type.
	KeyChargeType Name = Prefix + "charge-type"
	// KeyBandwidth: peak Internet bandwidth.
	KeyBandwidth Name = Prefix + "bandwidth"
	// KeyInstanceChargeType: PayBySpec or PayByCLCU.
	KeyInstanceChargeType Name = Prefix + "instance-charge-type"
	// KeySpec: instance spec.
	KeySpec Name = Prefix + "spec"
	// KeyMasterZoneID: primary zone.
	KeyMasterZoneID Name = Prefix + "master-zoneid"
	// KeySlaveZoneID: backup zone.
	KeySlaveZoneID Name = Prefix + "slave-zoneid"
	// KeyIPVersion: ipv4 or ipv6.
	KeyIPVersion Name = Prefix + "ip-version"
	// KeyID: reuse an existing CLB.
	KeyID Name = Prefix + "id"
	// KeyForceOverrideListeners: manage the listeners of a reused CLB.
	KeyForceOverrideListeners Name = Prefix + "force-override-listeners"
	// KeyName: load balancer name.
	KeyName Name = Prefix + "name"
	// KeyResourceGroupID: resource group.
	KeyResourceGroupID Name = Prefix + "resource-group-id"
	// KeyAdditionalResourceTags: extra tags.
	KeyAdditionalResourceTags Name = Prefix + "additional-resource-tags"
	// KeyDeleteProtection: deletion protection.
	KeyDeleteProtection Name = Prefix + "delete-protection"
	// KeyModificationProtection: console modification protection.
	KeyModificationProtection Name = Prefix + "modification-protection"
	// KeyPreserveLBOnDelete: keep the CLB when the Service is deleted.
	KeyPreserveLBOnDelete Name = Prefix + "preserve-lb-on-delete"
	// KeyHostname: hostname published in status.
	KeyHostname Name = Prefix + "hostname"
	// KeyExternalIPType: publish bound EIPs in status.
	KeyExternalIPType Name = Prefix + "external-ip-type"
)

// Limits of CreateLoadBalancer and TagResources
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancer,
// https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-tagresources).
const (
	maxLBName   = 80
	maxTags     = 20
	maxTagKey   = 64
	maxTagValue = 128
)

var instanceAnnotations = []Annotation{
	{Name: KeyAddressType, Group: GroupInstance, Type: "`internet` \\| `intranet`", Default: "`internet`", Mutability: Immutable,
		Doc: "Whether the CLB faces the Internet or only the VPC. With cloud-config `disablePublicSLB: true`, `internet` (also by default) is an error."},
	{Name: KeyVSwitchID, Group: GroupInstance, Type: "vSwitch ID", Default: "one of cloud-config `vswitchid`", Mutability: CreateOnly,
		Doc:     "vSwitch of an intranet CLB in a VPC. When unset, a vSwitch from cloud-config `vswitchid` (or the CCM's own instance) is used; if it has no free address another one is tried.",
		Differs: "As in the official CCM it counts at creation only: a later change leaves the CLB in its vSwitch, with a warning. Setting it on an `internet` CLB is a warning, with `network-type: classic` an error (the API refuses it)."},
	{Name: KeyNetworkType, Group: GroupInstance, Type: "`classic` \\| `vpc`", Default: "`vpc` for intranet", Mutability: Immutable,
		Doc: "Network of an intranet CLB. `classic` creates it outside the VPC (no vSwitch)."},
	{Name: KeyIP, Group: GroupInstance, Type: "IP address", Default: "assigned by SLB", Mutability: Immutable,
		Doc:     "Fixed private address of an intranet CLB; must be in the vSwitch's CIDR block. `spec.loadBalancerIP` is read too.",
		Differs: "Needs `address-type: intranet` (the official CCM passed it on and the API rejected it). An IPv6 address needs `ip-version: ipv6`."},
	{Name: KeyChargeType, Group: GroupInstance, Type: "`paybytraffic` \\| `paybybandwidth`", Default: "SLB default (`paybytraffic`)", Mutability: Mutable,
		Doc:     "Internet charge type of an internet CLB (case-insensitive). With `PayByCLCU` only `paybytraffic` is possible.",
		Differs: "Ignored with a warning on intranet CLBs."},
	{Name: KeyBandwidth, Group: GroupInstance, Range: &Range{Min: 1, Max: 5120, Unit: "Mbit/s"}, Default: "SLB default", Mutability: Mutable,
		Doc: "Peak Internet bandwidth. Updated only with `charge-type: paybybandwidth` on an internet CLB."},
	{Name: KeyInstanceChargeType, Group: GroupInstance, Type: "`PayBySpec` \\| `PayByCLCU`", Default: "`PayByCLCU` at creation", Mutability: Mutable,
		Doc: "Instance billing method (case-insensitive). When unset, new CLBs are created pay-by-CLCU and the charge type of an existing CLB is left alone."},
	{Name: KeySpec, Group: GroupInstance, Type: "`slb.s1.small`, `slb.s2.small`, `slb.s2.medium`, `slb.s3.small`, `slb.s3.medium`, `slb.s3.large`", Default: "`slb.s1.small` with `PayBySpec`", Mutability: Mutable,
		Doc:     "Instance spec; applies only to `PayBySpec` CLBs.",
		Differs: "A spec with `PayByCLCU` is a warning (it has no effect); an unknown spec is an error."},
	{Name: KeyMasterZoneID, Group: GroupInstance, Type: "zone ID", Default: "chosen by SLB", Mutability: Immutable,
		Doc: "Primary zone of the CLB."},
	{Name: KeySlaveZoneID, Group: GroupInstance, Type: "zone ID", Default: "chosen by SLB", Mutability: Immutable,
		Doc:     "Backup zone of the CLB; must differ from the primary zone.",
		Differs: "Needs `master-zoneid`."},
	{Name: KeyIPVersion, Group: GroupInstance, Type: "`ipv4` \\| `ipv6`", Default: "`ipv4`", Mutability: Immutable,
		Doc: "Address family of the CLB. CLB has no dual stack."},
	{Name: KeyID, Group: GroupInstance, Type: "CLB ID (`lb-...`)", Default: "a CLB is created", Mutability: Immutable,
		Doc:     "Reuse an existing CLB created in the SLB console. The CCM never deletes it and, unlike the official CCM, adds no `kubernetes.reused.by.user` tag to it (it is not ours to change); CLBs created by a CCM or carrying `ack.aliyun.com` are refused. Its listeners are left alone unless `force-override-listeners` is `true`; vServer groups are managed. The instance annotations written on the Service (`name`, `spec`, `instance-charge-type`, `charge-type`, `bandwidth`, `delete-protection`, `modification-protection`, `additional-resource-tags`) are applied to it, as the official CCM applies them; attributes not annotated are never touched, tags are added or changed but never removed, and create-only annotations (`address-type`, `vswitch-id`, ...) are not compared with it. Set it when the Service is created: pointing a Service that already has a CLB at another one is an error. One CLB may front several clusters and ECS instances outside them (`vgroup-port`, or one listener per cluster with `force-override-listeners`): listeners, vServer groups and members carry the cluster's identity (`Global.clusterID`, default the `kube-system` namespace UID), so no cluster touches another's. Deleting the Service removes only its own objects, also when the CLB was deleted in the console or may no longer be reused.",
		Differs: "Create-only annotations are not compared with a reused CLB (the official CCM reported a difference as an error); the user's CLB gets no tag of ours."},
	{Name: KeyForceOverrideListeners, Group: GroupInstance, Type: "`true` \\| `false`", Default: "`false`", Mutability: Mutable,
		Doc:     "With `id`: let the CCM create, update and delete the listeners of the reused CLB.",
		Differs: "None in the result: any value other than `true` is false, as in the official CCM; values other than `true` and `false` also give a warning. Without `id` it is a warning."},
	{Name: KeyName, Group: GroupInstance, Type: fmt.Sprintf("1–%d characters", maxLBName), Default: "`a` + Service UID without dashes (32 characters)", Mutability: Mutable,
		Doc: "Name of the CLB."},
	{Name: KeyResourceGroupID, Group: GroupInstance, Type: "resource group ID (`rg-...`)", Default: "cloud-config `resourceGroupID`, else the account default", Mutability: Immutable,
		Doc: "Resource group of a new CLB."},
	{Name: KeyAdditionalResourceTags, Group: GroupInstance, Type: "`k1=v1,k2=v2,k3=,k4`", Default: "no extra tags", Mutability: Mutable,
		Doc:     "Extra tags on the CLB. `k3=` and `k4` are tags with an empty value. A key removed from the annotation (or the whole annotation) is untagged only if the CCM added it: it lists the keys it added in its tag `alicloud-ccm/additional-tags`, so tags added in the console stay. Keys may not start with `aliyun` or `acs:`; " + fmt.Sprintf("at most %d tags, keys up to %d and values up to %d characters.", maxTags, maxTagKey, maxTagValue),
		Differs: "Duplicate and reserved keys are errors. The official CCM untagged nothing when the annotation was removed, and removed keys it could not tell from the console's when a key was dropped."},
	{Name: KeyDeleteProtection, Group: GroupInstance, Type: "`on` \\| `off`", Default: "`on`", Mutability: Mutable,
		Doc: "Deletion protection. The CCM turns it off itself before it deletes a CLB it created."},
	{Name: KeyModificationProtection, Group: GroupInstance, Type: "`ConsoleProtection` \\| `NonProtection`", Default: "`ConsoleProtection`", Mutability: Mutable,
		Doc: "Console modification protection (reason `managed.by.ack`)."},
	{Name: KeyPreserveLBOnDelete, Group: GroupInstance, Type: "`true` \\| `on`", Default: "the CLB is deleted with the Service", Mutability: Mutable,
		Doc:     "Keep a CCM-created CLB when the Service is deleted or stops being a LoadBalancer: protections are turned off and the ownership tags removed (from the CLB and from the source-ranges ACL its listeners keep using), then the CLB is left alone.",
		Differs: "None in the result: any non-empty value preserves, even `false`, as in the official CCM; values other than `true` and `on` also give a warning (remove the annotation to delete the CLB with the Service)."},
	{Name: KeyHostname, Group: GroupInstance, Type: "DNS name", Default: "unset (publish the address)", Mutability: Mutable,
		Doc: "Publish this hostname in `status.loadBalancer.ingress` instead of any IP address (for DNS names pointing at the CLB)."},
	{Name: KeyExternalIPType, Group: GroupInstance, Type: "`eip`", Default: "unset (publish the CLB address)", Mutability: Mutable,
		Doc: "Publish the addresses of the EIPs bound to an intranet CLB in status. Falls back to the CLB address with a warning event if none can be read."},
}
