package credentials

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	sdkcreds "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

// File re-read policy: GetCredentials stats the file at most every
// fileStatEvery and reads it when modification time or size changed, or
// when the last read is older than fileReadEvery (a same-size rewrite within
// the file system's timestamp granularity would otherwise go unseen). Reading
// a file of a few hundred bytes once a minute is cheap; no fsnotify needed.
const (
	fileStatEvery = 5 * time.Second
	fileReadEvery = time.Minute
	maxFileSize   = 64 << 10
)

// stsFile is the JSON of the credentials file.
type stsFile struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken"`
	Expiration      string `json:"Expiration"`
}

// fileProvider serves credentials from a JSON file that a writer rotates.
type fileProvider struct {
	path  string
	clock clock.PassiveClock

	mu        sync.Mutex
	cur       *session
	lastStat  time.Time
	lastRead  time.Time
	modTime   time.Time
	size      int64
	hash      [32]byte
	badReason string // last reported problem, so it is logged once
}

func newFileProvider(path string, clk clock.PassiveClock) *fileProvider {
	return &fileProvider{path: path, clock: clk}
}

// Source reports SourceCredentialsFile.
func (p *fileProvider) Source() Source { return SourceCredentialsFile }

// GetProviderName implements the SDK's CredentialsProvider.
func (p *fileProvider) GetProviderName() string { return providerName(SourceCredentialsFile) }

// GetCredentials implements the SDK's CredentialsProvider.
func (p *fileProvider) GetCredentials() (*sdkcreds.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if p.cur != nil && p.cur.usable(now) && now.Sub(p.lastStat) < fileStatEvery {
		return p.cur.sdk(p.GetProviderName()), nil
	}
	p.lastStat = now
	err := p.reloadLocked(now)
	if err != nil {
		if p.badReason != err.Error() {
			p.badReason = err.Error()
			if p.cur != nil && p.cur.usable(now) {
				klog.InfoS("Credentials file is unusable; still using the credentials read before", "path", p.path, "expiration", p.cur.expiration, "err", err)
			} else {
				klog.ErrorS(err, "Credentials file is unusable", "path", p.path)
			}
		}
	} else {
		p.badReason = ""
	}
	if p.cur == nil {
		return nil, err
	}
	if !p.cur.usable(now) {
		msg := fmt.Sprintf("credentials file %s: credentials expired at %s and the file was not rotated", p.path, p.cur.expiration.UTC().Format(time.RFC3339))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", msg, err)
		}
		return nil, errors.New(msg)
	}
	return p.cur.sdk(p.GetProviderName()), nil
}

// reloadLocked reads the file if it may have changed and replaces p.cur when
// its content is new and valid.
func (p *fileProvider) reloadLocked(now time.Time) error {
	fi, err := os.Stat(p.path)
	if err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	if p.cur != nil && fi.ModTime().Equal(p.modTime) && fi.Size() == p.size && now.Sub(p.lastRead) < fileReadEvery {
		return nil
	}
	if fi.Size() > maxFileSize {
		return fmt.Errorf("credentials file %s: %d bytes is too large for a credentials file", p.path, fi.Size())
	}
	b, err := os.ReadFile(p.path)
	if err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	p.lastRead, p.modTime, p.size = now, fi.ModTime(), fi.Size()
	h := sha256.Sum256(b)
	if p.cur != nil && h == p.hash {
		return nil
	}
	s, err := parseSTSFile(b)
	if err != nil {
		return fmt.Errorf("credentials file %s: %w", p.path, err)
	}
	if !s.usable(now) {
		return fmt.Errorf("credentials file %s: credentials expired at %s", p.path, s.expiration.UTC().Format(time.RFC3339))
	}
	s.obtained = now
	rotated := p.cur != nil
	p.cur, p.hash = &s, h
	if rotated {
		klog.InfoS("Credentials file changed; using the new credentials", "path", p.path, "accessKeyID", metadata.MaskID(s.id), "expiration", s.expiration)
	}
	return nil
}

// parseSTSFile decodes the file. Its errors never quote the content.
func parseSTSFile(b []byte) (session, error) {
	var f stsFile
	if err := json.Unmarshal(b, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return session{}, fmt.Errorf("not valid JSON (syntax error at offset %d)", se.Offset)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			// te.Value is the JSON kind ("number"), never the content.
			return session{}, fmt.Errorf("field %s must be a JSON string, not a %s", te.Field, te.Value)
		}
		return session{}, errors.New("not a JSON object with AccessKeyId, AccessKeySecret, SecurityToken and Expiration")
	}
	var missing []string
	if f.AccessKeyID == "" {
		missing = append(missing, "AccessKeyId")
	}
	if f.AccessKeySecret == "" {
		missing = append(missing, "AccessKeySecret")
	}
	if len(missing) > 0 {
		return session{}, fmt.Errorf("missing %s", strings.Join(missing, " and "))
	}
	s := session{id: f.AccessKeyID, secret: f.AccessKeySecret, token: f.SecurityToken}
	if f.Expiration != "" {
		t, err := time.Parse(time.RFC3339, f.Expiration)
		if err != nil {
			return session{}, fmt.Errorf("field Expiration %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", f.Expiration)
		}
		s.expiration = t
	}
	return s, nil
}
