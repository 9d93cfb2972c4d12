package emulator

// SLB (CLB, API version 2014-05-15) state: the resource model shared by the
// slb_*.go handlers, the lookups with their documented not-found codes, and
// the "busy after write" model.

import (
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// clbTimeLayout is how CLB answers render CreateTime (UTC, second precision).
const clbTimeLayout = "2006-01-02T15:04:05Z"

// clb is one Classic Load Balancer instance.
type clb struct {
	ID, Name, Status                                    string
	AddressType, Address, AddressIPVersion, NetworkType string
	VpcID, VSwitchID                                    string
	Spec, InstanceChargeType, InternetChargeType        string
	PayType                                             string
	Bandwidth                                           int
	MasterZone, SlaveZone, ResourceGroup                string
	DeleteProtection                                    string // "on" | "off"
	ModProtStatus, ModProtReason                        string
	Created                                             time.Time
	Tags                                                []Tag

	seq       uint64
	listeners map[listenerKey]*listener
	groups    map[string]*vgroup // this CLB's vServer groups by ID
	busyUntil time.Time          // writes before this instant get a busy code
}

// listenerKey identifies a listener inside its CLB. TCP and UDP listeners may
// share a port, so the protocol is part of the key.
type listenerKey struct {
	port  int
	proto string // tcp | udp | http | https
}

// listener is a CLB listener. Its settings live in attrs, keyed by the JSON
// field name the Describe answers use (e.g. "HealthCheckInterval"), so that
// Create/Set/Describe of all four protocols share one code path
// (slb_listener_attrs.go).
type listener struct {
	lbID   string
	port   int
	proto  string
	status string // running | stopped
	attrs  map[string]string
	tags   []Tag
}

// resourceID is the listener ID used by the tag APIs:
// "<LoadBalancerId>_<protocol>_<port>" (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-tagresources).
func (l *listener) resourceID() string {
	return l.lbID + "_" + l.proto + "_" + strconv.Itoa(l.port)
}

// vgroup is a vServer group.
type vgroup struct {
	ID, Name, LBID string
	Created        time.Time
	Backends       []*backend
	Tags           []Tag
	seq            uint64
}

// backend is one vServer group member; (ServerID, ServerIP, Port) identifies it.
type backend struct {
	ServerID    string `json:"serverId"`
	ServerIP    string `json:"serverIp,omitempty"`
	Type        string `json:"type"` // ecs | eni | eci
	Port        int    `json:"port"`
	Weight      int    `json:"weight"`
	Description string `json:"description,omitempty"`
	VpcID       string `json:"vpcId,omitempty"`
}

func (b *backend) key() string { return b.ServerID + "|" + b.ServerIP + "|" + strconv.Itoa(b.Port) }

// acl is an access control list.
type acl struct {
	ID, Name, IPVersion, ResourceGroup string
	Created                            time.Time
	Entries                            []aclEntry
	Tags                               []Tag
	seq                                uint64
}

type aclEntry struct {
	Entry   string `json:"entry"`
	Comment string `json:"comment,omitempty"`
}

// domainExt is an HTTPS listener's additional domain with its certificate.
type domainExt struct {
	ID, LBID, Domain, CertID string
	Port                     int
	seq                      uint64
}

// certMeta holds what the shared Certificate type does not: creation time,
// resource group and tags.
type certMeta struct {
	Created       time.Time
	ResourceGroup string
	Tags          []Tag
}

// createToken remembers a CreateLoadBalancer ClientToken: the parameters it
// was first used with and the answer it produced.
type createToken struct {
	fingerprint string
	resp        *createLBResponse
}

// slbState is all CLB state of one emulator; guarded by Emulator.mu.
type slbState struct {
	lbs     map[string]*clb
	order   []*clb // creation order, for stable listings
	groups  map[string]*vgroup
	acls    map[string]*acl
	domains map[string]*domainExt
	// serverCerts are the uploaded (or seeded) server certificates; certs
	// holds what the shared Certificate type does not.
	serverCerts map[string]*Certificate
	certs       map[string]*certMeta
	tokens      map[string]createToken
	// serverGroups counts, per backend server ID, the entries it has in each
	// vServer group: the "vServer groups an ECS instance may join" quota.
	serverGroups map[string]map[string]int
	billing      map[string]*pendingBilling // metering changes due at the next billing day
	seq          uint64
	publicSeq    uint32

	// Reflection plans, computed on first use (slb_listener_attrs.go).
	plans  map[reflect.Type][]fieldPlan
	params map[reflect.Type][]string
}

// newSLBState returns empty CLB state.
func newSLBState() *slbState {
	return &slbState{
		lbs: map[string]*clb{}, groups: map[string]*vgroup{}, acls: map[string]*acl{},
		domains: map[string]*domainExt{}, serverCerts: map[string]*Certificate{}, certs: map[string]*certMeta{}, tokens: map[string]createToken{},
		serverGroups: map[string]map[string]int{}, billing: map[string]*pendingBilling{},
		plans: map[reflect.Type][]fieldPlan{}, params: map[reflect.Type][]string{},
	}
}

func (s *slbState) nextSeq() uint64 { s.seq++; return s.seq }

// dump returns a JSON-friendly snapshot (fresh copies, safe to marshal after
// the lock is released) of every CLB resource.
func (s *slbState) dump() any {
	type lbDump struct {
		LoadBalancer  any   `json:"loadBalancer"`
		Listeners     []any `json:"listeners"`
		VServerGroups []any `json:"vServerGroups"`
	}
	lbs := make([]lbDump, 0, len(s.order))
	for _, lb := range s.order {
		d := lbDump{LoadBalancer: lbView(lb), Listeners: []any{}, VServerGroups: []any{}}
		for _, l := range sortedListeners(lb) {
			d.Listeners = append(d.Listeners, s.listenerItem(l))
		}
		for _, g := range sortedGroups(lb) {
			d.VServerGroups = append(d.VServerGroups, map[string]any{
				"vServerGroupId": g.ID, "vServerGroupName": g.Name, "backendServers": copyBackends(g.Backends), "tags": tagView(g.Tags)})
		}
		lbs = append(lbs, d)
	}
	acls := []any{}
	for _, a := range sortedACLs(s) {
		acls = append(acls, map[string]any{"aclId": a.ID, "aclName": a.Name, "entries": append([]aclEntry(nil), a.Entries...), "tags": tagView(a.Tags)})
	}
	doms := []any{}
	for _, d := range sortedDomains(s) {
		doms = append(doms, map[string]any{"domainExtensionId": d.ID, "loadBalancerId": d.LBID, "listenerPort": d.Port, "domain": d.Domain, "serverCertificateId": d.CertID})
	}
	return map[string]any{"loadBalancers": lbs, "accessControlLists": acls, "domainExtensions": doms}
}

func copyBackends(in []*backend) []backend {
	out := make([]backend, len(in))
	for i, b := range in {
		out[i] = *b
	}
	return out
}

func sortedListeners(lb *clb) []*listener {
	out := make([]*listener, 0, len(lb.listeners))
	for _, l := range lb.listeners {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].port != out[j].port {
			return out[i].port < out[j].port
		}
		return out[i].proto < out[j].proto
	})
	return out
}

func sortedGroups(lb *clb) []*vgroup {
	out := make([]*vgroup, 0, len(lb.groups))
	for _, g := range lb.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func sortedACLs(s *slbState) []*acl {
	out := make([]*acl, 0, len(s.acls))
	for _, a := range s.acls {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func sortedDomains(s *slbState) []*domainExt {
	out := make([]*domainExt, 0, len(s.domains))
	for _, d := range s.domains {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// Not-found answers.

// errLBNotFound: InvalidLoadBalancerId.NotFound is absent from every CLB
// error table (https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode);
// it is the code Alibaba's own tooling matches. Its HTTP status is unconfirmed: we pick 404.
func errLBNotFound(id string) *APIError {
	return Errf(http.StatusNotFound, "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist: %s.", id)
}

// errListenerNotFound: ListenerNotFound 404, product-wide CLB table
// (https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode).
func errListenerNotFound() *APIError {
	return Errf(http.StatusNotFound, "ListenerNotFound", "You have not created a listener for the specified port of the load balancer.")
}

// errGroupNotFound: InvalidParameter 404 "The specified VServerGroupId does
// not exist." (product-wide CLB table,
// https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode).
func errGroupNotFound() *APIError {
	return Errf(http.StatusNotFound, "InvalidParameter", "The specified VServerGroupId does not exist.")
}

// errACLNotFound: AclNotExist 400 "Acl does not exist." (listener pages,
// e.g. https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener).
func errACLNotFound() *APIError {
	return Errf(http.StatusBadRequest, "AclNotExist", "Acl does not exist.")
}

// lb finds a CLB or answers the not-found error.
func (s *slbState) lb(id string) (*clb, error) {
	if id == "" {
		return nil, errMissing("LoadBalancerId")
	}
	lb, ok := s.lbs[id]
	if !ok {
		return nil, errLBNotFound(id)
	}
	return lb, nil
}

// group finds a vServer group or answers the not-found error.
func (s *slbState) group(id string) (*vgroup, error) {
	if id == "" {
		return nil, errMissing("VServerGroupId")
	}
	g, ok := s.groups[id]
	if !ok {
		return nil, errGroupNotFound()
	}
	return g, nil
}

// checkRegion answers InvalidRegionId.NotFound 404 (CLB common table,
// https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode) for a
// RegionId other than the emulated one.
func checkRegion(c *call) error {
	if c.Region != "" && c.Region != c.e.cfg.Region {
		return Errf(http.StatusNotFound, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")
	}
	return nil
}

// Busy model. Real CLBs apply configuration asynchronously and refuse
// overlapping writes with the retryable codes of the product-wide table
// (https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode: no
// asynchronous state is documented for CLB writes, conflicts surface as
// busy codes). After any accepted write a CLB stays busy for
// Config.CLBBusyAfterWrite; each family of writes answers its own code.
const (
	busyInstance = "OperationBusy"             // "A previous operation is pending."
	busyListener = "ServiceIsConfiguring"      // "A previous configuration is pending; please try again later."
	busyGroup    = "VServerGroupProcessing"    // "A previous configuration of the VServer group is pending; please try again later."
	busyDomain   = "DomainExtensionProcessing" // CreateDomainExtension page
)

// busyMessage is the documented message of a busy code.
func busyMessage(code string) string {
	switch code {
	case busyInstance:
		return "A previous operation is pending."
	case busyListener:
		return "A previous configuration is pending; please try again later."
	case busyGroup:
		return "A previous configuration of the VServer group is pending; please try again later."
	}
	return "A previous configuration of the DomainExtension is pending, please try again later."
}

// checkBusy refuses a write to a CLB that is still applying a previous one.
func checkBusy(c *call, lb *clb, code string) error {
	if c.Now.Before(lb.busyUntil) {
		return Errf(http.StatusBadRequest, code, "%s", busyMessage(code))
	}
	return nil
}

// touch marks a CLB busy after an accepted write.
func touch(c *call, lb *clb) {
	if d := c.e.cfg.CLBBusyAfterWrite; d > 0 {
		lb.busyUntil = c.Now.Add(d)
	}
}

// onOff validates an "on"/"off" parameter.
func onOff(c *call, name, def string) (string, error) {
	v := c.str(name)
	switch v {
	case "":
		return def, nil
	case "on", "off":
		return v, nil
	}
	return "", errInvalid(name, v)
}

// splitList splits a comma-separated filter value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
