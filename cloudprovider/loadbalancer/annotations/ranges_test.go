package annotations

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// rangeSetup makes a ranged key applicable (the protocols or companions it
// needs), so that only its own value decides.
var rangeSetup = map[Name]map[Name]string{
	KeyIdleTimeout:            httpSetup,
	KeyRequestTimeout:         httpSetup,
	KeyCookieTimeout:          httpSetup,
	KeyHealthCheckTimeout:     httpSetup,
	KeyConnectionDrainTimeout: {KeyConnectionDrain: "on"},
	KeyWeight:                 {KeyID: "lb-1", KeyVGroupPort: "rsp-1:80"},
}

// TestRangesFromRegistry checks every ranged annotation at and beyond the
// edges of its registry Range: the parser accepts exactly the range it
// documents, and the error names the range.
func TestRangesFromRegistry(t *testing.T) {
	n := 0
	for _, a := range All() {
		if a.Range == nil {
			continue
		}
		n++
		r := *a.Range
		for _, tt := range []struct {
			val string
			ok  bool
		}{
			{strconv.Itoa(r.Min), true},
			{strconv.Itoa(r.Max), true},
			{strconv.Itoa((r.Min + r.Max) / 2), true},
			{strconv.Itoa(r.Min - 1), false},
			{strconv.Itoa(r.Max + 1), false},
			{"1.5", false},
			{"ten", false},
		} {
			t.Run(a.Name.Suffix()+"="+tt.val, func(t *testing.T) {
				set := map[string]string{string(a.Name): tt.val}
				for k, v := range rangeSetup[a.Name] {
					set[string(k)] = v
				}
				cfg, err := Parse(newService(set, nil), Defaults{})
				switch {
				case tt.ok && err != nil:
					t.Fatalf("in range %v, got %v", r, err)
				case tt.ok && cfg == nil:
					t.Fatal("nil config")
				case !tt.ok && !hasError(err, string(a.Name), tt.val):
					t.Fatalf("out of range %v: no *Error naming the key, got %v", r, err)
				case !tt.ok:
					want := strconv.Itoa(r.Min) + " to " + strconv.Itoa(r.Max)
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not state the range %q", err, want)
					}
				}
			})
		}
	}
	if n < 14 {
		t.Errorf("only %d ranged annotations; the registry should state every integer range", n)
	}
}

// TestRangesRenderedInDocs: the reference shows each Range as the parser
// applies it, from the same row.
func TestRangesRenderedInDocs(t *testing.T) {
	doc := RenderMarkdown()
	for _, a := range All() {
		if a.Range == nil {
			continue
		}
		if a.Type != a.Range.String() {
			t.Errorf("%s: Type %q is not rendered from its Range %q", a.Name, a.Type, a.Range)
		}
		row := "| `" + a.Name.Suffix() + "` | " + a.Range.String() + " |"
		if !bytes.Contains(doc, []byte(row)) {
			t.Errorf("docs lack the row start %q", row)
		}
	}
}

func TestRangeString(t *testing.T) {
	for _, tt := range []struct {
		r    Range
		want string
	}{
		{Range{Min: 1, Max: 50, Unit: "s"}, "integer 1–50 (s)"},
		{Range{Min: 0, Max: 100}, "integer 0–100"},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.r, got, tt.want)
		}
	}
	r := Range{Min: 2, Max: 10}
	for v, want := range map[int]bool{1: false, 2: true, 10: true, 11: false} {
		if r.Contains(v) != want {
			t.Errorf("Contains(%d) = %v", v, !want)
		}
	}
}

func TestRangeOfUnrangedPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("rangeOf(KeyName) did not panic")
		}
	}()
	rangeOf(KeyName)
}
