package framework

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// parallelTwice is the testing package's panic when t.Parallel is called a
// second time on the same test.
const parallelTwice = "testing: t.Parallel called multiple times"

// Parallel lets t run alongside the package's other parallel tests. It is
// for top-level tests that build a world of their own (a Dedicated control
// plane, their own emulator and CCM) and so share nothing with the others;
// call it before anything the test should not do concurrently. It does
// nothing for a subtest (its siblings may rely on running after it) or for
// a test that already called t.Parallel itself, so world constructors can
// call it for every test that uses them.
func Parallel(t *testing.T) {
	t.Helper()
	if strings.Contains(t.Name(), "/") {
		return
	}
	defer func() {
		if r := recover(); r != nil && r != parallelTwice {
			panic(r)
		}
	}()
	t.Parallel()
}

// DefaultParallel sets go test's -parallel, the number of parallel tests
// that run at once, to n unless the command line set it. Call it in
// TestMain before Main. The default is GOMAXPROCS, i.e. 2 on the 2-core
// machines CI uses, but an end-to-end test spends most of its time waiting
// (for the CCM's retry backoff, for a poll), not on a core, so packages of
// such tests finish much sooner with more of them at once.
func DefaultParallel(n int) error {
	if n < 1 {
		return fmt.Errorf("DefaultParallel(%d): want at least 1", n)
	}
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" {
			set = true
		}
	})
	if set {
		return nil
	}
	return flag.Set("test.parallel", strconv.Itoa(n))
}
