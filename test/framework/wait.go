package framework

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pollInterval is how often WaitFor re-evaluates its condition; short enough
// to keep tests fast, long enough not to hammer a 2-core machine.
const pollInterval = 200 * time.Millisecond

// WaitFor polls cond until it reports true, failing the test with desc after
// timeout. An error from cond is treated as transient (the component may
// still be starting) and is reported with the timeout failure.
func WaitFor(t testing.TB, timeout time.Duration, desc string, cond func() (bool, error)) {
	t.Helper()
	if err := Poll(timeout, desc, cond); err != nil {
		t.Fatal(err)
	}
}

// Poll is WaitFor without a test: it returns an error naming desc and the
// last error from cond when cond is not true within timeout.
func Poll(timeout time.Duration, desc string, cond func() (bool, error)) error {
	start := time.Now()
	deadline := start.Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		lastErr = err
		if time.Now().After(deadline) {
			if lastErr != nil {
				return fmt.Errorf("timed out after %s waiting for %s: last error: %w", timeout, desc, lastErr)
			}
			return fmt.Errorf("timed out after %s waiting for %s", timeout, desc)
		}
		time.Sleep(pollInterval)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// port is released before returning, so a concurrent process can race for
// it; callers that start servers retry on "address already in use".
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// inCI reports whether missing test dependencies must fail instead of skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFail skips the test, or fails it when running in CI (CI=true), where
// a missing dependency must not silently turn the suite green.
func SkipOrFail(t testing.TB, msg string) {
	t.Helper()
	if inCI() {
		t.Fatal(msg + " (CI=true: a missing test dependency is an error)")
	}
	t.Skip(msg)
}

// CacheDir is where hack/test-binaries.sh puts its output:
// ${ALICLOUD_CCM_CACHE:-$HOME/.cache/alicloud-ccm}.
func CacheDir() string {
	if d := os.Getenv("ALICLOUD_CCM_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "alicloud-ccm-cache")
	}
	return filepath.Join(home, ".cache", "alicloud-ccm")
}

// findBinary returns the binary named by envVar, or bin/<name> in the cache
// directory, checking that it is an executable file.
func findBinary(envVar, name string) (string, error) {
	path := os.Getenv(envVar)
	source := "$" + envVar
	if path == "" {
		path = filepath.Join(CacheDir(), "bin", name)
		source = "the cache directory"
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s not found (looked at %s from %s; set %s or run hack/test-binaries.sh): %w",
			name, path, source, envVar, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s at %s is not an executable file", name, path)
	}
	return path, nil
}
