// Package sdkimports only pins the SDK packages in go.mod until their users land.
package sdkimports

import (
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	_ "k8s.io/component-base/metrics/legacyregistry"
)
