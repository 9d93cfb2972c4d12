package annotations

import (
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"abc", "abc", 0}, {"abc", "abd", 1},
		{"health-chek-flag", "health-check-flag", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"health-chek-flag":                     "health-check-flag",
		"HEALTH-CHECK-FLAG":                    "health-check-flag", // compared in lower case
		"schedular":                            "scheduler",
		"adress-type":                          "address-type",
		"protocol-ports":                       "protocol-port",
		"zone-maps":                            "",
		"qqqqqqq":                              "",
		"completely-unrelated-annotation-name": "",
	} {
		if got := suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWarnUnknown: one Warning per unknown prefixed key (either prefix),
// sorted, with a hint where one is close; other keys are not ours.
func TestWarnUnknown(t *testing.T) {
	cfg := mustParse(t, newService(ann(
		Prefix+"schedular", "rr",
		LegacyPrefix+"adress-type", "internet",
		Prefix+"totally-unrelated-setting", "x",
		"example.com/other", "x",
		"service.beta.kubernetes.io/other", "x",
	), nil), Defaults{})
	if len(cfg.Warnings) != 3 {
		t.Fatalf("warnings %q, want 3", cfg.Warnings)
	}
	// Sorted by key: the current prefix sorts before the legacy one.
	want := []string{
		Prefix + "schedular is ignored; did you mean scheduler?",
		Prefix + "totally-unrelated-setting is ignored",
		LegacyPrefix + "adress-type is ignored; did you mean address-type?",
	}
	for i, w := range want {
		if !strings.Contains(cfg.Warnings[i], w) {
			t.Errorf("warning %d = %q, want it to contain %q", i, cfg.Warnings[i], w)
		}
	}
	if strings.Contains(cfg.Warnings[1], "did you mean") {
		t.Errorf("hint for an unrelated key: %q", cfg.Warnings[1])
	}
}
