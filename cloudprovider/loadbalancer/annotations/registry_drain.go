package annotations

import (
	"errors"

	v1 "k8s.io/api/core/v1"
)

// KeyDrainUnscheduledBackend asks for graceful node drains: a cordoned or
// autoscaler-tainted node stays a backend at weight 0 until it is gone.
const KeyDrainUnscheduledBackend Name = Prefix + "drain-unscheduled-backend"

// drainAnnotations are the graceful-drain settings, read by the endpoint
// backends (package podbackends) rather than by Parse: they only change
// member weights, never the load balancer.
var drainAnnotations = []Annotation{
	{Name: KeyDrainUnscheduledBackend, Group: GroupBackend, Type: onOff, Default: "`off`", Mutability: Mutable,
		Doc: "Drain nodes gracefully: a cordoned node, or one tainted `ToBeDeletedByClusterAutoscaler`, stays a backend at weight 0 " +
			"(no new connections) together with its ENI and ECI pods, until the Node is deleted (then it is removed) or back in service " +
			"(then its weight is restored). Without it a cordoned node is removed at once with `remove-unscheduled-backend: on`, and a node " +
			"tainted by the cluster autoscaler is removed at once. Terminating endpoints always go to weight 0 before removal.",
		Differs: "New in this CCM."},
}

// ParseDrain reads KeyDrainUnscheduledBackend (either prefix): true for
// "on", false when unset or "off", an *Error naming key and value
// otherwise.
func ParseDrain(svc *v1.Service) (bool, error) {
	p := newParser(svc, Defaults{})
	v := p.onOffStrict(KeyDrainUnscheduledBackend)
	if err := errors.Join(p.errs...); err != nil {
		return false, err
	}
	return v != nil && *v, nil
}
