package annotations

import (
	"errors"

	v1 "k8s.io/api/core/v1"
)

// Parse reads every load balancer annotation and field of svc once into a
// typed Config. All problems are aggregated: the error is an errors.Join of
// *Error, one per bad key. The returned Config is never nil, but must not be
// acted on when the error is not nil.
func Parse(svc *v1.Service, d Defaults) (*Config, error) {
	p := newParser(svc, d)
	p.parseInstance()
	p.parseListeners()
	p.parseHealthChecks()
	p.parseBackend()
	p.parseServiceFields()
	p.warnUnknown()
	return p.cfg, errors.Join(p.errs...)
}
