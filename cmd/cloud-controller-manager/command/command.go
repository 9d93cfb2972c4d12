// Package command builds the cloud-controller-manager cobra command on
// k8s.io/cloud-provider's app package, with the adjustments that let the
// deployment guide's manifest run unchanged (lock type mapping, plain-HTTP
// health checks on the secure port) and our own --version.
package command

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	cloudcontrollerconfig "k8s.io/cloud-provider/app/config"
	"k8s.io/cloud-provider/names"
	"k8s.io/cloud-provider/options"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/klog/v2"

	alicloud "github.com/alicloud-ccm/alicloud-ccm/cloudprovider"
	"github.com/alicloud-ccm/alicloud-ccm/controllers/endpoints"
	"github.com/alicloud-ccm/alicloud-ccm/controllers/nlbservice"
	"github.com/alicloud-ccm/alicloud-ccm/controllers/providerid"
	"github.com/alicloud-ccm/alicloud-ccm/controllers/servicectl"
	"github.com/alicloud-ccm/alicloud-ccm/controllers/slimcache"
)

// legacyLockTypes are lock types client-go v0.37 refuses at start-up; the
// official CCM's manifests still ask for them, so we map them to leases.
var legacyLockTypes = map[string]bool{
	"endpoints": true, "configmaps": true, "endpointsleases": true, "configmapsleases": true,
}

// handoverTimeout bounds the Lease release on shutdown; Kubernetes allows a
// pod 30 s between SIGTERM and SIGKILL by default.
const handoverTimeout = 5 * time.Second

// defaultLeaderElectRetryPeriod replaces the framework's 2 s default. A
// standby polls the Lease once per jittered retry period (up to 2.2 of them,
// client-go's jitter factor is 1.2), so after the leader releases the Lease on
// SIGTERM it takes over within 1.54 s instead of up to 4.4 s: a DaemonSet
// rolling update leaves no Service or route unreconciled for long. The cost is
// that the leader renews the Lease every 0.7 s instead of every 2 s, one small
// write to the kube-apiserver.
const defaultLeaderElectRetryPeriod = 700 * time.Millisecond

// defaultConcurrentServiceSyncs replaces the framework's default of one
// service worker (--concurrent-service-syncs), which the deployment guide's
// command line keeps. A CLB reconcile mostly waits for API answers, so one
// worker is bound by the API's latency rather than by the client-side rate
// limit, and every Service waits behind the one being synced. Measured with
// the binary (100 two-port Services created at once, 1,103 calls): at
// 200 ms per call 1 worker took 3m49s, 3 workers 1m50s and 5 workers 1m49s
// (the client's 10 SLB calls per second bind from 3 on); at 50 ms per call
// all three took 1m49s. Three is also the official CCM's default
// (serviceMaxConcurrentReconciles). docs/tuning.md has the table. An
// explicit flag always wins.
const defaultConcurrentServiceSyncs = 3

// skipDisableSourceDestCheck is --skip-disable-source-dest-check; a package
// variable because the framework calls cloudInitializer without our flags.
var skipDisableSourceDestCheck bool

// shutdownWriteTimeout bounds the wait for the provider's last writes at
// a graceful shutdown (a DaemonSet's grace period is 30 s by default).
const shutdownWriteTimeout = 5 * time.Second

// New returns the cloud-controller-manager command. stopCh stops it (tests
// run it in-process; main passes wait.NeverStop).
func New(stopCh <-chan struct{}) (*cobra.Command, error) {
	opts, err := options.NewCloudControllerManagerOptions()
	if err != nil {
		return nil, fmt.Errorf("initialising options: %w", err)
	}
	opts.KubeCloudShared.CloudProvider.Name = alicloud.ProviderName
	// Set before the framework binds its flags, so this is the flag's default
	// and an explicit --leader-elect-retry-period still wins.
	opts.Generic.LeaderElection.RetryPeriod.Duration = defaultLeaderElectRetryPeriod
	opts.ServiceController.ConcurrentServiceSyncs = defaultConcurrentServiceSyncs

	fss := cliflag.NamedFlagSets{}
	health := fss.FlagSet("alicloud health")
	plainHealth := health.Bool("plain-http-healthz", true,
		"Also answer plain-HTTP GET /healthz on the secure port (--secure-port), "+
			"so a livenessProbe with scheme HTTP works; every other plain-HTTP request is refused. "+
			"HTTPS on the same port is unchanged.")

	fss.FlagSet("alicloud").BoolVar(&skipDisableSourceDestCheck, "skip-disable-source-dest-check", false,
		"Leave the source/destination check of the nodes' primary ENIs alone. By default the route "+
			"controller turns it off on each node it routes a pod CIDR to, so the ECS instance accepts routed pod traffic.")

	allowShortPeriods := fss.FlagSet("alicloud").Bool(shortPeriodsFlag, false,
		"Accept controller periods below their production minimums (tests only).")
	_ = fss.FlagSet("alicloud").MarkHidden(shortPeriodsFlag)

	handover := &leaseHandover{}
	var provider k8scloudprovider.Interface
	initCloud := func(cfg *cloudcontrollerconfig.CompletedConfig) k8scloudprovider.Interface {
		handover.watch(cfg) // before app.Run builds the leader-election lock from cfg
		useSlimInformers(cfg)
		provider = cloudInitializer(cfg)
		return provider
	}
	cmd := app.NewCloudControllerManagerCommand(opts, initCloud, controllerInitializers(),
		names.CCMControllerAliases(), fss, stopCh)
	cmd.Use = "cloud-controller-manager"
	cmd.AddCommand(newNodeInitorCommand())
	frameworkRun := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		// The framework's --version prints the Kubernetes library version;
		// users want ours, so answer it before the framework sees it.
		if f := c.Flags().Lookup("version"); f != nil && f.Value.String() != "false" {
			fmt.Fprintln(c.OutOrStdout(), VersionString())
			return nil
		}
		if err := validateFlags(opts, *allowShortPeriods); err != nil {
			// Printed by cobra as "Error: ..."; the exit code is 1.
			return fmt.Errorf("invalid flags:\n%w", err)
		}
		mapLegacyLock(opts)
		processMemoryLimiter.setDefaultMemoryLimit()
		if *plainHealth {
			if err := installDualListener(opts, stopCh); err != nil {
				return err
			}
		}
		err := frameworkRun(c, args)
		// app.Run returns once stopCh is closed (SIGTERM): let the
		// provider finish its last writes (the load balancers'
		// verified-backends record) and hand the Lease over before the
		// process exits.
		// Only while the Lease still names this process: a replica that
		// lost it meanwhile would write records the new leader, which
		// read the record at its start, never removes before it changes
		// members.
		if p, ok := provider.(interface{ FlushOnShutdown(time.Duration) }); ok && handover.stillLeadsWithin(shutdownWriteTimeout) {
			p.FlushOnShutdown(shutdownWriteTimeout)
		}
		handover.releaseOnShutdown(handoverTimeout)
		return err
	}
	return cmd, nil
}

// useSlimInformers replaces the framework's shared informer factory, before
// any controller asks it for an informer, with the same factory whose
// informers drop what no controller of this CCM reads (controllers/slimcache:
// managedFields, a Node's images and volumes). Every controller and the
// provider read Nodes, Services and EndpointSlices from it.
func useSlimInformers(cfg *cloudcontrollerconfig.CompletedConfig) {
	cfg.SharedInformers = slimcache.NewSharedInformerFactory(cfg.VersionedClient, app.ResyncPeriod(cfg)())
}

// mapLegacyLock replaces a lock type client-go no longer supports with
// "leases", logging one warning, instead of failing at start-up.
func mapLegacyLock(opts *options.CloudControllerManagerOptions) {
	le := &opts.Generic.LeaderElection.ResourceLock
	if legacyLockTypes[*le] {
		klog.Warningf("--leader-elect-resource-lock=%s is no longer supported by client-go; using %q instead", *le, resourcelock.LeasesResourceLock)
		*le = resourcelock.LeasesResourceLock
	}
}

// installDualListener opens the secure port itself and hands the framework a
// listener that only sees TLS connections; plain-HTTP connections on the same
// port reach a small server that answers health checks only.
func installDualListener(opts *options.CloudControllerManagerOptions, stopCh <-chan struct{}) error {
	ss := opts.SecureServing
	if ss == nil || ss.BindPort <= 0 || ss.Listener != nil {
		return nil
	}
	addr := net.JoinHostPort(ss.BindAddress.String(), strconv.Itoa(ss.BindPort))
	ln, err := net.Listen(ss.BindNetwork, addr)
	if err != nil {
		if ss.BindNetwork == "" {
			ln, err = net.Listen("tcp", addr)
		}
		if err != nil {
			return fmt.Errorf("listening on --secure-port %s: %w", addr, err)
		}
	}
	dual := newDualListener(ln)
	ss.Listener = dual.TLS()
	go servePlainHealth(dual.Plain(), ln.Addr(), stopCh)
	return nil
}

func cloudInitializer(cfg *cloudcontrollerconfig.CompletedConfig) k8scloudprovider.Interface {
	shared := cfg.ComponentConfig.KubeCloudShared
	if shared.CloudProvider.Name != alicloud.ProviderName {
		klog.Fatalf("--cloud-provider=%q is not supported by this binary; use %q", shared.CloudProvider.Name, alicloud.ProviderName)
	}
	ensureUsableClientBuilder(cfg)
	cloud, err := alicloud.NewFromFile(shared.CloudProvider.CloudConfigFile, alicloud.Options{
		UserAgent:                  "alicloud-ccm/" + gitVersion,
		ClusterCIDR:                shared.ClusterCIDR,
		SkipDisableSourceDestCheck: skipDisableSourceDestCheck,
	})
	if err != nil {
		klog.Fatalf("Initialising the %s cloud provider: %v", alicloud.ProviderName, err)
	}
	return cloud
}

// controllerInitializers returns the framework's controllers plus ours, so
// --controllers can switch every one of them.
func controllerInitializers() map[string]app.ControllerInitFuncConstructor {
	inits := map[string]app.ControllerInitFuncConstructor{}
	for name, c := range app.DefaultInitFuncConstructors {
		inits[name] = c
	}
	// The framework's service controller, with node events folded into
	// one key (controllers/servicectl).
	inits[servicectl.ControllerName] = servicectl.InitFuncConstructor()
	inits[providerid.ControllerName] = providerid.InitFuncConstructor()
	inits[endpoints.ControllerName] = endpoints.InitFuncConstructor()
	inits[nlbservice.ControllerName] = nlbservice.InitFuncConstructor()
	return inits
}
