package annotations

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestNameForms(t *testing.T) {
	for _, tt := range []struct {
		n              Name
		suffix, legacy string
		field          bool
	}{
		{KeyScheduler, "scheduler", LegacyPrefix + "scheduler", false},
		{KeyBackendType, string(KeyBackendType), "", false},
		{FieldLoadBalancerIP, "spec.loadBalancerIP", "", true},
		{FieldPorts, "spec.ports", "", true},
	} {
		if got := tt.n.Suffix(); got != tt.suffix {
			t.Errorf("%s.Suffix() = %q, want %q", tt.n, got, tt.suffix)
		}
		if got := tt.n.Legacy(); got != tt.legacy {
			t.Errorf("%s.Legacy() = %q, want %q", tt.n, got, tt.legacy)
		}
		if got := tt.n.IsField(); got != tt.field {
			t.Errorf("%s.IsField() = %v", tt.n, got)
		}
	}
}

func TestLookup(t *testing.T) {
	for key, want := range map[string]Name{
		string(KeyHealthCheckInterval):  KeyHealthCheckInterval,
		KeyHealthCheckInterval.Legacy(): KeyHealthCheckInterval,
		string(KeyBackendType):          KeyBackendType,
		string(FieldLoadBalancerIP):     FieldLoadBalancerIP,
	} {
		a, ok := Lookup(key)
		if !ok || a.Name != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", key, a.Name, ok, want)
		}
	}
	for _, key := range []string{Prefix + "nope", "health-check-interval", LegacyPrefix + "nope", ""} {
		if _, ok := Lookup(key); ok {
			t.Errorf("Lookup(%q) succeeded", key)
		}
	}
}

// TestAllIsACopy: callers cannot change the registry through All.
func TestAllIsACopy(t *testing.T) {
	all := All()
	doc := all[0].Doc
	all[0].Doc = "changed"
	if All()[0].Doc != doc {
		t.Error("All returned the registry itself")
	}
}

// TestRegistryKeysAndGroups: every annotation has the load balancer prefix
// (but backend-type), every group is in Groups, and every group has rows.
func TestRegistryKeysAndGroups(t *testing.T) {
	rows := map[Group]int{}
	for _, a := range registry {
		rows[a.Group]++
		switch {
		case a.Name.IsField():
			if a.Group != GroupService {
				t.Errorf("%s: a Service field outside %q", a.Name, GroupService)
			}
		case a.Name == KeyBackendType:
		case !strings.HasPrefix(string(a.Name), Prefix):
			t.Errorf("%s: no load balancer prefix", a.Name)
		}
		switch a.Mutability {
		case Mutable, Immutable, CreateOnly, RecreatesListener:
		default:
			t.Errorf("%s: unknown Mutability %q", a.Name, a.Mutability)
		}
	}
	for _, g := range Groups {
		if rows[g] == 0 {
			t.Errorf("group %q has no rows", g)
		}
		delete(rows, g)
	}
	if len(rows) > 0 {
		t.Errorf("rows in groups missing from Groups: %v", rows)
	}
}

// TestIgnoredKeysAreQuiet: keys selecting the controller are neither
// parsed nor reported unknown.
func TestIgnoredKeysAreQuiet(t *testing.T) {
	for _, s := range ignoredKeys {
		cfg := mustParse(t, newService(ann(Prefix+s, "nlb", LegacyPrefix+s, "nlb"), nil), Defaults{})
		if len(cfg.Warnings) > 0 {
			t.Errorf("%s: warnings %q", s, cfg.Warnings)
		}
	}
}

// TestRenderMarkdown pins the reference's shape: every row, per group, with
// the official CCM named and no reference to files outside the repository.
func TestRenderMarkdown(t *testing.T) {
	doc := RenderMarkdown()
	for _, g := range Groups {
		if !bytes.Contains(doc, []byte("\n## "+string(g)+"\n")) {
			t.Errorf("no section %q", g)
		}
	}
	for _, a := range registry {
		if !bytes.Contains(doc, []byte("| `"+a.Name.Suffix()+"` |")) {
			t.Errorf("no row for %s", a.Name)
		}
		if a.Differs != "" && !bytes.Contains(doc, []byte("- `"+a.Name.Suffix()+"`: "+a.Differs)) {
			t.Errorf("%s: its difference is not listed under Migrating", a.Name)
		}
	}
	for _, banned := range []string{"incumbent", "issue #"} {
		if bytes.Contains(bytes.ToLower(doc), []byte(banned)) {
			t.Errorf("the reference mentions %q", banned)
		}
	}
	// Every Markdown file the reference names must be one of the docs next
	// to it: a user cannot open a file outside the repository.
	for _, m := range mdFileRE.FindAll(doc, -1) {
		if _, err := os.Stat(filepath.Join("..", "..", "..", "docs", string(m))); err != nil {
			t.Errorf("the reference names %s, which is not in docs/", m)
		}
	}
	if !bytes.Contains(doc, []byte("kubernetes/cloud-provider-alibaba-cloud")) {
		t.Error("the reference does not name the official CCM's repository")
	}
	if !bytes.HasPrefix(doc, []byte("# Service annotations")) {
		t.Error("the reference does not start with its title")
	}
}

// mdFileRE matches a Markdown file name such as cloud-config.md.
var mdFileRE = regexp.MustCompile(`[A-Za-z0-9_-]+\.md\b`)

func TestOrDash(t *testing.T) {
	if orDash("") != "—" || orDash("x") != "x" {
		t.Error("orDash")
	}
}
