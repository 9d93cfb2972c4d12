package command

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
	"github.com/alicloud-ccm/alicloud-ccm/controllers/providerid"
)

// nodeInitorTimeout bounds the whole run: a Job or init container must not
// hang when the metadata service or the apiserver does not answer.
const nodeInitorTimeout = 2 * time.Minute

// newNodeInitorCommand returns "cloud-controller-manager node-initor": the
// deployment guide's provider-initor, from the CCM image. See
// examples/node-initor/.
func newNodeInitorCommand() *cobra.Command {
	var kubeconfig, nodeName, endpoint, tokenMode string
	cmd := &cobra.Command{
		Use:   "node-initor",
		Short: "Set this node's spec.providerID to <region>.<instance-id> from the ECS metadata service, if empty",
		Long: "node-initor runs on an ECS node (DaemonSet or BroadcastJob, NODE_NAME from the downward API), reads " +
			"region-id and instance-id from the ECS metadata service and sets the node's spec.providerID to " +
			"<region>.<instance-id> when it is empty. Virtual-kubelet nodes and nodes with a providerID are left alone.",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ctx, cancel := context.WithTimeout(ctx, nodeInitorTimeout)
			defer cancel()
			cfg, err := restConfig(kubeconfig)
			if err != nil {
				return err
			}
			client, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				return fmt.Errorf("kubernetes client: %w", err)
			}
			md, err := metadata.New(metadata.Options{Endpoint: endpoint, TokenMode: metadata.TokenMode(tokenMode)})
			if err != nil {
				return fmt.Errorf("metadata client: %w", err)
			}
			res, err := providerid.RunNodeInitor(ctx, client, md, nodeName)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "node %s: providerID %s\n", nodeName, res)
			return nil
		},
	}
	// The framework's root command prints its own flag sets as help; this
	// subcommand has its own few flags, so use cobra's plain help.
	plain := &cobra.Command{}
	cmd.SetHelpFunc(plain.HelpFunc())
	cmd.SetUsageFunc(plain.UsageFunc())
	fs := cmd.Flags()
	fs.StringVar(&kubeconfig, "kubeconfig", "", "Path to a kubeconfig; empty uses the in-cluster service account.")
	fs.StringVar(&nodeName, "node-name", os.Getenv("NODE_NAME"), "The node to set (default $NODE_NAME).")
	fs.StringVar(&endpoint, "metadata-endpoint", metadata.DefaultEndpoint, "ECS instance metadata service address.")
	fs.StringVar(&tokenMode, "metadata-token-mode", string(metadata.TokenPreferred), "Metadata session tokens: preferred, required or disabled.")
	return cmd
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster config (or pass --kubeconfig): %w", err)
		}
		return cfg, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	return cfg, nil
}
