{{/* The release's full name: <release>-setpoint, or <release> when it already contains the chart name. */}}
{{- define "setpoint.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "setpoint.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "setpoint.selectorLabels" -}}
app.kubernetes.io/name: {{ include "setpoint.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "setpoint.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "setpoint.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: setpoint
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "setpoint.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "setpoint.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where the leader Lease (and so the chart's Role for it) lives. */}}
{{- define "setpoint.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.run.leaderElectionNamespace -}}
{{- end -}}

{{/* The port of run.metricsAddress ("host:port"). */}}
{{- define "setpoint.metricsPort" -}}
{{- $parts := splitList ":" (toString .Values.run.metricsAddress) -}}
{{- $port := last $parts -}}
{{- if not (regexMatch "^[0-9]+$" $port) -}}
{{- fail (printf "run.metricsAddress must be host:port, got %q" .Values.run.metricsAddress) -}}
{{- end -}}
{{- $port -}}
{{- end -}}

{{/* A Kubernetes memory quantity (e.g. 1Gi, 768Mi, 2G, 500M, 1073741824) in MiB, rounded down. */}}
{{- define "setpoint.quantityMiB" -}}
{{- $q := toString . -}}
{{- $units := dict "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "k" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 -}}
{{- $m := regexFind "^[0-9]+(\\.[0-9]+)?" $q -}}
{{- $unit := trimPrefix $m $q -}}
{{- if or (eq $m "") (and (ne $unit "") (not (hasKey $units $unit))) -}}
{{- fail (printf "cannot read the memory quantity %q (use e.g. 1Gi, 768Mi or 1G)" $q) -}}
{{- end -}}
{{- $bytes := mulf (float64 $m) (get $units $unit | default 1.0) -}}
{{- divf $bytes 1048576.0 | floor | int -}}
{{- end -}}

{{/*
V8's old-space ceiling in MiB: node.maxOldSpaceSizeMiB, or the memory limit less max(25%, 192 MiB) for
what V8 keeps outside old space, and at least 128. Empty without a memory limit.
*/}}
{{- define "setpoint.maxOldSpaceMiB" -}}
{{- if .Values.node.maxOldSpaceSizeMiB -}}
{{- .Values.node.maxOldSpaceSizeMiB | int -}}
{{- else if and .Values.resources.limits .Values.resources.limits.memory -}}
{{- $limit := include "setpoint.quantityMiB" .Values.resources.limits.memory | int -}}
{{- $reserve := max (div $limit 4) 192 -}}
{{- max (sub $limit $reserve) 128 -}}
{{- end -}}
{{- end -}}
