package emulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Signature checking for the RPC protocol, SignatureVersion 1.0
// (https://www.alibabacloud.com/help/en/sdk/product-overview/rpc-mechanism):
// StringToSign = METHOD + "&%2F&" + percentEncode(canonicalised sorted params),
// Signature = base64(HMAC-SHA1(secret + "&", StringToSign)).

// nonceWindow is how long a SignatureNonce is remembered: the same 15 minutes
// as the accepted timestamp skew (https://help.aliyun.com/en/document_detail/434846.html),
// since an older replay is refused by the timestamp check anyway.
const nonceWindow = 15 * time.Minute

type nonceEntry struct {
	key string
	at  time.Time
}

// authState holds credentials and the nonce memory, under its own lock so
// the signature check does not contend with resource state.
type authState struct {
	mu     sync.Mutex
	keys   map[string]string
	sts    map[string]STSCredential // by AccessKeyId
	nonces map[string]time.Time
	order  []nonceEntry // FIFO for eviction; head index below
	head   int
	limit  int
	tol    time.Duration
}

func (a *authState) init(cfg Config) {
	a.keys = map[string]string{}
	for k, v := range cfg.AccessKeys {
		a.keys[k] = v
	}
	a.sts = map[string]STSCredential{}
	for _, c := range cfg.STS {
		a.sts[c.AccessKeyID] = c
	}
	a.nonces = map[string]time.Time{}
	a.limit = cfg.NonceMemory
	a.tol = cfg.TimestampTolerance
}

// AddAccessKey accepts a new permanent AccessKey pair.
func (e *Emulator) AddAccessKey(id, secret string) {
	e.auth.mu.Lock()
	e.auth.keys[id] = secret
	e.auth.mu.Unlock()
}

// AddSTSCredential accepts a temporary credential triple until its expiry.
func (e *Emulator) AddSTSCredential(c STSCredential) {
	e.auth.mu.Lock()
	e.auth.sts[c.AccessKeyID] = c
	e.auth.mu.Unlock()
}

// StringToSign computes the RPC StringToSign for a method and parameter set
// (the Signature parameter is ignored). Exported for hand-signed test requests.
func StringToSign(method string, params url.Values) string {
	v := url.Values{}
	for k, vals := range params {
		if k == "Signature" || len(vals) == 0 {
			continue
		}
		v.Set(k, vals[0])
	}
	canon := v.Encode() // sorted by key
	canon = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(canon)
	return method + "&%2F&" + url.QueryEscape(canon)
}

// Sign returns the SignatureVersion 1.0 signature of a StringToSign.
func Sign(stringToSign, secret string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// authenticate checks AccessKeyId, SecurityToken, Timestamp, Signature and
// SignatureNonce, answering the documented gateway errors
// (https://help.aliyun.com/en/document_detail/434846.html).
func (e *Emulator) authenticate(method string, p url.Values) *APIError {
	for _, name := range []string{"AccessKeyId", "Signature", "Timestamp", "SignatureNonce"} {
		if p.Get(name) == "" {
			if name == "Timestamp" {
				// ECS/CLB common tables: IllegalTimestamp when Timestamp is absent.
				return Errf(400, "IllegalTimestamp", `The input parameter "Timestamp" that is mandatory for processing this request is not supplied.`)
			}
			return Errf(400, "MissingParameter", "The input parameter %q that is mandatory for processing this request is not supplied.", name)
		}
	}
	if m := p.Get("SignatureMethod"); m != "" && m != "HMAC-SHA1" {
		return Errf(400, "InvalidSignatureMethod", "Specified signature method is not valid.")
	}
	if v := p.Get("SignatureVersion"); v != "" && v != "1.0" {
		return Errf(400, "InvalidParamater", `The specified parameter "SignatureVersion" is not valid.`)
	}
	now := e.clock.Now()
	akID := p.Get("AccessKeyId")
	a := &e.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	secret, ok := a.keys[akID]
	if token := p.Get("SecurityToken"); token != "" || !ok {
		c, isSTS := a.sts[akID]
		switch {
		case !isSTS:
			// Unknown key. Docs disagree on 400 (the ECS and CLB tables) vs 404;
			// we answer 404 with the gateway message
			// (https://help.aliyun.com/en/document_detail/434846.html).
			return Errf(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
		case token == "" || token != c.SecurityToken:
			// Not in the reference tables; the code the STS gateway uses for a
			// token that does not belong to the AccessKeyId.
			return Errf(400, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey.")
		case !now.Before(c.Expiration):
			// An expired STS token. KMS notes the gateway may also report
			// InvalidAccessKeyId.NotFound (the KMS sample responses); we use the
			// more specific gateway code.
			return Errf(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
		}
		secret = c.AccessKeySecret
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p.Get("Timestamp"))
	if err != nil {
		return Errf(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	// > 15 minutes of skew: InvalidTimeStamp.Expired
	// (https://help.aliyun.com/en/document_detail/434846.html).
	if skew := now.Sub(ts); a.tol > 0 && (skew > a.tol || skew < -a.tol) {
		return Errf(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	sts := StringToSign(method, p)
	if !hmac.Equal([]byte(Sign(sts, secret)), []byte(p.Get("Signature"))) {
		// Real answers append the server's StringToSign; the SDK splits the
		// message on "server string to sign is:" to diagnose a bad secret.
		return Errf(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", sts)
	}
	// A nonce may be used once per AccessKey within the window.
	key := akID + "\x00" + p.Get("SignatureNonce")
	a.expireNonces(now)
	if _, used := a.nonces[key]; used {
		return Errf(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	a.nonces[key] = now
	a.order = append(a.order, nonceEntry{key, now})
	if len(a.nonces) > a.limit {
		a.dropOldest()
	}
	return nil
}

// expireNonces forgets nonces older than the window.
func (a *authState) expireNonces(now time.Time) {
	for a.head < len(a.order) && now.Sub(a.order[a.head].at) > nonceWindow {
		a.dropOldest()
	}
}

func (a *authState) dropOldest() {
	if a.head >= len(a.order) {
		return
	}
	ent := a.order[a.head]
	if at, ok := a.nonces[ent.key]; ok && at.Equal(ent.at) {
		delete(a.nonces, ent.key)
	}
	a.order[a.head] = nonceEntry{}
	a.head++
	// Compact the queue once half of it is consumed, keeping memory bounded.
	if a.head > 1024 && a.head*2 > len(a.order) {
		a.order = append([]nonceEntry(nil), a.order[a.head:]...)
		a.head = 0
	}
}
