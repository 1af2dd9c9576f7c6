{{/*
Names and labels. Helpers that concern one component take a dict:
(dict "ctx" $ "component" "storage").
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "platter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: fullnameOverride, else <release>-<chart>,
else just the release when it already contains the chart name.
*/}}
{{- define "platter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <chart>-<version>, for the helm.sh/chart label. */}}
{{- define "platter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name of one component's resources: <fullname>-<component>. */}}
{{- define "platter.componentName" -}}
{{- printf "%s-%s" (include "platter.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of a StatefulSet, with its zone group when there is one. At most 52
characters, because Kubernetes labels each pod with "<name>-<10-char hash>"
(controller-revision-hash, 63 at most); that also keeps member ids (pod names)
and disk ids ("<pod>-d<n>") within 63. A longer name fails rather than being
truncated into a collision.
Takes (dict "ctx" $ "component" "storage" "zone" "<zone group or empty>").
*/}}
{{- define "platter.statefulsetName" -}}
{{- $name := include "platter.componentName" . }}
{{- if .zone }}
{{- $name = printf "%s-%s" $name .zone }}
{{- end }}
{{- if gt (len $name) 52 }}
{{- fail (printf "StatefulSet name %q is longer than 52 characters; shorten the release name, fullnameOverride or the zone name" $name) }}
{{- end }}
{{- $name }}
{{- end }}

{{/* The headless Service of a component: the DNS domain of its pods. */}}
{{- define "platter.headlessServiceName" -}}
{{- printf "%s-headless" (include "platter.componentName" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select one component's pods; never change them after install. */}}
{{- define "platter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platter.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of every resource of one component. */}}
{{- define "platter.labels" -}}
helm.sh/chart: {{ include "platter.chart" .ctx }}
{{ include "platter.selectorLabels" . }}
app.kubernetes.io/part-of: platter
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The label that tells zone-group StatefulSets of one component apart. */}}
{{- define "platter.zoneGroupLabel" -}}
platter/zone-group
{{- end }}

{{/*
The label that marks a component's headless Service, so that the ServiceMonitor
scrapes it and not the frontend's S3 Service.
*/}}
{{- define "platter.headlessLabel" -}}
platter/service: headless
{{- end }}

{{/* The ServiceAccount every pod runs as. */}}
{{- define "platter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "platter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference; the tag defaults to the chart's appVersion. */}}
{{- define "platter.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The zone groups of a StatefulSet component as a JSON list, one StatefulSet per
entry: the configured zones, or a single group without a name that uses
failureDomain. Read with fromJson (under "groups").
*/}}
{{- define "platter.zoneGroups" -}}
{{- $values := index .ctx.Values .component }}
{{- $groups := list }}
{{- range $values.zones }}
{{- $groups = append $groups (dict "name" .name "zone" .name "rack" (default $.ctx.Values.failureDomain.rack .rack) "replicaCount" (ternary .replicaCount $values.replicaCount (hasKey . "replicaCount"))) }}
{{- else }}
{{- $groups = append $groups (dict "name" "" "zone" .ctx.Values.failureDomain.zone "rack" .ctx.Values.failureDomain.rack "replicaCount" $values.replicaCount) }}
{{- end }}
{{- dict "groups" $groups | toJson }}
{{- end }}
