package emulator

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// sslListener creates a TCPSSL listener with a default certificate and
// returns its ID.
func sslListener(t *testing.T, c *nlb.Client, lb, group string, port int, cert string) string {
	t.Helper()
	r := tcpListenerReq(lb, group, port)
	r.ListenerProtocol, r.CertificateIds = "TCPSSL", &[]string{cert}
	resp, err := c.CreateListener(r)
	if err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	return resp.ListenerId
}

// certIDs makes n certificate IDs named prefix-1..prefix-n.
func certIDs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i+1)
	}
	return out
}

// TestNLBAdditionalCertRules drives the documented rules of
// Associate/DisassociateAdditionalCertificatesWithListener through the SDK:
// at most 15 IDs a call, no certificate twice (the default one included,
// or twice in one call), the quota over the NLB, the listener busy while
// the job runs, and UpdateListenerAttribute refusing an additional
// certificate as the default one until it is disassociated.
func TestNLBAdditionalCertRules(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, c := nlbEnv(t, withJobs(fc, 5*time.Second), func(cfg *Config) { cfg.Limits.NLBAdditionalCertsPerLB = 20 })
	lb := mustNLB(t, c)
	fc.Advance(5 * time.Second)
	g := mustSSLGroup(t, c)
	fc.Advance(5 * time.Second)
	lsn := sslListener(t, c, lb, g, 443, "cert-default")
	fc.Advance(5 * time.Second)

	assoc := func(ids ...string) error {
		a := nlb.CreateAssociateAdditionalCertificatesWithListenerRequest()
		a.ListenerId, a.AdditionalCertificateIds = lsn, &ids
		_, err := c.AssociateAdditionalCertificatesWithListener(a)
		return err
	}
	disassoc := func(ids ...string) error {
		d := nlb.CreateDisassociateAdditionalCertificatesWithListenerRequest()
		d.ListenerId, d.AdditionalCertificateIds = lsn, &ids
		_, err := c.DisassociateAdditionalCertificatesWithListener(d)
		return err
	}
	setDefault := func(id string) error {
		u := nlb.CreateUpdateListenerAttributeRequest()
		u.ListenerId, u.CertificateIds = lsn, &[]string{id}
		_, err := c.UpdateListenerAttribute(u)
		return err
	}
	steps := []struct {
		name   string
		run    func() error
		code   string
		settle bool // let the job end afterwards
	}{
		{"16 in one call", func() error { return assoc(certIDs("c", 16)...) }, "IllegalParam.AdditionalCertificateIds", false},
		{"the default one", func() error { return assoc("cert-default") }, "ResourceAlreadyAssociated.Certificate", false},
		{"twice in one call", func() error { return assoc("x", "x") }, "ResourceAlreadyAssociated.Certificate", false},
		{"15 in one call", func() error { return assoc(certIDs("c", 15)...) }, "", false},
		{"busy while the job runs", func() error { return assoc("d-1") }, "IncorrectStatus.listener", true},
		{"quota over the NLB", func() error { return assoc(certIDs("d", 6)...) }, "QuotaExceeded.QuotaInsufficient", false},
		{"an additional one as default", func() error { return setDefault("c-1") }, "ResourceAlreadyAssociated.Certificate", false},
		{"disassociate 16", func() error { return disassoc(certIDs("c", 16)...) }, "IllegalParam.AdditionalCertificateIds", false},
		{"disassociate the default", func() error { return disassoc("cert-default") }, "ResourceNotFound.Certificate", false},
		{"disassociate c-1", func() error { return disassoc("c-1") }, "", true},
		{"then c-1 as default", func() error { return setDefault("c-1") }, "", true},
		{"the old default as additional", func() error { return assoc("cert-default") }, "", true},
	}
	for _, s := range steps {
		err := s.run()
		if s.code == "" {
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		} else {
			wantErr(t, err, s.code, 400)
		}
		if s.settle {
			fc.Advance(5 * time.Second)
		}
	}
	l := nlb.CreateListListenerCertificatesRequest()
	l.ListenerId, l.CertType = lsn, "Server"
	resp, err := c.ListListenerCertificates(l)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]string{"c-1"}, certIDs("c", 15)[1:]...), "cert-default")
	if got := strings.Join(resp.CertificateIds, ","); got != strings.Join(want, ",") || !resp.Certificates[0].IsDefault {
		t.Fatalf("server certificates %s, want %s (%+v)", got, strings.Join(want, ","), resp.Certificates[0])
	}
}

// ppv2Of reads ProxyProtocolV2Config from a raw GetListenerAttribute or
// ListListeners entry, as a client must (the SDK types lack it).
type ppv2Of struct {
	ProxyProtocolV2Config *struct {
		VpcID bool `json:"Ppv2VpcIdEnabled"`
		EpID  bool `json:"Ppv2PrivateLinkEpIdEnabled"`
		EpsID bool `json:"Ppv2PrivateLinkEpsIdEnabled"`
	}
}

func (p ppv2Of) String() string {
	if p.ProxyProtocolV2Config == nil {
		return "missing"
	}
	v := p.ProxyProtocolV2Config
	return fmt.Sprintf("vpc=%v ep=%v eps=%v", v.VpcID, v.EpID, v.EpsID)
}

// TestNLBListenerProxyProtocolV2Config: CreateListener and
// UpdateListenerAttribute take ProxyProtocolV2Config as the official SDKs
// send it (one body parameter holding JSON) or flattened; an update
// changes only the fields it names; GetListenerAttribute and ListListeners
// return it; a value that is not a boolean is refused.
func TestNLBListenerProxyProtocolV2Config(t *testing.T) {
	_, c := nlbEnv(t)
	lb := mustNLB(t, c)
	g := mustGroupNLB(t, c, "Instance", "TCP", false)
	r := tcpListenerReq(lb, g, 80)
	r.ProxyProtocolEnabled = requests.NewBoolean(true)
	r.FormParams["ProxyProtocolV2Config"] = `{"Ppv2VpcIdEnabled":true,"Ppv2PrivateLinkEpIdEnabled":"true"}`
	cr, err := c.CreateListener(r)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.CreateListener(tcpListenerReq(lb, g, 81))
	if err != nil {
		t.Fatal(err)
	}
	get := func(id string) string {
		gr := nlb.CreateGetListenerAttributeRequest()
		gr.ListenerId = id
		resp, err := c.GetListenerAttribute(gr)
		if err != nil {
			t.Fatal(err)
		}
		var p ppv2Of
		if err := json.Unmarshal(resp.GetHttpContentBytes(), &p); err != nil {
			t.Fatal(err)
		}
		if resp.ListenerId != id {
			t.Fatalf("GetListenerAttribute lost the SDK fields: %+v", resp)
		}
		return p.String()
	}
	listed := func() map[string]string {
		resp, err := c.ListListeners(nlb.CreateListListenersRequest())
		if err != nil {
			t.Fatal(err)
		}
		var raw struct{ Listeners []json.RawMessage }
		if err := json.Unmarshal(resp.GetHttpContentBytes(), &raw); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for i, l := range raw.Listeners {
			var p ppv2Of
			if err := json.Unmarshal(l, &p); err != nil {
				t.Fatal(err)
			}
			out[resp.Listeners[i].ListenerId] = p.String()
		}
		return out
	}
	update := func(params map[string]string) error {
		u := nlb.CreateUpdateListenerAttributeRequest()
		u.ListenerId = cr.ListenerId
		for k, v := range params {
			u.FormParams[k] = v
		}
		_, err := c.UpdateListenerAttribute(u)
		return err
	}
	if got := get(cr.ListenerId); got != "vpc=true ep=true eps=false" {
		t.Fatalf("created: %s", got)
	}
	if got := listed(); got[cr.ListenerId] != "vpc=true ep=true eps=false" || got[plain.ListenerId] != "vpc=false ep=false eps=false" {
		t.Fatalf("listed: %v", got)
	}
	cases := []struct {
		name   string
		params map[string]string
		code   string
		want   string
	}{
		{"one field changes, the others stay", map[string]string{"ProxyProtocolV2Config": `{"Ppv2PrivateLinkEpsIdEnabled":true}`}, "", "vpc=true ep=true eps=true"},
		{"flattened form", map[string]string{"ProxyProtocolV2Config.Ppv2VpcIdEnabled": "false"}, "", "vpc=false ep=true eps=true"},
		{"not JSON", map[string]string{"ProxyProtocolV2Config": `Ppv2VpcIdEnabled=true`}, "IllegalParam.ProxyProtocolV2Config", "vpc=false ep=true eps=true"},
		{"not a boolean", map[string]string{"ProxyProtocolV2Config": `{"Ppv2VpcIdEnabled":1}`}, "IllegalParam.ProxyProtocolV2Config", "vpc=false ep=true eps=true"},
		{"not a boolean, flattened", map[string]string{"ProxyProtocolV2Config.Ppv2VpcIdEnabled": "yes"}, "IllegalParam.ProxyProtocolV2Config", "vpc=false ep=true eps=true"},
		{"unknown fields are ignored", map[string]string{"ProxyProtocolV2Config": `{"Other":true,"Ppv2PrivateLinkEpIdEnabled":false}`}, "", "vpc=false ep=false eps=true"},
	}
	for _, tc := range cases {
		err := update(tc.params)
		if tc.code == "" && err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.code != "" {
			wantErr(t, err, tc.code, 400)
		}
		if got := get(cr.ListenerId); got != tc.want {
			t.Fatalf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
