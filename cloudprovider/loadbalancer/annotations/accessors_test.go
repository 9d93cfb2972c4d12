package annotations

import (
	"slices"
	"strings"
	"testing"
)

// TestPreserveOnDeleteAgreesWithParse: the delete path (PreserveOnDelete)
// and Parse read preserve-lb-on-delete the same way for every value, with
// the same Warnings. The official CCM keeps the CLB for any non-empty value.
func TestPreserveOnDeleteAgreesWithParse(t *testing.T) {
	key, legacy := string(KeyPreserveLBOnDelete), KeyPreserveLBOnDelete.Legacy()
	for _, tt := range []struct {
		name string
		ann  map[string]string
		keep bool
		warn bool
	}{
		{name: "unset"},
		{name: "empty", ann: ann(key, "")},
		{name: "blank", ann: ann(key, "  ")},
		{name: "true", ann: ann(key, "true"), keep: true},
		{name: "on", ann: ann(key, "on"), keep: true},
		{name: "trimmed", ann: ann(key, " true "), keep: true},
		{name: "legacy", ann: ann(legacy, "on"), keep: true},
		{name: "false", ann: ann(key, "false"), keep: true, warn: true},
		{name: "off", ann: ann(key, "off"), keep: true, warn: true},
		{name: "yes", ann: ann(key, "yes"), keep: true, warn: true},
		{name: "True", ann: ann(key, "True"), keep: true, warn: true},
		{name: "0", ann: ann(key, "0"), keep: true, warn: true},
		{name: "current prefix empty wins", ann: ann(key, "", legacy, "true")},
		{name: "current prefix wins", ann: ann(key, "true", legacy, ""), keep: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(tt.ann, nil)
			keep, warnings := PreserveOnDelete(svc)
			if keep != tt.keep {
				t.Errorf("PreserveOnDelete = %v, want %v", keep, tt.keep)
			}
			cfg, err := Parse(svc, Defaults{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if cfg.LB.PreserveOnDelete != keep {
				t.Errorf("Parse reads %v, the delete path %v", cfg.LB.PreserveOnDelete, keep)
			}
			preserveWarn := func(w string) bool { return strings.Contains(w, "preserves the load balancer") }
			if got := slices.ContainsFunc(warnings, preserveWarn); got != tt.warn {
				t.Errorf("warning = %v, want %v: %q", got, tt.warn, warnings)
			}
			if slices.ContainsFunc(warnings, preserveWarn) != slices.ContainsFunc(cfg.Warnings, preserveWarn) {
				t.Errorf("warnings differ: delete path %q, Parse %q", warnings, cfg.Warnings)
			}
		})
	}
}

// TestAccessorsReadAsParse: each single-key accessor follows Parse's
// reading rules (current prefix first, trimmed, empty is unset).
func TestAccessorsReadAsParse(t *testing.T) {
	id, name := string(KeyID), string(KeyName)
	for _, tt := range []struct {
		name    string
		ann     map[string]string
		reuseID string
		lbName  string
	}{
		{name: "unset"},
		{name: "current", ann: ann(id, "lb-1", name, "web"), reuseID: "lb-1", lbName: "web"},
		{name: "legacy", ann: ann(KeyID.Legacy(), "lb-2", KeyName.Legacy(), "old"), reuseID: "lb-2", lbName: "old"},
		{name: "current wins", ann: ann(id, "lb-1", KeyID.Legacy(), "lb-2"), reuseID: "lb-1"},
		{name: "trimmed", ann: ann(id, " lb-1\n", name, "\tweb "), reuseID: "lb-1", lbName: "web"},
		{name: "empty current is unset", ann: ann(id, " ", KeyID.Legacy(), "lb-2")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(tt.ann, nil)
			if got := ReuseID(svc); got != tt.reuseID {
				t.Errorf("ReuseID = %q, want %q", got, tt.reuseID)
			}
			if got := LoadBalancerName(svc); got != tt.lbName {
				t.Errorf("LoadBalancerName = %q, want %q", got, tt.lbName)
			}
			if cfg, err := Parse(svc, Defaults{}); err == nil {
				if cfg.LB.ReuseID != tt.reuseID || cfg.LB.Name != tt.lbName {
					t.Errorf("Parse reads id %q name %q; accessors %q %q", cfg.LB.ReuseID, cfg.LB.Name, tt.reuseID, tt.lbName)
				}
			}
		})
	}
}

// TestOnOffAccessors: proxy-protocol and remove-unscheduled-backend are on
// only for lower-case `on`, as Parse (and the official CCM) read them.
func TestOnOffAccessors(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want bool
	}{
		{"on", true}, {" on ", true}, {"off", false}, {"", false}, {"ON", false}, {"true", false}, {"yes", false},
	} {
		t.Run(tt.val, func(t *testing.T) {
			svc := newService(ann(string(KeyProxyProtocol), tt.val, KeyRemoveUnscheduledBackend.Legacy(), tt.val), nil)
			if got := ProxyProtocol(svc); got != tt.want {
				t.Errorf("ProxyProtocol = %v, want %v", got, tt.want)
			}
			if got := RemoveUnscheduled(svc); got != tt.want {
				t.Errorf("RemoveUnscheduled = %v, want %v", got, tt.want)
			}
			cfg := mustParse(t, svc, Defaults{})
			if p := cfg.Listeners[0].ProxyProtocol; (p != nil && *p) != tt.want {
				t.Errorf("Parse reads proxy-protocol %v", p)
			}
			if cfg.Backend.RemoveUnscheduled != tt.want {
				t.Errorf("Parse reads remove-unscheduled-backend %v", cfg.Backend.RemoveUnscheduled)
			}
		})
	}
}
