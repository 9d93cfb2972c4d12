// Package annotations reads the load-balancer annotations and fields of a
// Service of type LoadBalancer into one typed, validated [Config].
//
// # API
//
//	cfg, err := annotations.Parse(svc, annotations.Defaults{...})
//
// [Parse] reads every annotation once. All problems are reported together:
// err is an [errors.Join] of [*Error] values, each naming the annotation key
// (exactly as the user wrote it, legacy prefix included) and its value, so a
// SyncLoadBalancerFailed event tells the user what to fix. A non-nil error
// still comes with a non-nil *Config holding everything that did parse; the
// reconcile engine must not act on it.
//
// Non-fatal findings (unknown keys with a "did you mean" hint, values set
// under both prefixes, annotations that do not apply to any listener) are in
// [Config.Warnings]; the engine turns them into Warning events.
//
// # Unset is not a default
//
// Optional values are pointers, empty strings or nil slices: unset means
// "leave the cloud's value alone", never a value picked silently. The few
// values the CCM always manages (address type, delete and modification
// protection, backend type, IP version) are always filled in; their defaults
// are in the registry ([All]) and in docs/annotations.md. Values used only
// when creating a load balancer and never compared later (instance charge type
// PayByCLCU, spec slb.s1.small with PayBySpec, scheduler rr) are exported as
// Default* constants for the engine to use at creation.
//
// # Immutable fields
//
// [LoadBalancer.CheckImmutable] compares the attributes that cannot change
// after creation (the registry entries whose Mutability is Immutable:
// address type, zones, IP version, resource group, network type, fixed
// address, reused load balancer ID) with an existing load balancer; the
// engine fails with an error naming the field and never recreates a load
// balancer to apply them. A changed CreateOnly entry (vSwitch) is a Warning.
//
// # Prefixes
//
// Keys are service.beta.kubernetes.io/alibaba-cloud-loadbalancer-<name>. The
// legacy prefix service.beta.kubernetes.io/alicloud-loadbalancer-<name> is
// read too; when both are set the new prefix wins, with a warning if the
// values differ. The backend type is service.beta.kubernetes.io/backend-type
// (no load-balancer prefix).
//
// # Reference
//
// Every annotation is declared once in the registry (registry_*.go). The
// parser looks keys up there and docs/annotations.md is rendered from it
// ([RenderMarkdown]); TestAnnotationsDocIsFresh keeps the file in step:
//
//	UPDATE_DOCS=1 go test ./cloudprovider/loadbalancer/annotations -run TestAnnotationsDocIsFresh
package annotations
