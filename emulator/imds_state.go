package emulator

import (
	"sync"
	"time"
)

// Instance metadata service (IMDS) state: its configuration, the hardened
// mode's tokens and the RAM role credentials it issued.

// MetadataConfig configures the instance metadata service.
type MetadataConfig struct {
	// TokenRequired enables hardened-only mode (HttpTokens=required): a GET
	// without a token is refused with 403.
	TokenRequired bool `json:"tokenRequired,omitempty"`
	// CredentialTTL is the lifetime of issued RAM role credentials (default
	// 6h, the documented example). Short values let clients test refresh.
	CredentialTTL time.Duration `json:"credentialTtl,omitempty"`
	// InstanceID is the instance asking (default: the first seeded instance).
	InstanceID string `json:"instanceId,omitempty"`
	// OwnerAccountID is returned for owner-account-id (default 1234567890123456).
	OwnerAccountID string `json:"ownerAccountId,omitempty"`
}

type metaToken struct {
	instance string
	expires  time.Time
}

type metaState struct {
	mu     sync.Mutex
	cfg    MetadataConfig
	seq    uint64
	tokens map[string]metaToken
	creds  map[string]STSCredential // role -> current credential
	issued map[string]time.Time     // role -> LastUpdated
}

func (m *metaState) init(cfg MetadataConfig) {
	if cfg.CredentialTTL <= 0 {
		cfg.CredentialTTL = 6 * time.Hour
	}
	if cfg.OwnerAccountID == "" {
		cfg.OwnerAccountID = "1234567890123456"
	}
	m.cfg = cfg
	m.tokens = map[string]metaToken{}
	m.creds = map[string]STSCredential{}
	m.issued = map[string]time.Time{}
}

// SetMetadataInstance selects which instance the metadata service answers for.
func (e *Emulator) SetMetadataInstance(id string) {
	e.meta.mu.Lock()
	e.meta.cfg.InstanceID = id
	e.meta.mu.Unlock()
}

// SetMetadataTokenRequired switches hardened-only mode on or off.
func (e *Emulator) SetMetadataTokenRequired(required bool) {
	e.meta.mu.Lock()
	e.meta.cfg.TokenRequired = required
	e.meta.mu.Unlock()
}

// SetMetadataCredentialTTL changes the lifetime of newly issued credentials.
func (e *Emulator) SetMetadataCredentialTTL(d time.Duration) {
	e.meta.mu.Lock()
	e.meta.cfg.CredentialTTL = d
	e.meta.mu.Unlock()
}
