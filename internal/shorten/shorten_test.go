package shorten

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTo(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short stays", "abc", 5, "abc"},
		{"exact stays", "abcde", 5, "abcde"},
		{"long cut", "abcdefgh", 5, "abcde...(3 more bytes)"},
		{"cut at a character boundary", "ab\u00e9\u00e9", 3, "ab...(4 more bytes)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := To(tc.in, tc.n)
			if got != tc.want {
				t.Errorf("To(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("To(%q, %d) = %q is not valid UTF-8", tc.in, tc.n, got)
			}
		})
	}
	if got := Value(strings.Repeat("x", 10000)); len(got) > MaxValue+30 {
		t.Errorf("Value of 10000 bytes is %d bytes long", len(got))
	}
}
