package emulator

import (
	"reflect"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// registerSLB registers every CLB (Slb, 2014-05-15) action.
func registerSLB(e *Emulator) {
	t := reflect.TypeOf
	actions := map[string]handler{
		"CreateLoadBalancer":                    slbCreateLoadBalancer,
		"DeleteLoadBalancer":                    slbDeleteLoadBalancer,
		"DescribeLoadBalancers":                 slbDescribeLoadBalancers,
		"DescribeLoadBalancerAttribute":         slbDescribeLoadBalancerAttribute,
		"SetLoadBalancerName":                   slbSetLoadBalancerName,
		"SetLoadBalancerDeleteProtection":       slbSetLoadBalancerDeleteProtection,
		"SetLoadBalancerModificationProtection": slbSetLoadBalancerModificationProtection,
		"ModifyLoadBalancerInstanceSpec":        slbModifyLoadBalancerInstanceSpec,
		"ModifyLoadBalancerInternetSpec":        slbModifyLoadBalancerInternetSpec,
		"ModifyLoadBalancerInstanceChargeType":  slbModifyLoadBalancerInstanceChargeType,

		"TagResources":     slbTagResources,
		"UntagResources":   slbUntagResources,
		"ListTagResources": slbListTagResources,

		"CreateLoadBalancerTCPListener":              slbCreateListener("tcp", t(slb.CreateLoadBalancerTCPListenerRequest{})),
		"CreateLoadBalancerUDPListener":              slbCreateListener("udp", t(slb.CreateLoadBalancerUDPListenerRequest{})),
		"CreateLoadBalancerHTTPListener":             slbCreateListener("http", t(slb.CreateLoadBalancerHTTPListenerRequest{})),
		"CreateLoadBalancerHTTPSListener":            slbCreateListener("https", t(slb.CreateLoadBalancerHTTPSListenerRequest{})),
		"SetLoadBalancerTCPListenerAttribute":        slbSetListener("tcp", t(slb.SetLoadBalancerTCPListenerAttributeRequest{})),
		"SetLoadBalancerUDPListenerAttribute":        slbSetListener("udp", t(slb.SetLoadBalancerUDPListenerAttributeRequest{})),
		"SetLoadBalancerHTTPListenerAttribute":       slbSetListener("http", t(slb.SetLoadBalancerHTTPListenerAttributeRequest{})),
		"SetLoadBalancerHTTPSListenerAttribute":      slbSetListener("https", t(slb.SetLoadBalancerHTTPSListenerAttributeRequest{})),
		"DescribeLoadBalancerTCPListenerAttribute":   slbDescribeListener("tcp"),
		"DescribeLoadBalancerUDPListenerAttribute":   slbDescribeListener("udp"),
		"DescribeLoadBalancerHTTPListenerAttribute":  slbDescribeListener("http"),
		"DescribeLoadBalancerHTTPSListenerAttribute": slbDescribeListener("https"),
		"DescribeLoadBalancerListeners":              slbDescribeLoadBalancerListeners,
		"StartLoadBalancerListener":                  slbStartLoadBalancerListener,
		"StopLoadBalancerListener":                   slbStopLoadBalancerListener,
		"DeleteLoadBalancerListener":                 slbDeleteLoadBalancerListener,

		"CreateVServerGroup":               slbCreateVServerGroup,
		"DeleteVServerGroup":               slbDeleteVServerGroup,
		"DescribeVServerGroups":            slbDescribeVServerGroups,
		"DescribeVServerGroupAttribute":    slbDescribeVServerGroupAttribute,
		"SetVServerGroupAttribute":         slbSetVServerGroupAttribute,
		"AddVServerGroupBackendServers":    slbAddVServerGroupBackendServers,
		"RemoveVServerGroupBackendServers": slbRemoveVServerGroupBackendServers,
		"ModifyVServerGroupBackendServers": slbModifyVServerGroupBackendServers,

		"CreateAccessControlList":            slbCreateAccessControlList,
		"DeleteAccessControlList":            slbDeleteAccessControlList,
		"AddAccessControlListEntry":          slbAddAccessControlListEntry,
		"RemoveAccessControlListEntry":       slbRemoveAccessControlListEntry,
		"DescribeAccessControlLists":         slbDescribeAccessControlLists,
		"DescribeAccessControlListAttribute": slbDescribeAccessControlListAttribute,

		"UploadServerCertificate":     slbUploadServerCertificate,
		"DescribeServerCertificates":  slbDescribeServerCertificates,
		"CreateDomainExtension":       slbCreateDomainExtension,
		"DeleteDomainExtension":       slbDeleteDomainExtension,
		"DescribeDomainExtensions":    slbDescribeDomainExtensions,
		"SetDomainExtensionAttribute": slbSetDomainExtensionAttribute,
	}
	for name, h := range actions {
		e.register("Slb", VersionSLB, name, h)
	}
}
