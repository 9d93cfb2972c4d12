package command

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the Makefile through -ldflags "-X ...".
var (
	gitVersion = "v0.0.0-dev"
	gitCommit  = "unknown"
)

// VersionString describes this build: our version and commit, Go, and the
// versions of the Alibaba Cloud SDK and k8s.io/cloud-provider linked in.
func VersionString() string {
	return fmt.Sprintf("alicloud-cloud-controller-manager %s (commit %s, %s, alibaba-cloud-sdk-go %s, k8s.io/cloud-provider %s)",
		gitVersion, gitCommit, runtime.Version(),
		moduleVersion("github.com/aliyun/alibaba-cloud-sdk-go"), moduleVersion("k8s.io/cloud-provider"))
}

// moduleVersion reads a dependency's version from the build information.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, m := range info.Deps {
		if m.Path == path {
			if m.Replace != nil {
				return m.Replace.Version
			}
			return m.Version
		}
	}
	return "unknown"
}
