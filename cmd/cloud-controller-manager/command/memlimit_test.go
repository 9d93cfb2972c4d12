package command

import (
	"io/fs"
	"testing"
)

// TestSetDefaultMemoryLimit pins when the CCM sets the Go runtime's soft
// memory limit and to what: 90% of the container's limit, only when
// GOMEMLIMIT is unset and the container has a limit.
func TestSetDefaultMemoryLimit(t *testing.T) {
	const v2, v1 = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	tests := []struct {
		name   string
		env    string
		files  map[string]string
		want   int64
		wantOK bool // set was called
	}{
		{"cgroup v2 limit of 512 MiB", "", map[string]string{v2: "536870912\n"}, 483183820, true},
		{"cgroup v2 without a limit", "", map[string]string{v2: "max\n", v1: "536870912"}, 0, false},
		{"cgroup v1 limit of 1 GiB", "", map[string]string{v1: "1073741824\n"}, 966367641, true},
		{"cgroup v1 without a limit", "", map[string]string{v1: "9223372036854771712\n"}, 0, false},
		{"GOMEMLIMIT set: the operator's value stays", "400MiB", map[string]string{v2: "536870912"}, 0, false},
		{"GOMEMLIMIT=off stays off", "off", map[string]string{v2: "536870912"}, 0, false},
		{"no cgroup files (not in a container)", "", nil, 0, false},
		{"unreadable value", "", map[string]string{v2: "lots"}, 0, false},
		{"zero", "", map[string]string{v2: "0"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var set int64 = -1
			m := memoryLimiter{
				getenv: func(k string) string {
					if k == "GOMEMLIMIT" {
						return tt.env
					}
					return ""
				},
				readFile: func(p string) ([]byte, error) {
					if s, ok := tt.files[p]; ok {
						return []byte(s), nil
					}
					return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
				},
				set: func(n int64) int64 { set = n; return 0 },
			}
			got := m.setDefaultMemoryLimit()
			if got != tt.want {
				t.Errorf("limit = %d, want %d", got, tt.want)
			}
			if called := set != -1; called != tt.wantOK || (called && set != tt.want) {
				t.Errorf("SetMemoryLimit called=%v with %d; want called=%v with %d", called, set, tt.wantOK, tt.want)
			}
		})
	}
}
