package providerid

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    ID
		wantErr bool
	}{
		{"cn-hangzhou.i-bp1abc", ID{"cn-hangzhou", "i-bp1abc"}, false},
		{"alicloud://cn-beijing.i-2ze0abc", ID{"cn-beijing", "i-2ze0abc"}, false},
		{" cn-hangzhou.i-bp1abc ", ID{"cn-hangzhou", "i-bp1abc"}, false},
		{"", ID{}, true},
		{"aws:///us-east-1a/i-0abc", ID{}, true},
		{"cn-hangzhou.eci-bp1abc", ID{}, true},
		{"i-bp1abc", ID{}, true},
		{".i-bp1abc", ID{}, true},
		{"cn-hangzhou.i-", ID{}, true},
		{"cn-hangzhou.i-bp1.abc", ID{}, true},
		{"virtual-kubelet://vk-cn-hangzhou", ID{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrNotECS) {
					t.Fatalf("Parse(%q) err = %v, want ErrNotECS", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.want.Region+"."+tc.want.InstanceID {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}

func TestFromNodeName(t *testing.T) {
	if id, ok := FromNodeName("cn-hangzhou.i-bp1abc"); !ok || id.InstanceID != "i-bp1abc" {
		t.Errorf("FromNodeName did not parse a <region>.<instance-id> name")
	}
	if _, ok := FromNodeName("worker-1"); ok {
		t.Errorf("FromNodeName parsed a plain host name")
	}
}
