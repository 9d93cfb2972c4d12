package annotations

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

const examplesDir = "../../../examples/services"

// TestExamplesParse reads every Service in examples/services/: each file
// starts with a comment saying what it shows, holds one LoadBalancer
// Service, and parses without errors or warnings: a CLB example with
// Parse, an NLB example (named nlb-*.yaml, which the end-to-end tests
// route to the NLB engine) with ParseNLB.
func TestExamplesParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found %d examples in %s, expected at least 20", len(files), examplesDir)
	}
	used, usedNLB := map[Name]bool{}, map[Name]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(string(data), "\n"); !strings.HasPrefix(first, "# ") || len(first) < 20 {
				t.Errorf("first line must be a comment saying what the example shows, got %q", first)
			}
			if strings.Contains(string(data), "\n---") {
				t.Error("one Service per file")
			}
			var svc v1.Service
			if err := yaml.UnmarshalStrict(data, &svc); err != nil {
				t.Fatalf("not a Service: %v", err)
			}
			if svc.Kind != "Service" || svc.APIVersion != "v1" || svc.Spec.Type != v1.ServiceTypeLoadBalancer {
				t.Fatalf("want a v1 Service of type LoadBalancer, got %s %s type %s", svc.APIVersion, svc.Kind, svc.Spec.Type)
			}
			nlb := ProductOf(&svc) == ProductNLB
			if named := strings.HasPrefix(filepath.Base(f), "nlb-"); named != nlb {
				t.Fatalf("an NLB example is named nlb-*.yaml, and only an NLB example: product %s", ProductOf(&svc))
			}
			var warnings []string
			if nlb {
				cfg, err := ParseNLB(&svc, Defaults{})
				if err != nil {
					t.Fatalf("ParseNLB: %v", err)
				}
				warnings = cfg.Warnings
			} else {
				cfg, err := Parse(&svc, Defaults{VSwitchIDs: []string{"vsw-demoh"}})
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				warnings = cfg.Warnings
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %q", warnings)
			}
			for k := range svc.Annotations {
				if a, ok := LookupNLB(k); nlb && ok {
					usedNLB[a.Name] = true
				}
				if a, ok := Lookup(k); !nlb && ok {
					used[a.Name] = true
				}
			}
		})
	}
	// Every annotation is shown by at least one example of its product.
	for _, a := range All() {
		if !a.Name.IsField() && !used[a.Name] {
			t.Errorf("no CLB example uses %s", a.Name)
		}
	}
	for _, a := range AllNLB() {
		if !usedNLB[a.Name] {
			t.Errorf("no NLB example uses %s", a.Name)
		}
	}
}
