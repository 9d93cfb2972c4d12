package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// notServedGroups are API groups of config files that live next to manifests
// but are consumed by tools, not by the apiserver.
var notServedGroups = map[string]bool{"kustomize.config.k8s.io": true, "kwok.x-k8s.io": true, "config.kwok.x-k8s.io": true}

// manifestDoc is one Kubernetes object found under examples/.
type manifestDoc struct {
	source string // file#index
	obj    *unstructured.Unstructured
}

// TestExamplesDryRun server-side-applies (dry run, strict field validation)
// every Kubernetes object in examples/ so the published manifests cannot rot.
func TestExamplesDryRun(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "examples")
	docs, err := loadManifests(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d Kubernetes objects under %s", len(docs), root)
	if len(docs) == 0 {
		return
	}
	a := newApplier(t, framework.Shared(t), true)
	for _, d := range docs {
		gvk := d.obj.GroupVersionKind()
		t.Run(fmt.Sprintf("%s/%s/%s", strings.TrimPrefix(d.source, "../../"), gvk.Kind, d.obj.GetName()), func(t *testing.T) {
			a.apply(t, d.obj)
		})
	}
}

// TestConfigmapScript runs examples/deploy/configmap-ccm.sh without kubectl
// and checks that it writes a valid ConfigMap with base64 keys.
func TestConfigmapScript(t *testing.T) {
	t.Parallel()
	const id, secret = "LTAI5tScriptTestKeyId0000", "Script+Test/Secret=0000000000"
	out := filepath.Join(framework.TestDir(t, "configmap"), "cloud-config.yaml")
	cmd := exec.Command("bash", filepath.Join("..", "..", "examples", "deploy", "configmap-ccm.sh"))
	cmd.Env = append(os.Environ(), "ACCESS_KEY_ID="+id, "ACCESS_KEY_SECRET="+secret,
		"REGION=cn-beijing", "OUT="+out, "NO_APPLY=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("configmap-ccm.sh: %v\n%s", err, b)
	}
	docs, err := decodeFile(out)
	if err != nil || len(docs) != 1 {
		t.Fatalf("decoding the script's output: %d documents, %v", len(docs), err)
	}
	conf, _, _ := unstructured.NestedString(docs[0].obj.Object, "data", "cloud-config.conf")
	var cc struct {
		Global struct{ AccessKeyID, AccessKeySecret, Region string }
	}
	if err := json.Unmarshal([]byte(conf), &cc); err != nil {
		t.Fatalf("cloud-config.conf is not JSON: %v\n%s", err, conf)
	}
	for _, c := range []struct{ name, b64, want string }{
		{"accessKeyID", cc.Global.AccessKeyID, id}, {"accessKeySecret", cc.Global.AccessKeySecret, secret},
	} {
		got, err := base64.StdEncoding.DecodeString(c.b64)
		if err != nil || string(got) != c.want {
			t.Errorf("%s = %q decodes to %q (%v), want %q", c.name, c.b64, got, err, c.want)
		}
	}
	if cc.Global.Region != "cn-beijing" {
		t.Errorf("region = %q, want cn-beijing", cc.Global.Region)
	}
	newApplier(t, framework.Shared(t), true).apply(t, docs[0].obj)
}

// applier server-side-applies objects, with dryRun=All unless told otherwise.
type applier struct {
	cp       *framework.ControlPlane
	mapper   meta.RESTMapper
	dyn      dynamic.Interface
	warnings *warningLog
	dryRun   bool
}

func newApplier(t *testing.T, cp *framework.ControlPlane, dryRun bool) *applier {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(cp.Config)
	if err != nil {
		t.Fatalf("discovery client: %v", err)
	}
	cfg := rest.CopyConfig(cp.Config)
	warnings := &warningLog{}
	cfg.WarningHandler = warnings
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("dynamic client: %v", err)
	}
	return &applier{cp: cp, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
		dyn: dyn, warnings: warnings, dryRun: dryRun}
}

// warningLog collects the apiserver's warnings (deprecated fields and labels)
// so each subtest can log its own instead of klog printing them to stderr.
type warningLog struct {
	mu   sync.Mutex
	msgs []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *warningLog) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	w.msgs = append(w.msgs, text)
	w.mu.Unlock()
}

func (w *warningLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

func (a *applier) apply(t *testing.T, obj *unstructured.Unstructured) {
	t.Helper()
	gvk := obj.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s: no such resource on kube-apiserver: %v", gvk, err)
	}
	var client dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ensureNamespace(t, a.cp, ns)
		client = a.dyn.Resource(mapping.Resource).Namespace(ns)
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		t.Fatal(err)
	}
	force := true
	opts := metav1.PatchOptions{
		FieldManager: "e2e-examples", Force: &force,
		// Strict: a misspelt field is an error, not a silent drop.
		FieldValidation: "Strict",
	}
	if a.dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = client.Patch(framework.Ctx(t), obj.GetName(), types.ApplyPatchType, data, opts)
	for _, w := range a.warnings.take() {
		t.Logf("apiserver warning: %s", w)
	}
	if err != nil {
		t.Fatalf("apply (dry run %v) of %s %q: %v", a.dryRun, gvk, obj.GetName(), err)
	}
}

// ensureNamespace creates ns for real: a dry-run Namespace in the same
// manifest does not exist for the objects after it.
func ensureNamespace(t *testing.T, cp *framework.ControlPlane, ns string) {
	t.Helper()
	_, err := cp.Client.CoreV1().Namespaces().Create(framework.Ctx(t),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
}

// loadManifests reads every .yaml/.yml/.json file under root (recursively,
// multi-document) and returns the documents that are Kubernetes objects.
// Documents without apiVersion and kind (e.g. emulator seed files) and
// tool config kinds are skipped. A missing root yields no documents.
func loadManifests(root string) ([]manifestDoc, error) {
	var docs []manifestDoc
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipDir
			}
			return err
		}
		ext := strings.ToLower(filepath.Ext(path))
		if d.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			return nil
		}
		found, err := decodeFile(path)
		if err != nil {
			return err
		}
		docs = append(docs, found...)
		return nil
	})
	return docs, err
}

func decodeFile(path string) ([]manifestDoc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var docs []manifestDoc
	for i := 0; ; i++ {
		var doc any
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, fmt.Errorf("decoding %s document %d: %w", path, i, err)
		}
		raw, ok := doc.(map[string]any)
		if !ok {
			continue // empty document between "---" separators, or not an object
		}
		obj := &unstructured.Unstructured{Object: raw}
		if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
			continue // not a Kubernetes object (e.g. an emulator seed)
		}
		if list, ok := raw["items"].([]any); ok && strings.HasSuffix(obj.GetKind(), "List") {
			for j, item := range list {
				m, ok := item.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s document %d item %d is not an object", path, i, j)
				}
				docs = append(docs, manifestDoc{fmt.Sprintf("%s#%d.%d", path, i, j), &unstructured.Unstructured{Object: m}})
			}
			continue
		}
		if notServedGroups[obj.GroupVersionKind().Group] {
			continue
		}
		docs = append(docs, manifestDoc{fmt.Sprintf("%s#%d", path, i), obj})
	}
}
