package annotations

import (
	"reflect"
	"strings"
	"testing"
)

// httpsWeb makes port 443 an https listener (and 80 http) of web.
var httpsWeb = []string{string(KeyProtocolPort), "http:80,https:443", string(KeyCertID), "cert-1"}

// TestDomainExtensionRules: one case per rule of domain-extensions.
func TestDomainExtensionRules(t *testing.T) {
	k := string(KeyDomainExtensions)
	for _, tt := range []struct {
		val    string
		want   []DomainExtension
		reason string
	}{
		{val: "www.example.com:cert-2", want: []DomainExtension{{"www.example.com", "cert-2"}}},
		{val: "*.example.com:cert-3, api.example.com : cert-4", want: []DomainExtension{{"*.example.com", "cert-3"}, {"api.example.com", "cert-4"}}},
		{val: "WWW.Example.com:cert-2", want: []DomainExtension{{"WWW.Example.com", "cert-2"}}},
		{val: "www.example.com", reason: "must be domain:certId"},
		{val: "www.example.com:", reason: "must be domain:certId"},
		{val: "localhost:cert-2", reason: "is not a domain name"},
		{val: "a_b.example.com:cert-2", reason: "is not a domain name"},
		{val: "www.example.com:cert 2", reason: "is not a certificate ID"},
		{val: "a.example.com:c1,a.example.com:c2", reason: "listed twice"},
	} {
		t.Run(tt.val, func(t *testing.T) {
			cfg, err := Parse(newService(ann(append(slicesClone(httpsWeb), k, tt.val)...), web), Defaults{})
			if tt.reason != "" {
				if !hasError(err, k, tt.val) || !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("err = %v, want %q", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range cfg.Listeners {
				switch l.Protocol {
				case ProtocolHTTPS:
					if !reflect.DeepEqual(l.DomainExtensions, tt.want) {
						t.Errorf("https listener: %v, want %v", l.DomainExtensions, tt.want)
					}
				default:
					if l.DomainExtensions != nil {
						t.Errorf("%s listener got domains %v", l.Protocol, l.DomainExtensions)
					}
				}
			}
		})
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// TestACLRules: acl-status, acl-id and acl-type together.
func TestACLRules(t *testing.T) {
	st, id, typ := string(KeyACLStatus), string(KeyACLID), string(KeyACLType)
	for _, tt := range []struct {
		name   string
		kv     []string
		want   ACL
		reason string
	}{
		{name: "unset"},
		{name: "on with id and type", kv: []string{st, "on", id, "acl-1", typ, "white"}, want: ACL{Status: new(true), IDs: []string{"acl-1"}, Type: "white"}},
		{name: "several ids", kv: []string{st, "on", id, "acl-1, acl-2", typ, "black"}, want: ACL{Status: new(true), IDs: []string{"acl-1", "acl-2"}, Type: "black"}},
		{name: "off alone", kv: []string{st, "off"}, want: ACL{Status: new(false)}},
		{name: "id and type without status", kv: []string{id, "acl-1", typ, "white"}, want: ACL{IDs: []string{"acl-1"}, Type: "white"}},
		{name: "on needs an id", kv: []string{st, "on", typ, "white"}, reason: "on needs " + id},
		{name: "on needs a type", kv: []string{st, "on", id, "acl-1"}, reason: "on needs " + typ},
		{name: "bad id", kv: []string{id, "acl-1,acl 2"}, reason: `"acl 2" is not an ACL ID`},
		{name: "bad type", kv: []string{typ, "allow"}, reason: "must be one of white, black"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(newService(ann(tt.kv...), nil), Defaults{})
			if tt.reason != "" {
				if err == nil || !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("err = %v, want %q", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Listeners[0].ACL; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ACL = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestStickySessionRules: the companions the API requires per type.
func TestStickySessionRules(t *testing.T) {
	on, typ, to, ck := string(KeyStickySession), string(KeyStickySessionType), string(KeyCookieTimeout), string(KeyCookie)
	http := []string{string(KeyProtocolPort), "http:80"}
	i := func(v int) *int { return &v }
	for _, tt := range []struct {
		name   string
		kv     []string
		want   StickySession
		reason string
	}{
		{name: "unset"},
		{name: "insert", kv: []string{on, "on", typ, "insert", to, "1800"}, want: StickySession{Enabled: new(true), Type: "insert", CookieTimeout: i(1800)}},
		{name: "server", kv: []string{on, "on", typ, "server", ck, "SESSIONID"}, want: StickySession{Enabled: new(true), Type: "server", Cookie: "SESSIONID"}},
		{name: "off ignores companions' absence", kv: []string{on, "off", typ, "insert"}, want: StickySession{Enabled: new(false), Type: "insert"}},
		{name: "on needs a type", kv: []string{on, "on"}, reason: "on needs " + typ},
		{name: "insert needs a timeout", kv: []string{on, "on", typ, "insert"}, reason: "insert needs " + to},
		{name: "server needs a cookie", kv: []string{on, "on", typ, "server"}, reason: "server needs " + ck},
		{name: "cookie too long", kv: []string{ck, strings.Repeat("c", maxCookie+1)}, reason: "must be 1–200 printable ASCII"},
		{name: "cookie with a comma", kv: []string{ck, "a,b"}, reason: "printable ASCII characters without spaces, commas"},
		{name: "cookie of maximum length", kv: []string{ck, strings.Repeat("c", maxCookie)}, want: StickySession{Cookie: strings.Repeat("c", maxCookie)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(newService(ann(append(slicesClone(http), tt.kv...)...), nil), Defaults{})
			if tt.reason != "" {
				if err == nil || !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("err = %v, want %q", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Listeners[0].StickySession; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sticky session = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestValidDomain(t *testing.T) {
	for d, ok := range map[string]bool{
		"example.com": true, "*.example.com": true, "A.Example.COM": true, "a-b.example.com": true,
		"example": false, "*.com.": false, "*example.com": false, "a..b": false, "-a.example.com": false, "": false,
	} {
		if got := validDomain(d); got != ok {
			t.Errorf("validDomain(%q) = %v, want %v", d, got, ok)
		}
	}
}

func TestValidCookie(t *testing.T) {
	for c, ok := range map[string]bool{
		"SID": true, "a-b_c.d": true, strings.Repeat("x", maxCookie): true,
		"": false, "$x": false, "a b": false, "a;b": false, "a,b": false, strings.Repeat("x", maxCookie+1): false, "é": false,
	} {
		if got := validCookie(c); got != ok {
			t.Errorf("validCookie(%q) = %v, want %v", c, got, ok)
		}
	}
}
