package command

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"k8s.io/klog/v2"
)

// memoryLimitShare is the part of the container's memory limit the Go
// runtime aims to stay under when GOMEMLIMIT is not set: the rest is for
// what the runtime does not count (stacks' slack, fragmentation, the
// binary's mappings) and for a burst between two collections.
const memoryLimitShare = 0.9

// cgroupMemoryFiles hold the container's memory limit: cgroup v2's
// memory.max ("max" when there is none), then cgroup v1's
// memory.limit_in_bytes (a huge number when there is none).
var cgroupMemoryFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// noLimit is the smallest cgroup v1 value that means "no limit" (v1 writes
// the largest page-aligned int64 there).
const noLimit = int64(1) << 60

// memoryLimiter is what setDefaultMemoryLimit needs from the process, so
// a test can hand it an environment and files.
type memoryLimiter struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	set      func(int64) int64 // debug.SetMemoryLimit
}

var processMemoryLimiter = memoryLimiter{getenv: os.Getenv, readFile: os.ReadFile, set: debug.SetMemoryLimit}

// setDefaultMemoryLimit sets the Go runtime's soft memory limit to
// memoryLimitShare of the container's memory limit, unless GOMEMLIMIT is
// set (any value, "off" included, is the operator's choice) or the
// container has no limit. It returns the limit set, or 0.
//
// Why: the Go runtime does not read the container's limit. Without a soft
// limit it lets the heap grow to twice what is live before it collects
// (GOGC=100), so a CCM whose live heap is half its limit can be killed
// for memory it would have freed. With the limit it collects more often
// as it nears the limit instead. https://go.dev/doc/gc-guide#Memory_limit
func (m memoryLimiter) setDefaultMemoryLimit() int64 {
	if m.getenv("GOMEMLIMIT") != "" {
		return 0
	}
	for _, f := range cgroupMemoryFiles {
		b, err := m.readFile(f)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= noLimit {
			return 0
		}
		limit := int64(float64(n) * memoryLimitShare)
		m.set(limit)
		klog.InfoS("Set the Go runtime's soft memory limit from the container's (GOMEMLIMIT overrides)",
			"containerLimitBytes", n, "softLimitBytes", limit, "file", f)
		return limit
	}
	return 0
}
