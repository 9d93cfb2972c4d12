package cloudapi

// Typed SLB methods: access control lists, server certificates and domain extensions. Each is a thin wrapper over Client.Do; see
// the package doc for retry semantics and the consumer-owned interface pattern.

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// CreateAccessControlList creates an access control list.
func (s *SLB) CreateAccessControlList(ctx context.Context, req *slb.CreateAccessControlListRequest) (*slb.CreateAccessControlListResponse, error) {
	return call(ctx, s.Client, req, slb.CreateCreateAccessControlListResponse())
}

// DeleteAccessControlList deletes an access control list no listener uses.
func (s *SLB) DeleteAccessControlList(ctx context.Context, req *slb.DeleteAccessControlListRequest) (*slb.DeleteAccessControlListResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDeleteAccessControlListResponse())
}

// AddAccessControlListEntry adds up to 50 entries to an access control list.
func (s *SLB) AddAccessControlListEntry(ctx context.Context, req *slb.AddAccessControlListEntryRequest) (*slb.AddAccessControlListEntryResponse, error) {
	return call(ctx, s.Client, req, slb.CreateAddAccessControlListEntryResponse())
}

// RemoveAccessControlListEntry removes entries from an access control list.
func (s *SLB) RemoveAccessControlListEntry(ctx context.Context, req *slb.RemoveAccessControlListEntryRequest) (*slb.RemoveAccessControlListEntryResponse, error) {
	return call(ctx, s.Client, req, slb.CreateRemoveAccessControlListEntryResponse())
}

// DescribeAccessControlLists lists access control lists (PageNumber paging, at most 50 per page).
func (s *SLB) DescribeAccessControlLists(ctx context.Context, req *slb.DescribeAccessControlListsRequest) (*slb.DescribeAccessControlListsResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeAccessControlListsResponse())
}

// DescribeAccessControlListAttribute returns an access control list with its entries.
func (s *SLB) DescribeAccessControlListAttribute(ctx context.Context, req *slb.DescribeAccessControlListAttributeRequest) (*slb.DescribeAccessControlListAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeAccessControlListAttributeResponse())
}

// DescribeServerCertificates lists server certificates (fingerprints and names only).
func (s *SLB) DescribeServerCertificates(ctx context.Context, req *slb.DescribeServerCertificatesRequest) (*slb.DescribeServerCertificatesResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeServerCertificatesResponse())
}

// CreateDomainExtension adds a domain extension (SNI certificate) to an HTTPS listener.
func (s *SLB) CreateDomainExtension(ctx context.Context, req *slb.CreateDomainExtensionRequest) (*slb.CreateDomainExtensionResponse, error) {
	return call(ctx, s.Client, req, slb.CreateCreateDomainExtensionResponse())
}

// DeleteDomainExtension deletes a domain extension.
func (s *SLB) DeleteDomainExtension(ctx context.Context, req *slb.DeleteDomainExtensionRequest) (*slb.DeleteDomainExtensionResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDeleteDomainExtensionResponse())
}

// DescribeDomainExtensions lists the domain extensions of an HTTPS listener.
func (s *SLB) DescribeDomainExtensions(ctx context.Context, req *slb.DescribeDomainExtensionsRequest) (*slb.DescribeDomainExtensionsResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeDomainExtensionsResponse())
}

// SetDomainExtensionAttribute changes the certificate of a domain extension.
func (s *SLB) SetDomainExtensionAttribute(ctx context.Context, req *slb.SetDomainExtensionAttributeRequest) (*slb.SetDomainExtensionAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetDomainExtensionAttributeResponse())
}
