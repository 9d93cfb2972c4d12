package cloudapi

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
)

const (
	testAKID   = "AKIDTESTONLY0001"
	testSecret = "testsecret0001"
	testRegion = "cn-hangzhou"
)

// apiCall is one request received by the fake API.
type apiCall struct {
	Action string
	Params url.Values
}

// reply is what a fake handler answers: an HTTP status and a JSON body.
type reply struct {
	Status int
	Body   any
}

func ok(body map[string]any) reply {
	if body == nil {
		body = map[string]any{}
	}
	body["RequestId"] = "req-ok"
	return reply{Status: 200, Body: body}
}

func apiErr(status int, code, msg string) reply {
	return reply{Status: status, Body: map[string]any{
		"RequestId": "req-" + code, "HostId": "fake.aliyuncs.com", "Code": code, "Message": msg,
	}}
}

// fakeAPI is a tiny Alibaba Cloud RPC endpoint: it verifies the HMAC-SHA1
// signature (HMAC-SHA1 over the canonicalised query, as the SDK signs
// RPC requests), records calls and answers via handle, which
// gets the action, the merged query/form parameters and the 1-based count of
// calls of that action so far.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	handle func(action string, p url.Values, n int) reply

	mu    sync.Mutex
	calls []apiCall
	count map[string]int
}

func newFakeAPI(t *testing.T, handle func(action string, p url.Values, n int) reply) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, handle: handle, count: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	p := r.Form
	action := p.Get("Action")
	if want := sign(r.Method, p, testSecret); p.Get("Signature") != want {
		writeJSON(w, apiErr(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:"+stringToSign(r.Method, p)))
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Action: action, Params: p})
	f.count[action]++
	n := f.count[action]
	f.mu.Unlock()
	rep := f.handle(action, p, n)
	if rep.Status == -1 { // simulate a dropped connection
		hj, _ := w.(http.Hijacker)
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	writeJSON(w, rep)
}

func writeJSON(w http.ResponseWriter, rep reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.Status)
	_ = json.NewEncoder(w).Encode(rep.Body)
}

func stringToSign(method string, p url.Values) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	v := url.Values{}
	for _, k := range keys {
		v[k] = p[k]
	}
	canon := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(v.Encode())
	return method + "&%2F&" + url.QueryEscape(canon)
}

func sign(method string, p url.Values, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign(method, p)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// callsOf returns the recorded calls of action.
func (f *fakeAPI) callsOf(action string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// testOptions points all products at the fake, with fast retries and no
// client-side rate limit.
func testOptions(endpoint string) Options {
	po := ProductOptions{Endpoint: endpoint, RateLimit: RateLimit{QPS: -1}}
	return Options{
		Region:      testRegion,
		Credentials: credentials.NewStaticAKCredentialsProvider(testAKID, testSecret),
		UserAgent:   "alicloud-ccm/test",
		Retry:       RetryPolicy{MaxAttempts: 4, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
		ReadTimeout: 5 * time.Second,
		SLB:         po, VPC: po, ECS: po, NLB: po,
	}
}

func newTestClients(t *testing.T, f *fakeAPI, mutate ...func(*Options)) *Clients {
	t.Helper()
	opts := testOptions(f.srv.URL)
	for _, m := range mutate {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}
