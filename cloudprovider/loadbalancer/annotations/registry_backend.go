package annotations

// Backend annotations.
const (
	// KeyBackendType: eni or ecs. It has no load-balancer prefix.
	KeyBackendType Name = "service.beta.kubernetes.io/backend-type"
	// KeyBackendLabel: node label selector.
	KeyBackendLabel Name = Prefix + "backend-label"
	// KeyRemoveUnscheduledBackend: drop cordoned nodes.
	KeyRemoveUnscheduledBackend Name = Prefix + "remove-unscheduled-backend"
	// KeyVGroupPort: user-created vServer groups of a reused CLB.
	KeyVGroupPort Name = Prefix + "vgroup-port"
	// KeyWeight: total weight of the backends of a reused vServer group.
	KeyWeight Name = Prefix + "weight"
	// KeyDefaultWeight: weight of every backend.
	KeyDefaultWeight Name = Prefix + "default-weight"
	// KeyIgnoreWeightUpdate: skip weight-only changes.
	KeyIgnoreWeightUpdate Name = Prefix + "ignore-weight-update"
	// KeyBackendIPVersion: address family of pod backends.
	KeyBackendIPVersion Name = Prefix + "backend-ip-version"
)

var backendAnnotations = []Annotation{
	{Name: KeyBackendType, Group: GroupBackend, Type: "`ecs` \\| `eni`", Default: "cloud-config `serviceBackendType`, else `ecs`", Mutability: Mutable,
		Doc:     "`ecs`: the nodes' ECS instances on the NodePort (pods on virtual nodes become ENI backends). `eni`: every endpoint's pod ENI on the target port, ignoring `externalTrafficPolicy` (Terway). A change moves the backends to a new vServer group.",
		Differs: "The environment variable `SERVICE_FORCE_BACKEND_ENI` is not read; use cloud-config `serviceBackendType`. As in the official CCM, any value other than `eni` is `ecs`; values other than `eni` and `ecs` (e.g. `ENI`) also give a warning."},
	{Name: KeyBackendLabel, Group: GroupBackend, Type: "`k1=v1[,k2=v2...]`", Default: "all nodes", Mutability: Mutable,
		Doc: "Only nodes with all these labels are backends."},
	{Name: KeyRemoveUnscheduledBackend, Group: GroupBackend, Type: onOff, Default: "`off` (cordoned nodes stay)", Mutability: Mutable,
		Doc: "Remove cordoned (`spec.unschedulable`) nodes from the backends.", Differs: onOffLenient},
	{Name: KeyVGroupPort, Group: GroupBackend, Type: "`vgroupId:port[,vgroupId:port...]`", Default: "the CCM creates its own vServer groups", Mutability: Mutable,
		Doc:     "With `id`: attach the backends of Service `port` to a vServer group created by the user in the reused CLB, e.g. to share one CLB between Services. Groups created by a CCM are refused. Removing it (or naming another group) takes this Service's backends out of the group again; the user's own members stay. Several clusters may share one group (with the same Service name, namespace and NodePort): each cluster's CCM changes only the members its own ownership mark (its cluster identity, `Global.clusterID` or the `kube-system` namespace UID) proves its own, and never the other clusters' or the user's.",
		Differs: "None in the result: without `id` it is ignored, entries for ports the Service does not have are ignored and the first entry for a port wins, as in the official CCM, each with a warning."},
	{Name: KeyWeight, Group: GroupBackend, Range: &Range{Min: 0, Max: 100}, Default: "per-backend weights", Mutability: Mutable,
		Doc:     "With `vgroup-port`: the total weight of this Service's backends in the shared vServer group, spread evenly (Local policy: by pod count), at least 1 each; `0` sets every backend to 0. With several clusters in one group, each cluster's weight applies to its own members only.",
		Differs: "Without `vgroup-port` it is a warning (it has no effect)."},
	{Name: KeyDefaultWeight, Group: GroupBackend, Range: &Range{Min: 0, Max: 100}, Default: "`100`", Mutability: Mutable,
		Doc: "Weight of every backend in the Cluster and ENI policies (Local weights by pod count)."},
	{Name: KeyIgnoreWeightUpdate, Group: GroupBackend, Type: onOff, Default: "`off`", Mutability: Mutable,
		Doc: "Do not push weight-only changes of existing backends (for weights changed outside the CCM).", Differs: onOffLenient},
	{Name: KeyBackendIPVersion, Group: GroupBackend, Type: "`ipv4` \\| `ipv6`", Default: "`ipv4`", Mutability: Mutable,
		Doc:     "Use the pods' IPv6 addresses for ENI backends. Needs `ip-version: ipv6`.",
		Differs: "`dualstack` (NLB only) and `ipv6` without `ip-version: ipv6` are errors."},
}

// Service fields read besides annotations.
const (
	// FieldLoadBalancerIP is spec.loadBalancerIP.
	FieldLoadBalancerIP Name = "spec.loadBalancerIP"
	// FieldLoadBalancerSourceRanges is spec.loadBalancerSourceRanges.
	FieldLoadBalancerSourceRanges Name = "spec.loadBalancerSourceRanges"
	// FieldExternalTrafficPolicy is spec.externalTrafficPolicy.
	FieldExternalTrafficPolicy Name = "spec.externalTrafficPolicy"
	// FieldPorts is spec.ports.
	FieldPorts Name = "spec.ports"
)

var serviceFields = []Annotation{
	{Name: FieldPorts, Group: GroupService, Type: "ServicePort list", Default: "", Mutability: Mutable,
		Doc: "One listener per entry on `port`, TCP or UDP (SCTP is an error); the same port may appear once with TCP and once with UDP. Backends use `nodePort` (ECS) or `targetPort` (ENI)."},
	{Name: FieldLoadBalancerIP, Group: GroupService, Type: "IP address", Default: "assigned by SLB", Mutability: Immutable,
		Doc:     "Same as the `ip` annotation (deprecated in Kubernetes; prefer the annotation). Both set to different addresses is an error.",
		Differs: "The official CCM ignored this field."},
	{Name: FieldLoadBalancerSourceRanges, Group: GroupService, Type: "CIDR list", Default: "no restriction", Mutability: Mutable,
		Doc:     "Client address ranges allowed to reach the listeners: the CCM keeps a white-list ACL of its own with these entries and binds it to every listener; the ACL is the Service's only when its tags `alicloud-ccm/cluster-id` and `alicloud-ccm/service-uid` (written when it is created) say so, and an ACL that only has the expected name `k8s/0/<service>/<namespace>/<cluster>` is never changed or deleted: a Warning event names it and the CCM's ACL is named `k8s-acl/<service UID>/<cluster>` instead; removing the field turns access control off. A listener has one ACL, so `acl-id` and `acl-status` together with this field are an error.",
		Differs: "The official CCM read it only for NLB."},
	{Name: FieldExternalTrafficPolicy, Group: GroupService, Type: "`Cluster` \\| `Local`", Default: "`Cluster`", Mutability: Mutable,
		Doc: "`Local`: only nodes running ready endpoints are backends, weighted by their pod count (use `scheduler: wrr`). Ignored with `backend-type: eni`."},
}
