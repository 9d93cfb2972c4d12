package emulator

// NLB (Network Load Balancer, API version 2022-04-30) state: the resource
// model shared by the nlb_*.go handlers, the asynchronous-job model, the
// documented error answers, ClientToken idempotency and paging.
//
// API reference: https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-dir
// Error codes:   https://api.alibabacloud.com/document/Nlb/2022-04-30/errorCode

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbTimeLayout is how NLB answers render CreateTime.
const nlbTimeLayout = "2006-01-02T15:04:05Z"

// nlbLB is one NLB instance.
type nlbLB struct {
	ID, Name, AddressType, IPVersion, VpcID string
	ResourceGroup, BandwidthPackage         string
	Created                                 time.Time
	Zones                                   []*nlbZone
	DelProt                                 bool
	DelReason                               string
	DelTime                                 time.Time
	ModStatus, ModReason                    string // NonProtection | ConsoleProtection
	ModTime                                 time.Time
	CrossZone, TrafficAffinity              bool
	// IPv6Internet: the IPv6 addresses of a DualStack NLB are Internet-facing
	// (Ipv6AddressType Internet); false is Intranet, the default (nlb_ipv6.go).
	IPv6Internet   bool
	Cps            int
	SecurityGroups []string
	Tags           []Tag

	seq      uint64
	deleteAt time.Time // set by DeleteLoadBalancer: Deleting until then, then gone
}

// nlbZone is one zone mapping: the vSwitch and the addresses NLB holds there.
type nlbZone struct {
	ZoneID, VSwitchID, PrivateIP, AllocationID, PublicIP, EniID string
}

// nlbListener is an NLB listener. Port 0 with StartPort/EndPort is a
// port-range (all-port) listener.
type nlbListener struct {
	ID, LBID, Protocol, Description, GroupID string
	Port, StartPort, EndPort                 int
	IdleTimeout, Cps, Mss                    int
	ProxyProtocol, CaEnabled, SecSensor      bool
	AlpnEnabled                              bool
	AlpnPolicy, SecurityPolicy               string
	Certs, CaCerts                           []string
	AddCerts                                 []string // additional server certificates
	PPv2                                     nlbPPv2  // ProxyProtocolV2Config (nlb_listeners.go)
	Stopped                                  bool
	Tags                                     []Tag
	seq                                      uint64
}

// nlbGroup is an NLB server group (Instance or Ip type).
type nlbGroup struct {
	ID, Name, Type, Protocol, Scheduler, IPVersion, VpcID, ResourceGroup string
	PreserveClientIP, AnyPort, DrainEnabled, PersistenceEnabled          bool
	DrainTimeout, PersistenceTimeout                                     int
	HC                                                                   nlb.HealthCheck
	Servers                                                              []*nlbServer
	Tags                                                                 []Tag
	seq                                                                  uint64
	deleteAt                                                             time.Time
}

// nlbServer is one server group member; (ID, IP, Port) identifies it.
type nlbServer struct {
	ID, Type, IP, Description, ZoneID string
	Port, Weight                      int
}

func (s *nlbServer) key() string { return s.ID + "|" + s.IP + "|" + strconv.Itoa(s.Port) }

// nlbJob is an asynchronous task: every NLB write answers a JobId and takes
// effect in the background. The job is Processing until End, then Succeeded
// (or Failed, when a fault rule made it fail: nlb_failures.go).
type nlbJob struct {
	ID, Action string
	Resources  []string
	Kind       string // create | update | delete | start | stop
	Start, End time.Time
	Failed     bool
	undo       *nlbUndo // how to undo the write when a failed job ends
}

// status is the job's documented Status (ListAsynJobs: Succeeded, Failed,
// Processing) at now.
func (j *nlbJob) status(now time.Time) string {
	switch {
	case now.Before(j.End):
		return "Processing"
	case j.Failed:
		return "Failed"
	}
	return "Succeeded"
}

// nlbToken remembers a write's answer under its ClientToken.
type nlbToken struct {
	params string
	resp   any
}

// nlbState is all NLB state of one emulator; guarded by Emulator.mu.
type nlbState struct {
	lbs       map[string]*nlbLB
	listeners map[string]*nlbListener
	groups    map[string]*nlbGroup
	jobs      map[string]*nlbJob
	jobOrder  []string
	locks     map[string]*nlbJob // resource ID -> the job that holds it
	failing   []*nlbJob          // running jobs set to fail, undone when they end
	tokens    map[string]nlbToken
	seq       uint64
	publicSeq uint32
}

// newNLBState returns empty NLB state.
func newNLBState() *nlbState {
	return &nlbState{
		lbs: map[string]*nlbLB{}, listeners: map[string]*nlbListener{}, groups: map[string]*nlbGroup{},
		jobs: map[string]*nlbJob{}, locks: map[string]*nlbJob{}, tokens: map[string]nlbToken{},
	}
}

func (s *nlbState) nextSeq() uint64 { s.seq++; return s.seq }

// nlbJobMemory bounds how many finished jobs GetJobStatus remembers.
const nlbJobMemory = 20000

// newJob starts an asynchronous job on resources; while it runs the
// resources are locked (see busy). A zero Config.NLBJobDuration ends it at
// once.
func (s *nlbState) newJob(c *call, kind string, resources ...string) *nlbJob {
	j := &nlbJob{ID: nlbJobID(c.e), Action: c.Action, Resources: resources, Kind: kind, Start: c.Now,
		End: c.Now.Add(c.e.cfg.NLBJobDuration)}
	s.jobs[j.ID] = j
	s.jobOrder = append(s.jobOrder, j.ID)
	if len(s.jobOrder) > nlbJobMemory {
		drop := s.jobOrder[:len(s.jobOrder)/2]
		for _, id := range drop {
			if !s.jobs[id].End.After(c.Now) {
				delete(s.jobs, id)
			}
		}
		s.jobOrder = append([]string(nil), s.jobOrder[len(drop):]...)
	}
	if j.End.After(c.Now) {
		for _, r := range resources {
			s.locks[r] = j
		}
	}
	return j
}

// nlbJobID makes a UUID-shaped job ID, deterministic per emulator.
func nlbJobID(e *Emulator) string {
	e.idSeq++
	h, n := splitmix64(e.idSeq), splitmix64(^e.idSeq)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(n>>48)&0xfff, n&0xffffffffffff)
}

// busy returns the running job that holds a resource, or nil.
func (s *nlbState) busy(id string, now time.Time) *nlbJob {
	j := s.locks[id]
	if j == nil {
		return nil
	}
	if !now.Before(j.End) {
		delete(s.locks, id)
		return nil
	}
	return j
}

// sweep finishes what running jobs left pending: failed jobs that have
// ended are undone, then resources whose delete job has ended disappear.
// Every NLB handler calls it first.
func (s *nlbState) sweep(now time.Time) {
	s.undoEnded(now)
	for id, lb := range s.lbs {
		if !lb.deleteAt.IsZero() && !now.Before(lb.deleteAt) {
			delete(s.lbs, id)
		}
	}
	for id, g := range s.groups {
		if !g.deleteAt.IsZero() && !now.Before(g.deleteAt) {
			delete(s.groups, id)
		}
	}
}

// lbStatus is LoadBalancerStatus (GetLoadBalancerAttribute: Inactive,
// Active, Provisioning, Configuring, Deleting, Deleted).
func (s *nlbState) lbStatus(lb *nlbLB, now time.Time) string {
	switch j := s.busy(lb.ID, now); {
	case !lb.deleteAt.IsZero():
		return "Deleting"
	case j != nil && j.Kind == "create":
		return "Provisioning"
	case j != nil:
		return "Configuring"
	}
	return "Active"
}

// listenerStatus is ListenerStatus (GetListenerAttribute: Provisioning,
// Running, Configuring, Stopping, Stopped, Starting, Deleting, Deleted).
func (s *nlbState) listenerStatus(l *nlbListener, now time.Time) string {
	if j := s.busy(l.ID, now); j != nil {
		switch j.Kind {
		case "create":
			return "Provisioning"
		case "start":
			return "Starting"
		case "stop":
			return "Stopping"
		}
		return "Configuring"
	}
	if l.Stopped {
		return "Stopped"
	}
	return "Running"
}

// groupStatus is ServerGroupStatus (ListServerGroups: Creating, Available,
// Configuring, Deleting).
func (s *nlbState) groupStatus(g *nlbGroup, now time.Time) string {
	switch j := s.busy(g.ID, now); {
	case !g.deleteAt.IsZero():
		return "Deleting"
	case j != nil && j.Kind == "create":
		return "Creating"
	case j != nil:
		return "Configuring"
	}
	return "Available"
}

// Documented answers (per-action error tables, e.g.
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-deleteloadbalancer).

// nlbNotFound: ResourceNotFound.<kind> 404 "The specified resource of <kind> is not found."
func nlbNotFound(kind string) *APIError {
	return Errf(http.StatusNotFound, "ResourceNotFound."+kind, "The specified resource of %s is not found.", kind)
}

// nlbMissing: MissingParam.<name> 400 "The parameter of <name> is missing."
func nlbMissing(name string) *APIError {
	return Errf(http.StatusBadRequest, "MissingParam."+name, "The parameter of %s is missing.", name)
}

// nlbIllegal: IllegalParam.<name> 400 "The param of <name> is illegal."
func nlbIllegal(name string) *APIError {
	return Errf(http.StatusBadRequest, "IllegalParam."+name, "The param of %s is illegal.", name)
}

// nlbIncorrectStatus: IncorrectStatus.<kind> 400 "The status of <kind> [<id>]
// is incorrect." — the answer to a write on a resource whose job still runs.
func nlbIncorrectStatus(kind, id string) *APIError {
	return Errf(http.StatusBadRequest, "IncorrectStatus."+kind, "The status of %s [%s] is incorrect.", kind, id)
}

// nlbQuota: QuotaExceeded.QuotaInsufficient 400 "The quota of %s is exceeded, usage %s/%s."
func nlbQuota(name string, used, limit int) *APIError {
	return Errf(http.StatusBadRequest, "QuotaExceeded.QuotaInsufficient", "The quota of %s is exceeded, usage %d/%d.", name, used, limit)
}

// errNLBDryRun: DryRunOperation 400, the answer of a DryRun request that
// passed validation.
var errNLBDryRun = Errf(http.StatusBadRequest, "DryRunOperation", "Request validation has been passed with DryRun flag set.")

// errNLBConflictLock: Conflict.Lock 400 "The Lock [%s] is conflict.": two
// writes to one resource overlapping in flight.
var errNLBConflictLock = Errf(http.StatusBadRequest, "Conflict.Lock", "The Lock [resource] is conflict.")

// dryRun answers DryRunOperation when DryRun=true; handlers call it after
// validating and before changing anything.
func nlbDryRun(c *call) error {
	v, err := nlbBool(c, "DryRun", false)
	if err != nil {
		return err
	}
	if v {
		return errNLBDryRun
	}
	return nil
}

// nlbBool parses an optional boolean with the NLB IllegalParam answer.
func nlbBool(c *call, name string, def bool) (bool, error) {
	v, err := c.boolean(name, def)
	if err != nil {
		return false, nlbIllegal(name)
	}
	return v, nil
}

// nlbInt parses an optional integer in [lo, hi] with the NLB IllegalParam answer.
func nlbInt(c *call, name string, def, lo, hi int) (int, error) {
	v, err := c.integer(name, def)
	if err != nil || v < lo || v > hi {
		return 0, nlbIllegal(name)
	}
	return v, nil
}

// nlbRequired returns a required parameter or MissingParam.<name>.
func nlbRequired(c *call, name string) (string, error) {
	v := c.str(name)
	if v == "" {
		return "", nlbMissing(name)
	}
	return v, nil
}

// lb finds a live NLB or answers ResourceNotFound.loadBalancer 404.
func (s *nlbState) lb(c *call) (*nlbLB, error) {
	id, err := nlbRequired(c, "LoadBalancerId")
	if err != nil {
		return nil, err
	}
	lb, ok := s.lbs[id]
	if !ok {
		return nil, nlbNotFound("loadBalancer")
	}
	return lb, nil
}

// writableLB finds an NLB that may take a write: not deleting, and no job of
// its own running (ResourceInConfiguring.loadbalancer 400 while one runs,
// documented on DeleteLoadBalancer and UpdateLoadBalancer*).
func (s *nlbState) writableLB(c *call) (*nlbLB, error) {
	lb, err := s.lb(c)
	if err != nil {
		return nil, err
	}
	if !lb.deleteAt.IsZero() {
		return nil, nlbIncorrectStatus("loadbalancer", lb.ID)
	}
	if j := s.busy(lb.ID, c.Now); j != nil {
		if j.Kind == "create" && c.Action == "DeleteLoadBalancer" {
			return nil, Errf(http.StatusBadRequest, "ResourceInCreating.loadbalancer", "The specified resource of loadbalancer is creating, please try again later.")
		}
		return nil, Errf(http.StatusBadRequest, "ResourceInConfiguring.loadbalancer", "The specified resource of loadbalancer is being configured, please try again later.")
	}
	return lb, nil
}

// idempotent wraps a write: a ClientToken seen before with the same
// parameters replays the first answer (no second job, no second resource);
// with other parameters it is IdempotenceSignatureMismatch 400 (documented
// on every NLB write, e.g. UpdateListenerAttribute).
func (s *nlbState) idempotent(h handler) handler {
	return func(c *call) (any, error) {
		tok := c.str("ClientToken")
		if tok == "" {
			return h(c)
		}
		key := c.Action + "\x00" + tok
		params := canonicalParams(c)
		if rec, ok := s.tokens[key]; ok {
			if rec.params != params {
				return nil, Errf(http.StatusBadRequest, "IdempotenceSignatureMismatch", "The idempotence token of request is same with the prev one, but the signature is different.")
			}
			return shallowCopy(rec.resp), nil
		}
		out, err := h(c)
		if err == nil {
			// Keep a private copy: the core sets RequestId on the answer it
			// sends after releasing the state lock.
			s.tokens[key] = nlbToken{params: params, resp: shallowCopy(out)}
		}
		return out, err
	}
}

// shallowCopy returns a copy of the struct a pointer answer points to.
func shallowCopy(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return v
	}
	cp := reflect.New(rv.Elem().Type())
	cp.Elem().Set(rv.Elem())
	return cp.Interface()
}

// page applies MaxResults (1-100, default 20) and NextToken (the next
// item's ID, encoded) to ids; a bad value is IllegalParam.<name>.
func nlbPage(c *call, ids []string) (from, to, limit int, next string, err error) {
	if limit, err = nlbInt(c, "MaxResults", 20, 1, 100); err != nil {
		return 0, 0, 0, "", err
	}
	if tok := c.str("NextToken"); tok != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(tok)
		from = -1
		for i, id := range ids {
			if derr == nil && id == string(raw) {
				from = i
			}
		}
		if derr != nil || from < 0 {
			return 0, 0, 0, "", nlbIllegal("NextToken")
		}
	}
	to = from + limit
	if to < len(ids) {
		next = base64.RawURLEncoding.EncodeToString([]byte(ids[to]))
	} else {
		to = len(ids)
	}
	return from, to, limit, next, nil
}

// nlbTagsView renders tags as the answers' Tag list.
func nlbTagsView(tags []Tag) []nlb.Tag {
	out := make([]nlb.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, nlb.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// nlbTagModels renders tags as the list answers' TagModels.
func nlbTagModels(tags []Tag) []nlb.TagModels {
	out := make([]nlb.TagModels, 0, len(tags))
	for _, t := range tags {
		out = append(out, nlb.TagModels{Key: t.Key, Value: t.Value})
	}
	return out
}

// nlbTagFilter reads Tag.N.Key/Value filters (up to 20).
func nlbTagFilter(c *call) ([]Tag, error) {
	tags := c.tags()
	if len(tags) > 20 {
		return nil, nlbIllegal("Tag")
	}
	return tags, nil
}

// bySeq sorts IDs by the creation sequence of their resources.
func bySeq(ids []string, seq func(string) uint64) []string {
	sort.Slice(ids, func(i, j int) bool { return seq(ids[i]) < seq(ids[j]) })
	return ids
}

// nlbTime renders a time as NLB answers do; the zero time is "".
func nlbTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(nlbTimeLayout)
}
