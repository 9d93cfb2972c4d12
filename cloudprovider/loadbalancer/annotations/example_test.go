package annotations_test

import (
	"errors"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Parse reports every invalid annotation at once, each naming its key and
// value; warnings flag typos and values the official CCM reads in a way
// that is probably not what was meant.
func ExampleParse() {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{
			string(annotations.KeyAddressType):         "intranet",
			string(annotations.KeyHealthCheckInterval): "60",
			string(annotations.KeyDeleteProtection):    "yes",
			string(annotations.KeyScheduler):           "bogus",
			annotations.Prefix + "health-chek-flag":    "on",
		}},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{{Port: 80, Protocol: v1.ProtocolTCP}}},
	}
	cfg, err := annotations.Parse(svc, annotations.Defaults{})
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ae *annotations.Error
		if errors.As(e, &ae) {
			fmt.Printf("%s=%q: %s\n", annotations.Name(ae.Key).Suffix(), ae.Value, ae.Reason)
		}
	}
	for _, w := range cfg.Warnings {
		fmt.Println(w)
	}
	fmt.Println(cfg.LB.AddressType, cfg.Listeners[0].Protocol, cfg.LB.DeleteProtection)
	// Output:
	// scheduler="bogus": must be one of rr, wrr, wlc, sch, tch
	// health-check-interval="60": must be from 1 to 50
	// annotation service.beta.kubernetes.io/alibaba-cloud-loadbalancer-delete-protection="yes" is read as off, as the official CCM does (it recognises only lower-case on); write on or off
	// unknown annotation service.beta.kubernetes.io/alibaba-cloud-loadbalancer-health-chek-flag is ignored; did you mean health-check-flag?
	// intranet tcp false
}

// CheckImmutable compares the Immutable and CreateOnly annotations with an
// existing CLB: a change of the first is an error for the engine, of the
// second a Warning.
func ExampleLoadBalancer_CheckImmutable() {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{
			string(annotations.KeyAddressType): "intranet",
			string(annotations.KeyVSwitchID):   "vsw-2",
		}},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{{Port: 80}}},
	}
	cfg, _ := annotations.Parse(svc, annotations.Defaults{})
	changes, warnings := cfg.LB.CheckImmutable(annotations.Actual{ID: "lb-1", AddressType: "internet", VSwitchID: "vsw-1", IPVersion: "ipv4"})
	for _, c := range changes {
		fmt.Printf("%s: want %s, have %s\n", c.Field(), c.Want, c.Have)
	}
	fmt.Println(len(warnings), "warnings")
	// Output:
	// address-type: want intranet, have internet
	// 0 warnings
}
