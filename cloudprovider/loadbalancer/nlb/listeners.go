package nlb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Listener operations, in the order they run: deletes free ports first.
const (
	lisDelete = iota
	lisCreate
	lisUpdate
	lisStart
)

// listenerOp is one planned listener call.
type listenerOp struct {
	op int
	// have is the listed listener (delete, update, start).
	have *sdknlb.ListenerInfo
	// want and group are the desired listener and its server group
	// (create, update).
	want  *annotations.NLBListener
	group *groupSpec
	// takeover: a listener that is not tagged ours yet (force-override-
	// listeners, or the official CCM's on an NLB that is ours) gets our
	// tags with its update.
	takeover bool
}

// listenerPlan is the planned listener calls of one reconcile and what
// they did, for the server group cleanup that follows.
type listenerPlan struct {
	ops    []listenerOp
	listed []sdknlb.ListenerInfo
	// moved are listeners deleted, or pointed at another server group, by
	// this reconcile.
	moved map[string]bool
}

// stillUses reports whether a listener of the NLB may still use the
// server group id after this reconcile's listener calls.
func (p *listenerPlan) stillUses(id string) bool {
	if p == nil {
		return false
	}
	for i := range p.listed {
		if l := &p.listed[i]; l.ServerGroupId == id && !p.moved[l.ListenerId] {
			return true
		}
	}
	return false
}

// listenerSpan is the port interval a listener occupies.
func listenerSpan(l *annotations.NLBListener) (int, int) {
	if l.PortRange != nil {
		return int(l.PortRange.Start), int(l.PortRange.End)
	}
	return int(l.Port), int(l.Port)
}

// listedSpan is the port interval a listed listener occupies.
func listedSpan(l *sdknlb.ListenerInfo) (int, int) {
	if l.ListenerPort != 0 {
		return l.ListenerPort, l.ListenerPort
	}
	lo, _ := strconv.Atoi(l.StartPort)
	hi, _ := strconv.Atoi(l.EndPort)
	return lo, hi
}

// sameFamily: TCP and TCPSSL listeners share the TCP port space, UDP has
// its own (CreateListener: Conflict.Port).
func sameFamily(a, b string) bool { return (a == "UDP") == (b == "UDP") }

// officialDescription is the description prefix the official CCM gives
// the listener of a Service port (k8s.<port>.<PROTOCOL>.<service>.<namespace>.<cluster>).
func officialDescription(svc *v1.Service, l *annotations.NLBListener) string {
	return fmt.Sprintf("k8s.%s.%s.%s.%s.", listenerPortName(l), l.Protocol, svc.Name, svc.Namespace)
}

// listenerDescription is the description of our listener of a port, in
// the official CCM's form (for humans; ownership is proven by tags).
func listenerDescription(svc *v1.Service, l *annotations.NLBListener, clusterID string) string {
	return truncate(sanitize(officialDescription(svc, l)+clusterID, descriptionChars), maxDescriptionLen)
}

// planListeners diffs the Service's listeners with the NLB's. A listener
// is ours by its tags. On an NLB that is ours, the official CCM's listener
// of a Service port (its description) is taken over; on any NLB, with
// force-override-listeners, so is a listener that is not ours on a Service
// port. Any other listener holding a Service port is a conflict: a Warning
// Event and an error, before any write. Listeners on other ports and
// listeners not ours are never changed; a vgroup-port listener that is not
// ours but already forwards to the user's server group is left as it is.
func (r *Reconciler) planListeners(in portsInput, listed []sdknlb.ListenerInfo, byListener map[int]*groupSpec) (*listenerPlan, error) {
	svc, cfg := in.Svc, in.Cfg
	plan := &listenerPlan{listed: listed, moved: map[string]bool{}}
	keep := map[string]bool{}
	ours := func(a *sdknlb.ListenerInfo) bool { return r.ownsTags(listenerTags(a), svc) }
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		g := byListener[i]
		lo, hi := listenerSpan(l)
		var same *sdknlb.ListenerInfo
		var overlap []*sdknlb.ListenerInfo
		for j := range listed {
			a := &listed[j]
			alo, ahi := listedSpan(a)
			if !sameFamily(a.ListenerProtocol, string(l.Protocol)) || alo > hi || lo > ahi {
				continue
			}
			if a.ListenerProtocol == string(l.Protocol) && alo == lo && ahi == hi {
				same = a
			} else {
				overlap = append(overlap, a)
			}
		}
		// A listener of another protocol (TCP and TCPSSL) or span on the
		// port: ours is a protocol change, deleted before ours is created.
		for _, a := range overlap {
			if !ours(a) && !cfg.LB.ForceOverrideListeners {
				return nil, r.listenerConflict(svc, l, a, fmt.Sprintf("the port is used by a %s listener this Service does not own", a.ListenerProtocol))
			}
			keep[a.ListenerId] = true
			plan.ops = append(plan.ops, listenerOp{op: lisDelete, have: a})
		}
		if same == nil {
			plan.ops = append(plan.ops, listenerOp{op: lisCreate, want: l, group: g})
			continue
		}
		keep[same.ListenerId] = true
		takeover := false
		switch {
		case ours(same):
		case g.userID != "" && same.ServerGroupId == g.userID && !cfg.LB.ForceOverrideListeners:
			continue // the user's listener on the user's group: theirs
		case cfg.LB.ForceOverrideListeners:
			takeover = true
		case !in.Reused && strings.HasPrefix(same.ListenerDescription, officialDescription(svc, l)):
			takeover = true
		default:
			return nil, r.listenerConflict(svc, l, same, "the port is used by a listener this Service does not own; it is left alone (annotation "+
				annotations.Prefix+"force-override-listeners lets this Service take it over)")
		}
		plan.ops = append(plan.ops, listenerOp{op: lisUpdate, have: same, want: l, group: g, takeover: takeover})
		if same.ListenerStatus == "Stopped" {
			plan.ops = append(plan.ops, listenerOp{op: lisStart, have: same})
		}
	}
	for j := range listed {
		a := &listed[j]
		if ours(a) && !keep[a.ListenerId] {
			plan.ops = append(plan.ops, listenerOp{op: lisDelete, have: a})
		}
	}
	// Deletes first (they free ports), then creates, updates and starts.
	sortOps(plan.ops)
	return plan, nil
}

func sortOps(ops []listenerOp) {
	for i := 1; i < len(ops); i++ {
		for j := i; j > 0 && ops[j].op < ops[j-1].op; j-- {
			ops[j], ops[j-1] = ops[j-1], ops[j]
		}
	}
}

// listenerConflict records the Warning Event of a port held by a listener
// this Service may not change and returns the error.
func (r *Reconciler) listenerConflict(svc *v1.Service, l *annotations.NLBListener, a *sdknlb.ListenerInfo, reason string) error {
	err := &loadbalancer.ListenerConflictError{Port: int(l.Port), Protocol: string(l.Protocol), Holder: a.ListenerDescription, Reason: reason}
	r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonListenerConflict, "Listener %s of NLB %s: %v", a.ListenerId, a.LoadBalancerId, err)
	return err
}

// listenerAttrs are the managed attributes of a listener; nil means "not
// declared" (create: the API's default; update: leave as is).
type listenerAttrs struct {
	Description, GroupID   *string
	IdleTimeout, Cps       *int
	ProxyProtocol          *bool
	SecurityPolicy         *string
	CertID, CACertID       *string
	CAEnabled, ALPNEnabled *bool
	ALPNPolicy             *string
	// PPv2 is ProxyProtocolV2Config (cloudapi reads and sends it: the SDK
	// lacks it).
	PPv2VpcID, PPv2EpID, PPv2EpsID *bool
}

func (a listenerAttrs) empty() bool { return a == listenerAttrs{} }

// desiredListenerAttrs is the one planning function for a listener's
// attributes. The TLS ones are declared for TCPSSL listeners only (the
// API ignores them on the others, so declaring them would never converge).
// The server certificate is the first of cert-id: CreateListener takes one
// (CertificateIds: "only one server certificate").
func (r *Reconciler) desiredListenerAttrs(svc *v1.Service, l *annotations.NLBListener, groupID string) listenerAttrs {
	a := listenerAttrs{
		Description: ptrTo(listenerDescription(svc, l, r.opts.ClusterID)), GroupID: declared(groupID),
		IdleTimeout: l.IdleTimeout, Cps: l.CPS, ProxyProtocol: l.ProxyProtocol,
	}
	if l.Protocol == annotations.NLBProtocolTCPSSL {
		a.SecurityPolicy, a.CACertID, a.CAEnabled = declared(l.TLSCipherPolicy), declared(l.CACertID), l.CACertEnabled
		a.ALPNEnabled, a.ALPNPolicy = l.ALPNEnabled, declared(l.ALPNPolicy)
		if len(l.CertIDs) > 0 {
			a.CertID = &l.CertIDs[0]
		}
	}
	// The proxy protocol v2 extras are fields of the proxy protocol header:
	// they are declared with proxy-protocol on only (the parser warns that
	// they are ignored otherwise).
	if l.ProxyProtocol != nil && *l.ProxyProtocol {
		a.PPv2VpcID, a.PPv2EpID, a.PPv2EpsID = l.PPv2VpcID, l.PPv2EpID, l.PPv2EpsID
	}
	return a
}

// listedListenerAttrs reads a listed listener's managed attributes; ppv2
// is its ProxyProtocolV2Config from the same listing (a field not shown is
// false, the API's default).
func listedListenerAttrs(l *sdknlb.ListenerInfo, ppv2 cloudapi.NLBProxyProtocolV2) listenerAttrs {
	shown := func(b *bool) *bool {
		if b == nil {
			return ptrTo(false)
		}
		return b
	}
	first := func(ids []string) *string {
		if len(ids) == 0 {
			return ptrTo("")
		}
		return &ids[0]
	}
	return listenerAttrs{
		Description: &l.ListenerDescription, GroupID: &l.ServerGroupId, IdleTimeout: &l.IdleTimeout, Cps: &l.Cps,
		ProxyProtocol: &l.ProxyProtocolEnabled, SecurityPolicy: &l.SecurityPolicyId, CertID: first(l.CertificateIds),
		CACertID: first(l.CaCertificateIds), CAEnabled: &l.CaEnabled, ALPNEnabled: &l.AlpnEnabled, ALPNPolicy: &l.AlpnPolicy,
		PPv2VpcID: shown(ppv2.VpcID), PPv2EpID: shown(ppv2.EpID), PPv2EpsID: shown(ppv2.EpsID),
	}
}

// diffListenerAttrs keeps the declared attributes of want that differ
// from have.
func diffListenerAttrs(want, have listenerAttrs) listenerAttrs {
	var d listenerAttrs
	str := func(dst **string, w, h *string) {
		if w != nil && (h == nil || *w != *h) {
			*dst = w
		}
	}
	num := func(dst **int, w, h *int) {
		if w != nil && (h == nil || *w != *h) {
			*dst = w
		}
	}
	flag := func(dst **bool, w, h *bool) {
		if w != nil && (h == nil || *w != *h) {
			*dst = w
		}
	}
	str(&d.Description, want.Description, have.Description)
	str(&d.GroupID, want.GroupID, have.GroupID)
	num(&d.IdleTimeout, want.IdleTimeout, have.IdleTimeout)
	num(&d.Cps, want.Cps, have.Cps)
	flag(&d.ProxyProtocol, want.ProxyProtocol, have.ProxyProtocol)
	str(&d.SecurityPolicy, want.SecurityPolicy, have.SecurityPolicy)
	str(&d.CertID, want.CertID, have.CertID)
	str(&d.CACertID, want.CACertID, have.CACertID)
	flag(&d.CAEnabled, want.CAEnabled, have.CAEnabled)
	flag(&d.ALPNEnabled, want.ALPNEnabled, have.ALPNEnabled)
	str(&d.ALPNPolicy, want.ALPNPolicy, have.ALPNPolicy)
	flag(&d.PPv2VpcID, want.PPv2VpcID, have.PPv2VpcID)
	flag(&d.PPv2EpID, want.PPv2EpID, have.PPv2EpID)
	flag(&d.PPv2EpsID, want.PPv2EpsID, have.PPv2EpsID)
	return d
}

// applyListeners runs the plan. Every listener write locks the NLB until
// its job ends, so each call waits for the previous one's job (one check,
// no waiting): a running job leaves the rest for the next reconcile. A
// listener is created on (or moved to) a server group this reconcile
// created only once that group's create job ended.
func (r *Reconciler) applyListeners(ctx context.Context, jt *portJobs, in portsInput, plan *listenerPlan) error {
	lbID := in.LB.LoadBalancerId
	for _, op := range plan.ops {
		if op.group != nil && op.group.created {
			if ok, err := jt.idle(ctx, op.group.id); err != nil || !ok {
				return err
			}
		}
		if op.op == lisUpdate {
			if stop, err := r.applyUpdate(ctx, jt, in, op, plan); err != nil || stop {
				return err
			}
			continue
		}
		if ok, err := jt.idle(ctx, lbID); err != nil || !ok {
			return err
		}
		var err error
		switch op.op {
		case lisDelete:
			err = r.deleteListener(ctx, jt, lbID, op.have)
			plan.moved[op.have.ListenerId] = true
		case lisCreate:
			err = r.createListener(ctx, jt, in, op)
		case lisStart:
			var resp *sdknlb.StartListenerResponse
			resp, err = r.api.StartListener(ctx, startListenerRequest(op.have.ListenerId))
			if err == nil {
				jt.add(lbID, resp.JobId)
			}
		}
		if err != nil {
			return portErr(fmt.Sprintf("listener %s of NLB %s", describeOp(op), lbID), err)
		}
	}
	return nil
}

// applyUpdate converges a listener the Service keeps: its attributes and,
// on a TCPSSL listener, its additional certificates (listener_certs.go).
// An additional certificate that becomes the default one is
// disassociated before the update (the API refuses a default certificate
// that is also an additional one); one that stops being the default is
// associated after it. Each write waits for the previous one's job; stop
// reports that a running job left the rest for the next reconcile.
func (r *Reconciler) applyUpdate(ctx context.Context, jt *portJobs, in portsInput, op listenerOp, plan *listenerPlan) (stop bool, err error) {
	lbID := in.LB.LoadBalancerId
	want := r.desiredListenerAttrs(in.Svc, op.want, op.group.id)
	d := diffListenerAttrs(want, listedListenerAttrs(op.have, r.ppv2.get(lbID, op.have.ListenerId)))
	if d.GroupID != nil {
		plan.moved[op.have.ListenerId] = true
	}
	// A listener taken over gets its certificates converged once it is
	// tagged ours (the next reconcile): nothing changes on a listener
	// before it carries our tags.
	var certs certChanges
	if !op.takeover {
		if certs, err = r.planListenerCerts(ctx, op.have, op.want); err != nil {
			return true, err
		}
	} else if certsLater(op.want) {
		jt.incomplete = true // the next sync, on a listener tagged ours
	}
	if len(certs.remove) > 0 {
		if ok, err := jt.idle(ctx, lbID); err != nil || !ok {
			return true, err
		}
		if err := r.disassociateCerts(ctx, jt, in.Svc, op.have, certs.remove); err != nil {
			return true, err
		}
	}
	if !d.empty() || op.takeover {
		if ok, err := jt.idle(ctx, lbID); err != nil || !ok {
			return true, err
		}
		if err := r.updateListener(ctx, jt, in.Svc, op, &d); err != nil {
			return true, err
		}
	}
	if len(certs.add) > 0 {
		if ok, err := jt.idle(ctx, lbID); err != nil || !ok {
			return true, err
		}
		if err := r.associateCerts(ctx, jt, in.Svc, op.have, certs.add); err != nil {
			return true, err
		}
	}
	return false, nil
}

// createListener creates one listener. When its token answers with a
// listener deleted since (a replay of an earlier create), it is sent again
// with a token salted with the gone listener's ID.
func (r *Reconciler) createListener(ctx context.Context, jt *portJobs, in portsInput, op listenerOp) error {
	lbID, now := in.LB.LoadBalancerId, time.Now()
	want := r.desiredListenerAttrs(in.Svc, op.want, op.group.id)
	resp, err := r.api.CreateListener(ctx, r.createListenerRequest(in.Svc, lbID, op.want, &want, "", now))
	if err != nil {
		return err
	}
	req := sdknlb.CreateListListenersRequest()
	req.LoadBalancerIds, req.ListenerIds = &[]string{lbID}, &[]string{resp.ListenerId}
	found, err := r.api.ListAllListeners(ctx, req)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		resp, err = r.api.CreateListener(ctx, r.createListenerRequest(in.Svc, lbID, op.want, &want, resp.ListenerId, now))
		if err != nil {
			return err
		}
	}
	jt.add(lbID, resp.JobId)
	logWrite(in.Svc, fmt.Sprintf("create listener %s/%s", listenerPortName(op.want), op.want.Protocol), resp.ListenerId)
	// Additional certificates are associated with a listener that
	// exists: the next sync does it, so this one has not done everything.
	if certsLater(op.want) {
		jt.incomplete = true
	}
	return nil
}

// updateListener sends one update (and, for a takeover, our tags first,
// so a crash between the two leaves the listener ours, not half-changed
// and foreign).
func (r *Reconciler) updateListener(ctx context.Context, jt *portJobs, svc *v1.Service, op listenerOp, d *listenerAttrs) error {
	id := op.have.ListenerId
	if op.takeover {
		if _, err := r.api.TagResources(ctx, r.tagListenerRequest(svc, id)); err != nil {
			return portErr("tagging listener "+id+" taken over", err)
		}
		r.events.Eventf(svc, v1.EventTypeNormal, loadbalancer.ReasonAdopted, "Listener %s (%s) on port %s is managed by this Service from now on",
			id, op.have.ListenerDescription, listenerPortName(op.want))
	}
	if d.empty() {
		return nil
	}
	resp, err := r.api.UpdateListenerAttribute(ctx, updateListenerRequest(id, d))
	if err != nil {
		return portErr("updating listener "+id, err)
	}
	jt.add(op.have.LoadBalancerId, resp.JobId)
	logWrite(svc, "update listener", id)
	return nil
}

// deleteListener deletes one listener; one already gone is fine.
func (r *Reconciler) deleteListener(ctx context.Context, jt *portJobs, lbID string, l *sdknlb.ListenerInfo) error {
	resp, err := r.api.DeleteListener(ctx, deleteListenerRequest(l.ListenerId))
	if cloudapi.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return portErr("deleting listener "+l.ListenerId, err)
	}
	jt.add(lbID, resp.JobId)
	return nil
}

// describeOp names an operation for errors.
func describeOp(op listenerOp) string {
	switch {
	case op.want != nil:
		return fmt.Sprintf("%s/%s", listenerPortName(op.want), op.want.Protocol)
	case op.have != nil:
		return op.have.ListenerId
	}
	return "?"
}

// listListeners reads every listener of the NLB.
func (r *Reconciler) listListeners(ctx context.Context, lbID string) ([]sdknlb.ListenerInfo, error) {
	req := sdknlb.CreateListListenersRequest()
	req.LoadBalancerIds = &[]string{lbID}
	ls, ppv2, err := r.api.ListAllListenersWithPPv2(ctx, req)
	if err != nil {
		return nil, portErr("listing listeners of NLB "+lbID, err)
	}
	r.ppv2.put(lbID, ppv2)
	return ls, nil
}
