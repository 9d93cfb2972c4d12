package emulator

// Server certificates (UploadServerCertificate, DescribeServerCertificates)
// and HTTPS domain extensions. Doc pages:
// https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-<action-lowercase>

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// certMetaFor returns the extra data of a certificate, creating it for
// certificates seeded straight into slbState.serverCerts.
func (s *slbState) certMetaFor(id string) *certMeta {
	m, ok := s.certs[id]
	if !ok {
		m = &certMeta{ResourceGroup: "rg-default"}
		s.certs[id] = m
	}
	return m
}

// certFingerprint renders a SHA-1 fingerprint as CLB does ("aa:bb:...").
func certFingerprint(der []byte) string {
	sum := sha1.Sum(der)
	h := hex.EncodeToString(sum[:])
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// slbUploadServerCertificate stores a PEM certificate (with its private key)
// or a reference to an Alibaba Cloud certificate; only names, fingerprints
// and dates are ever answered back, as documented.
func slbUploadServerCertificate(c *call) (any, error) {
	s := c.e.slb
	cert := &Certificate{ServerCertificateName: c.str("ServerCertificateName")}
	pemText, aliID := c.str("ServerCertificate"), c.str("AliCloudCertificateId")
	switch {
	case pemText != "":
		if c.str("PrivateKey") == "" {
			return nil, errMissing("PrivateKey")
		}
		blk, _ := pem.Decode([]byte(pemText))
		if blk == nil {
			return nil, Errf(http.StatusBadRequest, "InvalidServerCertificate", "The specified ServerCertificate is not a PEM certificate.")
		}
		x, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, Errf(http.StatusBadRequest, "InvalidServerCertificate", "The specified ServerCertificate is invalid: %v.", err)
		}
		cert.CommonName, cert.Fingerprint = x.Subject.CommonName, certFingerprint(blk.Bytes)
		cert.ExpireTime = x.NotAfter.UTC().Format(clbTimeLayout)
	case aliID != "":
		cert.CommonName, cert.Fingerprint = aliID, certFingerprint([]byte(aliID))
		cert.ExpireTime = c.Now.AddDate(1, 0, 0).UTC().Format(clbTimeLayout)
	default:
		return nil, errMissing("ServerCertificate")
	}
	tags := c.tags()
	if err := validateTags(tags, c.e.cfg.Limits.TagsPerResource); err != nil {
		return nil, err
	}
	// Real IDs look like "<account uid>_<hex>_<n>_<n>", no prefix.
	cert.ServerCertificateID = "1231579085529123_" + c.e.nextID("")
	c.e.slb.serverCerts[cert.ServerCertificateID] = cert
	m := s.certMetaFor(cert.ServerCertificateID)
	m.Created, m.Tags, m.ResourceGroup = c.Now, tags, orDefault(c.str("ResourceGroupId"), "rg-default")
	v := s.certView(c.e, cert)
	return &slb.UploadServerCertificateResponse{ServerCertificateId: v.ServerCertificateId, ServerCertificateName: v.ServerCertificateName,
		Fingerprint: v.Fingerprint, CommonName: v.CommonName, ExpireTime: v.ExpireTime, ExpireTimeStamp: v.ExpireTimeStamp,
		CreateTime: v.CreateTime, CreateTimeStamp: v.CreateTimeStamp, RegionId: c.e.cfg.Region, RegionIdAlias: c.e.cfg.Region,
		ResourceGroupId: v.ResourceGroupId, AliCloudCertificateId: aliID,
		SubjectAlternativeNames: slb.SubjectAlternativeNamesInUploadServerCertificate{SubjectAlternativeName: []string{}}}, nil
}

// certView renders a certificate as DescribeServerCertificates lists it.
func (s *slbState) certView(e *Emulator, cert *Certificate) slb.ServerCertificate {
	m := s.certMetaFor(cert.ServerCertificateID)
	v := slb.ServerCertificate{ServerCertificateId: cert.ServerCertificateID, ServerCertificateName: cert.ServerCertificateName,
		Fingerprint: cert.Fingerprint, CommonName: cert.CommonName, ExpireTime: cert.ExpireTime, RegionId: e.cfg.Region,
		RegionIdAlias: e.cfg.Region, ResourceGroupId: m.ResourceGroup,
		SubjectAlternativeNames: slb.SubjectAlternativeNamesInDescribeServerCertificates{SubjectAlternativeName: []string{}},
		Tags:                    slb.TagsInDescribeServerCertificates{Tag: tagView(m.Tags)}}
	if t, err := time.Parse(time.RFC3339, cert.ExpireTime); err == nil {
		v.ExpireTimeStamp = t.UnixMilli()
	}
	if !m.Created.IsZero() {
		v.CreateTime, v.CreateTimeStamp = m.Created.UTC().Format(clbTimeLayout), m.Created.UnixMilli()
	}
	return v
}

// slbDescribeServerCertificates lists certificates (no paging, as documented).
func slbDescribeServerCertificates(c *call) (any, error) {
	s := c.e.slb
	ids := splitList(c.str("ServerCertificateId"))
	rg, want := c.str("ResourceGroupId"), c.tags()
	r := &slb.DescribeServerCertificatesResponse{}
	r.ServerCertificates.ServerCertificate = []slb.ServerCertificate{}
	for _, id := range sortedKeys(c.e.slb.serverCerts) {
		if len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		v := s.certView(c.e, c.e.slb.serverCerts[id])
		if (rg != "" && v.ResourceGroupId != rg) || !matchTags(s.certMetaFor(id).Tags, want) {
			continue
		}
		r.ServerCertificates.ServerCertificate = append(r.ServerCertificates.ServerCertificate, v)
	}
	return r, nil
}

// domainCert reads the certificate of a domain extension from
// ServerCertificateId, ServerCertificate.N.CertificateId or CertificateId.N;
// it must exist (InvalidParameter.ServerCertificateId).
func domainCert(c *call) (string, error) {
	id := c.str("ServerCertificateId")
	if id == "" {
		id = c.str("ServerCertificate.1.CertificateId")
	}
	if id == "" {
		id = c.str("CertificateId.1")
	}
	if id == "" {
		return "", errMissing("ServerCertificateId")
	}
	if _, ok := c.e.slb.serverCerts[id]; !ok {
		return "", Errf(http.StatusBadRequest, "InvalidParameter.ServerCertificateId", "The specified ServerCertificateId does not exist.")
	}
	return id, nil
}

// slbCreateDomainExtension adds a domain to an HTTPS listener; at most
// Limits.DomainExtensionsPerListen (3) per listener.
func slbCreateDomainExtension(c *call) (any, error) {
	s := c.e.slb
	lb, l, err := s.findListener(c, "https")
	if err != nil {
		return nil, err
	}
	if err := checkBusy(c, lb, busyDomain); err != nil {
		return nil, err
	}
	domain, err := c.required("Domain")
	if err != nil {
		return nil, err
	}
	if len(domain) > 80 || strings.ContainsAny(domain, " /:") {
		return nil, errInvalid("Domain", domain)
	}
	cert, err := domainCert(c)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, d := range s.domains {
		if d.LBID == lb.ID && d.Port == l.port {
			if d.Domain == domain {
				return nil, Errf(http.StatusBadRequest, "InvalidParameter.Domain", "The specified Domain exists.")
			}
			n++
		}
	}
	if n >= c.e.cfg.Limits.DomainExtensionsPerListen {
		return nil, Errf(http.StatusBadRequest, "DomainExtensionNumberOverLimit", "The number of domainExtension has reached to the quota limit of this listener.")
	}
	d := &domainExt{ID: c.e.nextID("de-"), LBID: lb.ID, Port: l.port, Domain: domain, CertID: cert, seq: s.nextSeq()}
	s.domains[d.ID] = d
	touch(c, lb)
	return &slb.CreateDomainExtensionResponse{DomainExtensionId: d.ID, ListenerPort: l.port}, nil
}

// domainByID finds a domain extension (InvalidParameter.DomainExtensionId).
func (s *slbState) domainByID(c *call) (*domainExt, *clb, error) {
	id, err := c.required("DomainExtensionId")
	if err != nil {
		return nil, nil, err
	}
	d, ok := s.domains[id]
	if !ok {
		return nil, nil, Errf(http.StatusBadRequest, "InvalidParameter.DomainExtensionId", "The specified DomainExtensionId does not exist.")
	}
	return d, s.lbs[d.LBID], nil
}

// slbDeleteDomainExtension removes a domain extension.
func slbDeleteDomainExtension(c *call) (any, error) {
	s := c.e.slb
	d, lb, err := s.domainByID(c)
	if err != nil {
		return nil, err
	}
	if err := checkBusy(c, lb, busyDomain); err != nil {
		return nil, err
	}
	delete(s.domains, d.ID)
	touch(c, lb)
	return &slbEmpty{}, nil
}

// slbSetDomainExtensionAttribute replaces a domain extension's certificate.
func slbSetDomainExtensionAttribute(c *call) (any, error) {
	s := c.e.slb
	d, lb, err := s.domainByID(c)
	if err != nil {
		return nil, err
	}
	if err := checkBusy(c, lb, busyDomain); err != nil {
		return nil, err
	}
	cert, err := domainCert(c)
	if err != nil {
		return nil, err
	}
	d.CertID = cert
	touch(c, lb)
	return &slbEmpty{}, nil
}

// slbDescribeDomainExtensions lists an HTTPS listener's domain extensions.
func slbDescribeDomainExtensions(c *call) (any, error) {
	s := c.e.slb
	lb, err := s.lb(c.str("LoadBalancerId"))
	if err != nil {
		return nil, err
	}
	port, err := listenerPort(c)
	if err != nil {
		return nil, err
	}
	r := &slb.DescribeDomainExtensionsResponse{}
	r.DomainExtensions.DomainExtension = s.domainViews(lb.ID, port, c.str("DomainExtensionId"))
	return r, nil
}

// domainViews renders the domain extensions of one listener.
func (s *slbState) domainViews(lbID string, port int, onlyID string) []slb.DomainExtension {
	out := []slb.DomainExtension{}
	for _, d := range sortedDomains(s) {
		if d.LBID != lbID || d.Port != port || (onlyID != "" && d.ID != onlyID) {
			continue
		}
		out = append(out, slb.DomainExtension{DomainExtensionId: d.ID, Domain: d.Domain, ServerCertificateId: d.CertID,
			Certificates:       slb.CertificatesInDescribeDomainExtensions{Certificate: []slb.Certificate{{CertificateId: d.CertID}}},
			ServerCertificates: slb.ServerCertificatesInDescribeDomainExtensions{ServerCertificate: []slb.ServerCertificate{{CertificateId: d.CertID, BindingType: "Server"}}}})
	}
	return out
}
