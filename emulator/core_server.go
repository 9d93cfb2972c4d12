// Package emulator is a wire-level emulator of the Alibaba Cloud OpenAPI
// products a cloud-controller-manager uses: CLB/SLB (2014-05-15), NLB
// (2022-04-30), VPC (2016-04-28) and ECS (2014-05-26), plus the ECS instance
// metadata service.
// It speaks the RPC protocol the official Go SDK speaks (signed query/form
// parameters, JSON answers), keeps all state in memory, and adds fault
// injection, a pluggable clock and an audit log for tests.
package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// API versions served; the version selects the product.
const (
	VersionSLB = "2014-05-15"
	VersionVPC = "2016-04-28"
	VersionECS = "2014-05-26"
	VersionNLB = "2022-04-30"
)

// Clock gives the emulator its notion of "now". Tests plug a FakeClock to
// drive asynchronous states (route entries, busy CLBs, token expiry).
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// FakeClock is a manually advanced Clock, safe for concurrent use.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a FakeClock set to t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{t: t} }

// Now returns the fake time.
func (f *FakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }

// Advance moves the fake time forward by d.
func (f *FakeClock) Advance(d time.Duration) { f.mu.Lock(); f.t = f.t.Add(d); f.mu.Unlock() }

// Set moves the fake time to t.
func (f *FakeClock) Set(t time.Time) { f.mu.Lock(); f.t = t; f.mu.Unlock() }

// advancer is implemented by clocks that the control endpoint can move.
type advancer interface{ Advance(time.Duration) }

// STSCredential is a temporary credential triple accepted by the signature
// check until Expiration.
type STSCredential struct {
	AccessKeyID     string    `json:"accessKeyId"`
	AccessKeySecret string    `json:"accessKeySecret"`
	SecurityToken   string    `json:"securityToken"`
	Expiration      time.Time `json:"expiration"`
}

// Config configures an Emulator. The zero value is usable: New fills the
// defaults documented on each field.
type Config struct {
	// Region is the emulated region (default cn-hangzhou).
	Region string
	// AccessKeys maps AccessKeyId to AccessKeySecret. When empty, New
	// installs the single pair "testid" / "testsecret".
	AccessKeys map[string]string
	// STS lists temporary credentials accepted with their SecurityToken.
	// Credentials issued by the metadata service are added automatically.
	STS []STSCredential
	// Clock is the time source (default: real time).
	Clock Clock
	// Limits are the quotas and per-call limits (default DefaultLimits()).
	Limits Limits
	// RouteEntryDelay is how long a new route entry stays Pending (and a
	// deleted one Deleting) before it becomes Available (or disappears).
	RouteEntryDelay time.Duration
	// CLBBusyAfterWrite is how long a CLB stays busy after a write; 0 = never.
	CLBBusyAfterWrite time.Duration
	// NLBJobDuration is how long an NLB asynchronous job runs: the resource
	// stays Provisioning/Configuring (and refuses other writes) until its
	// job ends. 0 = jobs end at once.
	NLBJobDuration time.Duration
	// TimestampTolerance is the accepted skew between the request Timestamp
	// and the emulator clock (default 15 minutes, as documented; negative
	// disables the check, handy when a fake clock jumps hours ahead).
	TimestampTolerance time.Duration
	// NonceMemory bounds how many SignatureNonce values are remembered
	// (default 200000); the oldest are forgotten first.
	NonceMemory int
	// AuditLimit bounds the audit log (default 100000 entries, oldest dropped).
	// Counters are never dropped.
	AuditLimit int
	// Faults is the initial fault profile (latency, errors, throttling, outages).
	Faults FaultProfile
	// Metadata configures the instance metadata service.
	Metadata MetadataConfig
	// AuditWriter, when set, receives one JSON line per audited call.
	AuditWriter interface{ Write([]byte) (int, error) }
}

// Emulator is one emulated Alibaba Cloud account and region. All state lives
// in the value (no globals), so parallel tests each run their own.
type Emulator struct {
	cfg   Config
	clock Clock

	// mu guards all resource state below; handlers run with it held.
	mu       sync.Mutex
	handlers map[string]map[string]handler // version -> action -> handler
	products map[string]string             // version -> product code
	idSeq    uint64
	reqSeq   uint64

	zones    []string
	tokens   map[string]tokenRecord // ClientToken idempotency (CLB and VPC creates)
	vpc      *vpcState
	ecs      *ecsState
	slb      *slbState
	nlb      *nlbState
	serial   map[string]serialRule // version/action -> conflict rule
	inflight map[string]int        // serialisation key -> calls in progress

	auth   authState
	faults faultState
	audit  auditState
	meta   metaState
}

// New returns an emulator with empty state (call Seed to populate it).
func New(cfg Config) *Emulator {
	if cfg.Region == "" {
		cfg.Region = "cn-hangzhou"
	}
	if len(cfg.AccessKeys) == 0 {
		cfg.AccessKeys = map[string]string{"testid": "testsecret"}
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	cfg.Limits = withDefaultLimits(cfg.Limits)
	if cfg.TimestampTolerance == 0 {
		cfg.TimestampTolerance = 15 * time.Minute
	}
	if cfg.NonceMemory <= 0 {
		cfg.NonceMemory = 200000
	}
	if cfg.AuditLimit <= 0 {
		cfg.AuditLimit = 100000
	}
	e := &Emulator{
		cfg:      cfg,
		clock:    cfg.Clock,
		handlers: map[string]map[string]handler{},
		products: map[string]string{},
		tokens:   map[string]tokenRecord{},
		vpc:      newVPCState(),
		ecs:      newECSState(),
		slb:      newSLBState(),
		nlb:      newNLBState(),
		serial:   map[string]serialRule{},
		inflight: map[string]int{},
	}
	e.auth.init(cfg)
	e.faults.set(cfg.Faults)
	e.audit.init(cfg.AuditLimit)
	e.meta.init(cfg.Metadata)
	registerVPC(e)
	registerECS(e)
	registerSLB(e)
	registerNLB(e)
	return e
}

// Region returns the emulated region ID.
func (e *Emulator) Region() string { return e.cfg.Region }

// Now returns the emulator clock's time.
func (e *Emulator) Now() time.Time { return e.clock.Now() }

// SetLimits replaces the quotas and per-call limits; zero fields get their
// DefaultLimits value. Existing resources are kept even when they exceed a
// lowered quota, as a lowered quota does in Quota Center.
func (e *Emulator) SetLimits(l Limits) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg.Limits = withDefaultLimits(l)
}

// register adds an action handler for a product version.
func (e *Emulator) register(product, version, action string, h handler) {
	if e.handlers[version] == nil {
		e.handlers[version] = map[string]handler{}
	}
	e.products[version] = product
	e.handlers[version][action] = h
}

// nextID makes a new resource ID, deterministic per emulator: prefix plus a
// 20-character lowercase suffix shaped like real IDs (e.g. "vpc-bp1...").
// splitmix64 is a bijection, so distinct counters give distinct IDs.
func (e *Emulator) nextID(prefix string) string {
	e.idSeq++
	return fmt.Sprintf("%sbp1%017x", prefix, splitmix64(e.idSeq)>>4)
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRequestID returns a deterministic UUID-shaped request ID.
func (e *Emulator) newRequestID() string {
	e.audit.mu.Lock()
	e.reqSeq++
	n := e.reqSeq
	e.audit.mu.Unlock()
	h := splitmix64(n)
	return fmt.Sprintf("%08X-%04X-4%03X-8%03X-%012X", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, n>>48&0xfff, n&0xffffffffffff)
}

// Handler returns the OpenAPI http.Handler serving every product on one
// host:port (the SDK clients of all three products point at it).
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveAPI) }

// hostID is the HostId of error bodies, the product's public endpoint.
func hostID(product string) string {
	if product == "" {
		return "aliyuncs.com"
	}
	return strings.ToLower(product) + ".aliyuncs.com"
}

// commonParams are protocol parameters, left out of the audit's key params.
var commonParams = map[string]bool{
	"AccessKeyId": true, "Signature": true, "SignatureNonce": true, "SignatureMethod": true,
	"SignatureVersion": true, "SignatureType": true, "Timestamp": true, "Format": true,
	"Version": true, "Action": true, "SecurityToken": true, "BearerToken": true,
}

func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := e.newRequestID()
	ent := AuditEntry{Time: e.clock.Now(), RequestID: reqID}
	body, status, apiErr := e.dispatch(r, reqID, &ent)
	ent.HTTPStatus = status
	if apiErr != nil {
		ent.Code = apiErr.Code
		body = errorBody(apiErr, ent.Product, reqID)
	} else {
		ent.Code = "OK"
	}
	ent.Latency = time.Since(start)
	e.record(ent)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-acs-request-id", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorBody renders the documented error shape
// {RequestId, HostId, Code, Message, Recommend}: the fields the SDK's
// errors.ServerError reads.
func errorBody(err *APIError, product, reqID string) []byte {
	b, _ := json.Marshal(struct {
		RequestID string `json:"RequestId"`
		HostID    string `json:"HostId"`
		Code      string
		Message   string
		Recommend string
	}{reqID, hostID(product), err.Code, err.Message,
		"https://api.alibabacloud.com/troubleshoot?q=" + url.QueryEscape(err.Code) + "&product=" + product + "&requestId=" + reqID})
	return b
}

// dispatch authenticates and runs one call; it fills the audit entry as it
// learns the product, action and caller.
func (e *Emulator) dispatch(r *http.Request, reqID string, ent *AuditEntry) ([]byte, int, *APIError) {
	// The SDK sends RPC calls as POST with parameters in the query; other
	// clients use the form body. Merge both, as the gateway does.
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		// ECS/CLB common tables say 403 (the gateway table says 400).
		return nil, 403, Errf(403, "UnsupportedHTTPMethod", "This HTTP method is not supported.")
	}
	if err := r.ParseForm(); err != nil {
		return nil, 400, Errf(400, "InvalidParameter", "The request body could not be parsed: %v", err)
	}
	params := r.Form
	action, version := params.Get("Action"), params.Get("Version")
	ent.Action = action
	ent.AccessKeyID = params.Get("AccessKeyId")
	ent.Params = keyParams(params)
	// Missing protocol parameters: ECS/CLB common error tables
	// (https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode).
	for _, p := range []string{"Action", "Version"} {
		if params.Get(p) == "" {
			return nil, 400, Errf(400, "MissingParameter", "The input parameter %q that is mandatory for processing this request is not supplied.", p)
		}
	}
	e.mu.Lock()
	product, okProduct := e.products[version]
	h, okAction := e.handlers[version][action]
	e.mu.Unlock()
	ent.Product = product
	if !okProduct {
		// No product serves this version, so the gateway finds no API:
		// InvalidApi.NotFound 404 (https://help.aliyun.com/en/document_detail/434846.html).
		return nil, 404, Errf(404, "InvalidApi.NotFound", "Specified api is not found,please check your url and method.")
	}
	if err := e.authenticate(r.Method, params); err != nil {
		return nil, err.HTTPStatus, err
	}
	if !okAction {
		// Known product, unknown action: InvalidAction 403 "Specified action is
		// not valid." (ECS/CLB common error tables).
		return nil, 403, Errf(403, "InvalidAction", "Specified action is not valid.")
	}
	if reg := params.Get("RegionId"); reg != "" && reg != e.cfg.Region {
		// InvalidRegionId.NotFound 404 (ECS/CLB common tables).
		return nil, 404, Errf(404, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")
	}
	now := e.clock.Now()
	delay, ferr := e.faults.apply(product, action, now)
	if ferr == nil {
		key, cerr := e.enterSerial(version, action, params)
		if cerr != nil {
			return nil, cerr.HTTPStatus, cerr
		}
		defer e.leaveSerial(key)
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if ferr != nil {
		return nil, ferr.HTTPStatus, ferr
	}
	e.mu.Lock()
	c := &call{e: e, Product: product, Action: action, Params: params, Region: params.Get("RegionId"),
		AccessKey: ent.AccessKeyID, Now: e.clock.Now(), RequestID: reqID}
	out, err := h(c)
	e.mu.Unlock()
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			ae = Errf(500, "InternalError", "The request processing has failed due to some unknown error, exception or failure.")
		}
		return nil, ae.HTTPStatus, ae
	}
	b, merr := marshalWithRequestID(out, reqID)
	if merr != nil {
		return nil, 500, Errf(500, "InternalError", "The request processing has failed due to some unknown error, exception or failure.")
	}
	return b, 200, nil
}

// keyParams keeps the action parameters (not the protocol ones) for the
// audit log; secrets never reach it because SecurityToken and Signature are
// protocol parameters.
func keyParams(p url.Values) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		if commonParams[k] || len(v) == 0 {
			continue
		}
		if isSecretParam(k) {
			out[k] = "<redacted>"
			continue
		}
		out[k] = v[0]
	}
	return out
}

// isSecretParam spots parameters carrying key material (CLB certificate
// private keys, passwords) that must not reach the audit log.
func isSecretParam(name string) bool {
	l := strings.ToLower(name)
	return strings.Contains(l, "privatekey") || strings.Contains(l, "password") || strings.Contains(l, "secret") ||
		strings.Contains(l, "token") && l != "clienttoken" && l != "nexttoken"
}

// withDefaultLimits fills every zero field of l from DefaultLimits, so a
// test can override one quota without zeroing the others.
func withDefaultLimits(l Limits) Limits {
	def := reflect.ValueOf(DefaultLimits())
	v := reflect.ValueOf(&l).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			v.Field(i).Set(def.Field(i))
		}
	}
	return l
}

// marshalWithRequestID serialises a handler's answer and sets its RequestId:
// through a RequestId struct field or map key when present, else by adding
// the key to the JSON object.
func marshalWithRequestID(out any, reqID string) ([]byte, error) {
	switch v := out.(type) {
	case nil:
		return json.Marshal(map[string]string{"RequestId": reqID})
	case map[string]any:
		v["RequestId"] = reqID
		return json.Marshal(v)
	}
	rv := reflect.ValueOf(out)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Struct {
		if rv.CanAddr() {
			if f := rv.FieldByName("RequestId"); f.IsValid() && f.Kind() == reflect.String && f.CanSet() {
				f.SetString(reqID)
				return json.Marshal(out)
			}
		} else if f := rv.FieldByName("RequestId"); f.IsValid() && f.Kind() == reflect.String {
			cp := reflect.New(rv.Type()).Elem()
			cp.Set(rv)
			cp.FieldByName("RequestId").SetString(reqID)
			return json.Marshal(cp.Interface())
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("marshal response: %w", err)
	}
	if len(b) >= 2 && b[0] == '{' {
		id, _ := json.Marshal(reqID)
		sep := ","
		if b[1] == '}' {
			sep = ""
		}
		return append(append([]byte(`{"RequestId":`), id...), append([]byte(sep), b[1:]...)...), nil
	}
	return b, nil
}

// sortedKeys returns a map's keys in order, for deterministic listings.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// serialRule makes an action refuse to run while another call with the same
// key is in progress (e.g. route writes in one VPC); key returns "" when the
// call is not serialised.
type serialRule struct {
	key      func(e *Emulator, p url.Values) string
	conflict *APIError
}

// registerSerial declares that calls of an action sharing a key may not
// overlap; an overlapping call gets conflict. Overlap happens when injected
// latency keeps a call in flight. The caller holds no lock.
func (e *Emulator) registerSerial(version, action string, key func(*Emulator, url.Values) string, conflict *APIError) {
	e.serial[version+"/"+action] = serialRule{key: key, conflict: conflict}
}

func (e *Emulator) enterSerial(version, action string, p url.Values) (string, *APIError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.serial[version+"/"+action]
	if !ok {
		return "", nil
	}
	k := r.key(e, p)
	if k == "" {
		return "", nil
	}
	if e.inflight[k] > 0 {
		return "", r.conflict
	}
	e.inflight[k]++
	return k, nil
}

func (e *Emulator) leaveSerial(k string) {
	if k == "" {
		return
	}
	e.mu.Lock()
	if e.inflight[k]--; e.inflight[k] <= 0 {
		delete(e.inflight, k)
	}
	e.mu.Unlock()
}
