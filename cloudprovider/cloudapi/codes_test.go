package cloudapi

import (
	"fmt"
	"testing"
)

// TestClassOf pins the class of every code the retry policy, the route
// writer and the load-balancer engine act on, including each code of the
// three lists the table replaced (client retries, CLB busy, route writer),
// and the prefix rules.
func TestClassOf(t *testing.T) {
	tests := []struct {
		code  string
		class Class
		quota string
	}{
		// Busy, from the client's former not-executed list.
		{code: "ServiceIsConfiguring", class: ClassBusy},
		{code: "VServerGroupProcessing", class: ClassBusy},
		{code: "OperationBusy", class: ClassBusy},
		{code: "BackendServer.configuring", class: ClassBusy},
		{code: "SystemBusy", class: ClassBusy},
		{code: "ProcessingSameRequest", class: ClassBusy},
		{code: "ServiceIsStopping", class: ClassBusy},
		{code: "OperationFailed.ServiceGroupProcessing", class: ClassBusy},
		{code: "DomainExtensionProcessing", class: ClassBusy},
		{code: "ResourceInConfiguring.Acl", class: ClassBusy},
		{code: "VpcSystemBusy", class: ClassBusy},
		{code: "LastTokenProcessing", class: ClassBusy},
		{code: "OperationConflict", class: ClassBusy},
		{code: "TaskConflict", class: ClassBusy},
		{code: "IncorrectRouteEntryStatus", class: ClassBusy},
		{code: "IncorrcetRouteEntryStatus", class: ClassBusy},
		{code: "IncorrectVpcStatus", class: ClassBusy},
		{code: "OperationFailed.DistibuteLock", class: ClassBusy},
		{code: "InvalidOperation.Conflict", class: ClassBusy},
		{code: "Conflict.Lock", class: ClassBusy},
		{code: "ResourceInConfiguring.loadbalancer", class: ClassBusy},
		{code: "ResourceInCreating.loadbalancer", class: ClassBusy},
		// Busy, from the CLB engine's former list.
		{code: "OperationFailed.TokenIsProcessing", class: ClassBusy},
		{code: "ListenerProcessing", class: ClassBusy},
		{code: "Operation.Deny", class: ClassBusy},
		{code: "TLSPolicyConfiguring", class: ClassBusy},
		// Busy, from the route writer's former list (a per-entry code).
		{code: "VPC_ROUTE_ENTRY_STATUS_ERROR", class: ClassBusy},
		// Busy by prefix (VPC and NLB).
		{code: "IncorrectStatus.RouteTableStatus", class: ClassBusy},
		{code: "IncorrectStatus.VpcRouteEntry", class: ClassBusy},
		{code: "IncorrectStatus.loadbalancer", class: ClassBusy},
		// Refused before any effect, not busy.
		{code: "SignatureNonceUsed", class: ClassNotExecuted},
		// Throttled, exact and by prefix.
		{code: "Throttling", class: ClassThrottled},
		{code: "Throttling.User", class: ClassThrottled},
		{code: "Throttling.Api", class: ClassThrottled},
		{code: "Rejected.Throttling", class: ClassThrottled},
		// Server errors, exact and by prefix.
		{code: "InternalError", class: ClassServerError},
		{code: "LocationServiceTimeout", class: ClassServerError},
		{code: "ServiceUnavailable", class: ClassServerError},
		{code: "ServiceUnavailable.RegionMaintaining", class: ClassServerError},
		// Quotas with their Quota Center names.
		{code: "OverQuota", class: ClassQuota, quota: "slb_quota_instances_num"},
		{code: "ListenerNumberOverLimit", class: ClassQuota, quota: "slb_quota_listeners_num"},
		{code: "BackendServerNumberOverLimit", class: ClassQuota, quota: "slb_quota_backendservers_num"},
		{code: "InstanceBackendServerNumberOverLimit", class: ClassQuota, quota: "slb_quota_backendservers_num"},
		{code: "BackendServerAttachedNumberOverLimit", class: ClassQuota, quota: "slb_quota_backendserver_attached_num"},
		{code: "AclNumberOverLimit", class: ClassQuota, quota: "slb_quota_acls_num"},
		{code: "AclEntryExceedLimit", class: ClassQuota, quota: "slb_quota_acl_entrys_num"},
		{code: "DomainExtensionNumberOverLimit", class: ClassQuota, quota: "slb_quota_domain_extensions_num"},
		{code: "QuotaExceeded", class: ClassQuota, quota: "vpc_quota_route_entrys_num"},
		{code: "QuotaExceeded.RouteEntry", class: ClassQuota, quota: "vpc_quota_route_entrys_num"},
		{code: "QuotaExceeded.QuotaInsufficient", class: ClassQuota}, // NLB: the message names the quota
		// Not found, including the route writer's per-entry code.
		{code: "InvalidLoadBalancerId.NotFound", class: ClassNotFound},
		{code: "InvalidRouteEntry", class: ClassNotFound},
		{code: "VPC_ROUTER_ENTRY_NOT_EXIST", class: ClassNotFound},
		{code: "InvalidInstanceId.NotFound", class: ClassNotFound},
		{code: "ResourceNotFound.serverGroup", class: ClassNotFound},
		// A .NotFound suffix alone is a bad request, not a missing resource.
		{code: "InvalidAccessKeyId.NotFound", class: ClassOther},
		{code: "InvalidRegionId.NotFound", class: ClassOther},
		{code: "ResourceNotFound.Vpc", class: ClassOther},
		// A create that found its object.
		{code: "InvalidCIDRBlock.Duplicate", class: ClassExists},
		{code: "InvalidRouteEntry.Duplicate", class: ClassExists},
		{code: "VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE", class: ClassExists},
		// Denied, exact and by prefix.
		{code: "Forbidden.RAM", class: ClassDenied},
		{code: "Forbbiden", class: ClassDenied},
		{code: "NoPermission", class: ClassDenied},
		{code: "NoPermission.DescribeInstances", class: ClassDenied},
		// Anything else is the caller's to read.
		{code: "InvalidParameter", class: ClassOther},
		{code: "IncorrectInstanceStatus", class: ClassOther},
		{code: "", class: ClassOther},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			if got := ClassOf(tc.code); got != tc.class {
				t.Errorf("ClassOf(%q) = %v, want %v", tc.code, got, tc.class)
			}
			err := fmt.Errorf("step: %w", &APIError{Product: ProductSLB, Action: "X", Code: tc.code, HTTPStatus: 400})
			if got := QuotaName(err); got != tc.quota {
				t.Errorf("QuotaName = %q, want %q", got, tc.quota)
			}
			if got, want := IsBusy(err), tc.class == ClassBusy; got != want {
				t.Errorf("IsBusy = %v, want %v", got, want)
			}
			if got, want := IsThrottled(err), tc.class == ClassThrottled; got != want {
				t.Errorf("IsThrottled = %v, want %v", got, want)
			}
			if got, want := IsDenied(err), tc.class == ClassDenied; got != want {
				t.Errorf("IsDenied = %v, want %v", got, want)
			}
			if got, want := IsNotFound(err), tc.class == ClassNotFound; got != want {
				t.Errorf("IsNotFound = %v, want %v", got, want)
			}
			// The retry policy: throttled, busy and not-executed answers are
			// repeated even for a write; server errors only for reads.
			_, writeRetried := retryDecision(err, false)
			if want := tc.class == ClassThrottled || tc.class == ClassBusy || tc.class == ClassNotExecuted; writeRetried != want {
				t.Errorf("write retried = %v, want %v", writeRetried, want)
			}
			_, readRetried := retryDecision(err, true)
			if want := writeRetried || tc.class == ClassServerError; readRetried != want {
				t.Errorf("read retried = %v, want %v", readRetried, want)
			}
		})
	}
}

// TestNoCodeInTwoClasses guards the table against a prefix rule that would
// reclassify a listed code.
func TestNoCodeInTwoClasses(t *testing.T) {
	for code, c := range codes {
		for _, p := range codePrefixes {
			if len(code) >= len(p.prefix) && code[:len(p.prefix)] == p.prefix && p.class != c {
				t.Errorf("%s is %v in the table but %v by prefix %q", code, c.class, p.class.class, p.prefix)
			}
		}
	}
}
