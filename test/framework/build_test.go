package framework

import (
	"os"
	"testing"
	"time"
)

// TestBackgroundBuildStopsAtCleanup: a background CCM build nobody waited
// for (a package run with -run selecting no CCM test) is cancelled when the
// package's tests are done, and leaves no temp directory behind.
func TestBackgroundBuildStopsAtCleanup(t *testing.T) {
	// A prebuilt $CCM_BIN would make the build a no-op: the test is about
	// the build, so it always builds (no other test of this package uses
	// the CCM binary).
	t.Setenv("CCM_BIN", "")
	BuildCCMInBackground()
	start := time.Now()
	cleanupCCMBuild()
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("cleanup waited %s for a cancelled build", took)
	}
	if ccmBuild.err == nil {
		t.Logf("the build finished before it was cancelled (%s)", ccmBuild.duration)
	}
	if ccmBuild.dir != "" {
		if _, err := os.Stat(ccmBuild.dir); !os.IsNotExist(err) {
			t.Errorf("build directory %s left behind: %v", ccmBuild.dir, err)
		}
	}
}
