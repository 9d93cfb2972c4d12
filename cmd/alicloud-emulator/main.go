// Command alicloud-emulator runs the Alibaba Cloud OpenAPI emulator (CLB,
// NLB, VPC, ECS on one address), the ECS instance metadata service and the
// control endpoint, until SIGINT or SIGTERM.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "alicloud-emulator:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	listen, metadataListen, controlListen string
	region, seed, faultProfile, latency   string
	accessKeys                            []string
	routeEntryDelay, clbBusy, credTTL     time.Duration
	nlbJobDuration                        time.Duration
	logAudit, fakeClock, tokenRequired    bool
	metadataInstance                      string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("alicloud-emulator", pflag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9080", "address of the OpenAPI server (all of Slb 2014-05-15, Nlb 2022-04-30, Vpc 2016-04-28, Ecs 2014-05-26)")
	fs.StringVar(&o.metadataListen, "metadata-listen", "127.0.0.1:9081", "address of the ECS instance metadata service (stands in for http://100.100.100.200)")
	fs.StringVar(&o.controlListen, "control-listen", "127.0.0.1:9082", "address of the control endpoint (/audit, /state, /seed, /faults, /clock/advance, ...)")
	fs.StringVar(&o.region, "region", "cn-hangzhou", "emulated region ID")
	fs.StringVar(&o.seed, "seed", "", "JSON file with the initial state (emulator.SeedState, see examples/emulator-seed.json)")
	fs.StringArrayVar(&o.accessKeys, "access-key", nil, "accepted AccessKey pair as ID:SECRET (repeatable; default testid:testsecret)")
	fs.StringVar(&o.latency, "latency", "", `added latency for every call: FIXED or FIXED+JITTER, e.g. "20ms" or "20ms+30ms" (uniform jitter)`)
	fs.StringVar(&o.faultProfile, "fault-profile", "", "JSON file with a fault profile (emulator.FaultProfile: latency, errors, throttle, outages); overrides --latency")
	fs.DurationVar(&o.routeEntryDelay, "route-entry-delay", 0, "how long a new route entry stays Pending (and a deleted one Deleting)")
	fs.DurationVar(&o.clbBusy, "clb-busy-after-write", 0, "how long a CLB stays busy after a write (0 = never busy)")
	fs.DurationVar(&o.nlbJobDuration, "nlb-job-duration", time.Second, "how long an NLB asynchronous job runs; the resource is busy until it ends (0 = jobs end at once)")
	fs.BoolVar(&o.logAudit, "log-audit", false, "print one JSON audit line per API call to stderr (AccessKeyId only, never secrets)")
	fs.BoolVar(&o.fakeClock, "fake-clock", false, "run on a fake clock that only moves with POST /clock/advance (disables the request timestamp check)")
	fs.StringVar(&o.metadataInstance, "metadata-instance", "", "instance the metadata service answers for (default: the first seeded instance)")
	fs.BoolVar(&o.tokenRequired, "metadata-token-required", false, "metadata hardened mode: GETs without a token get 403")
	fs.DurationVar(&o.credTTL, "metadata-credential-ttl", 6*time.Hour, "lifetime of RAM role credentials issued by the metadata service")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: alicloud-emulator [flags]\n\nRuns the Alibaba Cloud OpenAPI emulator, its metadata service and control endpoint.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("parse flags: %w", err)
	}
	return o, nil
}

// buildConfig turns the options into an emulator.Config and a seed.
func buildConfig(o *options) (emulator.Config, *emulator.SeedState, error) {
	cfg := emulator.Config{
		Region: o.region, RouteEntryDelay: o.routeEntryDelay, CLBBusyAfterWrite: o.clbBusy, NLBJobDuration: o.nlbJobDuration,
		Metadata: emulator.MetadataConfig{InstanceID: o.metadataInstance, TokenRequired: o.tokenRequired, CredentialTTL: o.credTTL},
	}
	if len(o.accessKeys) > 0 {
		cfg.AccessKeys = map[string]string{}
		for _, kv := range o.accessKeys {
			id, secret, ok := strings.Cut(kv, ":")
			if !ok || id == "" || secret == "" {
				return cfg, nil, fmt.Errorf("--access-key wants ID:SECRET, got an entry for %q", id)
			}
			cfg.AccessKeys[id] = secret
		}
	}
	if o.fakeClock {
		cfg.Clock = emulator.NewFakeClock(time.Now())
		cfg.TimestampTolerance = -1
	}
	if o.latency != "" {
		fixed, jitter, _ := strings.Cut(o.latency, "+")
		f, err := time.ParseDuration(fixed)
		if err != nil {
			return cfg, nil, fmt.Errorf("--latency: %w", err)
		}
		var j time.Duration
		if jitter != "" {
			if j, err = time.ParseDuration(jitter); err != nil {
				return cfg, nil, fmt.Errorf("--latency jitter: %w", err)
			}
		}
		cfg.Faults.Latency = map[string]emulator.LatencySpec{"*": {Fixed: emulator.Duration(f), Jitter: emulator.Duration(j)}}
	}
	if o.faultProfile != "" {
		if err := readJSONFile(o.faultProfile, &cfg.Faults); err != nil {
			return cfg, nil, err
		}
	}
	if o.logAudit {
		cfg.AuditWriter = os.Stderr
	}
	var seed *emulator.SeedState
	if o.seed != "" {
		seed = &emulator.SeedState{}
		if err := readJSONFile(o.seed, seed); err != nil {
			return cfg, nil, err
		}
	}
	return cfg, seed, nil
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	cfg, seed, err := buildConfig(o)
	if err != nil {
		return err
	}
	s, err := emulator.Start(cfg, o.listen, o.metadataListen, o.controlListen)
	if err != nil {
		return err
	}
	if seed != nil {
		if err := s.Emulator.Seed(*seed); err != nil {
			_ = s.Close()
			return fmt.Errorf("seed %s: %w", o.seed, err)
		}
	}
	ids := make([]string, 0, len(cfg.AccessKeys))
	for id := range cfg.AccessKeys {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		ids = []string{"testid (default)"}
	}
	log.Printf("alicloud-emulator: region %s; OpenAPI %s; metadata %s; control %s; AccessKeyIds %s",
		cfg.Region, s.APIURL, s.MetadataURL, s.ControlURL, strings.Join(ids, ","))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	got := <-sig
	log.Printf("alicloud-emulator: %s received, stopping", got)
	return s.Close()
}
