package emulator

import (
	"net/url"
	"reflect"
)

// registerNLB registers every NLB (Nlb, 2022-04-30) action. Every handler
// first lets finished jobs take effect (sweep); writes also get ClientToken
// idempotency and refuse to overlap in flight with another write to the
// same resource (Conflict.Lock, the documented answer of every NLB write);
// a JobFailureRule may make a write's job fail (nlb_failures.go).
func registerNLB(e *Emulator) {
	reads := map[string]handler{
		"GetLoadBalancerAttribute": nlbGetLoadBalancerAttribute,
		"ListLoadBalancers":        nlbListLoadBalancers,
		"GetJobStatus":             nlbGetJobStatus,
		"ListAsynJobs":             nlbListAsynJobs,
		"GetListenerAttribute":     nlbGetListenerAttribute,
		"ListListeners":            nlbListListeners,
		"ListServerGroups":         nlbListServerGroups,
		"ListServerGroupServers":   nlbListServerGroupServers,
		"ListTagResources":         nlbListTagResources,
		"ListListenerCertificates": nlbListListenerCertificates,
		"DescribeZones":            nlbDescribeZones,
	}
	writes := map[string]handler{
		"CreateLoadBalancer":                  nlbCreateLoadBalancer,
		"DeleteLoadBalancer":                  nlbDeleteLoadBalancer,
		"UpdateLoadBalancerAttribute":         nlbUpdateLoadBalancerAttribute,
		"UpdateLoadBalancerAddressTypeConfig": nlbUpdateLoadBalancerAddressTypeConfig,
		"UpdateLoadBalancerZones":             nlbUpdateLoadBalancerZones,
		"UpdateLoadBalancerProtection":        nlbUpdateLoadBalancerProtection,
		"EnableLoadBalancerIpv6Internet":      nlbEnableLoadBalancerIpv6Internet,
		"DisableLoadBalancerIpv6Internet":     nlbDisableLoadBalancerIpv6Internet,

		"AttachCommonBandwidthPackageToLoadBalancer":   nlbAttachCommonBandwidthPackageToLoadBalancer,
		"DetachCommonBandwidthPackageFromLoadBalancer": nlbDetachCommonBandwidthPackageFromLoadBalancer,
		"LoadBalancerJoinSecurityGroup":                nlbLoadBalancerJoinSecurityGroup,
		"LoadBalancerLeaveSecurityGroup":               nlbLoadBalancerLeaveSecurityGroup,

		"CreateListener":          nlbCreateListener,
		"DeleteListener":          nlbDeleteListener,
		"StartListener":           nlbStartListener,
		"StopListener":            nlbStopListener,
		"UpdateListenerAttribute": nlbUpdateListenerAttribute,

		"AssociateAdditionalCertificatesWithListener":    nlbAssociateAdditionalCertificatesWithListener,
		"DisassociateAdditionalCertificatesWithListener": nlbDisassociateAdditionalCertificatesWithListener,

		"CreateServerGroup":                 nlbCreateServerGroup,
		"DeleteServerGroup":                 nlbDeleteServerGroup,
		"UpdateServerGroupAttribute":        nlbUpdateServerGroupAttribute,
		"AddServersToServerGroup":           nlbAddServersToServerGroup,
		"RemoveServersFromServerGroup":      nlbRemoveServersFromServerGroup,
		"UpdateServerGroupServersAttribute": nlbUpdateServerGroupServersAttribute,

		"TagResources":   nlbTagResources,
		"UntagResources": nlbUntagResources,
	}
	s := e.nlb
	sweep := func(h handler) handler {
		return func(c *call) (any, error) {
			s.sweep(c.Now)
			out, err := h(c)
			markSuccess(out)
			return out, err
		}
	}
	for name, h := range reads {
		e.register("Nlb", VersionNLB, name, sweep(h))
	}
	for name, h := range writes {
		e.register("Nlb", VersionNLB, name, sweep(s.idempotent(s.failable(h))))
		e.registerSerial(VersionNLB, name, nlbWriteKey, errNLBConflictLock)
	}
}

// nlbWriteKey is the resource a write locks while in flight: its server
// group, listener or load balancer.
func nlbWriteKey(_ *Emulator, p url.Values) string {
	for _, k := range []string{"ServerGroupId", "ListenerId", "LoadBalancerId"} {
		if v := p.Get(k); v != "" {
			return "nlb/" + v
		}
	}
	return ""
}

// markSuccess sets Success=true and HttpStatusCode=200 on the SDK answer
// types that carry them, as a successful NLB answer does.
func markSuccess(out any) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	if f := v.FieldByName("Success"); f.IsValid() && f.Kind() == reflect.Bool && f.CanSet() {
		f.SetBool(true)
	}
	if f := v.FieldByName("HttpStatusCode"); f.IsValid() && f.Kind() == reflect.Int && f.CanSet() {
		f.SetInt(200)
	}
}
