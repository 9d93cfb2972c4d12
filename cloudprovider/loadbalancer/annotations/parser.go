package annotations

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/internal/shorten"
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

// parser holds the state of one Parse call.
type parser struct {
	svc  *v1.Service
	ann  map[string]string
	d    Defaults
	cfg  *Config
	errs []error
	// seen records the key (either prefix) and value each set annotation
	// was read from, so cross-checks can name them in errors.
	seen map[Name]setting
	// nlb is set by ParseNLB: ranges come from the NLB registry rows, and
	// on/off switches are read as the official CCM's NLB controller reads
	// them (any case of `on`).
	nlb bool
}

// setting is one annotation as found on the Service.
type setting struct {
	key, val string
}

func newParser(svc *v1.Service, d Defaults) *parser {
	p := &parser{svc: svc, ann: svc.Annotations, d: d, cfg: &Config{}, seen: map[Name]setting{}}
	if p.ann == nil {
		p.ann = map[string]string{}
	}
	return p
}

// get returns the trimmed value of an annotation and the key it was found
// under. The current prefix wins over the legacy one; when both are set to
// different values a warning says which one is used. An empty value counts
// as unset, as it is for the official CCM.
func (p *parser) get(n Name) (val, key string, ok bool) {
	if s, done := p.seen[n]; done {
		return s.val, s.key, true
	}
	key = string(n)
	raw, found := p.ann[key]
	if legacy := n.Legacy(); legacy != "" {
		lraw, lfound := p.ann[legacy]
		switch {
		case found && lfound && strings.TrimSpace(lraw) != strings.TrimSpace(raw):
			p.warnf("annotation %s=%q is ignored: %s=%q is set too and takes precedence", legacy, lraw, key, raw)
		case !found && lfound:
			key, raw, found = legacy, lraw, true
		}
	}
	val = strings.TrimSpace(raw)
	if !found || val == "" {
		return "", "", false
	}
	p.seen[n] = setting{key: key, val: val}
	return val, key, true
}

// has reports whether the annotation is set (under either prefix).
func (p *parser) has(n Name) bool {
	_, _, ok := p.get(n)
	return ok
}

// fail records an invalid value.
func (p *parser) fail(key, val, format string, args ...any) {
	p.errs = append(p.errs, &Error{Key: key, Value: val, Reason: fmt.Sprintf(format, args...)})
}

// failName records an error against an annotation that is set, naming the
// key it was found under.
func (p *parser) failName(n Name, format string, args ...any) {
	val, key, ok := p.get(n)
	if !ok {
		key = string(n)
	}
	p.fail(key, val, format, args...)
}

// warnf records a non-fatal finding.
func (p *parser) warnf(format string, args ...any) {
	// Warnings become Events: every string argument (an annotation value,
	// most often) is shortened here, as errors shorten theirs.
	for i, a := range args {
		if str, ok := a.(string); ok {
			args[i] = shorten.Value(str)
		}
	}
	p.cfg.Warnings = append(p.cfg.Warnings, fmt.Sprintf(format, args...))
}

// warnIgnored warns that a set annotation has no effect, and why.
func (p *parser) warnIgnored(n Name, why string) {
	if val, key, ok := p.get(n); ok {
		p.warnf("annotation %s=%q is ignored: %s", key, val, why)
	}
}

// str returns the value of a free-form annotation; "" when unset.
func (p *parser) str(n Name) string {
	val, _, _ := p.get(n)
	return val
}

// onOff parses an on/off flag as the official CCM reads it: it compares
// with lower-case `on` and treats every other value as off. So `On`, `yes`
// or `true` is off here too (the same cloud result), with a Warning that
// names the value, because off is rarely what such a value meant. Its NLB
// controller compares in any case, so for an NLB Service `On` is on.
func (p *parser) onOff(n Name) *bool { return p.onOffValue(n, false) }

// onOffStrict parses an on/off flag the official CCM does not have: no
// migrating Service depends on a lenient reading, so anything but `on` or
// `off` is an error.
func (p *parser) onOffStrict(n Name) *bool { return p.onOffValue(n, true) }

// onOffValue reads on/off; any other value is an error when strict, else
// off with a Warning.
func (p *parser) onOffValue(n Name, strict bool) *bool {
	val, key, ok := p.get(n)
	if !ok {
		return nil
	}
	switch {
	case val == "on", p.nlb && !strict && strings.EqualFold(val, "on"):
		return new(true)
	case val == "off", p.nlb && !strict && strings.EqualFold(val, "off"):
		return new(false)
	}
	if strict {
		p.fail(key, val, "must be on or off (lower case)")
		return nil
	}
	p.warnf("annotation %s=%q is read as off, as the official CCM does (it recognises only lower-case on); write on or off", key, val)
	return new(false)
}

// trueFalse parses a true/false flag (force-override-listeners). The
// official CCM compares with `true`; any other value is false there and
// here, with a Warning unless it is `false`.
func (p *parser) trueFalse(n Name) bool {
	val, key, ok := p.get(n)
	if !ok {
		return false
	}
	switch val {
	case "true":
		return true
	case "false":
		return false
	}
	p.warnf("annotation %s=%q is read as false, as the official CCM does (it recognises only lower-case true); write true or false", key, val)
	return false
}

// intRange parses an integer in the registry's Range of n.
func (p *parser) intRange(n Name) *int {
	val, key, ok := p.get(n)
	if !ok {
		return nil
	}
	r := p.rangeOf(n)
	v, err := strconv.Atoi(val)
	if err != nil {
		p.fail(key, val, "must be an integer from %d to %d", r.Min, r.Max)
		return nil
	}
	if !r.Contains(v) {
		p.fail(key, val, "must be from %d to %d", r.Min, r.Max)
		return nil
	}
	return &v
}

// rangeOf is the Range of n in the registry the parser reads: the NLB
// row's for an NLB Service (its limits differ), else the CLB row's.
func (p *parser) rangeOf(n Name) Range {
	if p.nlb {
		return nlbRangeOf(n)
	}
	return rangeOf(n)
}

// enum parses one of values and returns it ("" when unset or invalid).
// A value that differs only in case is read as the canonical spelling:
// silently with fold (the official CCM ignores case there too), else with a
// Warning. Any other value is an error.
func (p *parser) enum(n Name, fold bool, values ...string) string {
	val, key, ok := p.get(n)
	if !ok {
		return ""
	}
	for _, v := range values {
		if v == val {
			return v
		}
	}
	for _, v := range values {
		if strings.EqualFold(v, val) {
			if fold {
				return v
			}
			p.warnf("annotation %s=%q is read as %q; write it in that case", key, val, v)
			return v
		}
	}
	if len(values) == 1 {
		p.fail(key, val, "must be %s", values[0])
	} else {
		p.fail(key, val, "must be one of %s", strings.Join(values, ", "))
	}
	return ""
}

// fallback parses a value the official CCM compares with one spelling and
// otherwise falls back to def (backend-type: only `eni` is eni). Any value
// other than values gives def and a Warning, as the cloud result is def.
func (p *parser) fallback(n Name, def string, values ...string) string {
	val, key, ok := p.get(n)
	if !ok {
		return ""
	}
	if slices.Contains(values, val) {
		return val
	}
	p.warnf("annotation %s=%q is read as %s, as the official CCM does (it recognises only %s)", key, val, def, strings.Join(values, ", "))
	return def
}

// idPattern accepts Alibaba Cloud resource IDs (lb-..., vsw-..., rsp-...,
// acl-..., rg-..., certificate IDs such as 123_abc-cn-hangzhou). It only
// catches obvious mistakes (spaces, separators, quotes); the API decides
// whether the resource exists.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// id parses a resource ID annotation; "" when unset or invalid.
func (p *parser) id(n Name) string {
	val, key, ok := p.get(n)
	if !ok {
		return ""
	}
	if !idPattern.MatchString(val) {
		p.fail(key, val, "must be a single resource ID (letters, digits, '.', '_', '-')")
		return ""
	}
	return val
}

// list splits a comma-separated annotation into trimmed items. An empty item
// (`a,,b` or a trailing comma) is an error: it is usually a typo.
func (p *parser) list(n Name) (items []string, key, val string, ok bool) {
	val, key, ok = p.get(n)
	if !ok {
		return nil, "", "", false
	}
	for item := range strings.SplitSeq(val, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			p.fail(key, val, "has an empty item in its comma-separated list")
			return nil, key, val, false
		}
		items = append(items, item)
	}
	return items, key, val, true
}

// servicePorts returns the distinct spec.ports port numbers.
func (p *parser) servicePorts() []int32 {
	var ports []int32
	for _, sp := range p.svc.Spec.Ports {
		if !slices.Contains(ports, sp.Port) {
			ports = append(ports, sp.Port)
		}
	}
	return ports
}

// Port numbers, of listeners, backends and health checks.
const minPort, maxPort = 1, 65535

// parsePort parses a port number minPort–maxPort.
func parsePort(s string) (int32, bool) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil || v < minPort || v > maxPort {
		return 0, false
	}
	return int32(v), true
}

// portList formats ports for error messages.
func portList(ports []int32) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
