// Package credentials provides the Alibaba Cloud credentials the CCM signs
// its OpenAPI calls with.
//
// New picks the first configured source, in this order:
//
//  1. cloud-config: Global.accessKeyID and Global.accessKeySecret (base64 in
//     the file). Static.
//  2. Environment: ALIBABA_CLOUD_ACCESS_KEY_ID and
//     ALIBABA_CLOUD_ACCESS_KEY_SECRET, with ALIBABA_CLOUD_SECURITY_TOKEN
//     when they are STS credentials. Static.
//  3. STS credentials file: Global.credentialsFile, or
//     ALIBABA_CLOUD_CREDENTIALS_FILE. JSON {"AccessKeyId", "AccessKeySecret",
//     "SecurityToken", "Expiration"} (the last two optional). The file is
//     re-read when its modification time or size changes, and at least once a
//     minute, so a rotating writer (a Secret volume, a sidecar) is picked up.
//  4. RRSA (OIDC): ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and
//     ALIBABA_CLOUD_OIDC_TOKEN_FILE (optionally ALIBABA_CLOUD_ROLE_SESSION_NAME):
//     STS AssumeRoleWithOIDC, refreshed before expiry.
//  5. ECS RAM role from the instance metadata service, refreshed before
//     expiry. Skipped when ALIBABA_CLOUD_ECS_METADATA_DISABLED=true.
//
// A source that is partly configured (an AccessKey ID without its secret, one
// of the three RRSA variables without the others) is an error, never a reason
// to try the next source. When nothing is configured and no RAM role is
// available, New's error lists every option.
//
// Every provider implements the SDK's credentials.CredentialsProvider and can
// be passed to sdk.NewClientWithOptions. The SDK calls GetCredentials for
// every request, so it serves from a cache; expiring credentials are
// refreshed a fifth of their lifetime early (1 to 15 minutes), failures are
// retried with exponential back-off (1 s to 1 min) while the current
// credentials stay in use until 30 s before they expire.
//
// Secrets and tokens never appear in logs or errors; AccessKey IDs are logged
// masked.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	sdkcreds "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

// Environment variables read by New.
const (
	EnvAccessKeyID         = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvAccessKeySecret     = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvSecurityToken       = "ALIBABA_CLOUD_SECURITY_TOKEN"
	EnvCredentialsFile     = "ALIBABA_CLOUD_CREDENTIALS_FILE"
	EnvRoleARN             = "ALIBABA_CLOUD_ROLE_ARN"
	EnvOIDCProviderARN     = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
	EnvOIDCTokenFile       = "ALIBABA_CLOUD_OIDC_TOKEN_FILE"
	EnvRoleSessionName     = "ALIBABA_CLOUD_ROLE_SESSION_NAME"
	EnvECSMetadataDisabled = "ALIBABA_CLOUD_ECS_METADATA_DISABLED"
)

// Source names where credentials come from. It is logged and is part of
// GetProviderName.
type Source string

// Credential sources, in the order New tries them.
const (
	SourceCloudConfig     Source = "cloud-config"
	SourceEnvironment     Source = "environment"
	SourceCredentialsFile Source = "credentials-file"
	SourceRRSA            Source = "rrsa-oidc"
	SourceECSRAMRole      Source = "ecs-ram-role"
)

// Provider is an SDK credentials provider that also tells its source.
type Provider interface {
	sdkcreds.CredentialsProvider
	// Source reports where the credentials come from.
	Source() Source
}

// RAMRoleSource is the part of the metadata client the RAM role source
// needs; *metadata.Client implements it.
type RAMRoleSource interface {
	RAMRoleName(ctx context.Context) (string, error)
	RAMRoleCredentials(ctx context.Context, role string) (*metadata.RAMRoleCredentials, error)
}

// Options configures New. Fields left empty skip their source.
type Options struct {
	// AccessKeyID and AccessKeySecret come from the cloud-config, decoded.
	AccessKeyID, AccessKeySecret string
	// CredentialsFile is the cloud-config's STS credentials file path; when
	// empty, ALIBABA_CLOUD_CREDENTIALS_FILE is used.
	CredentialsFile string
	// Region and Network ("vpc" or "public") choose the default STS endpoint
	// for RRSA: sts-vpc.<region>.aliyuncs.com or sts.<region>.aliyuncs.com.
	Region, Network string
	// STSEndpoint overrides the STS endpoint: host[:port] or an http(s) URL.
	STSEndpoint string
	// Metadata enables the ECS RAM role source; nil disables it.
	Metadata RAMRoleSource
	// RAMRoleName skips discovering the role name from the metadata service.
	RAMRoleName string
	// Getenv reads the environment; default os.Getenv (tests override it).
	Getenv func(string) string
	// Clock drives expiry and refresh; default the real clock.
	Clock clock.PassiveClock
	// HTTPClient is used for STS; default a client with a 10 s timeout.
	HTTPClient *http.Client
}

// ErrNoCredentials is wrapped by New's error when no source is configured.
var ErrNoCredentials = errors.New("no Alibaba Cloud credentials configured")

// New returns a provider for the first configured source (see the package
// documentation for the order). For the refreshing sources (file, RRSA, RAM
// role) it obtains the first credentials before returning, so a broken
// source fails at start-up with a clear error.
func New(ctx context.Context, o Options) (Provider, Source, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	p, err := pick(ctx, o)
	if err != nil {
		return nil, "", err
	}
	c, err := p.GetCredentials()
	if err != nil {
		return nil, "", fmt.Errorf("credentials source %s: %w", p.Source(), err)
	}
	klog.InfoS("Using Alibaba Cloud credentials", "source", p.Source(), "accessKeyID", metadata.MaskID(c.AccessKeyId), "sts", c.SecurityToken != "")
	return p, p.Source(), nil
}

func pick(ctx context.Context, o Options) (Provider, error) {
	env := func(k string) string { return strings.TrimSpace(o.Getenv(k)) }

	if o.AccessKeyID != "" || o.AccessKeySecret != "" {
		if o.AccessKeyID == "" || o.AccessKeySecret == "" {
			return nil, errors.New("cloud-config sets only one of Global.accessKeyID and Global.accessKeySecret: set both, or neither to use another credentials source")
		}
		return &static{source: SourceCloudConfig, s: session{id: o.AccessKeyID, secret: o.AccessKeySecret}}, nil
	}

	if id, secret := env(EnvAccessKeyID), env(EnvAccessKeySecret); id != "" || secret != "" {
		if id == "" || secret == "" {
			return nil, fmt.Errorf("only one of %s and %s is set: set both, or neither to use another credentials source", EnvAccessKeyID, EnvAccessKeySecret)
		}
		return &static{source: SourceEnvironment, s: session{id: id, secret: secret, token: env(EnvSecurityToken)}}, nil
	}

	if path := firstNonEmpty(o.CredentialsFile, env(EnvCredentialsFile)); path != "" {
		return newFileProvider(path, o.Clock), nil
	}

	roleARN, providerARN, tokenFile := env(EnvRoleARN), env(EnvOIDCProviderARN), env(EnvOIDCTokenFile)
	if roleARN != "" || providerARN != "" || tokenFile != "" {
		var missing []string
		for _, v := range []struct{ name, val string }{{EnvRoleARN, roleARN}, {EnvOIDCProviderARN, providerARN}, {EnvOIDCTokenFile, tokenFile}} {
			if v.val == "" {
				missing = append(missing, v.name)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("RRSA is partly configured: %s not set (RRSA needs %s, %s and %s)", strings.Join(missing, ", "), EnvRoleARN, EnvOIDCProviderARN, EnvOIDCTokenFile)
		}
		cfg, err := newOIDCConfig(o, roleARN, providerARN, tokenFile, env(EnvRoleSessionName))
		if err != nil {
			return nil, err
		}
		return newRefreshing(SourceRRSA, o.Clock, cfg.fetch), nil
	}

	if o.Metadata == nil || strings.EqualFold(env(EnvECSMetadataDisabled), "true") {
		return nil, fmt.Errorf("%w: %s (the ECS RAM role source is disabled)", ErrNoCredentials, howToConfigure)
	}
	role := o.RAMRoleName
	if role == "" {
		var err error
		if role, err = o.Metadata.RAMRoleName(ctx); err != nil {
			return nil, fmt.Errorf("%w: %s (ECS RAM role lookup: %w)", ErrNoCredentials, howToConfigure, err)
		}
	}
	return newRefreshing(SourceECSRAMRole, o.Clock, ramRoleFetcher(o.Metadata, role, o.Clock)), nil
}

const howToConfigure = "set Global.accessKeyID and Global.accessKeySecret (base64) in the cloud-config, or " +
	EnvAccessKeyID + " and " + EnvAccessKeySecret + ", or a credentials file (Global.credentialsFile or " + EnvCredentialsFile +
	"), or RRSA (" + EnvRoleARN + ", " + EnvOIDCProviderARN + ", " + EnvOIDCTokenFile + "), or attach a RAM role to the ECS instance"

func ramRoleFetcher(md RAMRoleSource, role string, clk clock.PassiveClock) fetchFunc {
	return func(ctx context.Context) (session, error) {
		c, err := md.RAMRoleCredentials(ctx, role)
		if err != nil {
			return session{}, err
		}
		s := session{id: c.AccessKeyID, secret: c.AccessKeySecret, token: c.SecurityToken, expiration: c.Expiration, obtained: c.LastUpdated}
		if s.obtained.IsZero() {
			s.obtained = clk.Now()
		}
		return s, nil
	}
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
