package annotations

import (
	"bytes"
	"fmt"
	"strings"
)

// docIntro opens docs/annotations.md.
const docIntro = `# Service annotations (CLB)

<!-- Generated from cloudprovider/loadbalancer/annotations (registry_*.go). Do not edit:
     run ` + "`make docs`" + ` or
     UPDATE_DOCS=1 go test ./cloudprovider/loadbalancer/annotations -run TestAnnotationsDocIsFresh -->

A Service of ` + "`type: LoadBalancer`" + ` gets a CLB (classic SLB) configured by the
annotations below. Keys are ` + "`" + Prefix + "<name>`" + `; the table gives ` + "`<name>`" + `.
The legacy prefix ` + "`" + LegacyPrefix + "`" + ` is read too; when a key is set under both
prefixes the new one wins and a warning event names the ignored one. The backend type is
` + "`" + string(KeyBackendType) + "`" + ` (no load balancer prefix).

How values are checked (the rule for Services that come from the official CCM,
kubernetes/cloud-provider-alibaba-cloud):

- A value the official CCM rejects is an error here too. Every annotation is read and checked
  before anything is changed in the cloud; all invalid values are reported together in one
  ` + "`SyncLoadBalancerFailed`" + ` event, each as ` + "`annotation <key>=\"<value>\": <reason>`" + `, and
  nothing is changed until they are fixed.
- A value the official CCM accepts gives the same cloud result as there, plus a
  ` + "`LoadBalancerAnnotationWarning`" + ` event naming the key, the value and why it is probably not what was
  meant. So on/off switches read every value other than ` + "`on`" + ` and ` + "`off`" + ` (` + "`On`" + `,
  ` + "`yes`" + `, ` + "`true`" + `) as off, and enum values written in another case (` + "`Internet`" + `,
  ` + "`RR`" + `) are read in their canonical case, each with a warning. Numbers out of range stay
  errors.
- The CCM refuses only what would harm resources it does not own.
- An empty value is the same as no annotation.
- Unknown keys with a load balancer prefix produce a warning event with the nearest known name
  ("did you mean health-check-flag?"). So do annotations that apply to no listener of the
  Service (e.g. ` + "`cert-id`" + ` without an https listener) and other values that have no effect.
- Listener annotations apply to every listener of the Service whose protocol is in the
  "Applies to" column.
- "unset" and "SLB default" mean the CCM does not manage the value: an existing load
  balancer keeps whatever it has.

The "On change" column says what happens when the annotation changes on an existing load
balancer: *updated in place*; *immutable*: the Service gets an error event naming the field,
and the CLB is never recreated (delete and recreate the Service to change it); *used at
creation only*; *listener recreated*: the listener is deleted and created again (brief
interruption on that port).

Examples of every group are in [examples/services/](../examples/services/).

Quotas: before the first cloud write for a Service the CCM checks its plan against the CLB
quotas (defaults 200 backend servers and 50 listeners per CLB, 50 vServer groups per ECS
instance; raised quotas are set in cloud-config, see [cloud-config.md](cloud-config.md)):

- More eligible backends than the CLB's backend quota (shared over the Service's vServer
  groups, after the members of others on a reused CLB): a stable, zone-balanced subset is
  used and a Normal ` + "`SelectedBackendSubset`" + ` event says so. With
  ` + "`externalTrafficPolicy: Cluster`" + ` any node forwards to any pod; with ` + "`Local`" + `, nodes
  with endpoints are chosen first. ` + "`" + string(KeyBackendLabel) + "`" + ` picks the nodes yourself.
- More ports than the listener quota, or vServer groups that would put a node over the
  vServer groups per instance quota (counted over this cluster's CLBs): a Warning
  ` + "`LoadBalancerQuotaExceeded`" + ` event naming the quota, and no CLB is created at all.
- A Service that already has its CLB keeps getting its other changes: a new port gets its
  listener while the listener quota allows, with the backends that fit; what does not fit is
  named in a Warning ` + "`LoadBalancerQuotaExceeded`" + ` event.
`

// docMigrating opens the "Migrating from the official CCM" section; the
// per-annotation differences after it come from the registry's Differs.
const docMigrating = `
## Migrating from the official CCM

Services written for the official CCM (kubernetes/cloud-provider-alibaba-cloud) keep their
annotations. The rule:

- a value the official CCM rejects is an error naming the key and the value, and nothing is
  written;
- a value the official CCM accepts gives the same cloud result (listeners, vServer groups,
  weights, attributes), plus a ` + "`LoadBalancerAnnotationWarning`" + ` event naming the key, the
  value and why it is probably not what was meant;
- the CCM refuses only what would harm resources it does not own.

CLBs the official CCM created for a Service (tag ` + "`kubernetes.do.not.delete=<default name>`" + `)
are adopted with their address and listeners. CLBs this CCM creates carry that tag too and the
official listener and vServer group names (` + "`k8s/<port>/<service>/<namespace>/<cluster id>`" + `),
so the official tools and a move back see them as the cluster's; this CCM's own tags
(` + "`alicloud-ccm/*`" + `) remain its proof of ownership.

Differences that remain, each with its reason:

- Values the official CCM passed to the API unchecked and the API refused (unknown enum values,
  numbers out of range, missing companions such as ` + "`acl-id`" + ` with ` + "`acl-status: on`" + `)
  are errors before any write, naming the key, instead of a failed API call.
- vServer group names longer than 80 characters (the API's limit) are shortened with a hash of
  namespace/name; the official CCM's create would fail.
- An id annotation pointing at a CLB a CCM created (carrying ` + "`kubernetes.do.not.delete`" + `,
  ` + "`ack.aliyun.com`" + ` or this CCM's tags) is refused with an error naming the tag, as the
  official CCM refuses it.
`

// RenderMarkdown renders the registry as docs/annotations.md.
func RenderMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString(docIntro)

	for _, g := range Groups {
		fmt.Fprintf(&b, "\n## %s\n\n", g)
		proto := g == GroupListener || g == GroupHealth
		if proto {
			b.WriteString("| Annotation | Values | Default | Applies to | On change | Description |\n|---|---|---|---|---|---|\n")
		} else {
			b.WriteString("| Annotation | Values | Default | On change | Description |\n|---|---|---|---|---|\n")
		}
		for _, a := range registry {
			if a.Group != g {
				continue
			}
			name := a.Name.Suffix()
			desc := a.Doc
			if a.Differs != "" {
				desc += " *Differs from the official CCM:* " + a.Differs
			}
			cells := []string{"`" + name + "`", a.Type, orDash(a.Default)}
			if proto {
				cells = append(cells, orDash(a.Protocols))
				if a.Protocols == "" {
					cells[len(cells)-1] = "all"
				}
			}
			cells = append(cells, string(a.Mutability), desc)
			fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
		}
	}
	b.WriteString(docMigrating)
	b.WriteString("\nPer annotation:\n\n")
	for _, a := range registry {
		if a.Differs != "" {
			fmt.Fprintf(&b, "- `%s`: %s\n", a.Name.Suffix(), a.Differs)
		}
	}
	renderNLB(&b)
	return b.Bytes()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
