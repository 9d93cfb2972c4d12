// Command cloud-controller-manager is the Alibaba Cloud (provider "alicloud")
// cloud-controller-manager for self-managed Kubernetes clusters.
package main

import (
	"os"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // optional JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics on /metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric

	"github.com/alicloud-ccm/alicloud-ccm/cmd/cloud-controller-manager/command"
)

func main() {
	cmd, err := command.New(wait.NeverStop)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(cli.Run(cmd))
}
