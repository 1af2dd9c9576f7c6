{{/*
Checks across values that values.schema.json cannot express. Every problem is
reported at once, and the chart renders nothing until all are fixed.
*/}}
{{- define "platter.validateValues" -}}
{{- $v := .Values }}
{{- $problems := list }}
{{- if not $v.etcd.endpoints }}
{{- $problems = append $problems "etcd.endpoints: set the etcd client URLs, e.g. --set etcd.endpoints={http://etcd.etcd.svc:2379}" }}
{{- end }}
{{- if not (or $v.redis.url $v.redis.existingSecret) }}
{{- $problems = append $problems "redis.url: set the Redis URL, or redis.existingSecret to read it from a Secret" }}
{{- end }}
{{- if not $v.iam.existingSecret }}
{{- $problems = append $problems "iam.existingSecret: name a Secret with keys accessKeyId and secretAccessKey; the chart never makes up a root key" }}
{{- end }}
{{- if le (mul $v.terminationGracePeriodSeconds 1000 | int64) ($v.shutdownGraceMs | int64) }}
{{- $problems = append $problems (printf "terminationGracePeriodSeconds (%v s) must exceed shutdownGraceMs (%v ms), or Kubernetes kills processes mid-shutdown" $v.terminationGracePeriodSeconds $v.shutdownGraceMs) }}
{{- end }}
{{- $ec := $v.cluster.ec }}
{{- if or (lt (int $v.cluster.writeQuorum) (int $ec.k)) (gt (int $v.cluster.writeQuorum) (int (add $ec.k $ec.m))) }}
{{- $problems = append $problems (printf "cluster.writeQuorum (%v) must be between k (%v) and k+m (%v)" $v.cluster.writeQuorum $ec.k (add $ec.k $ec.m)) }}
{{- end }}
{{- $storagePods := 0 }}
{{- range (include "platter.zoneGroups" (dict "ctx" . "component" "storage") | fromJson).groups }}
{{- $storagePods = add $storagePods .replicaCount }}
{{- end }}
{{- if lt (int (mul $storagePods $v.storage.disks.count)) (int (add $ec.k $ec.m)) }}
{{- $problems = append $problems (printf "storage: %v pods with %v disks each cannot hold the k+m=%v shards of a stripe" $storagePods $v.storage.disks.count (add $ec.k $ec.m)) }}
{{- end }}
{{- if and $v.frontend.autoscaling.enabled (gt (int $v.frontend.autoscaling.minReplicas) (int $v.frontend.autoscaling.maxReplicas)) }}
{{- $problems = append $problems "frontend.autoscaling: minReplicas must not exceed maxReplicas" }}
{{- end }}
{{- range $component := list "namespace" "storage" }}
{{- $names := list }}
{{- range (index $v $component).zones }}
{{- if has .name $names }}
{{- $problems = append $problems (printf "%s.zones: zone %q is listed twice" $component .name) }}
{{- end }}
{{- $names = append $names .name }}
{{- end }}
{{- end }}
{{- if $problems }}
{{- fail (printf "\n\nInvalid values for the Platter chart:\n  - %s\n" (join "\n  - " $problems)) }}
{{- end }}
{{- end }}

{{/* The Secret with the root access key; installing without one fails. */}}
{{- define "platter.iamSecretName" -}}
{{- required "iam.existingSecret is required: name a Secret with keys accessKeyId and secretAccessKey" .Values.iam.existingSecret }}
{{- end }}
