package loadbalancer

// Event reasons of the CLB engine. Warnings name the cause (annotation key
// and value, quota name, port, CLB ID) so users need not read CCM logs.
const (
	// ReasonInvalidAnnotation: an annotation could not be parsed; nothing
	// was written to the cloud.
	ReasonInvalidAnnotation = "InvalidLoadBalancerAnnotation"
	// ReasonAnnotationWarning: a non-fatal annotation finding (unknown key,
	// both prefixes set, an annotation no listener uses).
	ReasonAnnotationWarning = "LoadBalancerAnnotationWarning"
	// ReasonImmutableField: an annotation asks to change a field the CLB
	// cannot change after creation (address type, zones, ...).
	ReasonImmutableField = "LoadBalancerFieldImmutable"
	// ReasonReuseRefused: the id annotation names a CLB that may not be reused.
	ReasonReuseRefused = "LoadBalancerReuseRefused"
	// ReasonListenerConflict: a listener port is taken by a listener this
	// Service does not own.
	ReasonListenerConflict = "ListenerPortConflict"
	// ReasonQuotaExceeded: a CLB quota was hit; the message names it.
	ReasonQuotaExceeded = "LoadBalancerQuotaExceeded"
	// ReasonNoBackends: no node is eligible as a backend.
	ReasonNoBackends = "UnAvailableLoadBalancer"
	// ReasonCreated: a CLB was created.
	ReasonCreated = "CreatedLoadBalancer"
	// ReasonAdopted: a CLB created by the official CCM was adopted.
	ReasonAdopted = "AdoptedLoadBalancer"
	// ReasonDeleted: our CLB was deleted.
	ReasonDeleted = "DeletedCLB"
	// ReasonPreserved: the CLB was kept on delete (preserve-lb-on-delete)
	// and our ownership tags were removed.
	ReasonPreserved = "PreservedOnDelete"
	// ReasonReusedCleaned: our listeners, groups and backends were removed
	// from a reused CLB, which itself is kept.
	ReasonReusedCleaned = "ReusedLoadBalancerCleaned"
	// ReasonEIPFailed: the EIPs bound to the CLB could not be read; the CLB
	// address is published instead.
	ReasonEIPFailed = "FailedSetEIPAddress"
	// ReasonSyncFailed: a reconcile step failed; the message has the API
	// error code and request ID.
	ReasonSyncFailed = "SyncLoadBalancerFailed"
	// ReasonInvalidCertificate: cert-id or domain-extensions names a
	// certificate that does not exist or has expired; the listener or
	// domain was not changed.
	ReasonInvalidCertificate = "InvalidServerCertificate"
	// ReasonForeignObject: an object the engine would otherwise manage is
	// not ours and was left alone.
	ReasonForeignObject = "ForeignObjectSkipped"
)
