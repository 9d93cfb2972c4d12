package loadbalancer

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
)

// listenerView renders a listed listener as "proto:port" plus the
// attributes a case looks at.
func listenerView(l slb.ListenerInDescribeLoadBalancerListeners) string {
	s := fmt.Sprintf("%s:%d %s %s", l.ListenerProtocol, l.ListenerPort, l.Status, l.Scheduler)
	switch l.ListenerProtocol {
	case "tcp":
		c := l.TCPListenerConfig
		s += fmt.Sprintf(" hc=%s/%d", c.HealthCheckType, c.HealthCheckInterval)
	case "udp":
		s += fmt.Sprintf(" hc=%d", l.UDPListenerConfig.HealthCheckInterval)
	case "http":
		c := l.HTTPListenerConfig
		s += fmt.Sprintf(" hc=%s/%d fwd=%s", c.HealthCheck, c.HealthCheckInterval, c.ListenerForward)
	}
	return s
}

// TestListenerTransitions drives a Service from one shape to another
// through the emulator and pins the listeners each ends with: every
// transition is accepted by the API in the order the plan sends it, and
// a second reconcile writes nothing. The health-check-interval cases are
// the annotation's whole walk, from the Service to the listing.
func TestListenerTransitions(t *testing.T) {
	tcp80 := port{"http", 80, 30080, v1.ProtocolTCP}
	udp53 := port{"dns", 53, 30053, v1.ProtocolUDP}
	tests := []struct {
		name     string
		from, to map[string]string
		fromPort []port
		toPort   []port
		want     []string
		writes   []string // the listener writes of the transition
	}{
		{name: "health-check-interval set", from: map[string]string{}, to: anno("health-check-interval", "7"),
			want:   []string{"tcp:80 running wrr hc=tcp/7"},
			writes: []string{"SetLoadBalancerTCPListenerAttribute"}},
		{name: "health-check-interval changed on udp", from: anno("health-check-interval", "3"), to: anno("health-check-interval", "9"),
			fromPort: []port{udp53}, toPort: []port{udp53},
			want:   []string{"udp:53 running wrr hc=9"},
			writes: []string{"SetLoadBalancerUDPListenerAttribute"}},
		{name: "scheduler changed", from: anno("scheduler", "wrr"), to: anno("scheduler", "rr"),
			want:   []string{"tcp:80 running rr hc=tcp/2"},
			writes: []string{"SetLoadBalancerTCPListenerAttribute"}},
		{name: "tcp becomes http", from: map[string]string{}, to: anno("protocol-port", "http:80", "health-check-flag", "on", "health-check-interval", "4"),
			want:   []string{"http:80 running wrr hc=on/4 fwd=off"},
			writes: []string{"DeleteLoadBalancerListener", "CreateLoadBalancerHTTPListener", "StartLoadBalancerListener"}},
		{name: "http becomes tcp", from: anno("protocol-port", "http:80"), to: map[string]string{},
			want:   []string{"tcp:80 running wrr hc=tcp/2"},
			writes: []string{"DeleteLoadBalancerListener", "CreateLoadBalancerTCPListener", "StartLoadBalancerListener"}},
		{name: "a port removed", from: map[string]string{}, to: map[string]string{}, fromPort: []port{tcp80, udp53}, toPort: []port{udp53},
			want:   []string{"udp:53 running wrr hc=2"},
			writes: []string{"DeleteLoadBalancerListener"}},
		{name: "a port added", from: map[string]string{}, to: map[string]string{}, fromPort: []port{udp53}, toPort: []port{tcp80, udp53},
			want:   []string{"tcp:80 running wrr hc=tcp/2", "udp:53 running wrr hc=2"},
			writes: []string{"CreateLoadBalancerTCPListener", "StartLoadBalancerListener"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			fromPort, toPort := tc.fromPort, tc.toPort
			if fromPort == nil {
				fromPort, toPort = []port{tcp80}, []port{tcp80}
			}
			e.ensure(service("web", tc.from, fromPort...))
			e.emu.ResetAudit()
			to := service("web", tc.to, toPort...)
			e.ensure(to)
			var writes []string
			for _, w := range e.writes() {
				if slices.Contains([]string{"SetLoadBalancerTCPListenerAttribute", "SetLoadBalancerUDPListenerAttribute",
					"SetLoadBalancerHTTPListenerAttribute", "DeleteLoadBalancerListener", "CreateLoadBalancerTCPListener",
					"CreateLoadBalancerHTTPListener", "StartLoadBalancerListener"}, w) {
					writes = append(writes, w)
				}
			}
			if !slices.Equal(writes, tc.writes) {
				t.Errorf("listener writes %v, want %v", writes, tc.writes)
			}
			var got []string
			for _, l := range e.listeners(e.lbs()[0].LoadBalancerId) {
				got = append(got, listenerView(l))
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("listeners\n got %v\nwant %v", got, tc.want)
			}
			e.emu.ResetAudit()
			e.ensure(to)
			if w := e.writes(); len(w) > 0 {
				t.Errorf("a second reconcile wrote %v", w)
			}
		})
	}
}
