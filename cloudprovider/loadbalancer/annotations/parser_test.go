package annotations

import (
	"strings"
	"testing"
)

// newTestParser builds a parser over annotations given as key/value pairs.
func newTestParser(kv ...string) *parser {
	return newParser(newService(ann(kv...), nil), Defaults{})
}

// TestGetPrefixPrecedence: the current prefix wins over the legacy one,
// values are trimmed, empty is unset, and a conflict is a Warning naming
// the ignored key.
func TestGetPrefixPrecedence(t *testing.T) {
	cur, leg := string(KeyScheduler), KeyScheduler.Legacy()
	tests := []struct {
		name     string
		kv       []string
		val, key string
		ok       bool
		warn     string
	}{
		{name: "unset"},
		{name: "current", kv: []string{cur, "wrr"}, val: "wrr", key: cur, ok: true},
		{name: "legacy", kv: []string{leg, "wrr"}, val: "wrr", key: leg, ok: true},
		{name: "both equal", kv: []string{cur, "wrr", leg, "wrr"}, val: "wrr", key: cur, ok: true},
		{name: "both equal after trimming", kv: []string{cur, "wrr ", leg, " wrr"}, val: "wrr", key: cur, ok: true},
		{name: "both differ", kv: []string{cur, "wrr", leg, "rr"}, val: "wrr", key: cur, ok: true, warn: leg + `="rr" is ignored`},
		{name: "current empty hides legacy", kv: []string{cur, "", leg, "rr"}, warn: leg + `="rr" is ignored`},
		{name: "trimmed", kv: []string{cur, "\t wrr \n"}, val: "wrr", key: cur, ok: true},
		{name: "blank is unset", kv: []string{cur, "   "}},
		{name: "legacy blank is unset", kv: []string{leg, " "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestParser(tt.kv...)
			val, key, ok := p.get(KeyScheduler)
			if val != tt.val || key != tt.key || ok != tt.ok {
				t.Errorf("get = %q, %q, %v; want %q, %q, %v", val, key, ok, tt.val, tt.key, tt.ok)
			}
			// A second read is served from seen and warns no more.
			p.get(KeyScheduler)
			switch {
			case tt.warn == "" && len(p.cfg.Warnings) > 0:
				t.Errorf("unexpected warnings %q", p.cfg.Warnings)
			case tt.warn != "" && (len(p.cfg.Warnings) > 2 || !strings.Contains(strings.Join(p.cfg.Warnings, "\n"), tt.warn)):
				t.Errorf("warnings %q, want one containing %q", p.cfg.Warnings, tt.warn)
			}
			if p.has(KeyScheduler) != tt.ok {
				t.Errorf("has = %v", !tt.ok)
			}
		})
	}
}

// TestGetNoLegacyForUnprefixedKeys: backend-type has no legacy form.
func TestGetNoLegacyForUnprefixedKeys(t *testing.T) {
	if l := KeyBackendType.Legacy(); l != "" {
		t.Errorf("Legacy of %s = %q", KeyBackendType, l)
	}
	p := newTestParser(LegacyPrefix+"backend-type", "eni")
	if _, _, ok := p.get(KeyBackendType); ok {
		t.Error("backend-type read from a legacy-prefixed key")
	}
}

// TestOnOff: the lenient reader (official CCM switches) and the strict one
// (switches the official CCM does not have).
func TestOnOff(t *testing.T) {
	k := string(KeyProxyProtocol)
	for _, tt := range []struct {
		val    string
		want   string // "on", "off", "" (nil)
		warn   bool
		strict string // "on", "off", "err"
	}{
		{"", "", false, ""},
		{"on", "on", false, "on"},
		{"off", "off", false, "off"},
		{" on ", "on", false, "on"},
		{"On", "off", true, "err"},
		{"ON", "off", true, "err"},
		{"true", "off", true, "err"},
		{"yes", "off", true, "err"},
		{"1", "off", true, "err"},
		{"enabled", "off", true, "err"},
	} {
		t.Run(tt.val, func(t *testing.T) {
			p := newTestParser(k, tt.val)
			got := p.onOff(KeyProxyProtocol)
			if s := boolStr(got); s != tt.want {
				t.Errorf("onOff = %q, want %q", s, tt.want)
			}
			if (len(p.cfg.Warnings) > 0) != tt.warn {
				t.Errorf("warnings %q, want warning %v", p.cfg.Warnings, tt.warn)
			}
			if tt.warn && !strings.Contains(p.cfg.Warnings[0], `"`+tt.val+`"`) {
				t.Errorf("warning %q does not quote the value", p.cfg.Warnings[0])
			}
			p = newTestParser(k, tt.val)
			got = p.onOffStrict(KeyProxyProtocol)
			switch tt.strict {
			case "err":
				if got != nil || len(p.errs) != 1 || !hasError(p.errs[0], k, strings.TrimSpace(tt.val)) {
					t.Errorf("onOffStrict = %v, errs %v; want an error naming the value", boolStr(got), p.errs)
				}
			default:
				if boolStr(got) != tt.strict || len(p.errs) != 0 {
					t.Errorf("onOffStrict = %q, errs %v", boolStr(got), p.errs)
				}
			}
		})
	}
}

func boolStr(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "on"
	}
	return "off"
}

// TestTrueFalse: force-override-listeners is true only for `true`.
func TestTrueFalse(t *testing.T) {
	k := string(KeyForceOverrideListeners)
	for _, tt := range []struct {
		val  string
		want bool
		warn bool
	}{
		{"", false, false}, {"true", true, false}, {"false", false, false}, {" true", true, false},
		{"True", false, true}, {"yes", false, true}, {"on", false, true}, {"1", false, true},
	} {
		p := newTestParser(k, tt.val)
		if got := p.trueFalse(KeyForceOverrideListeners); got != tt.want {
			t.Errorf("trueFalse(%q) = %v, want %v", tt.val, got, tt.want)
		}
		if (len(p.cfg.Warnings) > 0) != tt.warn {
			t.Errorf("trueFalse(%q): warnings %q", tt.val, p.cfg.Warnings)
		}
	}
}

// TestEnum: exact values pass, other cases are read canonically (silently
// with fold, else with a Warning), anything else is an error listing the
// values.
func TestEnum(t *testing.T) {
	k := string(KeyScheduler)
	values := []string{"rr", "wrr"}
	for _, tt := range []struct {
		val     string
		fold    bool
		want    string
		warn    bool
		errPart string
	}{
		{val: "", want: ""},
		{val: "rr", want: "rr"},
		{val: "RR", want: "rr", warn: true},
		{val: "RR", fold: true, want: "rr"},
		{val: "Wrr", fold: true, want: "wrr"},
		{val: "lc", errPart: "must be one of rr, wrr"},
		{val: "lc", fold: true, errPart: "must be one of rr, wrr"},
	} {
		p := newTestParser(k, tt.val)
		got := p.enum(KeyScheduler, tt.fold, values...)
		if got != tt.want {
			t.Errorf("enum(%q, fold=%v) = %q, want %q", tt.val, tt.fold, got, tt.want)
		}
		if (len(p.cfg.Warnings) > 0) != tt.warn {
			t.Errorf("enum(%q, fold=%v): warnings %q", tt.val, tt.fold, p.cfg.Warnings)
		}
		if tt.errPart == "" && len(p.errs) > 0 || tt.errPart != "" && (len(p.errs) != 1 || !strings.Contains(p.errs[0].Error(), tt.errPart)) {
			t.Errorf("enum(%q, fold=%v): errs %v, want %q", tt.val, tt.fold, p.errs, tt.errPart)
		}
	}
	p := newTestParser(k, "x")
	p.enum(KeyScheduler, false, "eip")
	if len(p.errs) != 1 || !strings.Contains(p.errs[0].Error(), "must be eip") {
		t.Errorf("single value: errs %v", p.errs)
	}
}

// TestFallback: backend-type reads as the official CCM compares it.
func TestFallback(t *testing.T) {
	k := string(KeyBackendType)
	for _, tt := range []struct {
		val, want string
		warn      bool
	}{
		{"", "", false}, {"eni", "eni", false}, {"ecs", "ecs", false}, {"ENI", "ecs", true}, {"pod", "ecs", true},
	} {
		p := newTestParser(k, tt.val)
		if got := p.fallback(KeyBackendType, "ecs", "eni", "ecs"); got != tt.want {
			t.Errorf("fallback(%q) = %q, want %q", tt.val, got, tt.want)
		}
		if (len(p.cfg.Warnings) > 0) != tt.warn || len(p.errs) > 0 {
			t.Errorf("fallback(%q): warnings %q errs %v", tt.val, p.cfg.Warnings, p.errs)
		}
	}
}

// TestID: resource IDs catch separators and quotes, nothing more.
func TestID(t *testing.T) {
	for val, ok := range map[string]bool{
		"lb-bp1abc": true, "vsw-1": true, "rg-acfm2": true, "123_abc-cn-hangzhou": true, "a.b": true,
		"lb 1": false, "lb-1,lb-2": false, `"lb-1"`: false, "-lb": false, "lb;1": false, "lb/1": false,
	} {
		p := newTestParser(string(KeyID), val)
		got := p.id(KeyID)
		if (got == val) != ok || (len(p.errs) == 0) != ok {
			t.Errorf("id(%q) = %q, errs %v; want ok %v", val, got, p.errs, ok)
		}
	}
}

// TestList: comma lists are trimmed; empty items are errors.
func TestList(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want []string
		ok   bool
	}{
		{"a", []string{"a"}, true},
		{"a,b", []string{"a", "b"}, true},
		{" a , b ", []string{"a", "b"}, true},
		{"a,,b", nil, false},
		{"a,", nil, false},
		{",a", nil, false},
	} {
		p := newTestParser(string(KeyACLID), tt.val)
		items, key, _, ok := p.list(KeyACLID)
		if ok != tt.ok || strings.Join(items, "|") != strings.Join(tt.want, "|") {
			t.Errorf("list(%q) = %q, %v; want %q, %v", tt.val, items, ok, tt.want, tt.ok)
		}
		if !tt.ok && (len(p.errs) != 1 || key != string(KeyACLID)) {
			t.Errorf("list(%q): errs %v key %q", tt.val, p.errs, key)
		}
	}
}

func TestParsePort(t *testing.T) {
	for val, want := range map[string]int32{"1": 1, "80": 80, "65535": 65535, "0": 0, "65536": 0, "-1": 0, "x": 0, "": 0, "8o": 0} {
		got, ok := parsePort(val)
		if got != want || ok != (want != 0) {
			t.Errorf("parsePort(%q) = %d, %v; want %d", val, got, ok, want)
		}
	}
}

func TestPortList(t *testing.T) {
	for _, tt := range []struct {
		ports []int32
		want  string
	}{{nil, "none"}, {[]int32{80}, "80"}, {[]int32{80, 443}, "80, 443"}} {
		if got := portList(tt.ports); got != tt.want {
			t.Errorf("portList(%v) = %q, want %q", tt.ports, got, tt.want)
		}
	}
}

// TestFailNameUnset: an error against an unset annotation names its
// current key and an empty value.
func TestFailNameUnset(t *testing.T) {
	p := newTestParser()
	p.failName(KeyMasterZoneID, "needs %s", "x")
	if len(p.errs) != 1 || !hasError(p.errs[0], string(KeyMasterZoneID), "") {
		t.Errorf("errs %v", p.errs)
	}
	p = newTestParser(KeyMasterZoneID.Legacy(), "z")
	p.failName(KeyMasterZoneID, "bad")
	if !hasError(p.errs[0], KeyMasterZoneID.Legacy(), "z") {
		t.Errorf("error does not name the legacy key as written: %v", p.errs)
	}
}
