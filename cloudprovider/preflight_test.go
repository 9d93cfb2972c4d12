package cloudprovider

import (
	"bytes"
	"encoding/base64"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

// syncBuffer is a log sink the preflight goroutine and the test share.
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

// TestPreflightLogs pins what the start-up VPC check logs when the VPC
// endpoint does not answer well: a failing API is an error worth a log
// line, but a call cut short because the provider stops (the CCM shutting
// down) is not, and the check returns at once.
func TestPreflightLogs(t *testing.T) {
	const failed = "Alibaba Cloud API check failed"
	tests := []struct {
		name string
		// answer writes the VPC endpoint's response; nil hangs until the
		// client gives up.
		answer func(w http.ResponseWriter)
		// stopWhen returns true once the provider may be stopped.
		stopWhen  func(calls int, logs string) bool
		wantLog   bool
		wantQuiet bool
	}{
		{
			name:      "stopped during the call: quiet",
			stopWhen:  func(calls int, _ string) bool { return calls > 0 },
			wantQuiet: true,
		},
		{
			name: "server error: logged and retried",
			answer: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"Code":"InvalidParameter","Message":"bad","RequestId":"r-1"}`))
			},
			stopWhen: func(_ int, logs string) bool { return strings.Contains(logs, failed) },
			wantLog:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu    sync.Mutex
				calls int
			)
			release := make(chan struct{})
			hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				if tt.answer != nil {
					tt.answer(w)
					return
				}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer hang.Close()
			defer close(release)

			logs := &syncBuffer{}
			fs := flag.NewFlagSet("klog", flag.ContinueOnError)
			klog.InitFlags(fs)
			_ = fs.Set("logtostderr", "false")
			_ = fs.Set("alsologtostderr", "false")
			klog.SetOutput(logs)
			defer func() { klog.Flush(); _ = fs.Set("logtostderr", "true"); klog.SetOutput(nil) }()

			srv := startEmulator(t)
			g := endpoints(srv)
			g["vpcEndpoint"] = hang.URL
			g["accessKeyID"] = base64.StdEncoding.EncodeToString([]byte(testKeyID))
			g["accessKeySecret"] = base64.StdEncoding.EncodeToString([]byte(testKeySecret))
			g["region"] = "cn-hangzhou"
			c, err := NewFromFile(writeConfig(t, g), Options{})
			if err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				c.preflight(stop)
				close(done)
			}()
			deadline := time.Now().Add(20 * time.Second)
			for {
				klog.Flush()
				mu.Lock()
				n := calls
				mu.Unlock()
				if tt.stopWhen(n, logs.String()) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no stop condition after 20s: %d calls, log:\n%s", n, logs.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			close(stop)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("preflight kept going after the provider stopped")
			}
			klog.Flush()
			out := logs.String()
			if got := strings.Contains(out, failed); got != tt.wantLog {
				t.Errorf("log mentions %q: %v, want %v; log:\n%s", failed, got, tt.wantLog, out)
			}
			if tt.wantQuiet && (strings.Contains(out, "\nE") || strings.HasPrefix(out, "E")) {
				t.Errorf("error lines logged at shutdown:\n%s", out)
			}
		})
	}
}
