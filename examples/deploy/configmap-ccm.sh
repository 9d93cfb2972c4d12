#!/usr/bin/env bash
# Creates the kube-system/cloud-config ConfigMap the CCM reads, as in the
# deployment guide: the AccessKey pair is stored base64-encoded.
#
# Usage:
#   export ACCESS_KEY_ID=LTAI... ACCESS_KEY_SECRET=...
#   REGION=cn-hangzhou bash configmap-ccm.sh
# Environment:
#   REGION    region ID of the cluster's VPC (default cn-hangzhou)
#   OUT       file to write (default cloud-config.yaml)
#   NO_APPLY  set to 1 to only write the file, not run kubectl apply
set -euo pipefail

: "${ACCESS_KEY_ID:?export ACCESS_KEY_ID (your AccessKey ID)}"
: "${ACCESS_KEY_SECRET:?export ACCESS_KEY_SECRET (your AccessKey secret)}"
REGION="${REGION:-cn-hangzhou}"
OUT="${OUT:-cloud-config.yaml}"

# -w 0: one line, or the JSON string below would break on long secrets.
accessKeyIDBase64=$(printf '%s' "$ACCESS_KEY_ID" | base64 -w 0)
accessKeySecretBase64=$(printf '%s' "$ACCESS_KEY_SECRET" | base64 -w 0)

cat <<YAML >"$OUT"
apiVersion: v1
kind: ConfigMap
metadata:
  name: cloud-config
  namespace: kube-system
data:
  cloud-config.conf: |-
    {
        "Global": {
            "accessKeyID": "$accessKeyIDBase64",
            "accessKeySecret": "$accessKeySecretBase64",
            "region": "$REGION"
        }
    }
YAML
echo "wrote $OUT" >&2

if [[ "${NO_APPLY:-}" != "1" ]]; then
  # apply rather than the guide's create, so re-running updates the keys.
  kubectl apply -f "$OUT"
fi
