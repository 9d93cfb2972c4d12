// Command cloud-controller-manager is the Alibaba Cloud (provider "alicloud")
// cloud-controller-manager for self-managed Kubernetes clusters.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // optional JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics on /metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric

	"github.com/alicloud-ccm/alicloud-ccm/cmd/cloud-controller-manager/command"
)

func main() {
	cmd, err := command.New(stopOnSignal())
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(cli.Run(cmd))
}

// stopOnSignal returns a channel closed on the first SIGTERM or SIGINT, so
// the command stops and hands its leader Lease over (a pod's shutdown, a
// DaemonSet rolling update); a second signal exits at once.
func stopOnSignal() <-chan struct{} {
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		close(stop)
		<-sigs
		os.Exit(1)
	}()
	return stop
}
