{{/*
Applies istiod's legacy `pilot:` prefix (its values override the top-level keys of the same name)
and the checks a schema cannot express. Every template includes it first; it is idempotent.
*/}}
{{- define "sextant.init" -}}
{{- if .Values.pilot }}
{{- $_ := mustMergeOverwrite .Values .Values.pilot }}
{{- end }}
{{- if and .Values.autoscaleEnabled (gt (int .Values.autoscaleMin) (int .Values.autoscaleMax)) }}
{{- fail (printf "autoscaleMin (%v) must not be greater than autoscaleMax (%v)" .Values.autoscaleMin .Values.autoscaleMax) }}
{{- end }}
{{- end }}

{{/* istiod, or istiod-<revision>: Deployment, Service, ServiceAccount, Role, HPA, PDB. */}}
{{- define "sextant.name" -}}
istiod{{- if ne .Values.revision "" }}-{{ .Values.revision }}{{- end }}
{{- end }}

{{/* The value of istio.io/rev and REVISION. */}}
{{- define "sextant.revision" -}}
{{ .Values.revision | default "default" }}
{{- end }}

{{/* The mesh config ConfigMap, named as istiod looks it up (getMeshConfigMapName): istio for the
default revision, istio-<revision> otherwise. */}}
{{- define "sextant.meshConfigMap" -}}
istio{{- if not (has .Values.revision (list "" "default")) }}-{{ .Values.revision }}{{- end }}
{{- end }}

{{/* istiod's ClusterRole and ClusterRoleBinding name. */}}
{{- define "sextant.clusterRoleName" -}}
istiod-clusterrole{{- if ne .Values.revision "" }}-{{ .Values.revision }}{{- end }}-{{ .Release.Namespace }}
{{- end }}

{{/* The ConfigMap holding the mesh root certificate in every namespace. */}}
{{- define "sextant.rootCertConfigMap" -}}
{{ .Values.global.trustBundleName | default "istio-ca-root-cert" }}
{{- end }}

{{- define "sextant.image" -}}
{{- if contains "/" .Values.image -}}
{{ .Values.image }}
{{- else -}}
{{- $hub := .Values.hub | default .Values.global.hub -}}
{{- $tag := .Values.tag | default .Values.global.tag | default .Chart.AppVersion -}}
{{ if $hub }}{{ $hub }}/{{ end }}{{ .Values.image }}:{{ $tag }}
{{- end -}}
{{- end }}

{{/* Pod selector: istio=pilot for the default revision (so it never selects a canary), app and
istio.io/rev otherwise, as istiod's chart. */}}
{{- define "sextant.selectorLabels" -}}
{{- if ne .Values.revision "" -}}
app: istiod
istio.io/rev: {{ .Values.revision | quote }}
{{- else -}}
istio: pilot
{{- end }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "sextant.labels" -}}
app: istiod
release: {{ .Release.Name }}
app.kubernetes.io/name: "istiod"
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/part-of: "istio"
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of the control plane's workload objects (Deployment, Service, HPA, PDB, ConfigMap). */}}
{{- define "sextant.componentLabels" -}}
{{ include "sextant.labels" . }}
istio.io/rev: {{ include "sextant.revision" . | quote }}
istio: pilot
operator.istio.io/component: "Pilot"
{{- end }}
