{{/* Chart name. */}}
{{- define "tickmesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the prefix of every resource. */}}
{{- define "tickmesh.fullname" -}}
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

{{/* "<fullname>-<suffix>", at most 63 characters (Service names, label values). */}}
{{- define "tickmesh.componentName" -}}
{{- printf "%s-%s" (include "tickmesh.fullname" .root) .suffix | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tickmesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tickmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tickmesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tickmesh.labels" -}}
helm.sh/chart: {{ include "tickmesh.chart" . }}
{{ include "tickmesh.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tickmesh
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component. Args: root, component, extra (dict, optional). */}}
{{- define "tickmesh.componentSelectorLabels" -}}
{{ include "tickmesh.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- range $k, $v := (.extra | default dict) }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

{{/* All labels of one component. Args: root, component, extra (dict, optional). */}}
{{- define "tickmesh.componentLabels" -}}
{{ include "tickmesh.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- range $k, $v := (.extra | default dict) }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

{{- define "tickmesh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tickmesh.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tickmesh.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name a dependency chart gives its resources (the common "fullname" rule). Args: root, chart. */}}
{{- define "tickmesh.dependencyFullname" -}}
{{- if contains .chart .root.Release.Name }}
{{- .root.Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .root.Release.Name .chart | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "tickmesh.natsUrl" -}}
{{- if .Values.nats.enabled }}
{{- printf "nats://%s:4222" (include "tickmesh.dependencyFullname" (dict "root" . "chart" "nats")) }}
{{- else }}
{{- required "nats.url is required when nats.enabled is false" .Values.nats.url }}
{{- end }}
{{- end }}

{{/* REDIS_URL without credentials. */}}
{{- define "tickmesh.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://%s-master:6379" (include "tickmesh.dependencyFullname" (dict "root" . "chart" "redis")) }}
{{- else }}
{{- required "redis.url is required when redis.enabled is false" .Values.redis.url }}
{{- end }}
{{- end }}

{{/* The Secret the chart creates for values given inline. */}}
{{- define "tickmesh.secretName" -}}
{{- include "tickmesh.componentName" (dict "root" . "suffix" "secrets") }}
{{- end }}

{{/* Where REDIS_PASSWORD comes from: "<secret> <key>". */}}
{{- define "tickmesh.redisPasswordRef" -}}
{{- if .Values.redis.auth.existingSecret }}
{{- printf "%s %s" .Values.redis.auth.existingSecret .Values.redis.auth.existingSecretPasswordKey }}
{{- else if .Values.redis.enabled }}
{{- printf "%s redis-password" (include "tickmesh.dependencyFullname" (dict "root" . "chart" "redis")) }}
{{- else }}
{{- printf "%s redis-password" (include "tickmesh.secretName" .) }}
{{- end }}
{{- end }}

{{- define "tickmesh.natsSecretName" -}}
{{- default (include "tickmesh.secretName" .) .Values.nats.auth.existingSecret }}
{{- end }}

{{- define "tickmesh.authSecretName" -}}
{{- default (include "tickmesh.secretName" .) .Values.gateway.auth.existingSecret }}
{{- end }}

{{/* Keys of the chart's own Secret (a dict; empty when the chart needs no Secret). */}}
{{- define "tickmesh.secretData" -}}
{{- $d := dict }}
{{- if and .Values.redis.auth.enabled (not .Values.redis.enabled) (not .Values.redis.auth.existingSecret) }}
{{- $_ := set $d "redis-password" (required "redis.auth.enabled: set redis.auth.password or redis.auth.existingSecret" .Values.redis.auth.password) }}
{{- end }}
{{- if and .Values.nats.auth.enabled (not .Values.nats.auth.existingSecret) }}
{{- if not (or .Values.nats.auth.user .Values.nats.auth.token) }}
{{- fail "nats.auth.enabled: set nats.auth.user (and password), nats.auth.token, or nats.auth.existingSecret" }}
{{- end }}
{{- with .Values.nats.auth.user }}{{ $_ := set $d "nats-user" . }}{{ end }}
{{- with .Values.nats.auth.password }}{{ $_ := set $d "nats-password" . }}{{ end }}
{{- with .Values.nats.auth.token }}{{ $_ := set $d "nats-token" . }}{{ end }}
{{- end }}
{{- $auth := .Values.gateway.auth }}
{{- if and (eq $auth.mode "hs256") (not $auth.existingSecret) }}
{{- $_ := set $d "jwt-secret" (required "gateway.auth.mode hs256: set gateway.auth.secret or gateway.auth.existingSecret" $auth.secret) }}
{{- end }}
{{- if and (eq $auth.mode "rs256") (not $auth.existingSecret) }}
{{- $_ := set $d "jwt-public-key" (required "gateway.auth.mode rs256: set gateway.auth.publicKey or gateway.auth.existingSecret" $auth.publicKey) }}
{{- end }}
{{- toYaml $d }}
{{- end }}

{{/* Connection environment shared by the services (after envFrom of the ConfigMap). Args: root, redis (bool). */}}
{{- define "tickmesh.connectionEnv" -}}
{{- $v := .root.Values }}
{{- if $v.nats.auth.enabled }}
{{- $secret := include "tickmesh.natsSecretName" .root }}
- name: NATS_USER
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: nats-user, optional: true }
- name: NATS_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: nats-password, optional: true }
- name: NATS_TOKEN
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: nats-token, optional: true }
{{- end }}
{{- if and .redis $v.redis.auth.enabled }}
{{- $ref := splitList " " (include "tickmesh.redisPasswordRef" .root) }}
{{- $url := include "tickmesh.redisUrl" .root }}
{{- $parts := splitList "://" $url }}
{{- if ne (len $parts) 2 }}
{{- fail (printf "redis.url %q must look like redis://host:port" $url) }}
{{- end }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ index $ref 0 }}, key: {{ index $ref 1 }} }
- name: REDIS_URL
  value: {{ printf "%s://:$(REDIS_PASSWORD)@%s" (index $parts 0) (index $parts 1) | quote }}
{{- end }}
{{- end }}

{{/* `env` map → EnvVar list. */}}
{{- define "tickmesh.envMap" -}}
{{- range $k, $val := . }}
- name: {{ $k }}
  value: {{ include "tickmesh.envValue" $val | quote }}
{{- end }}
{{- end }}

{{/* One environment value as text. Whole numbers are written as integers: YAML numbers reach the
templates as float64, which `toString` would print as 1.048576e+06. */}}
{{- define "tickmesh.envValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) }}
{{- int64 . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/* Sets NAME: value in `env` for each pair of `values` whose value is not null (a named chart value
that is not set leaves the service's default). Args: env (dict, changed), values (dict). */}}
{{- define "tickmesh.setEnv" -}}
{{- range $k, $v := .values }}
{{- if not (kindIs "invalid" $v) }}
{{- $_ := set $.env $k $v }}
{{- end }}
{{- end }}
{{- end }}

{{/* Probes on the named HTTP port. Args: root, port (name). */}}
{{- define "tickmesh.probes" -}}
{{- $p := .root.Values.probes }}
startupProbe:
  httpGet: { path: /healthz, port: {{ .port }} }
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
  timeoutSeconds: {{ $p.startup.timeoutSeconds }}
livenessProbe:
  httpGet: { path: /healthz, port: {{ .port }} }
  periodSeconds: {{ $p.liveness.periodSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
readinessProbe:
  httpGet: { path: /readyz, port: {{ .port }} }
  periodSeconds: {{ $p.readiness.periodSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
{{- end }}

{{/* Pod-level settings common to every workload. Args: root, cfg (the component's values). */}}
{{- define "tickmesh.podCommon" -}}
serviceAccountName: {{ include "tickmesh.serviceAccountName" .root }}
automountServiceAccountToken: {{ .root.Values.serviceAccount.automountServiceAccountToken }}
enableServiceLinks: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .cfg.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .cfg.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .cfg.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .cfg.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "tickmesh.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- end }}

{{/* Pod annotations: config checksum (restarts pods when shared config changes) + user's. Args: root, cfg. */}}
{{- define "tickmesh.podAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
{{- with .cfg.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* NetworkPolicy fragments. */}}
{{- define "tickmesh.np.metricsIngress" -}}
- from:
    - namespaceSelector:
        {{- toYaml .Values.networkPolicy.metrics.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml .Values.networkPolicy.metrics.podSelector | nindent 8 }}
  ports:
    - port: http
      protocol: TCP
{{- end }}
{{- define "tickmesh.np.egressRule" -}}
{{- if .to -}}
- to:
    {{- toYaml .to | nindent 4 }}
  ports:
{{- else -}}
- ports:
{{- end }}
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- end }}
{{- define "tickmesh.np.dnsEgress" -}}
{{- $dns := .Values.networkPolicy.egress.dns -}}
{{- if $dns.to -}}
- to:
    {{- toYaml $dns.to | nindent 4 }}
  ports:
{{- else -}}
- ports:
{{- end }}
    {{- range $dns.ports }}
    - port: {{ . }}
      protocol: UDP
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- end }}
