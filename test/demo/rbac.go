package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// deployManifest is the project's deployment manifest (the guide's ccm.yaml).
const deployManifest = "examples/deploy/ccm.yaml"

// applyRBAC creates every object of the deployment manifest except its
// DaemonSet: the CCM runs here as a local process, but with
// --use-service-account-credentials=true each of its controllers acts as
// its own service account, which needs exactly the permissions the
// manifest grants (nothing more, so the demo shows the manifest suffices).
func (d *demo) applyRBAC(ctx context.Context) error {
	b, err := os.ReadFile(deployManifest)
	if err != nil {
		return fmt.Errorf("reading %s: %w", deployManifest, err)
	}
	objs, err := decodeManifest(b)
	if err != nil {
		return fmt.Errorf("%s: %w", deployManifest, err)
	}
	var made []string
	for _, obj := range objs {
		desc, err := createObject(ctx, d.cp.Client, obj)
		if err != nil {
			return fmt.Errorf("%s: %w", deployManifest, err)
		}
		if desc != "" {
			made = append(made, desc)
		}
	}
	d.say("applied %s without its DaemonSet (%d objects: RBAC and the ServiceAccount),", deployManifest, len(made))
	d.say("so the CCM's controllers run with the permissions the manifest grants them")
	return nil
}

// decodeManifest splits a multi-document YAML file into typed objects.
func decodeManifest(b []byte) ([]runtime.Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var objs []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading a YAML document: %w", err)
		}
		if len(strings.TrimSpace(stripComments(string(doc)))) == 0 {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("decoding a document: %w", err)
		}
		objs = append(objs, obj)
	}
}

// stripComments drops YAML comment lines, to recognise empty documents.
func stripComments(doc string) string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// createObject creates one manifest object and returns "Kind/name", or ""
// for the DaemonSet it skips.
func createObject(ctx context.Context, cs kubernetes.Interface, obj runtime.Object) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	opts := metav1.CreateOptions{}
	var err error
	var desc string
	switch o := obj.(type) {
	case *appsv1.DaemonSet:
		return "", nil
	case *corev1.ServiceAccount:
		desc = "ServiceAccount/" + o.Name
		_, err = cs.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, opts)
	case *rbacv1.ClusterRole:
		desc = "ClusterRole/" + o.Name
		_, err = cs.RbacV1().ClusterRoles().Create(ctx, o, opts)
	case *rbacv1.ClusterRoleBinding:
		desc = "ClusterRoleBinding/" + o.Name
		_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, o, opts)
	case *rbacv1.Role:
		desc = "Role/" + o.Name
		_, err = cs.RbacV1().Roles(o.Namespace).Create(ctx, o, opts)
	case *rbacv1.RoleBinding:
		desc = "RoleBinding/" + o.Name
		_, err = cs.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, opts)
	default:
		return "", fmt.Errorf("unexpected object %T in the manifest", obj)
	}
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", desc, err)
	}
	return desc, nil
}
