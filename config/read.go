package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// maxConfigSize bounds the file; a cloud-config is a few hundred bytes.
const maxConfigSize = 1 << 20

// Load reads the file at path with Read and runs Validate.
func Load(path string) (*CloudConfig, Warnings, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open cloud-config: %w", err)
	}
	defer func() { _ = f.Close() }()
	cfg, warns, err := Read(f)
	if err != nil {
		return nil, warns, fmt.Errorf("cloud-config %s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, warns, fmt.Errorf("cloud-config %s: %w", path, err)
	}
	return cfg, warns, nil
}

// field describes one Global field for decoding and documentation.
type field struct {
	name    string // json name
	index   int
	def     string // `default` tag
	ignored string // `ignored` tag: why the field has no effect
}

// globalFields lists Global's fields in declaration order.
var globalFields = func() []field {
	t := reflect.TypeOf(Global{})
	out := make([]field, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, field{name: name, index: i, def: f.Tag.Get("default"), ignored: f.Tag.Get("ignored")})
	}
	return out
}()

// Read parses a cloud-config in JSON or YAML. It reports every problem at
// once: decoding errors (errors.Join, one per field, naming the field and,
// except for secrets, the value) and warnings for unknown, misspelled-case
// and ignored fields. It decodes the base64 AccessKey fields and applies
// defaults. Cross-field rules are checked by Validate.
func Read(r io.Reader) (*CloudConfig, Warnings, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read cloud-config: %w", err)
	}
	if len(data) > maxConfigSize {
		return nil, nil, fmt.Errorf("cloud-config is larger than %d bytes", maxConfigSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, errors.New(`cloud-config is empty: want {"Global": {...}}`)
	}
	js := data
	// JSON is tried first: YAML forbids tab indentation, which JSON files
	// written by hand often use.
	if !json.Valid(data) {
		if js, err = yaml.YAMLToJSON(data); err != nil {
			return nil, nil, fmt.Errorf("cloud-config is neither JSON nor YAML: %w", err)
		}
	}
	var warns Warnings
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil || top == nil {
		return nil, nil, errors.New(`cloud-config must be an object with a "Global" object: {"Global": {...}}`)
	}
	cfg := &CloudConfig{}
	var globalRaw json.RawMessage
	for _, k := range sortedKeys(top) {
		switch {
		case k == "Global":
			globalRaw = top[k]
		case strings.EqualFold(k, "Global"):
			warns.addf("%q: accepted as \"Global\"; use the documented spelling", k)
			globalRaw = top[k]
		default:
			warns.addf("unknown top-level field %q ignored; every setting belongs in \"Global\"", k)
		}
	}
	if globalRaw == nil {
		return nil, warns, errors.New(`cloud-config has no "Global" object: want {"Global": {...}}`)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(globalRaw, &raw); err != nil {
		return nil, warns, errors.New(`cloud-config "Global" must be an object`)
	}

	gv := reflect.ValueOf(&cfg.Global).Elem()
	var errs []error
	seen := map[string]string{}
	for _, k := range sortedKeys(raw) {
		f, exact, ok := lookupField(k)
		if !ok {
			warns.addf("unknown field Global.%s ignored", k)
			continue
		}
		if prev, dup := seen[f.name]; dup {
			errs = append(errs, fmt.Errorf("Global.%s: set twice (as %q and %q)", f.name, prev, k))
			continue
		}
		seen[f.name] = k
		if !exact {
			warns.addf("Global.%s: accepted as %s; use the documented spelling", k, f.name)
		}
		if err := decodeField(gv.Field(f.index), raw[k]); err != nil {
			errs = append(errs, fmt.Errorf("Global.%s: %w", f.name, err))
			continue
		}
		if f.ignored != "" && !gv.Field(f.index).IsZero() {
			warns.addf("Global.%s is ignored: %s", f.name, f.ignored)
		}
	}
	for _, s := range []struct {
		name string
		v    *Secret
	}{{"accessKeyID", &cfg.Global.AccessKeyID}, {"accessKeySecret", &cfg.Global.AccessKeySecret}} {
		if err := decodeSecret(s.name, s.v, &warns); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, warns, err
	}
	cfg.applyDefaults()
	cfg.readWarnings(&warns)
	return cfg, warns, nil
}

func lookupField(k string) (f field, exact, ok bool) {
	for _, f := range globalFields {
		if f.name == k {
			return f, true, true
		}
	}
	for _, f := range globalFields {
		if strings.EqualFold(f.name, k) {
			return f, false, true
		}
	}
	return field{}, false, false
}

// decodeField decodes raw into v. Errors say what was expected and the JSON
// kind received, never the value (a misplaced secret must not be echoed).
func decodeField(v reflect.Value, raw json.RawMessage) error {
	if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("want %s, got a JSON %s", kindName(v.Type()), te.Value)
		}
		return fmt.Errorf("want %s", kindName(v.Type()))
	}
	return nil
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Map:
		return fmt.Sprintf("an object of %s", kindName(t.Elem()))
	case reflect.Float64:
		return "a number"
	default:
		// Global has no fields of other kinds; name the Go type.
		return t.String()
	}
}

// decodeSecret replaces the base64 text in v by its decoded value.
func decodeSecret(name string, v *Secret, warns *Warnings) error {
	if *v == "" {
		return nil
	}
	hint := fmt.Sprintf("Global.%s must be base64 (value not shown): encode it with `echo -n \"$VALUE\" | base64 -w 0`", name)
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v.Value()))
	if err != nil {
		return errors.New(hint)
	}
	s := string(b)
	if t := strings.TrimRight(s, "\r\n"); t != s {
		// `echo` without -n: the newline is not part of the key.
		warns.addf("Global.%s: the decoded value ends with a newline, which was removed (encode with `echo -n`)", name)
		s = t
	}
	if s == "" {
		return fmt.Errorf("Global.%s: decodes to an empty value", name)
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			// An AccessKey is printable ASCII; anything else means the file
			// holds the plain key (which happened to be valid base64) or junk.
			return fmt.Errorf("%s; it decodes to bytes that are not an AccessKey (plain, unencoded value?)", hint)
		}
	}
	*v = Secret(s)
	return nil
}

// applyDefaults fills empty fields from their `default` tags.
func (c *CloudConfig) applyDefaults() {
	gv := reflect.ValueOf(&c.Global).Elem()
	for _, f := range globalFields {
		if fv := gv.Field(f.index); f.def != "" && fv.Kind() == reflect.String && fv.String() == "" {
			fv.SetString(f.def)
		}
	}
}

// readWarnings adds warnings about settings that are valid but likely not
// what the user meant.
func (c *CloudConfig) readWarnings(w *Warnings) {
	g := &c.Global
	if g.CredentialsFile != "" && g.AccessKeyID != "" {
		w.addf("Global.credentialsFile %q is not used: the AccessKey pair in this file takes precedence", g.CredentialsFile)
	}
	gates, _ := parseFeatureGates(g.FeatureGates)
	for _, name := range sortedKeys(gates) {
		if !knownFeatureGates[name] {
			w.addf("Global.featureGates: unknown feature gate %q ignored", name)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
