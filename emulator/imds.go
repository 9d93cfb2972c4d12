package emulator

import "time"

// MetadataConfig configures the instance metadata service.
type MetadataConfig struct {
	// TokenRequired enables hardened-only mode (HttpTokens=required).
	TokenRequired bool
	// CredentialTTL is the lifetime of issued RAM role credentials (default 6h).
	CredentialTTL time.Duration
}

type metaState struct {
	cfg MetadataConfig
}

func (m *metaState) init(cfg MetadataConfig) { m.cfg = cfg }
