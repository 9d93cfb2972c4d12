package framework

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// Emulator is an in-process Alibaba Cloud OpenAPI emulator (SLB, VPC, ECS
// and the instance metadata service on 127.0.0.1) seeded with one VPC, two
// vSwitches in two zones and three running ECS instances.
type Emulator struct {
	// Servers gives access to the emulator (audit log, faults, more seeding)
	// and its URLs.
	*emulator.Servers
	// AccessKeyID and AccessKeySecret are the pair the emulator accepts.
	AccessKeyID, AccessKeySecret string
	// Region, VpcID and RouteTableID describe the seeded network; the route
	// table is the VPC's system table.
	Region, VpcID, RouteTableID string
	// VSwitches and Zones are parallel: VSwitches[i] is in Zones[i].
	VSwitches, Zones []string
	// Instances are the seeded ECS instances, all Running.
	Instances []emulator.Instance
}

// Seeded world of StartEmulator. Fixed IDs keep test output readable; they
// are shaped like real ones (prefix, then [a-z0-9]+), which the cloud-config
// validation insists on.
const (
	emuRegion    = "cn-hangzhou"
	emuVpcID     = "vpc-bp1e2e0000000000000"
	emuKeyID     = "LTAI5tE2eEmulatorKey0000"
	emuKeySecret = "E2eEmulatorSecret000000000000"
)

// StartEmulator starts a seeded emulator for the test and stops it when the
// test ends. The instance metadata service answers as Instances[0].
func StartEmulator(t testing.TB) *Emulator {
	t.Helper()
	srv, err := emulator.Start(emulator.Config{
		Region:     emuRegion,
		AccessKeys: map[string]string{emuKeyID: emuKeySecret},
	}, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Logf("stopping the emulator: %v", err)
		}
	})
	e := &Emulator{
		Servers: srv, AccessKeyID: emuKeyID, AccessKeySecret: emuKeySecret,
		Region: emuRegion, VpcID: emuVpcID,
		Zones:     []string{emuRegion + "-h", emuRegion + "-i"},
		VSwitches: []string{"vsw-bp1e2e000000000000h", "vsw-bp1e2e000000000000i"},
	}
	seed := emulator.SeedState{
		Region: emuRegion,
		Zones:  e.Zones,
		VPCs:   []emulator.VPC{{VpcID: emuVpcID, CidrBlock: "192.168.0.0/16", VRouterID: "vrt-bp1e2e0000000000000"}},
	}
	for i, vsw := range e.VSwitches {
		seed.VSwitches = append(seed.VSwitches, emulator.VSwitch{
			VSwitchID: vsw, VpcID: emuVpcID, ZoneID: e.Zones[i], CidrBlock: fmt.Sprintf("192.168.%d.0/24", i),
		})
	}
	for i := range 3 {
		seed.Instances = append(seed.Instances, emulator.Instance{
			InstanceID: fmt.Sprintf("i-bp1e2e%014d", i), InstanceName: fmt.Sprintf("node-%d", i),
			HostName: fmt.Sprintf("node-%d", i), ZoneID: e.Zones[i%2], VpcID: emuVpcID,
			VSwitchID: e.VSwitches[i%2], PrivateIP: fmt.Sprintf("192.168.%d.%d", i%2, 10+i), Status: "Running",
		})
	}
	if err := srv.Emulator.Seed(seed); err != nil {
		t.Fatalf("seeding the emulator: %v", err)
	}
	e.Instances = srv.Emulator.Dump().Instances
	for _, rt := range srv.Emulator.Dump().RouteTables {
		if rt.VpcID == emuVpcID && rt.Type == "System" {
			e.RouteTableID = rt.RouteTableID
		}
	}
	if e.RouteTableID == "" || len(e.Instances) != 3 {
		t.Fatalf("emulator seed incomplete: route table %q, %d instances", e.RouteTableID, len(e.Instances))
	}
	return e
}

// ProviderID returns the Node providerID of Instances[i], "<region>.<id>".
func (e *Emulator) ProviderID(i int) string {
	return e.Region + "." + e.Instances[i].InstanceID
}

// CloudConfig returns the cloud-config configmap-ccm.sh writes (base64 keys
// and region) plus endpoint overrides pointing every API product and the ECS
// metadata service at the emulator over plain HTTP. VPC, vSwitch and zone are
// left out so the provider discovers them from the metadata service, as in
// the deployment guide; tests may add "vpcid" etc. to the result.
func (e *Emulator) CloudConfig() CloudConfig {
	return CloudConfig{"Global": {
		"accessKeyID":      base64.StdEncoding.EncodeToString([]byte(e.AccessKeyID)),
		"accessKeySecret":  base64.StdEncoding.EncodeToString([]byte(e.AccessKeySecret)),
		"region":           e.Region,
		"slbEndpoint":      e.APIURL,
		"vpcEndpoint":      e.APIURL,
		"ecsEndpoint":      e.APIURL,
		"nlbEndpoint":      e.APIURL,
		"stsEndpoint":      e.APIURL,
		"metadataEndpoint": e.MetadataURL,
	}}
}

// AddInstances seeds n more running ECS instances, alternating zones like
// the first three, and appends them to Instances.
func (e *Emulator) AddInstances(t testing.TB, n int) {
	t.Helper()
	for k := range n {
		i := len(e.Instances) + k
		in := emulator.Instance{
			InstanceID: fmt.Sprintf("i-bp1e2e%014d", i), InstanceName: fmt.Sprintf("node-%d", i),
			HostName: fmt.Sprintf("node-%d", i), ZoneID: e.Zones[i%2], VpcID: e.VpcID,
			VSwitchID: e.VSwitches[i%2], PrivateIP: fmt.Sprintf("192.168.%d.%d", i%2, 10+i), Status: "Running",
		}
		if err := e.Emulator.AddInstance(in); err != nil {
			t.Fatalf("adding instance %s: %v", in.InstanceID, err)
		}
	}
	e.Instances = e.Emulator.Dump().Instances
}
