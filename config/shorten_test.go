package config

import (
	"strings"
	"testing"
)

// TestLongValuesShortenedInErrors: an error names the field and echoes at
// most about 200 bytes of a bad value, however long the value is.
func TestLongValuesShortenedInErrors(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, tc := range []struct {
		name string
		mod  func(*Global)
		want string
	}{
		{"region", func(g *Global) { g.Region = long }, "Global.region: invalid value"},
		{"vswitch entry", func(g *Global) { g.VSwitchID = "cn-hangzhou-h:vsw-a," + long }, "Global.vswitchid: invalid value"},
		{"route tables", func(g *Global) { g.RouteTableIDs = "vtb-" + long + ",rtb-" + long }, "Global.routeTableIDs: invalid value"},
		{"feature gates", func(g *Global) { g.FeatureGates = long }, "Global.featureGates: invalid value"},
		{"cluster id", func(g *Global) { g.ClusterID = long }, "Global.clusterID: invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validBase()
			tc.mod(&c.Global)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %.300q lacks %q", err, tc.want)
			}
			if n := len(err.Error()); n > 700 {
				t.Errorf("error is %d bytes long, want the value shortened: %.300q...", n, err)
			}
			if !strings.Contains(err.Error(), "more bytes)") {
				t.Errorf("error does not say the value was shortened: %.300q", err)
			}
		})
	}
}
