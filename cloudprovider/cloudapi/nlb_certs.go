package cloudapi

// NLB listener certificates: the additional (SNI) server certificates of a
// TCPSSL listener beyond its default one, and the listing of all of them
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-associateadditionalcertificateswithlistener,
// -disassociateadditionalcertificateswithlistener, -listlistenercertificates).

import (
	"context"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// MaxNLBCertsPerCall is the AdditionalCertificateIds limit of
// AssociateAdditionalCertificatesWithListener and
// DisassociateAdditionalCertificatesWithListener: "You can associate up
// to 15 additional certificates with a listener in each request" (the
// official CCM batches by 15 too). Each call is a job that holds the
// listener, so a caller sends one batch and the next after the job ended.
const MaxNLBCertsPerCall = 15

// AssociateAdditionalCertificatesWithListener adds additional server certificates to a TCPSSL listener (asynchronous; at most MaxNLBCertsPerCall per call). A ClientToken is set when empty.
func (n *NLB) AssociateAdditionalCertificatesWithListener(ctx context.Context, req *nlb.AssociateAdditionalCertificatesWithListenerRequest) (*nlb.AssociateAdditionalCertificatesWithListenerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateAssociateAdditionalCertificatesWithListenerResponse())
}

// DisassociateAdditionalCertificatesWithListener removes additional server certificates from a TCPSSL listener (asynchronous; at most MaxNLBCertsPerCall per call).
func (n *NLB) DisassociateAdditionalCertificatesWithListener(ctx context.Context, req *nlb.DisassociateAdditionalCertificatesWithListenerRequest) (*nlb.DisassociateAdditionalCertificatesWithListenerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateDisassociateAdditionalCertificatesWithListenerResponse())
}

// ListListenerCertificates lists a listener's certificates, one page (NextToken paging); see ListAllListenerCertificates.
func (n *NLB) ListListenerCertificates(ctx context.Context, req *nlb.ListListenerCertificatesRequest) (*nlb.ListListenerCertificatesResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateListListenerCertificatesResponse())
}

// ListAllListenerCertificates returns every certificate of a listener of
// certType ("Server", "Ca", or "" for both), reading every page. A server
// certificate with IsDefault is the listener's default one
// (CertificateIds of CreateListener); the others are its additional ones.
func (n *NLB) ListAllListenerCertificates(ctx context.Context, listenerID, certType string) ([]nlb.Certificate, error) {
	var out []nlb.Certificate
	err := ForEachPage(ctx, func(token string) (string, error) {
		r := nlb.CreateListListenerCertificatesRequest()
		r.ListenerId, r.CertType, r.NextToken = listenerID, certType, token
		r.MaxResults = requests.NewInteger(nlbMaxResults)
		resp, err := n.ListListenerCertificates(ctx, r)
		if err != nil {
			return "", err
		}
		out = append(out, resp.Certificates...)
		return resp.NextToken, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list certificates of NLB listener %s: %w", listenerID, err)
	}
	return out, nil
}
