package annotations_test

import (
	"errors"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Parse reports every invalid annotation at once, each naming its key and
// value; warnings flag typos.
func ExampleParse() {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{
			string(annotations.KeyAddressType):         "intranet",
			string(annotations.KeyHealthCheckInterval): "60",
			string(annotations.KeyDeleteProtection):    "yes",
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
	fmt.Println(cfg.Warnings[0])
	fmt.Println(cfg.LB.AddressType, cfg.Listeners[0].Protocol)
	// Output:
	// delete-protection="yes": must be on or off (lower case)
	// health-check-interval="60": must be from 1 to 50
	// unknown annotation service.beta.kubernetes.io/alibaba-cloud-loadbalancer-health-chek-flag is ignored; did you mean health-check-flag?
	// intranet tcp
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
