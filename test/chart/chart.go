// Package chart renders the Helm chart charts/alicloud-ccm with the helm CLI
// (v4, built from the Go module proxy by hack/test-binaries.sh) for the
// chart's tests, and names the metrics its alerts and dashboard use.
package chart

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

const (
	// ReleaseName is the release name the plain manifest is rendered with.
	ReleaseName = "alicloud-ccm"
	// Namespace is the guide's namespace, the plain manifest's.
	Namespace = "kube-system"
)

// Dir is the chart's directory, found from the working directory (a test's
// package directory) upwards.
func Dir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "charts", "alicloud-ccm"), nil
}

// RepoRoot is the directory of the product's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getting working directory: %w", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/alicloud-ccm/alicloud-ccm\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the product's go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Helm returns the helm binary: $HELM_BIN, else bin/helm in the test cache.
func Helm() (string, error) { return framework.FindBinary("HELM_BIN", "helm") }

// Run runs helm with args and returns its stdout; the error carries stderr.
func Run(helm string, args ...string) (string, error) {
	cmd := exec.Command(helm, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// helm keeps caches and repositories under these; keep them out of $HOME.
	tmp := os.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(tmp, "alicloud-ccm-helm", "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(tmp, "alicloud-ccm-helm", "config"),
		"HELM_DATA_HOME="+filepath.Join(tmp, "alicloud-ccm-helm", "data"))
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// Template renders the chart with helm template, the release name and
// namespace above and extra arguments (--set ..., -f ...).
func Template(helm string, extra ...string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return Run(helm, append([]string{"template", ReleaseName, dir, "--namespace", Namespace}, extra...)...)
}

// Decode splits a multi-document YAML stream into objects, skipping empty
// documents.
func Decode(manifest string) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("decoding %q: %w", truncate(string(doc), 200), err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// MetricNames returns every metric the chart's alerts (alerts.yaml) and
// Grafana dashboard (dashboards/*.json) query, sorted, with where each is used.
func MetricNames() (map[string][]string, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	used := map[string][]string{}
	add := func(where, expr string) {
		for _, m := range ExprMetrics(expr) {
			used[m] = append(used[m], where)
		}
	}

	b, err := os.ReadFile(filepath.Join(dir, "alerts.yaml"))
	if err != nil {
		return nil, err
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		return nil, fmt.Errorf("alerts.yaml: %w", err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			add("alert "+r.Alert, r.Expr)
		}
	}

	dashboards, err := filepath.Glob(filepath.Join(dir, "dashboards", "*.json"))
	if err != nil {
		return nil, err
	}
	for _, p := range dashboards {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var d struct {
			Panels []struct {
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
			Templating struct {
				List []struct {
					Name       string `json:"name"`
					Definition string `json:"definition"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, pn := range d.Panels {
			for _, t := range pn.Targets {
				add(fmt.Sprintf("%s panel %q", filepath.Base(p), pn.Title), t.Expr)
			}
		}
		for _, v := range d.Templating.List {
			if m := labelValuesRE.FindStringSubmatch(v.Definition); m != nil {
				used[m[1]] = append(used[m[1]], fmt.Sprintf("%s variable %s", filepath.Base(p), v.Name))
			}
		}
	}
	for k := range used {
		sort.Strings(used[k])
	}
	return used, nil
}

var (
	labelValuesRE = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	stringRE      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	matchersRE    = regexp.MustCompile(`\{[^}]*\}`)
	rangeRE       = regexp.MustCompile(`\[[^\]]*\]`)
	groupingRE    = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	identRE       = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// PromQL words that are not metric names when not followed by "(".
	promqlWords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true}
)

// ExprMetrics returns the metric names a PromQL expression selects: the
// identifiers left once strings, label matchers, ranges and grouping clauses
// are removed that are not function or aggregation calls.
func ExprMetrics(expr string) []string {
	s := stringRE.ReplaceAllString(expr, `""`)
	s = matchersRE.ReplaceAllString(s, " ")
	s = rangeRE.ReplaceAllString(s, " ")
	s = groupingRE.ReplaceAllString(s, " ")
	seen := map[string]bool{}
	var out []string
	for _, loc := range identRE.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if loc[0] > 0 && (isDigit(s[loc[0]-1]) || s[loc[0]-1] == '.' || s[loc[0]-1] == '$') {
			continue // a number's exponent or unit, or a Grafana variable
		}
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || promqlWords[strings.ToLower(name)] || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Exported reports whether a Prometheus text exposition has at least one
// sample of metric (a histogram's _bucket/_sum/_count named in full).
func Exported(exposition, metric string) bool {
	for _, line := range strings.Split(exposition, "\n") {
		if strings.HasPrefix(line, metric+"{") || strings.HasPrefix(line, metric+" ") {
			return true
		}
	}
	return false
}
