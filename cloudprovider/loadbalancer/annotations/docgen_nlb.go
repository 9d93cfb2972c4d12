package annotations

import (
	"bytes"
	"fmt"
	"strings"
)

// docNLB opens the NLB section of docs/annotations.md.
const docNLB = `
# Network Load Balancer (NLB) Services

A Service with ` + "`spec.loadBalancerClass: " + NLBClass + "`" + `, or with the annotation
` + "`" + string(KeyLoadBalancerType) + ": nlb`" + `, asks for an NLB instead of a CLB. The class is
immutable (Kubernetes enforces it); switching the annotation between ` + "`clb`" + ` and ` + "`nlb`" + ` on a
Service that already has its load balancer is refused with a Warning event and nothing is written.
NLB Services read the keys below: the NLB-only keys, and CLB keys with the NLB meaning and
ranges given here. An NLB-only key on a CLB Service, and a CLB-only key on an NLB Service, gives a
warning and is ignored.
The values follow the official CCM's NLB annotations
(https://www.alibabacloud.com/help/en/slb/network-load-balancer/use-cases/configure-nlb-instances-by-using-annotations).
Where this CCM differs: on/off values are read in any case (` + "`On`" + ` is on), as the official CCM's NLB
controller reads them; ` + "`scheduler`" + `, ` + "`server-group-type`" + `, ` + "`health-check-type`" + ` and
` + "`health-check-method`" + ` are read in any case and sent in the API's spelling; a list where the NLB takes one
item (` + "`cert-id`" + `, ` + "`cacert-id`" + `), a CLB spelling (` + "`$_ip`" + `, ` + "`-520`" + `) and combinations the NLB refuses
(` + "`qch`" + ` with a tcp listener, ` + "`preserve-client-ip: on`" + ` with a tcpssl listener, overlapping port ranges) are
errors before any cloud write. The health check settings apply without ` + "`health-check-flag`" + ` (the official
CCM reads them only with ` + "`health-check-flag: on`" + `). Examples: [examples/services/nlb-*.yaml](../examples/services/).

The framework's service controller skips every Service with a loadBalancerClass, so the NLB
class is served by this CCM's ` + "`nlb-service`" + ` controller (on by default;
` + "`--controllers=*,-nlb-service`" + ` switches it off); the annotation reaches the NLB engine through the
framework. docs/nlb.md says how to ask for an NLB and what differs from the official CCM.
`

// renderNLB writes the NLB section: one table per NLB group.
func renderNLB(b *bytes.Buffer) {
	b.WriteString(docNLB)
	all := AllNLB()
	for _, g := range NLBGroups {
		fmt.Fprintf(b, "\n## %s\n\n", g)
		b.WriteString("| Annotation | Values | Default | Applies to | On change | NLB only | Description |\n|---|---|---|---|---|---|---|\n")
		for _, a := range all {
			if a.Group != g {
				continue
			}
			only := "no"
			if isNLBOnly(a.Name) {
				only = "yes"
			}
			proto := a.Protocols
			if proto == "" {
				proto = "all"
			}
			cells := []string{"`" + a.Name.Suffix() + "`", a.Type, orDash(a.Default), proto, string(a.Mutability), only, a.Doc}
			fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
		}
	}
}
