package cloudapi

import (
	"errors"
	"net/http"
	"strings"
)

// Class is what an API error code says about the call that got it. The retry
// policy, the route writer and the load-balancer engine all decide from it,
// so a code is classified here once.
type Class int

const (
	// ClassOther is a code with no class here: a validation error, a
	// conflict with the resource's state... The caller reads the code.
	ClassOther Class = iota
	// ClassThrottled is a flow-control refusal: the call did not run;
	// repeat it after a backoff.
	ClassThrottled
	// ClassBusy means the resource (or the platform) is applying another
	// change: the call did not run; repeat it later, even a write.
	ClassBusy
	// ClassNotExecuted is any other refusal that proves the call had no
	// effect (a reused signature nonce): repeat it at once.
	ClassNotExecuted
	// ClassServerError is a transient server failure that may come after
	// the call took effect: only calls safe to repeat are repeated.
	ClassServerError
	// ClassQuota means a quota stops the call; QuotaName names it.
	ClassQuota
	// ClassNotFound means the resource the call addresses does not exist.
	ClassNotFound
	// ClassDenied means the credentials may not make the call (RAM policy,
	// disabled key, unauthorised region): repeating does not help.
	ClassDenied
	// ClassExists means a create found its object already there.
	ClassExists
)

// String names the class for logs and tests.
func (c Class) String() string {
	switch c {
	case ClassOther:
		return "other"
	case ClassThrottled:
		return "throttled"
	case ClassBusy:
		return "busy"
	case ClassNotExecuted:
		return "not executed"
	case ClassServerError:
		return "server error"
	case ClassQuota:
		return "quota"
	case ClassNotFound:
		return "not found"
	case ClassDenied:
		return "denied"
	case ClassExists:
		return "exists"
	default:
		return "unknown class"
	}
}

// codeClass is a code's class and, for ClassQuota, the Quota Center name of
// the quota to raise.
type codeClass struct {
	class Class
	quota string
}

var (
	busy        = codeClass{class: ClassBusy}
	notFound    = codeClass{class: ClassNotFound}
	denied      = codeClass{class: ClassDenied}
	exists      = codeClass{class: ClassExists}
	serverError = codeClass{class: ClassServerError}
)

func quota(name string) codeClass { return codeClass{class: ClassQuota, quota: name} }

// codes classifies the error codes of the products this CCM calls (CLB,
// VPC, ECS, NLB, and the gateway in front of them all), from their error
// code pages: https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode,
// https://api.alibabacloud.com/document/Vpc/2016-04-28/errorCode,
// https://api.alibabacloud.com/document/Ecs/2014-05-26/errorCode,
// https://api.alibabacloud.com/document/Nlb/2022-04-30/errorCode and the
// per-action pages they link. Codes not here fall to codePrefixes, then to
// ClassOther.
var codes = map[string]codeClass{
	// Gateway. LastTokenProcessing: a request with the same ClientToken is
	// still running; OperationConflict: "Request was denied due to conflict
	// with a previous request."
	"LastTokenProcessing": busy,
	"OperationConflict":   busy,
	// Every attempt is signed with a fresh nonce, so the refused one never
	// ran.
	"SignatureNonceUsed":     {class: ClassNotExecuted},
	"Rejected.Throttling":    {class: ClassThrottled},
	"InternalError":          serverError,
	"LocationServiceTimeout": serverError,

	// CLB: "A previous configuration ... is pending; please try again
	// later" and its relatives, product-wide or on the action pages.
	"ServiceIsConfiguring":                   busy,
	"VServerGroupProcessing":                 busy,
	"OperationBusy":                          busy,
	"BackendServer.configuring":              busy,
	"ServiceIsStopping":                      busy,
	"SystemBusy":                             busy,
	"ProcessingSameRequest":                  busy,
	"OperationFailed.ServiceGroupProcessing": busy,
	"OperationFailed.TokenIsProcessing":      busy, // CreateLoadBalancer: the same ClientToken is running
	"ListenerProcessing":                     busy,
	"Operation.Deny":                         busy, // StartLoadBalancerListener: "The specified listener is configuring"
	"DomainExtensionProcessing":              busy,
	"ResourceInConfiguring.Acl":              busy,
	"TLSPolicyConfiguring":                   busy,
	"VpcSystemBusy":                          busy, // "Invoke vpc system busy, please retry later."
	// CLB quotas, by their Quota Center names
	// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/manage-clb-quotas).
	// The backend-server quota codes are not documented: the emulator
	// follows the ListenerNumberOverLimit family, the official CCM matches
	// InstanceBackendServerNumberOverLimit.
	"OverQuota":                            quota("slb_quota_instances_num"),
	"ListenerNumberOverLimit":              quota("slb_quota_listeners_num"),
	"BackendServerNumberOverLimit":         quota("slb_quota_backendservers_num"),
	"InstanceBackendServerNumberOverLimit": quota("slb_quota_backendservers_num"),
	"BackendServerAttachedNumberOverLimit": quota("slb_quota_backendserver_attached_num"),
	"AclNumberOverLimit":                   quota("slb_quota_acls_num"),
	"AclEntryExceedLimit":                  quota("slb_quota_acl_entrys_num"),
	"DomainExtensionNumberOverLimit":       quota("slb_quota_domain_extensions_num"),
	// CLB not-found codes; InvalidParameter is one only with HTTP 404 or a
	// "does not exist" message (see isNotFound). InvalidLoadBalancerId.NotFound
	// is in no CLB table but is what the API answers for a missing CLB.
	"InvalidLoadBalancerId.NotFound":     notFound,
	"ListenerNotFound":                   notFound,
	"ResourceNotFound.Listener":          notFound,
	"InvalidRuleId.NotFound":             notFound,
	"InvalidParameter.DomainExtensionId": notFound, // "The specified DomainExtensionId does not exist."

	// VPC route writes: "does not support concurrent ... may return the
	// TaskConflict error code in concurrent scenarios. Retry the operation"
	// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry);
	// the others mean a route or the VPC is in a transitional state.
	"TaskConflict":                  busy,
	"IncorrectRouteEntryStatus":     busy,
	"IncorrcetRouteEntryStatus":     busy, // sic, documented spelling on DeleteRouteEntry
	"VPC_ROUTE_ENTRY_STATUS_ERROR":  busy, // per-entry FailedCode of the batch calls
	"IncorrectVpcStatus":            busy,
	"OperationFailed.DistibuteLock": busy, // sic
	// "Route entry quota exceeded in this route table." Route writes are
	// the only VPC writes this CCM makes, so the quota is the route table's.
	"QuotaExceeded":            quota("vpc_quota_route_entrys_num"),
	"QuotaExceeded.RouteEntry": quota("vpc_quota_route_entrys_num"),
	// A create of a destination CIDR the table already routes.
	"InvalidCIDRBlock.Duplicate":           exists,
	"InvalidRouteEntry.Duplicate":          exists,
	"VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE": exists, // per-entry FailedCode
	"InvalidVpcId.NotFound":                notFound,
	"Forbidden.VpcNotFound":                notFound,
	"InvalidVSwitchId.NotFound":            notFound,
	"InvalidRouteTableId.NotFound":         notFound,
	"InvalidRouteTable.NotFound":           notFound,
	"InvalidRouteEntry.NotFound":           notFound,
	"InvalidRouteEntryId.NotFound":         notFound,
	"InvalidRouteEntry":                    notFound, // DeleteRouteEntry: "Specified routeEntry not exist."
	"VPC_ROUTER_ENTRY_NOT_EXIST":           notFound, // per-entry FailedCode of DeleteRouteEntries
	"InvalidAllocationId.NotFound":         notFound,

	// ECS: ENI attribute writes conflict with each other.
	"InvalidOperation.Conflict":          busy,
	"InvalidInstanceId.NotFound":         notFound,
	"InvalidEcsId.NotFound":              notFound,
	"InvalidEniId.NotFound":              notFound,
	"InvalidNetworkInterfaceId.NotFound": notFound,
	// ECS security groups: the addressed group or rule does not exist
	// (RevokeSecurityGroup answers InvalidSecurityGroupRule.RuleNotExist for
	// Permissions that match no rule).
	"InvalidSecurityGroupId.NotFound":       notFound,
	"InvalidSecurityGroupRuleId.NotFound":   notFound,
	"InvalidSecurityGroupRule.RuleNotExist": notFound,
	"AuthorizationLimitExceed":              {class: ClassQuota},

	// NLB: another write to the resource is in flight, or its asynchronous
	// job still runs (documented on every NLB write).
	"Conflict.Lock":                      busy,
	"ResourceInConfiguring.loadbalancer": busy,
	"ResourceInCreating.loadbalancer":    busy,
	// ResourceNotFound.<resource> (404) of the addressed resource;
	// ResourceNotFound.Vpc, .VSwitch, .Eip or .Ecs name a bad reference in
	// the request instead and are not here.
	"ResourceNotFound.loadBalancer":  notFound,
	"ResourceNotFound.listener":      notFound,
	"ResourceNotFound.serverGroup":   notFound,
	"ResourceNotFound.BackendServer": notFound,
	"ResourceNotFound.JobId":         notFound,
	// NLB quotas: one code for all, "The quota of <quota> is exceeded,
	// usage <used>/<limit>."; the message names the quota, so QuotaName
	// has none to give.
	"QuotaExceeded.QuotaInsufficient": {class: ClassQuota},

	// Denials (RAM policy, disabled key, unauthorised region).
	"Forbidden":                   denied,
	"Forbbiden":                   denied, // sic, documented spelling on DescribeRouteTableList
	"Forbidden.RAM":               denied,
	"Forbidden.Unauthorized":      denied,
	"Forbidden.SubUser":           denied,
	"Forbbiden.SubUser":           denied, // sic
	"Forbidden.NotSupportRAM":     denied,
	"Forbidden.AccessKeyDisabled": denied,
	"NoPermission":                denied,
	"UnauthorizedRegion":          denied,
}

// codePrefixes classify code families, checked in order after codes.
// Codes ending in ".NotFound" are NOT matched generically:
// InvalidAccessKeyId.NotFound, InvalidRegionId.NotFound or
// InvalidFilterKey.NotFound describe bad requests, not missing resources.
var codePrefixes = []struct {
	prefix string
	class  codeClass
}{
	// Throttling, Throttling.User, Throttling.Api...
	{"Throttling", codeClass{class: ClassThrottled}},
	// VPC IncorrectStatus.RouteTableStatus, .VpcRouteEntry...; NLB
	// IncorrectStatus.loadbalancer, .listener, .serverGroup while a job on
	// the resource runs.
	{"IncorrectStatus.", busy},
	// ServiceUnavailable, ServiceUnavailable.RegionMaintaining...
	{"ServiceUnavailable", serverError},
	// NoPermission.<detail>
	{"NoPermission.", denied},
}

// classify returns the class of code.
func classify(code string) codeClass {
	if c, ok := codes[code]; ok {
		return c
	}
	for _, p := range codePrefixes {
		if strings.HasPrefix(code, p.prefix) {
			return p.class
		}
	}
	return codeClass{}
}

// ClassOf returns the class of an API error code, or of a per-entry
// FailedCode of the batch route calls. It sees the code alone: IsNotFound
// and IsDenied also read the answer's HTTP status and message.
func ClassOf(code string) Class { return classify(code).class }

// QuotaName returns the Quota Center name of the quota err (or an error it
// wraps) hit, e.g. slb_quota_backendservers_num, or "".
func QuotaName(err error) string { return classify(Code(err)).quota }

// IsBusy reports whether err (or an error it wraps) says the resource was
// busy with another change and the call did not run: try again later.
func IsBusy(err error) bool { return ClassOf(Code(err)) == ClassBusy }

// IsThrottled reports whether err is a server-side throttling answer
// (Throttling, Throttling.User, Throttling.Api, Rejected.Throttling...).
func IsThrottled(err error) bool { return ClassOf(Code(err)) == ClassThrottled }

// IsNotFoundCode reports whether an API error code (or a per-entry FailedCode
// of the batch route APIs) means the addressed resource does not exist. The
// ambiguous CLB code InvalidParameter is only a not-found with HTTP 404 or the
// "does not exist" message, which this function cannot see; use IsNotFound.
func IsNotFoundCode(code string) bool { return ClassOf(code) == ClassNotFound }

func isNotFound(e *APIError) bool {
	if IsNotFoundCode(e.Code) {
		return true
	}
	// CLB reuses InvalidParameter for missing resources: 404 "The specified
	// VServerGroupId does not exist." and 400 "The specified resource does not
	// exist." (https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode).
	// Other InvalidParameter answers are real validation errors.
	if e.Code == "InvalidParameter" && e.Product == ProductSLB {
		return e.HTTPStatus == http.StatusNotFound || strings.Contains(strings.ToLower(e.Message), "does not exist")
	}
	return false
}

// IsNotFound reports whether err (or an error it wraps) is an API error
// meaning the addressed resource does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// isDenied reports whether err is a permission-denied answer: a denied code,
// or any Forbidden* code with HTTP 403.
func isDenied(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ClassOf(ae.Code) == ClassDenied ||
		(ae.HTTPStatus == http.StatusForbidden && strings.HasPrefix(ae.Code, "Forbidden"))
}

// IsDenied reports whether err (or an error it wraps) is a permission-denied
// answer (Forbidden.RAM, NoPermission...): fix the RAM policy of the
// credentials, retrying does not help.
func IsDenied(err error) bool { return isDenied(err) }
