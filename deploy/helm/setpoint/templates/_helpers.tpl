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

{{/*
V8's old-space ceiling in MiB when node.maxOldSpaceSizeMiB sets one; empty otherwise. By default the
image's launcher (bin/heap-flags.mjs) derives it from the container's cgroup memory limit, which is
resources.limits.memory, so the chart does not compute it a second way.
*/}}
{{- define "setpoint.maxOldSpaceMiB" -}}
{{- if .Values.node.maxOldSpaceSizeMiB -}}
{{- .Values.node.maxOldSpaceSizeMiB | int -}}
{{- end -}}
{{- end -}}
