{{/*
Resources that are the same shape for every component, each rendered by the
component's own template file. Each takes (dict "ctx" $ "component" "<name>").
*/}}

{{/*
The headless Service of a component: a DNS name per pod (StatefulSet pods
advertise it as their gRPC address) and the admin port the ServiceMonitor
scrapes. Not-ready pods are published because members reach each other
while they start (a namespace replica joins its chain before it is ready).
*/}}
{{- define "platter.headlessService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "platter.headlessServiceName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "platter.labels" . | nindent 4 }}
    {{ include "platter.headlessLabel" . }}
spec:
  type: ClusterIP
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    {{- include "platter.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .ctx.Values.ports.grpc }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    - name: admin
      port: {{ .ctx.Values.ports.admin }}
      targetPort: admin
      protocol: TCP
      appProtocol: http
{{- end }}

{{/* A PodDisruptionBudget over every pod of a component (all its zone groups). */}}
{{- define "platter.pdb" -}}
{{- $c := index .ctx.Values .component }}
{{- if $c.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "platter.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "platter.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $c.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "platter.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/* A prometheus-operator ServiceMonitor scraping /metrics on the admin port. */}}
{{- define "platter.serviceMonitor" -}}
{{- $sm := .ctx.Values.metrics.serviceMonitor }}
{{- if $sm.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "platter.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "platter.labels" . | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "platter.selectorLabels" . | nindent 6 }}
      {{ include "platter.headlessLabel" . }}
  namespaceSelector:
    matchNames:
      - {{ .ctx.Release.Namespace }}
  endpoints:
    - port: admin
      path: /metrics
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
{{- end }}
{{- end }}

{{/*
A component's ConfigMap: the shared settings, then the component's own,
passed as "data" (a dict of variable name to value; may be empty).
*/}}
{{- define "platter.configMap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "platter.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "platter.labels" . | nindent 4 }}
data:
  {{- include "platter.commonConfig" . | nindent 2 }}
  {{- range $name, $value := .data }}
  {{ $name }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}

{{/*
The Deployment of a stateless component (frontend, placement, auditor,
repair). Extra key: "extraPorts", container ports beyond gRPC and admin.
Replicas are left to the HorizontalPodAutoscaler when the component has one.
*/}}
{{- define "platter.deployment" -}}
{{- $v := .ctx.Values }}
{{- $c := index $v .component }}
{{- $autoscaled := and (hasKey $c "autoscaling") $c.autoscaling.enabled -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "platter.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "platter.labels" . | nindent 4 }}
spec:
  {{- if not $autoscaled }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  strategy:
    {{- toYaml $c.strategy | nindent 4 }}
  selector:
    matchLabels:
      {{- include "platter.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      annotations:
        {{- include "platter.podAnnotations" . | nindent 8 }}
      labels:
        {{- include "platter.podLabels" . | nindent 8 }}
    spec:
      {{- include "platter.podSpecCommon" . | nindent 6 }}
      containers:
        - name: {{ .component }}
          {{- include "platter.containerCommon" . | nindent 10 }}
          command:
            {{- include "platter.command" . | nindent 12 }}
          envFrom:
            - configMapRef:
                name: {{ include "platter.componentName" . }}
          env:
            {{- include "platter.identityEnv" (dict "ctx" .ctx "component" .component "stateful" false "zone" $v.failureDomain.zone "rack" $v.failureDomain.rack) | nindent 12 }}
            {{- with $c.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            {{- include "platter.containerPorts" . | nindent 12 }}
            {{- with .extraPorts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- include "platter.probes" . | nindent 10 }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          volumeMounts:
            {{- include "platter.tmpVolumeMount" . | nindent 12 }}
      volumes:
        {{- include "platter.tmpVolume" .ctx | nindent 8 }}
{{- end }}
