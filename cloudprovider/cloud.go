// Package cloudprovider adapts the Alibaba Cloud client layer to
// k8s.io/cloud-provider's Interface. It stays thin: one file per capability,
// with the logic in sub-packages.
package cloudprovider

import (
	"context"
	"fmt"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/config"
	"github.com/alicloud-ccm/alicloud-ccm/config/credentials"
	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

// ProviderName is the name users pass as --cloud-provider.
const ProviderName = "alicloud"

// startupTimeout bounds the start-up work that may touch the network: the
// metadata lookups and the first credentials fetch.
const startupTimeout = 30 * time.Second

// Cloud implements k8scloudprovider.Interface for Alibaba Cloud. Each
// capability lives in its own file (loadbalancer.go, routes.go,
// instances.go) with its logic in a sub-package; a nil capability is
// reported as unsupported.
type Cloud struct {
	cfg     *config.CloudConfig
	opts    Options
	clients *cloudapi.Clients
	// events forwards to the framework-backed recorder once Initialize ran.
	events *eventSink
	// nodes reads Node objects from an informer started in Initialize.
	nodes *nodeIndex
	// podBackends is the slot of the endpoint-driven member source, built
	// here and shared by the load balancer engines (newReconciler) and
	// the endpoints controller (EndpointBackends), which fills it once the
	// framework's informers exist (controllers/endpoints).
	podBackends *loadbalancer.PodBackendSlot

	lb k8scloudprovider.LoadBalancer
	// clb is the CLB engine inside lb, for its verified-backends record
	// (loadbalancer.go).
	clb *loadbalancer.Reconciler
	// finalizers removes the official CCM's Service finalizer (migration).
	finalizers finalizerClient
	routes     k8scloudprovider.Routes
	instances  k8scloudprovider.InstancesV2
}

var _ k8scloudprovider.Interface = (*Cloud)(nil)

// Options are the process-level settings the provider needs besides the
// cloud-config file.
type Options struct {
	// UserAgent is appended to the SDK's User-Agent, e.g. "alicloud-ccm/v1.0.0".
	UserAgent string
	// ClusterCIDR is the framework's --cluster-cidr (comma-separated for dual
	// stack): route entries are only managed inside it.
	ClusterCIDR string
	// SkipDisableSourceDestCheck leaves the nodes' primary ENIs' source/
	// destination check alone (--skip-disable-source-dest-check).
	SkipDisableSourceDestCheck bool
}

// NewFromFile reads, completes and validates the cloud-config file at path,
// then builds the provider. Each warning is logged once.
func NewFromFile(path string, opts Options) (*Cloud, error) {
	if path == "" {
		return nil, fmt.Errorf("--cloud-config is required: the %s provider reads its region, VPC and credentials from it", ProviderName)
	}
	cfg, warns, err := config.Load(path)
	logWarnings(warns)
	if err != nil {
		return nil, fmt.Errorf("cloud-config %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	defer cancel()
	return New(ctx, cfg, opts)
}

// New builds the provider from a parsed cloud-config: it fills what the file
// leaves out from the ECS metadata service, picks the credentials source and
// creates the API clients.
//
// One dependency of the load balancer engine is installed later, from
// outside: its source of endpoint-driven members (EndpointSlices, cached
// Nodes, ENI lookups) needs the framework's shared informers, which exist
// only after New returned. New therefore builds an empty
// loadbalancer.PodBackendSlot, gives it to the engine (Options.PodBackends)
// and hands the same slot to the endpoints controller's initialiser
// (EndpointBackends, backends_sync.go), which fills it. Until then members
// are the nodes the framework passes.
func New(ctx context.Context, cfg *config.CloudConfig, opts Options) (*Cloud, error) {
	md, err := metadata.New(cfg.Global.MetadataOptions())
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	warns, err := cfg.Complete(ctx, md)
	logWarnings(warns)
	if err != nil {
		return nil, fmt.Errorf("cloud-config: %w", err)
	}
	creds, source, err := credentials.New(ctx, cfg.Global.CredentialsOptions(md))
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	klog.InfoS("Using Alibaba Cloud credentials", "source", source)

	clients, err := cloudapi.New(clientOptions(cfg, creds, opts))
	if err != nil {
		return nil, fmt.Errorf("API clients: %w", err)
	}
	c := &Cloud{cfg: cfg, opts: opts, clients: clients, events: &eventSink{}, nodes: &nodeIndex{},
		podBackends: &loadbalancer.PodBackendSlot{}}
	if err := c.buildCapabilities(); err != nil {
		return nil, err
	}
	return c, nil
}

// buildCapabilities constructs each capability from its own file's
// constructor; a constructor returning nil means "not supported".
func (c *Cloud) buildCapabilities() error {
	c.lb = newLoadBalancer(c)
	var err error
	if c.routes, err = newRoutes(c); err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	if c.instances, err = newInstances(c); err != nil {
		return fmt.Errorf("instances: %w", err)
	}
	return nil
}

// clientOptions maps the cloud-config onto the client layer's options.
func clientOptions(cfg *config.CloudConfig, creds credentials.Provider, opts Options) cloudapi.Options {
	g := &cfg.Global
	product := func(name string) cloudapi.ProductOptions {
		qps, burst := g.RateLimit(name)
		return cloudapi.ProductOptions{
			Endpoint:  g.Endpoint(name),
			RateLimit: cloudapi.RateLimit{QPS: qps, Burst: burst},
		}
	}
	return cloudapi.Options{
		Region:      g.Region,
		Credentials: creds,
		Network:     g.Network,
		UserAgent:   opts.UserAgent,
		SLB:         product(config.ProductSLB),
		VPC:         product(config.ProductVPC),
		ECS:         product(config.ProductECS),
		NLB:         product(config.ProductNLB),
	}
}

func logWarnings(warns config.Warnings) {
	for _, w := range warns {
		klog.Warningf("cloud-config: %s", w)
	}
}

// Initialize is called by the framework with its client builder before any
// controller starts. It resolves the cluster identity the load balancers'
// ownership marks use (identity.go; it blocks until the API server
// answers), and checks, in the background, that the configured VPC is
// reachable with these credentials, so a wrong region, VPC or key shows up
// in the log at start-up rather than at the first Service.
func (c *Cloud) Initialize(builder k8scloudprovider.ControllerClientBuilder, stop <-chan struct{}) {
	if builder != nil {
		c.events.start(builder, stop)
		c.nodes.start(builder, stop)
		if client, err := builder.Client(providerClientName); err == nil {
			c.finalizers.set(client)
		}
		c.startVerifiedRecord(builder, stop)
	}
	c.resolveClusterID(builder, stop)
	go c.preflight(stop)
}

// preflight reads the configured VPC once, retrying with backoff until it
// succeeds or the provider stops; it only logs, and nothing at shutdown.
func (c *Cloud) preflight(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	delay := 5 * time.Second
	for {
		req := vpc.CreateDescribeVpcAttributeRequest()
		req.VpcId = c.cfg.Global.VpcID
		_, err := c.clients.VPC.DescribeVpcAttribute(ctx, req)
		switch {
		case ctx.Err() != nil:
			// The provider is stopping: the call failed because it was
			// cancelled, which says nothing about the cloud.
			klog.V(2).InfoS("Alibaba Cloud API check stopped with the provider", "vpc", c.cfg.Global.VpcID)
			return
		case err == nil:
			klog.InfoS("Alibaba Cloud API reachable", "region", c.cfg.Global.Region, "vpc", c.cfg.Global.VpcID)
			return
		case cloudapi.IsNotFound(err):
			klog.ErrorS(err, "The configured VPC does not exist in the region: check Global.vpcid and Global.region",
				"vpcid", c.cfg.Global.VpcID, "region", c.cfg.Global.Region)
			return
		default:
			klog.ErrorS(err, "Alibaba Cloud API check failed; retrying", "vpc", c.cfg.Global.VpcID, "retryIn", delay)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		if delay < 5*time.Minute {
			delay *= 2
		}
	}
}

// LoadBalancer returns the CLB implementation.
func (c *Cloud) LoadBalancer() (k8scloudprovider.LoadBalancer, bool) {
	if c.lb == nil {
		return nil, false
	}
	return &migratingLB{LoadBalancer: c.lb, fin: &c.finalizers}, true
}

// Instances returns nil: the provider implements InstancesV2 only.
func (c *Cloud) Instances() (k8scloudprovider.Instances, bool) { return nil, false }

// InstancesV2 returns the ECS node implementation.
func (c *Cloud) InstancesV2() (k8scloudprovider.InstancesV2, bool) {
	return c.instances, c.instances != nil
}

// Zones returns nil: zone information comes from InstancesV2.InstanceMetadata.
func (c *Cloud) Zones() (k8scloudprovider.Zones, bool) { return nil, false }

// Clusters is not supported.
func (c *Cloud) Clusters() (k8scloudprovider.Clusters, bool) { return nil, false }

// Routes returns the VPC route table implementation.
func (c *Cloud) Routes() (k8scloudprovider.Routes, bool) { return c.routes, c.routes != nil }

// ProviderName returns "alicloud".
func (c *Cloud) ProviderName() string { return ProviderName }

// HasClusterID reports true: the cluster always has an identity for the
// ownership tags (Global.clusterID, else the kube-system namespace UID,
// resolved in Initialize).
func (c *Cloud) HasClusterID() bool { return true }
