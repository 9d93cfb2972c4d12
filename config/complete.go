package config

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

// MetadataSource is what Complete reads from the ECS instance metadata
// service; *metadata.Client implements it.
type MetadataSource interface {
	RegionID(ctx context.Context) (string, error)
	ZoneID(ctx context.Context) (string, error)
	VpcID(ctx context.Context) (string, error)
	VSwitchID(ctx context.Context) (string, error)
	InstanceID(ctx context.Context) (string, error)
}

// Complete fills region, vpcid, zoneid and vswitchid from the metadata
// service where the file leaves them empty (configured values always win),
// records the instance ID, and runs Validate. md may be nil when metadata
// lookups are disabled.
//
// region and vpcid are required: when one is missing and the metadata
// service cannot provide it (e.g. the control plane is not on ECS), the
// error names the field to set. zoneid and vswitchid are optional; failing
// to discover them is a warning. Once the service proved unreachable it is
// not asked again, so start-up off ECS costs one bounded lookup.
func (c *CloudConfig) Complete(ctx context.Context, md MetadataSource) (Warnings, error) {
	g := &c.Global
	var warns Warnings
	var errs []error
	var unreachable error
	if md == nil {
		unreachable = errors.New("metadata lookups are disabled")
	}

	type getter func(MetadataSource, context.Context) (string, error)
	lookup := func(get getter) (string, error) {
		if unreachable != nil {
			return "", unreachable
		}
		v, err := get(md, ctx)
		if err != nil && metadata.IsUnreachable(err) {
			unreachable = err
		}
		return v, err
	}
	fill := func(name string, dst *string, required bool, get getter) {
		if *dst != "" {
			return
		}
		v, err := lookup(get)
		if err == nil && v == "" {
			err = errors.New("empty answer")
		}
		if err == nil {
			*dst = v
			c.Discovered.Fields = append(c.Discovered.Fields, name)
			klog.V(1).InfoS("Filled cloud-config from the ECS metadata service", "field", "Global."+name, "value", v)
			return
		}
		why := "the ECS metadata service did not provide it"
		if unreachable != nil {
			why = "the ECS metadata service is unreachable"
		}
		if required {
			errs = append(errs, fmt.Errorf("Global.%s is not set and %s (%w): set Global.%s", name, why, err, name))
		} else {
			warns.addf("Global.%s is not set and %s (%v); features that need it must be configured per Service", name, why, err)
		}
	}

	fill("region", &g.Region, true, MetadataSource.RegionID)
	fill("vpcid", &g.VpcID, true, MetadataSource.VpcID)
	zoneDiscovered := g.ZoneID == ""
	fill("zoneid", &g.ZoneID, false, MetadataSource.ZoneID)
	if g.VSwitchID == "" {
		var vsw string
		fill("vswitchid", &vsw, false, MetadataSource.VSwitchID)
		// The instance's vSwitch is in the instance's zone; pair them only
		// when the zone came from the metadata service too.
		if vsw != "" && zoneDiscovered && g.ZoneID != "" {
			vsw = g.ZoneID + ":" + vsw
		}
		g.VSwitchID = vsw
	}
	// The instance ID is informational: only asked when the service answered.
	if unreachable == nil && len(c.Discovered.Fields) > 0 {
		if id, err := md.InstanceID(ctx); err == nil {
			c.Discovered.InstanceID = id
		} else {
			warns.addf("could not read the instance ID from the ECS metadata service: %v", err)
		}
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return warns, errors.Join(errs...)
}
