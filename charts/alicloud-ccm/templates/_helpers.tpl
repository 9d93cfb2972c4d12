{{/* Labels every object carries. */}}
{{- define "alicloud-ccm.labels" -}}
app.kubernetes.io/name: alicloud-ccm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The guide's pod labels: the workload's selector, so a DaemonSet applied
from the guide's manifest can be taken over by this chart (selectors are
immutable). */}}
{{- define "alicloud-ccm.selectorLabels" -}}
app: cloud-controller-manager
tier: control-plane
{{- end -}}

{{- define "alicloud-ccm.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* Where the cloud-config volume is mounted; the guide's path. */}}
{{- define "alicloud-ccm.cloudConfigDir" -}}/etc/kubernetes/config{{- end -}}

{{/* The Secret with the AccessKey pair, created or existing. */}}
{{- define "alicloud-ccm.credentialsSecret" -}}
{{- if .Values.credentials.create -}}
{{ .Values.name }}-credentials
{{- else -}}
{{ .Values.credentials.existingSecret }}
{{- end -}}
{{- end -}}
