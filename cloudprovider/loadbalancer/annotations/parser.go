package annotations

import v1 "k8s.io/api/core/v1"

// parser holds the state of one Parse call.
type parser struct {
	svc  *v1.Service
	d    Defaults
	cfg  *Config
	errs []error
}

func newParser(svc *v1.Service, d Defaults) *parser {
	return &parser{svc: svc, d: d, cfg: &Config{}}
}

func (p *parser) parseInstance()      {}
func (p *parser) parseListeners()     {}
func (p *parser) parseHealthChecks()  {}
func (p *parser) parseBackend()       {}
func (p *parser) parseServiceFields() {}
func (p *parser) crossChecks()        {}
func (p *parser) warnUnknown()        {}

// ImmutableFields lists the instance attributes that cannot change after the
// load balancer is created, with their desired values; see ImmutableField.
func (c *Config) ImmutableFields() []ImmutableField { return nil }
