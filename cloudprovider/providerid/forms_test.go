package providerid

import (
	"errors"
	"testing"
)

// TestIsInstanceID pins which strings count as ECS instance IDs: the node
// lifecycle and route decisions treat everything else as "not ECS", never
// as a missing instance.
func TestIsInstanceID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"i-bp1abc", true},
		{"i-2ze0ABC123", true},
		{"i-a", true},
		{"i-", false},             // prefix only
		{"i", false},              // too short
		{"eci-bp1abc", false},     // ECI container group, not an instance
		{"vk-1", false},           // virtual node
		{"I-bp1abc", false},       // case matters in the prefix
		{"i-bp1-abc", false},      // no second dash
		{"i-bp1_abc", false},      // no underscore
		{"i-bp1abc ", false},      // no trailing blank
		{"i-bp1.abc", false},      // no dot
		{"i-bp1\u00e9abc", false}, // ASCII only
	}
	for _, tc := range tests {
		if got := IsInstanceID(tc.in); got != tc.want {
			t.Errorf("IsInstanceID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestParseRejectsLookalikes covers forms other tools write that must not be
// read as this region's ECS instances.
func TestParseRejectsLookalikes(t *testing.T) {
	for _, in := range []string{
		"ALICLOUD://cn-hangzhou.i-abc",   // the scheme is lower-case
		"alicloud:/cn-hangzhou.i-abc",    // a single slash leaves a '/' in the region
		"cn hangzhou.i-abc",              // blank inside the region
		"alicloud://",                    // scheme only
		"alicloud://.i-abc",              // no region
		"cn-hangzhou/i-abc",              // wrong separator
		"gce://project/zone/i-abc",       // another provider
		"alicloud://cn-hangzhou.eci-abc", // ECI
	} {
		if id, err := Parse(in); !errors.Is(err, ErrNotECS) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrNotECS", in, id, err)
		}
	}
}

// TestStringRoundTrip: what String writes, Parse reads back, with or
// without the scheme prefix.
func TestStringRoundTrip(t *testing.T) {
	for _, id := range []ID{{"cn-hangzhou", "i-bp1abc"}, {"ap-southeast-1", "i-t4n0x"}, {"us-west-1", "i-rj9z"}} {
		for _, s := range []string{id.String(), Prefix + id.String()} {
			got, err := Parse(s)
			if err != nil || got != id {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", s, got, err, id)
			}
		}
	}
}
