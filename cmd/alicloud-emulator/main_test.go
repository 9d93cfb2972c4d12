package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

func TestBuildConfig(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "faults.json")
	if err := os.WriteFile(prof, []byte(`{"throttle":{"DescribeInstances":{"rate":1}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, cfg emulator.Config, seed *emulator.SeedState)
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, cfg emulator.Config, seed *emulator.SeedState) {
			if cfg.Region != "cn-hangzhou" || cfg.AccessKeys != nil || seed != nil || cfg.NLBJobDuration != time.Second {
				t.Fatalf("%+v", cfg)
			}
		}},
		{name: "keys and latency", args: []string{"--access-key", "a:b", "--access-key", "c:d", "--latency", "5ms+2ms", "--route-entry-delay", "3s"},
			check: func(t *testing.T, cfg emulator.Config, _ *emulator.SeedState) {
				l := cfg.Faults.Latency["*"]
				if cfg.AccessKeys["a"] != "b" || cfg.AccessKeys["c"] != "d" || time.Duration(l.Fixed) != 5*time.Millisecond ||
					time.Duration(l.Jitter) != 2*time.Millisecond || cfg.RouteEntryDelay != 3*time.Second {
					t.Fatalf("%+v", cfg)
				}
			}},
		{name: "fault profile", args: []string{"--fault-profile", prof}, check: func(t *testing.T, cfg emulator.Config, _ *emulator.SeedState) {
			if cfg.Faults.Throttle["DescribeInstances"].Rate != 1 {
				t.Fatalf("%+v", cfg.Faults)
			}
		}},
		{name: "sample seed", args: []string{"--seed", "../../examples/emulator-seed.json"}, check: func(t *testing.T, cfg emulator.Config, seed *emulator.SeedState) {
			if seed == nil || len(seed.Instances) == 0 {
				t.Fatal("seed not read")
			}
			if err := emulator.New(cfg).Seed(*seed); err != nil {
				t.Fatalf("sample seed does not load: %v", err)
			}
		}},
		{name: "nlb job duration", args: []string{"--nlb-job-duration", "0"}, check: func(t *testing.T, cfg emulator.Config, _ *emulator.SeedState) {
			if cfg.NLBJobDuration != 0 {
				t.Fatalf("%+v", cfg)
			}
		}},
		{name: "bad key", args: []string{"--access-key", "nosecret"}, wantErr: true},
		{name: "bad latency", args: []string{"--latency", "fast"}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			cfg, seed, err := buildConfig(o)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if tc.check != nil {
				tc.check(t, cfg, seed)
			}
		})
	}
}

func TestStartServesAllThree(t *testing.T) {
	s, err := emulator.Start(emulator.Config{}, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, u := range []string{s.ControlURL + "/healthz", s.APIURL + "/", s.MetadataURL + "/latest/meta-data/"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// The API answers MissingParameter, the metadata service 404 with no
		// instances: both prove the server is up.
		if resp.StatusCode == 0 {
			t.Fatalf("%s: no answer", u)
		}
	}
}
