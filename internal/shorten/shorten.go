// Package shorten bounds user-supplied values quoted in errors and Events:
// an annotation or cloud-config value can be kilobytes long (a pasted
// certificate, a wrong file), and an Event or log line echoing all of it
// hides the explanation that follows.
package shorten

import (
	"fmt"
	"unicode/utf8"
)

// MaxValue is how many bytes of a value an error or Event echoes.
const MaxValue = 200

// Value returns s, or its first MaxValue bytes (cut at a character
// boundary) followed by how much was left out.
func Value(s string) string { return To(s, MaxValue) }

// To returns s, or its first n bytes (cut at a character boundary) followed
// by how much was left out.
func To(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s...(%d more bytes)", s[:cut], len(s)-cut)
}
