package annotations

import (
	"fmt"
	"slices"
	"strings"
)

// Prefixes of the load balancer annotation keys.
const (
	// Prefix is the current prefix of the CLB annotations.
	Prefix = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-"
	// LegacyPrefix is the older prefix, still read; Prefix wins when both
	// are set.
	LegacyPrefix = "service.beta.kubernetes.io/alicloud-loadbalancer-"
)

// Name is the full key of an annotation (or, for Service fields, the field
// path such as "spec.loadBalancerIP").
type Name string

// Suffix is the part after Prefix ("address-type"), or the whole name for
// keys without the load balancer prefix.
func (n Name) Suffix() string { return strings.TrimPrefix(string(n), Prefix) }

// Legacy is the key under LegacyPrefix, or "" when the annotation has no
// legacy form.
func (n Name) Legacy() string {
	if !strings.HasPrefix(string(n), Prefix) {
		return ""
	}
	return LegacyPrefix + n.Suffix()
}

// IsField reports whether n is a Service field rather than an annotation.
func (n Name) IsField() bool { return strings.HasPrefix(string(n), "spec.") }

// Group is a section of the reference.
type Group string

// Groups, in the order of the reference.
const (
	GroupInstance Group = "Load balancer instance"
	GroupListener Group = "Listener"
	GroupHealth   Group = "Health check"
	GroupBackend  Group = "Backend"
	GroupService  Group = "Service fields"
)

// Groups lists the groups in reference order.
var Groups = []Group{GroupInstance, GroupListener, GroupHealth, GroupBackend, GroupService}

// Mutability says what happens when an annotation changes on an existing
// load balancer.
type Mutability string

// Mutabilities.
const (
	// Mutable: applied in place.
	Mutable Mutability = "updated in place"
	// Immutable: a change is an error naming the field; the load balancer
	// is never recreated.
	Immutable Mutability = "immutable (change is an error)"
	// CreateOnly: used when the load balancer is created, ignored later.
	CreateOnly Mutability = "used at creation only"
	// RecreatesListener: the listener is deleted and created again.
	RecreatesListener Mutability = "listener recreated"
)

// Annotation describes one annotation or Service field. The registry of them
// drives both parsing (known keys, typo hints) and docs/annotations.md.
type Annotation struct {
	// Name is the full key.
	Name Name
	// Group is the reference section.
	Group Group
	// Type is the value syntax, e.g. "on | off", "string"; for a Range it
	// is rendered from the Range ("integer 1–50 (s)").
	Type string
	// Range bounds an integer value; nil for other values. The parser
	// validates with it and the reference renders it: the one statement
	// of each limit.
	Range *Range
	// Default is what an unset value means.
	Default string
	// Protocols are the listener protocols it applies to ("" = all or n/a).
	Protocols string
	// Mutability says what a later change does.
	Mutability Mutability
	// Doc is the description (Markdown, one paragraph).
	Doc string
	// Differs says where this CCM is stricter than or differs from the
	// official CCM (kubernetes/cloud-provider-alibaba-cloud); empty when it behaves the same.
	Differs string
}

// registry is every annotation and field, grouped; filled by the
// registry_*.go files so each group's declarations sit together.
var registry = slices.Concat(instanceAnnotations, listenerAnnotations,
	healthAnnotations, backendAnnotations, drainAnnotations, serviceFields)

// byName indexes registry by full key. Building it also renders the Type
// of every ranged entry from its Range.
var byName = func() map[Name]*Annotation {
	m := make(map[Name]*Annotation, len(registry))
	for i := range registry {
		a := &registry[i]
		if _, dup := m[a.Name]; dup {
			panic("annotations: duplicate registry entry " + string(a.Name))
		}
		if a.Range != nil {
			a.Type = a.Range.String()
		}
		m[a.Name] = a
	}
	return m
}()

// Range is the inclusive range of an integer annotation value.
type Range struct {
	Min, Max int
	// Unit follows the range in the reference ("s", "Mbit/s"); may be empty.
	Unit string
}

// String renders the range for the reference: "integer 1–50 (s)".
func (r Range) String() string {
	s := fmt.Sprintf("integer %d–%d", r.Min, r.Max)
	if r.Unit != "" {
		s += " (" + r.Unit + ")"
	}
	return s
}

// Contains reports whether v is in the range.
func (r Range) Contains(v int) bool { return v >= r.Min && v <= r.Max }

// rangeOf returns the Range of a ranged annotation. A key without one is a
// programming error, caught by the tests of every key.
func rangeOf(n Name) Range {
	a, ok := byName[n]
	if !ok || a.Range == nil {
		panic("annotations: " + string(n) + " has no Range in the registry")
	}
	return *a.Range
}

// All returns a copy of the registry in reference order.
func All() []Annotation { return slices.Clone(registry) }

// Lookup returns the registry entry of a full key (either prefix).
func Lookup(key string) (Annotation, bool) {
	if s, ok := strings.CutPrefix(key, LegacyPrefix); ok {
		key = Prefix + s
	}
	a, ok := byName[Name(key)]
	if !ok {
		return Annotation{}, false
	}
	return *a, true
}

// ignoredKeys carry the load-balancer prefix but are not CLB settings: they
// select which controller handles a Service. They are known (no typo
// warning) but not parsed here.
var ignoredKeys = []string{"type", "tunnel-type"}
