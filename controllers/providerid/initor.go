package providerid

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
	pid "github.com/alicloud-ccm/alicloud-ccm/cloudprovider/providerid"
)

// InstanceIdentity is the part of the metadata client (config/metadata)
// the node-initor reads.
type InstanceIdentity interface {
	RegionID(ctx context.Context) (string, error)
	InstanceID(ctx context.Context) (string, error)
}

// InitorResult says what RunNodeInitor did.
type InitorResult string

// Results of RunNodeInitor.
const (
	InitorSet        InitorResult = "set"
	InitorAlreadySet InitorResult = "already set"
	InitorVirtual    InitorResult = "virtual node, skipped"
)

// RunNodeInitor is the node-initor mode: run on a node (a DaemonSet or the
// deployment guide's BroadcastJob, with NODE_NAME from the downward API),
// it reads region-id and instance-id from the metadata service and sets
// the node's spec.providerID to "<region>.<instance-id>" if it is empty.
// A providerID that is already set is left alone (it is immutable), with a
// warning if it names another instance.
func RunNodeInitor(ctx context.Context, client kubernetes.Interface, md InstanceIdentity, nodeName string) (InitorResult, error) {
	if nodeName == "" {
		return "", errors.New("node name is empty: set NODE_NAME from the downward API (fieldRef spec.nodeName)")
	}
	region, err := md.RegionID(ctx)
	if err != nil {
		return "", fmt.Errorf("reading region-id from the ECS metadata service: %w", err)
	}
	instance, err := md.InstanceID(ctx)
	if err != nil {
		return "", fmt.Errorf("reading instance-id from the ECS metadata service: %w", err)
	}
	want := pid.ID{Region: region, InstanceID: instance}
	if _, err := pid.Parse(want.String()); err != nil {
		return "", fmt.Errorf("the metadata service gave region %q and instance %q: %w", region, instance, err)
	}
	var result InitorResult
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		switch {
		case nodeclass.IsVirtual(node):
			result = InitorVirtual
			return nil
		case node.Spec.ProviderID != "":
			result = InitorAlreadySet
			if got, err := pid.Parse(node.Spec.ProviderID); err != nil || got != want {
				klog.InfoS("WARNING: the node's providerID does not name this ECS instance; leaving it (providerID is immutable)",
					"node", nodeName, "providerID", node.Spec.ProviderID, "instance", want.String())
			}
			return nil
		}
		body := fmt.Sprintf(`{"metadata":{"resourceVersion":%q},"spec":{"providerID":%q}}`, node.ResourceVersion, want.String())
		_, err = client.CoreV1().Nodes().Patch(ctx, nodeName, types.MergePatchType, []byte(body), metav1.PatchOptions{FieldManager: "node-initor"})
		result = InitorSet
		return err
	})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return "", fmt.Errorf("node %q does not exist: %w", nodeName, err)
		}
		return "", fmt.Errorf("node %q: setting spec.providerID to %s: %w", nodeName, want, err)
	}
	klog.InfoS("node-initor done", "node", nodeName, "providerID", want.String(), "result", string(result))
	return result, nil
}
