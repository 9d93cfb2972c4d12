package credentials

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// STS AssumeRoleWithOIDC (RPC, Version 2015-04-01). The call is anonymous:
// the OIDC token is the proof of identity, so there is no signature.
const (
	stsVersion        = "2015-04-01"
	oidcAction        = "AssumeRoleWithOIDC"
	oidcDuration      = time.Hour
	defaultSessionKey = "alicloud-ccm"
	maxTokenFileSize  = 64 << 10
)

// sessionNameRE is STS's rule for RoleSessionName.
var sessionNameRE = regexp.MustCompile(`^[A-Za-z0-9._@-]{2,64}$`)

type oidcConfig struct {
	roleARN, providerARN, tokenFile, sessionName string
	endpoint                                     *url.URL
	http                                         *http.Client
}

func newOIDCConfig(o Options, roleARN, providerARN, tokenFile, sessionName string) (*oidcConfig, error) {
	if sessionName == "" {
		sessionName = defaultSessionKey
	}
	if !sessionNameRE.MatchString(sessionName) {
		return nil, fmt.Errorf("%s %q is invalid: 2-64 characters of letters, digits, '.', '_', '@' and '-'", EnvRoleSessionName, sessionName)
	}
	ep, err := STSEndpoint(o.STSEndpoint, o.Region, o.Network)
	if err != nil {
		return nil, err
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcConfig{roleARN: roleARN, providerARN: providerARN, tokenFile: tokenFile, sessionName: sessionName, endpoint: ep, http: hc}, nil
}

// STSEndpoint returns the STS URL: override (host[:port] or an http(s) URL;
// https when no scheme is given) or the regional default,
// sts-vpc.<region>.aliyuncs.com when network is "vpc" and
// sts.<region>.aliyuncs.com otherwise; sts.aliyuncs.com without a region.
func STSEndpoint(override, region, network string) (*url.URL, error) {
	host := override
	switch {
	case override != "":
	case region == "":
		host = "sts.aliyuncs.com"
	case network == "vpc":
		host = "sts-vpc." + region + ".aliyuncs.com"
	default:
		host = "sts." + region + ".aliyuncs.com"
	}
	raw := host
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("invalid STS endpoint %q: want host[:port] or http(s)://host[:port]", override)
	}
	u.Path = "/"
	return u, nil
}

// oidcAnswer is both the success and the error shape of the STS answer.
type oidcAnswer struct {
	RequestID   string `json:"RequestId"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
	Credentials *struct {
		AccessKeyID     string `json:"AccessKeyId"`
		AccessKeySecret string `json:"AccessKeySecret"`
		SecurityToken   string `json:"SecurityToken"`
		Expiration      string `json:"Expiration"`
	} `json:"Credentials"`
}

// fetch calls AssumeRoleWithOIDC with the current token from the file; the
// token file is read on every call because the kubelet rotates it.
func (c *oidcConfig) fetch(ctx context.Context) (session, error) {
	tok, err := readSmallFile(c.tokenFile)
	if err != nil {
		return session{}, fmt.Errorf("read OIDC token file (%s): %w", EnvOIDCTokenFile, err)
	}
	if tok == "" {
		return session{}, fmt.Errorf("OIDC token file %s is empty", c.tokenFile)
	}
	q := url.Values{
		"Action":    {oidcAction},
		"Version":   {stsVersion},
		"Format":    {"JSON"},
		"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")},
	}
	form := url.Values{
		"RoleArn":         {c.roleARN},
		"OIDCProviderArn": {c.providerARN},
		"OIDCToken":       {tok},
		"RoleSessionName": {c.sessionName},
		"DurationSeconds": {strconv.Itoa(int(oidcDuration / time.Second))},
	}
	u := *c.endpoint
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return session{}, fmt.Errorf("build STS request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the URL, which holds only public query values.
		return session{}, fmt.Errorf("STS %s: %w", oidcAction, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return session{}, fmt.Errorf("STS %s: read answer: %w", oidcAction, err)
	}
	var a oidcAnswer
	jsonErr := json.Unmarshal(body, &a)
	if resp.StatusCode != http.StatusOK {
		if jsonErr != nil || a.Code == "" {
			// Never echo an unknown body: it could quote the request.
			return session{}, fmt.Errorf("STS %s at %s: HTTP %d (answer is not an STS error document)", oidcAction, c.endpoint.Host, resp.StatusCode)
		}
		return session{}, fmt.Errorf("STS %s at %s: HTTP %d, Code %s, RequestId %s: %s", oidcAction, c.endpoint.Host, resp.StatusCode, a.Code, a.RequestID, scrub(a.Message, tok))
	}
	if jsonErr != nil || a.Credentials == nil {
		return session{}, fmt.Errorf("STS %s: HTTP 200 but the answer has no Credentials (RequestId %q)", oidcAction, a.RequestID)
	}
	cr := a.Credentials
	if cr.AccessKeyID == "" || cr.AccessKeySecret == "" || cr.SecurityToken == "" || cr.Expiration == "" {
		return session{}, fmt.Errorf("STS %s: incomplete Credentials in answer (RequestId %q)", oidcAction, a.RequestID)
	}
	exp, err := time.Parse(time.RFC3339, cr.Expiration)
	if err != nil {
		return session{}, fmt.Errorf("STS %s: bad Expiration %q (RequestId %q)", oidcAction, cr.Expiration, a.RequestID)
	}
	return session{id: cr.AccessKeyID, secret: cr.AccessKeySecret, token: cr.SecurityToken, expiration: exp}, nil
}

func readSmallFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFileSize))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// scrub removes the OIDC token, and each of its JWT segments, from a server
// message and bounds its length: STS messages about invalid tokens may quote
// what they were sent.
func scrub(msg, token string) string {
	secrets := []string{token}
	secrets = append(secrets, strings.Split(token, ".")...)
	for _, s := range secrets {
		if len(s) >= 8 {
			msg = strings.ReplaceAll(msg, s, "<redacted>")
		}
	}
	const maxLen = 300
	if len(msg) > maxLen {
		msg = msg[:maxLen] + "..."
	}
	return msg
}
