{{/*
Pieces shared by every Platter pod. Each takes (dict "ctx" $ "component" "<name>")
unless it says otherwise; the component's values are `index .ctx.Values .component`.
*/}}

{{/*
Settings every component reads, for its ConfigMap. Pod-specific settings
(identity, addresses, failure domain) are in platter.identityEnv instead.
*/}}
{{- define "platter.commonConfig" -}}
{{- $v := .ctx.Values }}
{{- $c := index $v .component -}}
PLATTER_ETCD_ENDPOINTS: {{ join "," $v.etcd.endpoints | quote }}
PLATTER_ETCD_PREFIX: {{ $v.etcd.prefix | quote }}
PLATTER_GRPC_HOST: "0.0.0.0"
PLATTER_GRPC_PORT: {{ $v.ports.grpc | int64 | quote }}
PLATTER_ADMIN_HOST: "0.0.0.0"
PLATTER_ADMIN_PORT: {{ $v.ports.admin | int64 | quote }}
PLATTER_LOG_LEVEL: {{ default $v.logLevel $c.logLevel | quote }}
PLATTER_LEASE_TTL_SECONDS: {{ $v.leaseTtlSeconds | int64 | quote }}
PLATTER_SHUTDOWN_GRACE_MS: {{ $v.shutdownGraceMs | int64 | quote }}
{{- with $v.glibcTunables }}
GLIBC_TUNABLES: {{ . | quote }}
{{- end }}
{{- if not $v.redis.existingSecret }}
PLATTER_REDIS_URL: {{ $v.redis.url | quote }}
{{- end }}
{{- end }}

{{/*
Who this pod is and where: its member id (the pod name), the address other
members dial, and its failure domain. StatefulSet pods advertise their stable
DNS name, so a restarted pod keeps its address; other pods advertise their IP.
Extra keys: "stateful" (bool), "zone" and "rack" (strings).
*/}}
{{- define "platter.identityEnv" -}}
{{- $v := .ctx.Values -}}
- name: PLATTER_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: PLATTER_HOST
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- if .stateful }}
- name: PLATTER_ADVERTISE_HOST
  value: {{ printf "$(PLATTER_ID).%s.%s.svc.%s" (include "platter.headlessServiceName" .) .ctx.Release.Namespace $v.clusterDomain | quote }}
{{- else }}
- name: PLATTER_ADVERTISE_HOST
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end }}
- name: PLATTER_ZONE
  value: {{ .zone | quote }}
- name: PLATTER_RACK
  value: {{ .rack | quote }}
{{- if $v.redis.existingSecret }}
- name: PLATTER_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.redis.existingSecret }}
      key: {{ $v.redis.existingSecretKey }}
{{- end }}
{{- end }}

{{/* The command of a component's container. */}}
{{- define "platter.command" -}}
- node
{{- range .ctx.Values.nodeArgs }}
- {{ . | quote }}
{{- end }}
- {{ printf "apps/%s/dist/main.js" .component }}
{{- end }}

{{/* The gRPC and admin ports of every container. */}}
{{- define "platter.containerPorts" -}}
- name: grpc
  containerPort: {{ .ctx.Values.ports.grpc }}
  protocol: TCP
- name: admin
  containerPort: {{ .ctx.Values.ports.admin }}
  protocol: TCP
{{- end }}

{{/*
Startup and liveness ask /healthz on the admin port (the process is up);
readiness asks the gRPC health service, which reports SERVING only once the
member is registered in etcd and until it starts shutting down.
*/}}
{{- define "platter.probes" -}}
{{- $p := .ctx.Values.probes -}}
startupProbe:
  httpGet:
    path: /healthz
    port: admin
  periodSeconds: {{ $p.startup.periodSeconds }}
  timeoutSeconds: {{ $p.startup.timeoutSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
readinessProbe:
  grpc:
    port: {{ .ctx.Values.ports.grpc }}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
livenessProbe:
  httpGet:
    path: /healthz
    port: admin
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
{{- end }}

{{/*
Pod annotations: the checksum of the component's ConfigMap, so that a changed
setting rolls the pods, then the component's own annotations.
*/}}
{{- define "platter.podAnnotations" -}}
{{- $c := index .ctx.Values .component -}}
checksum/config: {{ include (print .ctx.Template.BasePath "/" .component "/configmap.yaml") .ctx | sha256sum }}
{{- with $c.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod labels: the selector labels (plus the zone group, if any), then the component's own. */}}
{{- define "platter.podLabels" -}}
{{- $c := index .ctx.Values .component }}
{{- include "platter.labels" . }}
{{- if .zoneGroup }}
{{ include "platter.zoneGroupLabel" . }}: {{ .zoneGroup }}
{{- end }}
{{- with $c.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Pod-level settings every component shares: identity, security, scheduling.
Extra key: "zoneGroup", the zone a StatefulSet group is pinned to (or empty).
*/}}
{{- define "platter.podSpecCommon" -}}
{{- $v := .ctx.Values }}
{{- $c := index $v .component -}}
serviceAccountName: {{ include "platter.serviceAccountName" .ctx }}
automountServiceAccountToken: false
# Platter finds its peers through etcd; Service environment variables are noise.
enableServiceLinks: false
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
{{- with $c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- $nodeSelector := deepCopy $c.nodeSelector }}
{{- if .zoneGroup }}
{{- $_ := set $nodeSelector $v.topologyKeys.zone .zoneGroup }}
{{- end }}
{{- with $nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $c.affinity }}
affinity:
  {{- toYaml $c.affinity | nindent 2 }}
{{- else if eq $c.hostAntiAffinity "required" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: {{ $v.topologyKeys.host }}
        labelSelector:
          matchLabels:
            {{- include "platter.selectorLabels" . | nindent 12 }}
{{- else if eq $c.hostAntiAffinity "preferred" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: {{ $v.topologyKeys.host }}
          labelSelector:
            matchLabels:
              {{- include "platter.selectorLabels" . | nindent 14 }}
{{- end }}
{{- if $c.topologySpread.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ $c.topologySpread.maxSkew }}
    topologyKey: {{ $v.topologyKeys.zone }}
    whenUnsatisfiable: {{ $c.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "platter.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end }}

{{/* The container's security context, image and pull policy. */}}
{{- define "platter.containerCommon" -}}
image: {{ include "platter.image" .ctx | quote }}
imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .ctx.Values.containerSecurityContext | nindent 2 }}
{{- end }}

{{/* The writable /tmp every container gets (the root filesystem is read-only): its volume. */}}
{{- define "platter.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end }}

{{/* ... and its mount. */}}
{{- define "platter.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
A PersistentVolumeClaim template. Takes (dict "name" "disk-1" "volume" <values
with size, storageClass, accessModes> "labels" <selector labels>).
StorageClass "" uses the cluster default; "-" asks for no dynamic provisioning.
*/}}
{{- define "platter.volumeClaimTemplate" -}}
- metadata:
    name: {{ .name }}
    labels:
      {{- .labels | nindent 6 }}
  spec:
    accessModes:
      {{- toYaml .volume.accessModes | nindent 6 }}
    {{- if eq .volume.storageClass "-" }}
    storageClassName: ""
    {{- else if .volume.storageClass }}
    storageClassName: {{ .volume.storageClass | quote }}
    {{- end }}
    resources:
      requests:
        storage: {{ .volume.size | quote }}
{{- end }}
