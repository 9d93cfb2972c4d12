package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The ECS instance metadata service (IMDS), as documented at
// https://www.alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata:
// plain-text items under /latest/meta-data/, directories ending in "/", the
// hardened (token) mode with PUT /latest/api/token, and RAM role credentials.

// maxTokenTTL is the longest token lifetime PUT /latest/api/token grants
// (21600 s, the documented maximum of X-aliyun-ecs-metadata-token-ttl-seconds).
const maxTokenTTL = 21600

// imdsText writes a plain-text answer, as the metadata service does.
func imdsText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// imdsToken issues a hardened-mode token (PUT /latest/api/token).
func imdsToken(e *Emulator, w http.ResponseWriter, r *http.Request) {
	now := e.clock.Now()
	m := &e.meta
	if r.Method != http.MethodPut {
		imdsText(w, http.StatusMethodNotAllowed, "405 - Method Not Allowed")
		return
	}
	// A token request through a proxy is refused: 403.
	if r.Header.Get("X-Forwarded-For") != "" {
		imdsText(w, http.StatusForbidden, "403 - Forbidden")
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get("X-aliyun-ecs-metadata-token-ttl-seconds"))
	if err != nil || ttl < 1 || ttl > maxTokenTTL {
		imdsText(w, http.StatusBadRequest, "400 - Missing or Invalid Parameters")
		return
	}
	m.mu.Lock()
	m.seq++
	tok := fmt.Sprintf("emu-imds-%016x", splitmix64(m.seq^0x1d5))
	m.tokens[tok] = metaToken{instance: m.cfg.InstanceID, expires: now.Add(time.Duration(ttl) * time.Second)}
	m.mu.Unlock()
	w.Header().Set("X-aliyun-ecs-metadata-token-ttl-seconds", strconv.Itoa(ttl))
	imdsText(w, http.StatusOK, tok)
}

// imdsRead answers a GET or HEAD of an item or directory below /latest/,
// checking the token in hardened mode.
func imdsRead(e *Emulator, w http.ResponseWriter, r *http.Request) {
	now := e.clock.Now()
	m := &e.meta
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		imdsText(w, http.StatusMethodNotAllowed, "405 - Method Not Allowed")
		return
	}
	m.mu.Lock()
	cfg := m.cfg
	tok := r.Header.Get("X-aliyun-ecs-metadata-token")
	if tok != "" {
		t, ok := m.tokens[tok]
		if !ok || !now.Before(t.expires) || t.instance != cfg.InstanceID {
			m.mu.Unlock()
			imdsText(w, http.StatusUnauthorized, "401 - Unauthorized")
			return
		}
	} else if cfg.TokenRequired {
		m.mu.Unlock()
		imdsText(w, http.StatusForbidden, "403 - Forbidden")
		return
	}
	m.mu.Unlock()
	body, ok := e.metadataItem(strings.TrimPrefix(r.URL.Path, "/latest/"), cfg, now)
	if !ok {
		imdsText(w, http.StatusNotFound, "404 - Not Found")
		return
	}
	if strings.HasPrefix(body, "{") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body))
		return
	}
	imdsText(w, http.StatusOK, body)
}

// metadataItem resolves one path below /latest/.
func (e *Emulator) metadataItem(p string, cfg MetadataConfig, now time.Time) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.ecs.instances[cfg.InstanceID]
	if !ok && cfg.InstanceID == "" && len(e.ecs.instOrder) > 0 {
		in, ok = e.ecs.instances[e.ecs.instOrder[0]]
	}
	if !ok {
		return "", false
	}
	vs := e.vpc.vswitches[in.VSwitchID]
	vp := e.vpc.vpcs[in.VpcID]
	if p == "" || p == "/" {
		return "dynamic/\nmeta-data/\nuser-data", true
	}
	if !strings.HasPrefix(p, "meta-data/") && p != "meta-data" {
		return "", false
	}
	p = strings.TrimPrefix(strings.TrimPrefix(p, "meta-data"), "/")
	items := map[string]string{
		"region-id": e.cfg.Region, "zone-id": in.ZoneID, "instance-id": in.InstanceID, "vpc-id": in.VpcID,
		"vswitch-id": in.VSwitchID, "private-ipv4": in.PrivateIP, "hostname": in.HostName,
		"instance/instance-type": in.InstanceType, "mac": in.MAC, "owner-account-id": cfg.OwnerAccountID,
		"vpc-cidr-block": vp.CidrBlock, "vswitch-cidr-block": vs.CidrBlock, "image-id": "aliyun_3_x64_20G_alibase",
		"instance/instance-name": in.InstanceName, "serial-number": "emu-" + in.InstanceID,
	}
	if in.EipAddress != "" {
		items["eipv4"] = in.EipAddress
	}
	if in.PublicIP != "" {
		items["public-ipv4"] = in.PublicIP
	}
	for _, n := range e.eniList() {
		if n.InstanceID != in.InstanceID {
			continue
		}
		nvs := e.vpc.vswitches[n.VSwitchID]
		pre, _ := netip.ParsePrefix(nvs.CidrBlock)
		base := "network/interfaces/macs/" + n.MAC + "/"
		ips, _ := json.Marshal(append([]string{n.PrimaryIP}, n.SecondaryIPs...))
		for k, v := range map[string]string{
			"network-interface-id": n.NetworkInterfaceID, "vpc-id": n.VpcID, "vswitch-id": n.VSwitchID,
			"primary-ip-address": n.PrimaryIP, "private-ipv4s": string(ips), "netmask": netmask(pre),
			"gateway": gateway(pre), "vswitch-cidr-block": nvs.CidrBlock, "vpc-cidr-block": e.vpc.vpcs[n.VpcID].CidrBlock,
		} {
			items[base+k] = v
		}
	}
	if role := in.RAMRole; role != "" {
		// Credentials are only issued when asked for, not on other reads.
		if p == "ram/security-credentials/"+role {
			return e.roleCredential(role, cfg, now), true
		}
		items["ram/security-credentials/"+role] = ""
	}
	if v, ok := items[p]; ok {
		return v, true
	}
	// Directory listing: the next path level of every item under p.
	if p != "" && !strings.HasSuffix(p, "/") {
		return "", false
	}
	seen := map[string]bool{}
	for k := range items {
		if rest, ok := strings.CutPrefix(k, p); ok && rest != "" {
			if i := strings.Index(rest, "/"); i >= 0 {
				rest = rest[:i+1]
			}
			seen[rest] = true
		}
	}
	if p == "ram/security-credentials/" && in.RAMRole != "" {
		// The documented answer is the role name itself.
		return in.RAMRole, true
	}
	if len(seen) == 0 {
		return "", false
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, "\n"), true
}

func netmask(p netip.Prefix) string {
	if !p.Addr().Is4() {
		return ""
	}
	m := ^uint32(0) << (32 - p.Bits())
	return fmt.Sprintf("%d.%d.%d.%d", byte(m>>24), byte(m>>16), byte(m>>8), byte(m))
}

// gateway is the vSwitch gateway: the last host address minus two
// (".253" in a /24), as ECS reports it.
func gateway(p netip.Prefix) string {
	if !p.Addr().Is4() {
		return ""
	}
	b := p.Masked().Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n |= ^(^uint32(0) << (32 - p.Bits()))
	n -= 2
	return fmt.Sprintf("%d.%d.%d.%d", byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// roleCredential returns the role's current STS credential, issuing a new
// one when none exists or the current one is inside its refresh window. The
// docs say a new credential appears 30 minutes before expiry and both stay
// usable; the window is capped at half the TTL so short test TTLs work.
func (e *Emulator) roleCredential(role string, cfg MetadataConfig, now time.Time) string {
	m := &e.meta
	m.mu.Lock()
	c, ok := m.creds[role]
	window := 30 * time.Minute
	if cfg.CredentialTTL/2 < window {
		window = cfg.CredentialTTL / 2
	}
	if !ok || !now.Before(c.Expiration.Add(-window)) {
		m.seq++
		h := splitmix64(m.seq ^ 0x57a)
		c = STSCredential{
			AccessKeyID:     fmt.Sprintf("STS.emu%016x", h),
			AccessKeySecret: fmt.Sprintf("emusecret%016x", splitmix64(h)),
			SecurityToken:   fmt.Sprintf("CAISemu%016x%016x", splitmix64(h^1), splitmix64(h^2)),
			Expiration:      now.Add(cfg.CredentialTTL).UTC().Truncate(time.Second),
		}
		m.creds[role] = c
		m.issued[role] = now
		e.AddSTSCredential(c)
	}
	last := m.issued[role]
	m.mu.Unlock()
	b, _ := json.Marshal(map[string]string{
		"AccessKeyId": c.AccessKeyID, "AccessKeySecret": c.AccessKeySecret, "SecurityToken": c.SecurityToken,
		"Expiration": isoTime(c.Expiration), "LastUpdated": isoTime(last), "Code": "Success",
	})
	return string(b)
}
