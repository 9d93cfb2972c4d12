package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/alicloud-ccm/alicloud-ccm/internal/shorten"
)

// Products with endpoint and rate-limit settings (keys of apiQPS/apiBurst).
const (
	ProductSLB = "slb"
	ProductVPC = "vpc"
	ProductECS = "ecs"
	ProductNLB = "nlb"
)

var (
	regionRE    = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	zoneRE      = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	resIDRE     = regexp.MustCompile(`^[a-z0-9]+$`)
	clusterIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$`)
	tagKeyRE    = regexp.MustCompile(`^[^\s,]{1,128}$`)
)

// knownFeatureGates are the official CCM's feature gates
// (kubernetes/cloud-provider-alibaba-cloud).
var knownFeatureGates = map[string]bool{
	"IPv6DualStack": true, "EndpointSlice": true, "FilterServiceOnNodeChange": true, "LoadBalancerTypeAnnotation": true,
}

// Validate checks every field's format and the cross-field rules. It reports
// all problems at once (errors.Join), each naming the field and its value
// (secrets excepted).
func (c *CloudConfig) Validate() error {
	g := &c.Global
	var errs []error
	bad := func(name, value, want string) {
		errs = append(errs, fmt.Errorf("Global.%s: invalid value %q: %s", name, shorten.Value(value), want))
	}

	if (g.AccessKeyID == "") != (g.AccessKeySecret == "") {
		set, unset := "accessKeyID", "accessKeySecret"
		if g.AccessKeyID == "" {
			set, unset = unset, set
		}
		errs = append(errs, fmt.Errorf("Global.%s is set but Global.%s is not: set both, or neither to use another credentials source", set, unset))
	}
	if g.Region != "" && !regionRE.MatchString(g.Region) {
		bad("region", g.Region, "want a region ID such as cn-hangzhou")
	}
	checkID := func(name, value, prefix string) {
		if value != "" && !validID(value, prefix) {
			bad(name, value, fmt.Sprintf("want an ID such as %sxxxxxxxx", prefix))
		}
	}
	checkID("vpcid", g.VpcID, "vpc-")
	checkID("resourceGroupID", g.ResourceGroupID, "rg-")
	if g.ZoneID != "" {
		if !zoneRE.MatchString(g.ZoneID) {
			bad("zoneid", g.ZoneID, "want a zone ID such as cn-hangzhou-h")
		} else if g.Region != "" && regionRE.MatchString(g.Region) && !strings.HasPrefix(g.ZoneID, g.Region+"-") {
			bad("zoneid", g.ZoneID, fmt.Sprintf("zone is not in Global.region %q", g.Region))
		}
	}
	if vs, err := ParseVSwitches(g.VSwitchID); err != nil {
		errs = append(errs, fmt.Errorf("Global.vswitchid: %w", err))
	} else if g.Region != "" && regionRE.MatchString(g.Region) {
		for _, v := range vs {
			if v.Zone != "" && !strings.HasPrefix(v.Zone, g.Region+"-") {
				bad("vswitchid", g.VSwitchID, fmt.Sprintf("zone %q is not in Global.region %q", v.Zone, g.Region))
			}
		}
	}
	if _, err := splitIDs(g.RouteTableIDs, "vtb-"); err != nil {
		errs = append(errs, fmt.Errorf("Global.routeTableIDs: invalid value %q: %w", shorten.Value(g.RouteTableIDs), err))
	}
	if g.ClusterID != "" && !clusterIDRE.MatchString(g.ClusterID) {
		bad("clusterID", g.ClusterID, "want 1-128 characters of letters, digits and ._:/@- (it becomes a tag value)")
	}
	if !tagKeyRE.MatchString(g.KubernetesClusterTag) {
		bad("kubernetesClusterTag", g.KubernetesClusterTag, "want a tag key: 1-128 characters without spaces or commas")
	}
	oneOf := func(name, value string, allowed ...string) {
		for _, a := range allowed {
			if value == a {
				return
			}
		}
		bad(name, value, "want one of "+strings.Join(allowed, ", "))
	}
	oneOf("serviceBackendType", g.ServiceBackendType, "ecs", "eni")
	oneOf("network", g.Network, "vpc", "public")
	oneOf("metadataTokenMode", g.MetadataTokenMode, "preferred", "required", "disabled")
	if _, err := parseFeatureGates(g.FeatureGates); err != nil {
		errs = append(errs, fmt.Errorf("Global.featureGates: invalid value %q: %w", shorten.Value(g.FeatureGates), err))
	}
	for _, ep := range []struct{ name, value, scheme string }{
		{"slbEndpoint", g.SLBEndpoint, "https"}, {"vpcEndpoint", g.VPCEndpoint, "https"}, {"ecsEndpoint", g.ECSEndpoint, "https"},
		{"nlbEndpoint", g.NLBEndpoint, "https"},
		{"stsEndpoint", g.STSEndpoint, "https"}, {"metadataEndpoint", g.MetadataEndpoint, "http"},
	} {
		if _, err := ParseEndpoint(ep.value, ep.scheme); err != nil {
			bad(ep.name, ep.value, err.Error())
		}
	}
	for _, q := range []struct {
		name  string
		value int
	}{{"quotaBackendServersPerCLB", g.QuotaBackendServersPerCLB}, {"quotaListenersPerCLB", g.QuotaListenersPerCLB},
		{"quotaVServerGroupsPerInstance", g.QuotaVServerGroupsPerInstance}, {"quotaRouteEntriesPerTable", g.QuotaRouteEntriesPerTable},
		{"quotaServersPerNLBServerGroup", g.QuotaServersPerNLBServerGroup}, {"quotaServersPerNLB", g.QuotaServersPerNLB},
		{"quotaListenersPerNLB", g.QuotaListenersPerNLB}, {"quotaNLBServerGroupsPerServer", g.QuotaNLBServerGroupsPerServer}} {
		if q.value < 0 {
			bad(q.name, strconv.Itoa(q.value), "want the quota, a number >= 1 (leave it out for the default)")
		}
	}
	for _, k := range sortedKeys(g.APIQPS) {
		if !validProduct(k) {
			errs = append(errs, fmt.Errorf("Global.apiQPS: unknown product %q: want slb, vpc, ecs or nlb", k))
		} else if q := g.APIQPS[k]; math.IsNaN(q) || math.IsInf(q, 0) || q == 0 {
			errs = append(errs, fmt.Errorf("Global.apiQPS.%s: invalid value %v: want requests per second > 0, or < 0 to disable limiting", k, q))
		}
	}
	for _, k := range sortedKeys(g.APIBurst) {
		if !validProduct(k) {
			errs = append(errs, fmt.Errorf("Global.apiBurst: unknown product %q: want slb, vpc, ecs or nlb", k))
		} else if b := g.APIBurst[k]; b < 1 {
			errs = append(errs, fmt.Errorf("Global.apiBurst.%s: invalid value %d: want >= 1", k, b))
		}
	}
	return errors.Join(errs...)
}

func validProduct(p string) bool {
	return p == ProductSLB || p == ProductVPC || p == ProductECS || p == ProductNLB
}

func validID(v, prefix string) bool {
	rest, ok := strings.CutPrefix(v, prefix)
	return ok && resIDRE.MatchString(rest)
}

// ZoneVSwitch is one entry of Global.vswitchid.
type ZoneVSwitch struct {
	// Zone is empty for a bare "vsw-..." entry.
	Zone    string
	VSwitch string
}

// ParseVSwitches parses "zone:vsw-a,zone:vsw-b" or a bare "vsw-a".
func ParseVSwitches(s string) ([]ZoneVSwitch, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []ZoneVSwitch
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		zone, vsw, hasZone := strings.Cut(item, ":")
		if !hasZone {
			zone, vsw = "", item
		}
		switch {
		case hasZone && !zoneRE.MatchString(zone):
			return nil, fmt.Errorf("invalid value %q: entry %q: want zone:vsw-xxx with a zone ID such as cn-hangzhou-h", shorten.Value(s), shorten.Value(item))
		case !validID(vsw, "vsw-"):
			return nil, fmt.Errorf("invalid value %q: entry %q: want zone:vsw-xxx or vsw-xxx", shorten.Value(s), shorten.Value(item))
		case seen[vsw]:
			return nil, fmt.Errorf("invalid value %q: vSwitch %s listed twice", shorten.Value(s), vsw)
		}
		seen[vsw] = true
		out = append(out, ZoneVSwitch{Zone: zone, VSwitch: vsw})
	}
	return out, nil
}

func splitIDs(s, prefix string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if !validID(id, prefix) {
			return nil, fmt.Errorf("entry %q: want comma-separated IDs such as %sxxxxxxxx", shorten.Value(id), prefix)
		}
		if seen[id] {
			return nil, fmt.Errorf("%s listed twice", id)
		}
		seen[id] = true
		out = append(out, id)
	}
	return out, nil
}

func parseFeatureGates(s string) (map[string]bool, error) {
	out := map[string]bool{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if !ok || strings.TrimSpace(k) == "" || err != nil {
			return nil, fmt.Errorf("entry %q: want Name=true or Name=false", shorten.Value(kv))
		}
		out[strings.TrimSpace(k)] = b
	}
	return out, nil
}

// ParseEndpoint parses host[:port] (using defaultScheme) or
// scheme://host[:port] with scheme http or https. An empty string returns nil.
func ParseEndpoint(s, defaultScheme string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	raw := s
	if !strings.Contains(raw, "://") {
		raw = defaultScheme + "://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("want host[:port] or http(s)://host[:port]")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("want host[:port] or http(s)://host[:port], without path, query or user info")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("port must be 1-65535")
		}
	}
	u.Path = ""
	return u, nil
}

// VSwitches returns the parsed Global.vswitchid (valid after Validate).
func (g *Global) VSwitches() []ZoneVSwitch {
	vs, _ := ParseVSwitches(g.VSwitchID)
	return vs
}

// RouteTables returns the parsed Global.routeTableIDs (valid after Validate).
func (g *Global) RouteTables() []string {
	ids, _ := splitIDs(g.RouteTableIDs, "vtb-")
	return ids
}

// FeatureGateMap returns the parsed Global.featureGates (valid after Validate).
func (g *Global) FeatureGateMap() map[string]bool {
	m, _ := parseFeatureGates(g.FeatureGates)
	return m
}

// Endpoint returns the endpoint override of product (slb, vpc, ecs, nlb, sts) in
// the form the SDK client layer takes ("host:port" or "http://host:port"),
// or "" when not overridden.
func (g *Global) Endpoint(product string) string {
	switch product {
	case ProductSLB:
		return g.SLBEndpoint
	case ProductVPC:
		return g.VPCEndpoint
	case ProductECS:
		return g.ECSEndpoint
	case ProductNLB:
		return g.NLBEndpoint
	case "sts":
		return g.STSEndpoint
	}
	return ""
}

// RateLimit returns the configured QPS and burst of product; zero values mean
// "use the client layer's default".
func (g *Global) RateLimit(product string) (qps float64, burst int) {
	return g.APIQPS[product], g.APIBurst[product]
}

// MetadataURL returns Global.metadataEndpoint as a URL with scheme (http when
// none was given), the form metadata.Options.Endpoint takes.
func (g *Global) MetadataURL() string {
	u, err := ParseEndpoint(g.MetadataEndpoint, "http")
	if err != nil || u == nil {
		return g.MetadataEndpoint
	}
	return u.String()
}
