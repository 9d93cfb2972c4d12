package credentials

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"k8s.io/klog/v2"
)

// Every secret and token used by these tests contains one of these markers;
// neither may appear in any log line (at -v=10) or error.
var secretMarkers = []string{"S3CR3T", "T0K3N"}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var logs syncBuffer

func TestMain(m *testing.M) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for k, v := range map[string]string{"v": "10", "logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "FATAL"} {
		if err := fs.Set(k, v); err != nil {
			panic(err)
		}
	}
	klog.SetOutput(&logs)
	code := m.Run()
	klog.Flush()
	out := logs.String()
	for _, mk := range secretMarkers {
		if strings.Contains(out, mk) {
			fmt.Fprintf(os.Stderr, "FAIL: a secret (%s) appears in the logs:\n%s\n", mk, out)
			code = 1
		}
	}
	// Guard against a capture that silently captured nothing.
	for _, want := range []string{"Using Alibaba Cloud credentials", "Refreshing Alibaba Cloud credentials failed", "Credentials file is unusable"} {
		if !strings.Contains(out, want) {
			fmt.Fprintf(os.Stderr, "FAIL: expected log line %q was not captured\n", want)
			code = 1
		}
	}
	os.Exit(code)
}

// noSecret fails when err's text holds a secret.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, mk := range secretMarkers {
		if strings.Contains(err.Error(), mk) {
			t.Fatalf("error leaks a secret: %v", err)
		}
	}
}
