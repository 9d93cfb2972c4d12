package annotations

import (
	"strings"
	"testing"
)

// TestLongValueShortenedInError: the error an Event carries names the key
// and echoes at most about 200 bytes of a bad value (a pasted certificate,
// a wrong file), plus a bounded reason, however long the value is.
func TestLongValueShortenedInError(t *testing.T) {
	long := strings.Repeat("y", 10000)
	for _, tc := range []struct {
		name string
		key  string
		val  string
	}{
		{"scalar", string(KeyHealthCheckInterval), long},
		{"list entry quoted in the reason", string(KeyProtocolPort), "http:80," + long + ":443"},
		{"bare", string(KeyScheduler), long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newService(ann(tc.key, tc.val), nil)
			_, err := Parse(svc, Defaults{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.key+"=") {
				t.Errorf("error does not name %s: %.300q", tc.key, msg)
			}
			if len(msg) > 1000 {
				t.Errorf("error is %d bytes long, want the value shortened: %.300q...", len(msg), msg)
			}
			if !strings.Contains(msg, "more bytes)") {
				t.Errorf("error does not say the value was shortened: %.300q", msg)
			}
		})
	}
}

// TestLongValueShortenedInWarning: a value the official CCM accepts leniently
// becomes a Warning Event; the value it echoes is shortened like an error's.
func TestLongValueShortenedInWarning(t *testing.T) {
	svc := newService(ann(string(KeyHealthCheckSwitch), strings.Repeat("Y", 10000)), nil)
	cfg, err := Parse(svc, Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) == 0 {
		t.Fatal("no warning")
	}
	for _, w := range cfg.Warnings {
		if len(w) > 1000 || !strings.Contains(w, "more bytes)") {
			t.Errorf("warning is %d bytes, want the value shortened: %.300q", len(w), w)
		}
	}
}
