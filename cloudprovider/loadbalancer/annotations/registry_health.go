package annotations

import "fmt"

// Health check annotations. They apply to every listener whose protocol they
// fit; see Annotation.Protocols.
const (
	// KeyHealthCheckSwitch: health check of tcp and udp listeners.
	KeyHealthCheckSwitch Name = Prefix + "health-check-switch"
	// KeyHealthCheckFlag: health check of http and https listeners.
	KeyHealthCheckFlag Name = Prefix + "health-check-flag"
	// KeyHealthCheckType: tcp or http check of tcp listeners.
	KeyHealthCheckType Name = Prefix + "health-check-type"
	// KeyHealthCheckURI: HTTP check path.
	KeyHealthCheckURI Name = Prefix + "health-check-uri"
	// KeyHealthCheckDomain: HTTP check Host header.
	KeyHealthCheckDomain Name = Prefix + "health-check-domain"
	// KeyHealthCheckHTTPCode: healthy HTTP status classes.
	KeyHealthCheckHTTPCode Name = Prefix + "health-check-httpcode"
	// KeyHealthCheckMethod: HTTP check method.
	KeyHealthCheckMethod Name = Prefix + "health-check-method"
	// KeyHealthCheckConnectPort: port probed.
	KeyHealthCheckConnectPort Name = Prefix + "health-check-connect-port"
	// KeyHealthCheckInterval: seconds between checks.
	KeyHealthCheckInterval Name = Prefix + "health-check-interval"
	// KeyHealthyThreshold: successes before healthy.
	KeyHealthyThreshold Name = Prefix + "healthy-threshold"
	// KeyUnhealthyThreshold: failures before unhealthy.
	KeyUnhealthyThreshold Name = Prefix + "unhealthy-threshold"
	// KeyHealthCheckConnectTimeout: tcp/udp check timeout.
	KeyHealthCheckConnectTimeout Name = Prefix + "health-check-connect-timeout"
	// KeyHealthCheckTimeout: http/https check timeout.
	KeyHealthCheckTimeout Name = Prefix + "health-check-timeout"
)

// maxHealthCheckURI is the API limit on the check path
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener).
const maxHealthCheckURI = 80

const httpCheck = "tcp (with `health-check-type: http`), http, https"

var healthAnnotations = []Annotation{
	{Name: KeyHealthCheckSwitch, Group: GroupHealth, Protocols: l4, Type: onOff, Default: "SLB default (`on`)", Mutability: Mutable,
		Doc: "Health check of tcp and udp listeners.", Differs: onOffLenient},
	{Name: KeyHealthCheckFlag, Group: GroupHealth, Protocols: l7, Type: onOff, Default: "`off` at creation", Mutability: Mutable,
		Doc: "Health check of http and https listeners.", Differs: onOffLenient},
	{Name: KeyHealthCheckType, Group: GroupHealth, Protocols: "tcp", Type: "`tcp` \\| `http`", Default: "SLB default (`tcp`)", Mutability: Mutable,
		Doc: "Whether tcp listeners check with a TCP connect or an HTTP request."},
	{Name: KeyHealthCheckURI, Group: GroupHealth, Protocols: httpCheck, Type: fmt.Sprintf("path starting with `/`, up to %d characters", maxHealthCheckURI), Default: "SLB default (`/`)", Mutability: Mutable,
		Doc: "Path of the HTTP health check."},
	{Name: KeyHealthCheckDomain, Group: GroupHealth, Protocols: httpCheck, Type: "`$_ip` or a domain name", Default: "SLB default (`$_ip`, the backend address)", Mutability: Mutable,
		Doc: "Host header of the HTTP health check; `$_ip` sends the backend's private address."},
	{Name: KeyHealthCheckHTTPCode, Group: GroupHealth, Protocols: httpCheck, Type: "comma list of `http_2xx`, `http_3xx`, `http_4xx`, `http_5xx`", Default: "SLB default (`http_2xx`)", Mutability: Mutable,
		Doc: "HTTP status classes that count as healthy."},
	{Name: KeyHealthCheckMethod, Group: GroupHealth, Protocols: l7, Type: "`head` \\| `get`", Default: "SLB default (`head`)", Mutability: Mutable,
		Doc: "Method of the HTTP health check."},
	{Name: KeyHealthCheckConnectPort, Group: GroupHealth, Type: fmt.Sprintf("`%d` or %d–%d", HealthCheckConnectPortBackend, minPort, maxPort), Default: "SLB default (the backend port)", Mutability: Mutable,
		Doc: "Port probed by the health check; `-520` means the backend server's port (sent as the NodePort, or the target port with ENI backends, since the API takes 1–65535 only)."},
	{Name: KeyHealthCheckInterval, Group: GroupHealth, Range: &Range{Min: 1, Max: 50, Unit: "s"}, Default: "SLB default (2)", Mutability: Mutable,
		Doc: "Seconds between two health checks."},
	{Name: KeyHealthyThreshold, Group: GroupHealth, Range: &Range{Min: 2, Max: 10}, Default: "SLB default (3)", Mutability: Mutable,
		Doc: "Consecutive successful checks before a backend counts as healthy."},
	{Name: KeyUnhealthyThreshold, Group: GroupHealth, Range: &Range{Min: 2, Max: 10}, Default: "SLB default (3)", Mutability: Mutable,
		Doc: "Consecutive failed checks before a backend counts as unhealthy."},
	{Name: KeyHealthCheckConnectTimeout, Group: GroupHealth, Protocols: l4, Range: &Range{Min: 1, Max: 300, Unit: "s"}, Default: "SLB default (5)", Mutability: Mutable,
		Doc: "Timeout of one tcp or udp health check."},
	{Name: KeyHealthCheckTimeout, Group: GroupHealth, Protocols: l7, Range: &Range{Min: 1, Max: 300, Unit: "s"}, Default: "SLB default (5)", Mutability: Mutable,
		Doc: "Timeout of one http or https health check."},
}
