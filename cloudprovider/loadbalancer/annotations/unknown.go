package annotations

import (
	"slices"
	"sort"
	"strings"
)

// warnUnknown warns about keys with a load balancer prefix that are not in
// the registry of the Service's product, suggesting the nearest known name:
// a typo would otherwise be ignored without a trace. A key of the other
// product (an NLB-only key on a CLB Service, a CLB-only key on an NLB
// Service) is named as such.
func (p *parser) warnUnknown() {
	keys := make([]string, 0, len(p.ann))
	for k := range p.ann {
		keys = append(keys, k)
	}
	sort.Strings(keys) // map order would make the warnings flap
	known := registry
	if p.nlb {
		known = AllNLB()
	}
	for _, k := range keys {
		suffix, ok := strings.CutPrefix(k, Prefix)
		if !ok {
			if suffix, ok = strings.CutPrefix(k, LegacyPrefix); !ok {
				continue
			}
		}
		n := Prefix + Name(suffix)
		if slices.ContainsFunc(known, func(a Annotation) bool { return a.Name == n }) || slices.Contains(ignoredKeys, suffix) {
			continue
		}
		if _, clb := byName[n]; p.nlb && clb {
			p.warnf("annotation %s applies to CLB Services only and is ignored on an NLB Service", k)
			continue
		}
		if !p.nlb && isNLBOnly(n) {
			p.warnf("annotation %s applies to NLB Services only (spec.loadBalancerClass %s) and is ignored", k, NLBClass)
			continue
		}
		msg := "unknown annotation " + k + " is ignored"
		if s := suggestFrom(suffix, known); s != "" {
			msg += "; did you mean " + s + "?"
		}
		p.warnf("%s", msg)
	}
}

// suggest returns the CLB key suffix nearest to s, or "" when none is
// close enough to be a plausible typo.
func suggest(s string) string { return suggestFrom(s, registry) }

// suggestFrom returns the suffix in known nearest to s, or "".
func suggestFrom(s string, known []Annotation) string {
	best, bestDist := "", 0
	for _, a := range known {
		n := string(a.Name)
		if !strings.HasPrefix(n, Prefix) {
			continue
		}
		cand := strings.TrimPrefix(n, Prefix)
		d := editDistance(strings.ToLower(s), cand)
		if best == "" || d < bestDist {
			best, bestDist = cand, d
		}
	}
	// Allow about one edit per four characters, at least two: close enough
	// for typos, far enough to stay quiet about unrelated (e.g. NLB) keys.
	if limit := max(2, len(s)/4); bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes; the
// keys are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
