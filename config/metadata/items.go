package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RegionID returns meta-data/region-id, e.g. "cn-hangzhou".
func (c *Client) RegionID(ctx context.Context) (string, error) { return c.Get(ctx, "region-id") }

// ZoneID returns meta-data/zone-id, e.g. "cn-hangzhou-h".
func (c *Client) ZoneID(ctx context.Context) (string, error) { return c.Get(ctx, "zone-id") }

// VpcID returns meta-data/vpc-id.
func (c *Client) VpcID(ctx context.Context) (string, error) { return c.Get(ctx, "vpc-id") }

// VSwitchID returns meta-data/vswitch-id.
func (c *Client) VSwitchID(ctx context.Context) (string, error) { return c.Get(ctx, "vswitch-id") }

// VpcCIDRBlock returns meta-data/vpc-cidr-block.
func (c *Client) VpcCIDRBlock(ctx context.Context) (string, error) {
	return c.Get(ctx, "vpc-cidr-block")
}

// InstanceID returns meta-data/instance-id, e.g. "i-bp1...".
func (c *Client) InstanceID(ctx context.Context) (string, error) { return c.Get(ctx, "instance-id") }

// InstanceType returns meta-data/instance/instance-type.
func (c *Client) InstanceType(ctx context.Context) (string, error) {
	return c.Get(ctx, "instance/instance-type")
}

// PrivateIPv4 returns meta-data/private-ipv4 (the primary address of eth0).
func (c *Client) PrivateIPv4(ctx context.Context) (string, error) {
	return c.Get(ctx, "private-ipv4")
}

// Hostname returns meta-data/hostname.
func (c *Client) Hostname(ctx context.Context) (string, error) { return c.Get(ctx, "hostname") }

// MAC returns meta-data/mac (eth0).
func (c *Client) MAC(ctx context.Context) (string, error) { return c.Get(ctx, "mac") }

// RAMRoleName returns the name of the RAM role attached to the instance
// (meta-data/ram/security-credentials/). It wraps ErrNotFound when the
// instance has no role.
func (c *Client) RAMRoleName(ctx context.Context) (string, error) {
	s, err := c.Get(ctx, "ram/security-credentials/")
	if err != nil {
		return "", fmt.Errorf("read RAM role name: %w", err)
	}
	// The directory listing has one role per line; an instance has at most one.
	name := strings.TrimSuffix(strings.TrimSpace(strings.SplitN(s, "\n", 2)[0]), "/")
	if name == "" {
		return "", fmt.Errorf("read RAM role name: %w (empty listing: no RAM role attached)", ErrNotFound)
	}
	return name, nil
}

// RAMRoleCredentials are the STS credentials of the instance's RAM role.
// String and GoString never print the secret or the token.
type RAMRoleCredentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Expiration      time.Time
	LastUpdated     time.Time
}

// String describes the credentials without the secret parts.
func (r RAMRoleCredentials) String() string {
	return fmt.Sprintf("RAMRoleCredentials{AccessKeyID:%s, Expiration:%s}", MaskID(r.AccessKeyID), r.Expiration.Format(time.RFC3339))
}

// GoString is String, so %#v does not print secrets either.
func (r RAMRoleCredentials) GoString() string { return r.String() }

// MaskID shortens an AccessKey ID for logs: the first 4 characters and "***".
// IDs are not secrets, but there is no reason to log them whole.
func MaskID(id string) string {
	if len(id) <= 4 {
		return "***"
	}
	return id[:4] + "***"
}

// ramRoleAnswer is the JSON of meta-data/ram/security-credentials/<role>.
type ramRoleAnswer struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken"`
	Expiration      string `json:"Expiration"`
	LastUpdated     string `json:"LastUpdated"`
	Code            string `json:"Code"`
}

// RAMRoleCredentials returns the current STS credentials of role.
func (c *Client) RAMRoleCredentials(ctx context.Context, role string) (*RAMRoleCredentials, error) {
	if role == "" || strings.ContainsAny(role, "/?#") {
		return nil, fmt.Errorf("invalid RAM role name %q", role)
	}
	s, err := c.Get(ctx, "ram/security-credentials/"+role)
	if err != nil {
		return nil, fmt.Errorf("read credentials of RAM role %q: %w", role, err)
	}
	var a ramRoleAnswer
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		// Do not wrap err: a syntax error can quote part of the document.
		return nil, fmt.Errorf("read credentials of RAM role %q: answer is not the documented JSON", role)
	}
	if a.Code != "" && a.Code != "Success" {
		return nil, fmt.Errorf("read credentials of RAM role %q: metadata service answered Code %q", role, a.Code)
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"AccessKeyId", a.AccessKeyID}, {"AccessKeySecret", a.AccessKeySecret}, {"SecurityToken", a.SecurityToken}, {"Expiration", a.Expiration}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("read credentials of RAM role %q: answer lacks %s", role, strings.Join(missing, ", "))
	}
	exp, err := time.Parse(time.RFC3339, a.Expiration)
	if err != nil {
		return nil, fmt.Errorf("read credentials of RAM role %q: bad Expiration %q: %w", role, a.Expiration, err)
	}
	out := &RAMRoleCredentials{AccessKeyID: a.AccessKeyID, AccessKeySecret: a.AccessKeySecret, SecurityToken: a.SecurityToken, Expiration: exp}
	if a.LastUpdated != "" {
		// LastUpdated is informational; a bad value is not worth failing for.
		if t, err := time.Parse(time.RFC3339, a.LastUpdated); err == nil {
			out.LastUpdated = t
		}
	}
	return out, nil
}

// IsUnreachable reports whether err means the metadata service did not answer.
func IsUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }

// IsNotFound reports whether err means the service has no such item.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
