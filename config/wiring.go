package config

import (
	"github.com/alicloud-ccm/alicloud-ccm/config/credentials"
	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

// MetadataOptions returns the metadata client options the config asks for.
func (g *Global) MetadataOptions() metadata.Options {
	return metadata.Options{Endpoint: g.MetadataURL(), TokenMode: metadata.TokenMode(g.MetadataTokenMode)}
}

// CredentialsOptions returns the credentials options the config asks for. md
// enables the ECS RAM role source; pass nil to disable it.
func (g *Global) CredentialsOptions(md credentials.RAMRoleSource) credentials.Options {
	o := credentials.Options{
		AccessKeyID:     g.AccessKeyID.Value(),
		AccessKeySecret: g.AccessKeySecret.Value(),
		CredentialsFile: g.CredentialsFile,
		Region:          g.Region,
		Network:         g.Network,
		STSEndpoint:     g.STSEndpoint,
		Metadata:        md,
	}
	return o
}
