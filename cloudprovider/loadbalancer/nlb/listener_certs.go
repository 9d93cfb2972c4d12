package nlb

import (
	"context"
	"fmt"
	"slices"
	"sync"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// The additional (SNI) server certificates of the TCPSSL listeners the
// Service owns: additional-cert-ids beyond cert-id. CreateListener and
// UpdateListenerAttribute take one server certificate, the default one;
// the others are associated and disassociated by their own calls, each
// an asynchronous job holding the listener and its NLB
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-associateadditionalcertificateswithlistener).

// certChanges are the additional certificates one listener must lose and
// gain.
type certChanges struct{ remove, add []string }

// wantedExtraCerts are the declared additional certificates: cert-id's
// list after the default one, without repeats and without the default.
func wantedExtraCerts(l *annotations.NLBListener) []string {
	var out []string
	for _, id := range l.CertIDs[1:] {
		if id != l.CertIDs[0] && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// certsLater reports whether a listener created or taken over by this
// sync has additional certificates to get in a later one (they need the
// listener listed as ours). The sync then is not complete: the engine must
// not take it as converged once its jobs end.
func certsLater(want *annotations.NLBListener) bool {
	return want.Protocol == annotations.NLBProtocolTCPSSL && len(want.CertIDs) > 0 && len(wantedExtraCerts(want)) > 0
}

// planListenerCerts diffs the declared additional certificates of a
// TCPSSL listener with the listed ones (ListListenerCertificates: one read
// per such listener and reconcile). With cert-id declared, the declared
// list is the whole set: an additional certificate no longer declared
// (or additional-cert-ids removed) is disassociated. Without cert-id, or
// on another protocol, nothing is read or changed.
func (r *Reconciler) planListenerCerts(ctx context.Context, have *sdknlb.ListenerInfo, want *annotations.NLBListener) (certChanges, error) {
	if want.Protocol != annotations.NLBProtocolTCPSSL || have.ListenerProtocol != string(annotations.NLBProtocolTCPSSL) || len(want.CertIDs) == 0 {
		return certChanges{}, nil
	}
	listed, err := r.api.ListAllListenerCertificates(ctx, have.ListenerId, "Server")
	if err != nil {
		return certChanges{}, portErr("listing the certificates of listener "+have.ListenerId, err)
	}
	var extra []string
	for _, c := range listed {
		if !c.IsDefault {
			extra = append(extra, c.CertificateId)
		}
	}
	wanted := wantedExtraCerts(want)
	var ch certChanges
	for _, id := range extra {
		if !slices.Contains(wanted, id) {
			ch.remove = append(ch.remove, id)
		}
	}
	for _, id := range wanted {
		if !slices.Contains(extra, id) {
			ch.add = append(ch.add, id)
		}
	}
	return ch, nil
}

// firstBatch is what one call may carry: the rest goes in the next
// reconcile, after this call's job (which holds the listener) ended.
func firstBatch(ids []string) []string {
	if len(ids) > cloudapi.MaxNLBCertsPerCall {
		return ids[:cloudapi.MaxNLBCertsPerCall]
	}
	return ids
}

// certsErr names the annotation behind a failed certificate call, so the
// Warning Event tells the user which key to fix (an unknown certificate,
// the NLB's quota of additional certificates).
func certsErr(verb, listenerID string, ids []string, err error) error {
	return portErr(fmt.Sprintf("%s additional certificates %v of listener %s (annotation %s)",
		verb, ids, listenerID, annotations.KeyAdditionalCertIDs), err)
}

// associateCerts associates the first batch of ids with a listener.
func (r *Reconciler) associateCerts(ctx context.Context, jt *portJobs, svc *v1.Service, l *sdknlb.ListenerInfo, ids []string) error {
	ids = firstBatch(ids)
	req := sdknlb.CreateAssociateAdditionalCertificatesWithListenerRequest()
	req.ListenerId, req.AdditionalCertificateIds = l.ListenerId, &ids
	resp, err := r.api.AssociateAdditionalCertificatesWithListener(ctx, req)
	if err != nil {
		return certsErr("associating", l.ListenerId, ids, err)
	}
	jt.add(l.LoadBalancerId, resp.JobId)
	logWrite(svc, fmt.Sprintf("associate additional certificates %v with listener", ids), l.ListenerId)
	return nil
}

// disassociateCerts disassociates the first batch of ids from a listener.
func (r *Reconciler) disassociateCerts(ctx context.Context, jt *portJobs, svc *v1.Service, l *sdknlb.ListenerInfo, ids []string) error {
	ids = firstBatch(ids)
	req := sdknlb.CreateDisassociateAdditionalCertificatesWithListenerRequest()
	req.ListenerId, req.AdditionalCertificateIds = l.ListenerId, &ids
	resp, err := r.api.DisassociateAdditionalCertificatesWithListener(ctx, req)
	if err != nil {
		return certsErr("disassociating", l.ListenerId, ids, err)
	}
	jt.add(l.LoadBalancerId, resp.JobId)
	logWrite(svc, fmt.Sprintf("disassociate additional certificates %v from listener", ids), l.ListenerId)
	return nil
}

// ppv2Book holds the ProxyProtocolV2Config of each NLB's listeners as the
// last ListListeners of that NLB showed it (the SDK's ListenerInfo has no
// field for it, so it travels beside the listing). Every reconcile lists
// before it plans, so what is read here is what this reconcile's listing
// showed; a restart loses nothing the next listing does not show again.
// The zero value is ready.
type ppv2Book struct {
	mu   sync.Mutex
	byLB map[string]map[string]cloudapi.NLBProxyProtocolV2
}

// put replaces what is known of lbID's listeners. An NLB listed without
// listeners (before its deletion, the CCM deletes its listeners and lists
// again) is dropped, so the book does not grow with deleted NLBs.
func (b *ppv2Book) put(lbID string, listed map[string]cloudapi.NLBProxyProtocolV2) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(listed) == 0 {
		delete(b.byLB, lbID)
		return
	}
	if b.byLB == nil {
		b.byLB = map[string]map[string]cloudapi.NLBProxyProtocolV2{}
	}
	b.byLB[lbID] = listed
}

// get returns the listed config of a listener (empty when not listed).
func (b *ppv2Book) get(lbID, listenerID string) cloudapi.NLBProxyProtocolV2 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byLB[lbID][listenerID]
}
