package loadbalancer

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

func httpsService(certID, domains string) *v1.Service {
	a := anno("protocol-port", "https:443", "cert-id", certID)
	if domains != "" {
		a[annoPrefix+"domain-extensions"] = domains
	}
	return service("web", a, port{"https", 443, 30443, v1.ProtocolTCP})
}

func (e *env) domains(lbID string) string {
	e.t.Helper()
	req := slb.CreateDescribeDomainExtensionsRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(443)
	resp, err := e.slb.DescribeDomainExtensions(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, d := range resp.DomainExtensions.DomainExtension {
		out = append(out, d.Domain+"="+d.ServerCertificateId)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestDomainExtensions: SNI domains of the annotation are created,
// re-pointed and deleted; a domain added in the console is left alone.
func TestDomainExtensions(t *testing.T) {
	e := newEnv(t, envOpts{})
	if err := e.emu.Seed(emulator.SeedState{Certificates: []emulator.Certificate{
		{ServerCertificateID: "c-main"}, {ServerCertificateID: "c-api"}, {ServerCertificateID: "c-api2"}, {ServerCertificateID: "c-user"}}}); err != nil {
		t.Fatal(err)
	}
	svc := httpsService("c-main", "api.example.com:c-api")
	e.ensure(svc)
	id := e.lbs()[0].LoadBalancerId
	// The console adds a domain of its own.
	add := slb.CreateCreateDomainExtensionRequest()
	add.LoadBalancerId, add.ListenerPort, add.Domain, add.ServerCertificateId = id, requests.NewInteger(443), "user.example.com", "c-user"
	if _, err := e.slb.CreateDomainExtension(context.Background(), add); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, domains, want string
	}{
		{"created", "api.example.com:c-api", "api.example.com=c-api user.example.com=c-user"},
		{"certificate changed", "api.example.com:c-api2", "api.example.com=c-api2 user.example.com=c-user"},
		{"in sync writes nothing", "api.example.com:c-api2", "api.example.com=c-api2 user.example.com=c-user"},
		{"the console's domain in the annotation is not taken over", "api.example.com:c-api2,user.example.com:c-api", "api.example.com=c-api2 user.example.com=c-user"},
		{"removed: only ours goes", "", "user.example.com=c-user"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.emu.ResetAudit()
			e.ensure(httpsService("c-main", s.domains))
			if got := e.domains(id); got != s.want {
				t.Errorf("domains %q, want %q", got, s.want)
			}
			if s.name == "in sync writes nothing" && len(e.writes()) != 0 {
				t.Errorf("writes %v", e.writes())
			}
		})
	}
	for _, l := range e.listeners(id) {
		for _, tag := range l.Tags {
			if strings.HasPrefix(tag.TagKey, tagSNIPrefix) {
				t.Errorf("listener keeps tag %s=%s after its domain went", tag.TagKey, tag.TagValue)
			}
		}
	}
}

// TestCertificateCheck: a missing or expired certificate is refused with
// an error and an Event naming the annotation, before any listener write.
func TestCertificateCheck(t *testing.T) {
	e := newEnv(t, envOpts{})
	expired := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if err := e.emu.Seed(emulator.SeedState{Certificates: []emulator.Certificate{
		{ServerCertificateID: "c-ok"}, {ServerCertificateID: "c-old", ExpireTime: expired}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, cert, domains, key, reason string
	}{
		{"missing cert-id", "c-none", "", "cert-id", "does not exist"},
		{"expired cert-id", "c-old", "", "cert-id", "expired"},
		{"missing domain certificate", "c-ok", "api.example.com:c-none", "domain-extensions", "does not exist"},
		{"expired domain certificate", "c-ok", "api.example.com:c-old", "domain-extensions", "expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.r.EnsureLoadBalancer(context.Background(), "k", httpsService(tc.cert, tc.domains), e.nodes)
			var ce *CertificateError
			if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(err.Error(), annoPrefix+tc.key) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %v, want a certificate error naming %s (%s)", err, tc.key, tc.reason)
			}
			if !e.sawEvent(ReasonInvalidCertificate) {
				t.Error("no Event")
			}
		})
	}
	for _, lb := range e.lbs() {
		for _, l := range e.listeners(lb.LoadBalancerId) {
			if l.HTTPSListenerConfig.ServerCertificateId != "c-ok" {
				t.Errorf("listener with certificate %q", l.HTTPSListenerConfig.ServerCertificateId)
			}
		}
	}
}
