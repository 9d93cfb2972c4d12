package loadbalancer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Annotation keys named in certificate errors.
const (
	annoCertID           = "cert-id"
	annoDomainExtensions = "domain-extensions"
)

// tagSNIPrefix starts the listener tags that record the domain extensions
// (SNI certificates) this CCM created on an HTTPS listener: key
// tagSNIPrefix + a hash of the domain, value the domain. Domain
// extensions carry neither a description nor tags of their own, and one
// added in the console must survive; a tag is written before the
// extension is created, so a crash in between leaves it tracked.
const tagSNIPrefix = "alicloud-ccm/sni-"

// CertificateError reports a certificate an annotation names that cannot
// be used: it does not exist in the region or has expired.
type CertificateError struct {
	// Key is the annotation naming the certificate.
	Key string
	// ID is the certificate ID.
	ID string
	// Reason says what is wrong.
	Reason string
}

// Error names the annotation, the certificate and the reason.
func (e *CertificateError) Error() string {
	return fmt.Sprintf("annotation %s%s: server certificate %s %s", annoPrefix, e.Key, e.ID, e.Reason)
}

// checkCert verifies that a certificate exists and has not expired
// (DescribeServerCertificates). It is called only before a write that
// would start using the certificate, so steady-state reconciles make no
// certificate call.
func (r *Reconciler) checkCert(ctx context.Context, svc *v1.Service, key, id string) error {
	req := slb.CreateDescribeServerCertificatesRequest()
	req.ServerCertificateId = id
	resp, err := r.slb.DescribeServerCertificates(ctx, req)
	if err != nil {
		return classifyErr("checking server certificate "+id, err)
	}
	var cerr *CertificateError
	for _, c := range resp.ServerCertificates.ServerCertificate {
		if c.ServerCertificateId != id {
			continue
		}
		if c.ExpireTimeStamp > 0 && time.UnixMilli(c.ExpireTimeStamp).Before(r.now()) {
			cerr = &CertificateError{Key: key, ID: id, Reason: "expired at " + time.UnixMilli(c.ExpireTimeStamp).UTC().Format(time.RFC3339) + "; upload a new certificate and name it"}
			break
		}
		return nil
	}
	if cerr == nil {
		cerr = &CertificateError{Key: key, ID: id, Reason: "does not exist in this region; upload it to SLB or fix the ID"}
	}
	r.events.Eventf(svc, v1.EventTypeWarning, ReasonInvalidCertificate, "%v", cerr)
	return cerr
}

// checkListenerCerts checks the certificates that planned creates and
// updates of HTTPS listeners would start using.
func (r *Reconciler) checkListenerCerts(ctx context.Context, svc *v1.Service, acts []listenerAction) error {
	seen := map[string]bool{}
	for _, a := range acts {
		id := ""
		if a.attrs.ServerCertificateID != nil {
			id = *a.attrs.ServerCertificateID
		}
		if a.proto != annotations.ProtocolHTTPS || id == "" || seen[id] || (a.op != opCreate && a.op != opUpdate) {
			continue
		}
		seen[id] = true
		if err := r.checkCert(ctx, svc, annoCertID, id); err != nil {
			return err
		}
	}
	return nil
}

// sniTagKey is the listener tag recording a domain extension of ours.
func sniTagKey(domain string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(domain)))
	return tagSNIPrefix + hex.EncodeToString(sum[:])[:16]
}

// syncDomains converges the domain extensions of the Service's HTTPS
// listeners: ours (tracked by listener tags) are created, re-pointed to a
// new certificate and deleted; a domain someone else added is left alone
// with a Warning. A listener without declared or tracked domains costs no
// call. before is the listener listing taken before this reconcile's
// listener changes (for the tags).
func (r *Reconciler) syncDomains(ctx context.Context, svc *v1.Service, cfg *annotations.Config, lbID string, before []slb.ListenerInDescribeLoadBalancerListeners) error {
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		if l.Protocol != annotations.ProtocolHTTPS {
			continue
		}
		tracked := map[string]string{} // domain -> tag key
		for _, a := range before {
			if listedKey(&a) == keyOf(l) {
				for _, t := range a.Tags {
					if strings.HasPrefix(t.TagKey, tagSNIPrefix) {
						tracked[strings.ToLower(t.TagValue)] = t.TagKey
					}
				}
			}
		}
		if len(l.DomainExtensions) == 0 && len(tracked) == 0 {
			continue
		}
		if err := r.syncListenerDomains(ctx, svc, lbID, l, tracked); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reconciler) syncListenerDomains(ctx context.Context, svc *v1.Service, lbID string, l *annotations.Listener, tracked map[string]string) error {
	port := int(l.Port)
	// wanted: lower-cased domain -> certificate ID.
	wanted := make(map[string]string, len(l.DomainExtensions))
	for _, d := range l.DomainExtensions {
		wanted[strings.ToLower(d.Domain)] = d.CertID
	}
	listenerID := fmt.Sprintf("%s_%s_%d", lbID, annotations.ProtocolHTTPS, port)
	req := slb.CreateDescribeDomainExtensionsRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	resp, err := r.slb.DescribeDomainExtensions(ctx, req)
	if err != nil {
		return classifyErr(fmt.Sprintf("listing domain extensions of listener %d", port), err)
	}
	have := map[string]slb.DomainExtension{}
	for _, d := range resp.DomainExtensions.DomainExtension {
		have[strings.ToLower(d.Domain)] = d
	}
	domains := make([]string, 0, len(wanted))
	for d := range wanted {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	for _, d := range domains {
		cert, key := wanted[d], strings.ToLower(d)
		ext, exists := have[key]
		_, ours := tracked[key]
		switch {
		case exists && !ours:
			r.events.Eventf(svc, v1.EventTypeWarning, ReasonForeignObject,
				"Domain %s on HTTPS listener %d of CLB %s was not added by this Service; it is left alone (annotation %s%s)", d, port, lbID, annoPrefix, annoDomainExtensions)
		case exists && ext.ServerCertificateId != cert:
			if err := r.checkCert(ctx, svc, annoDomainExtensions, cert); err != nil {
				return err
			}
			set := slb.CreateSetDomainExtensionAttributeRequest()
			set.DomainExtensionId, set.ServerCertificateId = ext.DomainExtensionId, cert
			if _, err := r.slb.SetDomainExtensionAttribute(ctx, set); err != nil {
				return classifyErr("changing the certificate of domain "+d, err)
			}
		case !exists:
			if err := r.checkCert(ctx, svc, annoDomainExtensions, cert); err != nil {
				return err
			}
			if !ours {
				if err := r.tagListener(ctx, listenerID, map[string]string{sniTagKey(d): key}); err != nil {
					return classifyErr("tagging listener "+listenerID, err)
				}
			}
			create := slb.CreateCreateDomainExtensionRequest()
			create.LoadBalancerId, create.ListenerPort, create.Domain, create.ServerCertificateId = lbID, requests.NewInteger(port), d, cert
			if _, err := r.slb.CreateDomainExtension(ctx, create); err != nil {
				return classifyErr("creating domain extension "+d, err)
			}
			klog.V(2).InfoS("Created domain extension", "service", klog.KObj(svc), "loadBalancer", lbID, "port", port, "domain", d)
		}
	}
	var untag []string
	for key, tagKey := range tracked {
		if _, keep := wanted[key]; keep {
			continue
		}
		if ext, ok := have[key]; ok {
			del := slb.CreateDeleteDomainExtensionRequest()
			del.DomainExtensionId = ext.DomainExtensionId
			if _, err := r.slb.DeleteDomainExtension(ctx, del); err != nil && !isNotFound(err) {
				return classifyErr("deleting domain extension "+key, err)
			}
		}
		untag = append(untag, tagKey)
	}
	if len(untag) > 0 {
		sort.Strings(untag)
		ureq := slb.CreateUntagResourcesRequest()
		ureq.ResourceType, ureq.ResourceId, ureq.TagKey = "listener", &[]string{listenerID}, &untag
		if _, err := r.slb.UntagResources(ctx, ureq); err != nil {
			return classifyErr("untagging listener "+listenerID, err)
		}
	}
	return nil
}

// tagListener adds tags to a listener ("<LoadBalancerId>_<protocol>_<port>").
func (r *Reconciler) tagListener(ctx context.Context, listenerID string, tags map[string]string) error {
	t := make([]slb.TagResourcesTag, 0, len(tags))
	for k, v := range tags {
		t = append(t, slb.TagResourcesTag{Key: k, Value: v})
	}
	req := slb.CreateTagResourcesRequest()
	req.ResourceType, req.ResourceId, req.Tag = "listener", &[]string{listenerID}, &t
	_, err := r.slb.TagResources(ctx, req)
	return err
}
