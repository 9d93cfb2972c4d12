package annotations

import (
	"strconv"
	"strings"
	"testing"
)

// TestDocumentedRangesAreParsed: the reference (docs/annotations.md) shows
// each integer annotation's Range from the registry; this checks that the
// parser enforces exactly that range on the real path. For every ranged
// entry of both registries, in the context its keyCase makes it apply
// in, Min and Max parse and set the value, and Min-1, Max+1 and a
// non-integer are an *Error naming key and value that states the bounds.
func TestDocumentedRangesAreParsed(t *testing.T) {
	type product struct {
		name    string
		entries []Annotation
		cases   []keyCase
		parse   func(c keyCase, key, val string) ([]string, error)
		// wide adds what makes the whole documented range apply where the
		// reference's unit names a narrower default (NLB health checks:
		// "1–50 unless health-check-type: udp").
		wide map[Name]map[Name]string
	}
	products := []product{
		{name: "clb", entries: All(), cases: keyCases, parse: func(c keyCase, key, val string) ([]string, error) {
			cfg, err := Parse(c.service(key, val), Defaults{})
			return cfg.Warnings, err
		}},
		{name: "nlb", entries: AllNLB(), cases: nlbKeyCases, parse: func(c keyCase, key, val string) ([]string, error) {
			cfg, err := ParseNLB(c.nlbService(key, val), Defaults{})
			return cfg.Warnings, err
		}, wide: map[Name]map[Name]string{KeyHealthCheckInterval: {KeyHealthCheckType: "udp"}}},
	}
	for _, pr := range products {
		cases := map[Name]keyCase{}
		for _, c := range pr.cases {
			cases[c.name] = c
		}
		ranged := 0
		for _, e := range pr.entries {
			if e.Range == nil {
				continue
			}
			ranged++
			c, ok := cases[e.Name]
			if !ok {
				t.Errorf("%s %s: ranged but has no keyCase to say where it applies", pr.name, e.Name)
				continue
			}
			if extra := pr.wide[e.Name]; extra != nil {
				setup := map[Name]string{}
				for k, v := range c.setup {
					setup[k] = v
				}
				for k, v := range extra {
					setup[k] = v
				}
				c.setup = setup
			}
			r, key := *e.Range, string(e.Name)
			for _, v := range []int{r.Min, r.Max} {
				val := strconv.Itoa(v)
				t.Run(pr.name+"/"+e.Name.Suffix()+"="+val, func(t *testing.T) {
					warnings, err := pr.parse(c, key, val)
					if err != nil {
						t.Fatalf("documented bound %s refused: %v", val, err)
					}
					for _, w := range warnings {
						if strings.Contains(w, key) && strings.Contains(w, "ignored") {
							t.Errorf("documented bound %s ignored: %s", val, w)
						}
					}
				})
			}
			for _, val := range []string{strconv.Itoa(r.Min - 1), strconv.Itoa(r.Max + 1), "ten"} {
				t.Run(pr.name+"/"+e.Name.Suffix()+"="+val, func(t *testing.T) {
					_, err := pr.parse(c, key, val)
					if !hasError(err, key, val) {
						t.Fatalf("value outside %s accepted or not named: %v", r, err)
					}
					bounds := strconv.Itoa(r.Min) + " to " + strconv.Itoa(r.Max)
					if !strings.Contains(err.Error(), bounds) {
						t.Errorf("error does not state the documented bounds %q: %v", bounds, err)
					}
				})
			}
		}
		if ranged == 0 {
			t.Errorf("%s: no ranged entries: the registry lost its Ranges", pr.name)
		}
	}
}

// TestRangeContains pins the bounds as inclusive.
func TestRangeContains(t *testing.T) {
	r := Range{Min: 2, Max: 10}
	for v, want := range map[int]bool{1: false, 2: true, 6: true, 10: true, 11: false} {
		if got := r.Contains(v); got != want {
			t.Errorf("%s Contains(%d) = %v, want %v", r, v, got, want)
		}
	}
	if s := (Range{Min: 1, Max: 50, Unit: "s"}).String(); s != "integer 1–50 (s)" {
		t.Errorf("String() = %q", s)
	}
	if s := (Range{Min: 0, Max: 100}).String(); s != "integer 0–100" {
		t.Errorf("String() without unit = %q", s)
	}
}
