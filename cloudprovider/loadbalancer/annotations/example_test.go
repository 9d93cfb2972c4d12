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

// ImmutableFields gives the engine what to compare with an existing CLB.
func ExampleConfig_ImmutableFields() {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{
			string(annotations.KeyAddressType): "intranet",
			string(annotations.KeyVSwitchID):   "vsw-1",
		}},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{{Port: 80}}},
	}
	cfg, _ := annotations.Parse(svc, annotations.Defaults{})
	for _, f := range cfg.ImmutableFields() {
		fmt.Printf("%s=%s defaulted=%v\n", f.Name, f.Value, f.Defaulted)
	}
	// Output:
	// address type=intranet defaulted=false
	// vSwitch=vsw-1 defaulted=false
	// IP version=ipv4 defaulted=true
}
