package emulator

// NLB listener certificates (AssociateAdditionalCertificatesWithListener,
// DisassociateAdditionalCertificatesWithListener, ListListenerCertificates)
// and DescribeZones. Each page is
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-<action in lower case>.
// Certificates live in Certificate Management Service, which is not
// emulated: any non-empty certificate ID is accepted.

import (
	"net/http"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbCertsPerCall is the AdditionalCertificateIds limit of one
// Associate/DisassociateAdditionalCertificatesWithListener call: "You can
// associate up to 15 additional certificates with a listener in each
// request" (the disassociate page says the same). The pages name no error
// code for more; the emulator answers the generic IllegalParam.
const nlbCertsPerCall = 15

// additionalCertParams reads AdditionalCertificateIds.N for a TCPSSL listener.
func additionalCertParams(c *call, l *nlbListener) ([]string, error) {
	if l.Protocol != "TCPSSL" {
		// Additional certificates take effect only on TCPSSL listeners.
		return nil, nlbIllegal("ListenerProtocol")
	}
	ids := c.list("AdditionalCertificateIds")
	if len(ids) == 0 {
		return nil, nlbMissing("AdditionalCertificateIds")
	}
	if len(ids) > nlbCertsPerCall {
		return nil, nlbIllegal("AdditionalCertificateIds")
	}
	return ids, nil
}

// errCertAssociated: ResourceAlreadyAssociated.Certificate 400, for a
// certificate the listener already has, as its default certificate or an
// additional one (AssociateAdditionalCertificatesWithListener, and
// UpdateListenerAttribute naming an additional certificate as the default).
func errCertAssociated(id string) *APIError {
	return Errf(http.StatusBadRequest, "ResourceAlreadyAssociated.Certificate", "The specified resource %s is already associated.", id)
}

// nlbAssociateAdditionalCertificatesWithListener adds server certificates
// beyond the default one; one already there is
// ResourceAlreadyAssociated.Certificate, and an NLB holds at most
// NLBAdditionalCertsPerLB of them
// (api-nlb-2022-04-30-associateadditionalcertificateswithlistener).
func nlbAssociateAdditionalCertificatesWithListener(c *call) (any, error) {
	s := c.e.nlb
	l, err := s.writableListener(c)
	if err != nil {
		return nil, err
	}
	ids, err := additionalCertParams(c, l)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if contains(l.AddCerts, id) || contains(l.Certs, id) || contains(ids[:i], id) {
			return nil, errCertAssociated(id)
		}
	}
	n := 0
	for _, o := range s.lbListeners(l.LBID) {
		n += len(o.AddCerts)
	}
	if limit := c.e.cfg.Limits.NLBAdditionalCertsPerLB; n+len(ids) > limit {
		return nil, nlbQuota("nlb_quota_loadbalancer_certificates_num", n, limit)
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	l.AddCerts = append(l.AddCerts, ids...)
	j := s.newJob(c, "update", l.ID, l.LBID)
	return &nlb.AssociateAdditionalCertificatesWithListenerResponse{JobId: j.ID}, nil
}

// nlbDisassociateAdditionalCertificatesWithListener removes additional
// certificates; one not associated is ResourceNotFound.Certificate
// (api-nlb-2022-04-30-disassociateadditionalcertificateswithlistener).
func nlbDisassociateAdditionalCertificatesWithListener(c *call) (any, error) {
	s := c.e.nlb
	l, err := s.writableListener(c)
	if err != nil {
		return nil, err
	}
	ids, err := additionalCertParams(c, l)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !contains(l.AddCerts, id) {
			return nil, Errf(http.StatusBadRequest, "ResourceNotFound.Certificate", "The specified resource %s is not found.", id)
		}
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	for _, id := range ids {
		l.AddCerts = removeString(l.AddCerts, id)
	}
	j := s.newJob(c, "update", l.ID, l.LBID)
	return &nlb.DisassociateAdditionalCertificatesWithListenerResponse{JobId: j.ID}, nil
}

// nlbListListenerCertificates lists a listener's server certificates (the
// default one first) and CA certificates, filtered by CertType Server or
// Ca (api-nlb-2022-04-30-listlistenercertificates).
func nlbListListenerCertificates(c *call) (any, error) {
	s := c.e.nlb
	l, err := s.listener(c)
	if err != nil {
		return nil, err
	}
	ct := c.str("CertType")
	if ct != "" && ct != "Server" && ct != "Ca" {
		return nil, nlbIllegal("CertType")
	}
	var all []nlb.Certificate
	var keys []string
	add := func(typ string, ids []string, def bool) {
		if ct != "" && ct != typ {
			return
		}
		for i, id := range ids {
			all = append(all, nlb.Certificate{CertificateId: id, IsDefault: def && i == 0, Status: "Associated", CertificateType: typ})
			keys = append(keys, typ+"|"+id)
		}
	}
	add("Server", l.Certs, true)
	add("Server", l.AddCerts, false)
	add("Ca", l.CaCerts, true)
	from, to, limit, next, err := nlbPage(c, keys)
	if err != nil {
		return nil, err
	}
	resp := &nlb.ListListenerCertificatesResponse{TotalCount: len(all), NextToken: next, MaxResults: limit,
		Certificates: append([]nlb.Certificate{}, all[from:to]...), CertificateIds: []string{}}
	for _, cert := range resp.Certificates {
		resp.CertificateIds = append(resp.CertificateIds, cert.CertificateId)
	}
	return resp, nil
}

// nlbDescribeZones lists the region's zones (api-nlb-2022-04-30-describezones).
func nlbDescribeZones(c *call) (any, error) {
	resp := &nlb.DescribeZonesResponse{Zones: []nlb.Zone{}}
	for _, z := range c.e.zones {
		resp.Zones = append(resp.Zones, nlb.Zone{ZoneId: z, LocalName: z})
	}
	return resp, nil
}
