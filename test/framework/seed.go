package framework

// SeedClusterCIDR is the cluster CIDR of the deployment guide's example.
const SeedClusterCIDR = "172.16.0.0/16"

// SeedArgs is the deployment guide's DaemonSet command line, verbatim except
// for the cloud-config path. Callers add --kubeconfig, --secure-port and
// --bind-address (StartCCM does).
func SeedArgs(cloudConfig string) []string {
	return []string{
		"--leader-elect=true",
		"--cloud-provider=alicloud",
		"--use-service-account-credentials=true",
		"--cloud-config=" + cloudConfig,
		"--configure-cloud-routes=true",
		"--route-reconciliation-period=3m",
		"--leader-elect-resource-lock=endpoints",
		"--cluster-cidr=" + SeedClusterCIDR,
	}
}
