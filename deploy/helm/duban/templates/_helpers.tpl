{{/*
Names, labels and the pieces every workload shares. Helpers that work on one service take a dict:
  (dict "root" $ "name" $name "svc" $svc)
*/}}

{{/* Chart name, for the app.kubernetes.io/name label. */}}
{{- define "duban.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every object name: the release name, plus the chart name unless already in it. */}}
{{- define "duban.fullname" -}}
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

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "duban.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one service's objects (Deployment, Service, ConfigMap...): <fullname>-<service>. */}}
{{- define "duban.componentName" -}}
{{- printf "%s-%s" (include "duban.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on objects that belong to the whole release. */}}
{{- define "duban.commonLabels" -}}
helm.sh/chart: {{ include "duban.chart" . }}
app.kubernetes.io/name: {{ include "duban.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: duban
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector of the release's pods, whatever their component. */}}
{{- define "duban.instanceSelectorLabels" -}}
app.kubernetes.io/name: {{ include "duban.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of one component's pods; takes (dict "root" $ "component" "ledger"). */}}
{{- define "duban.selectorLabels" -}}
{{ include "duban.instanceSelectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All labels of one component's objects; takes (dict "root" $ "component" "ledger"). */}}
{{- define "duban.labels" -}}
{{ include "duban.commonLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The image reference: repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "duban.image" -}}
{{- $img := .Values.image }}
{{- if $img.digest }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- else }}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) }}
{{- end }}
{{- end }}

{{/* ServiceAccount the service pods run as. */}}
{{- define "duban.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "duban.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Is this service the HTTP gateway (not a gRPC server)? Returns "true" or "". */}}
{{- define "duban.isGateway" -}}
{{- if eq .name "gateway" }}true{{ end }}
{{- end }}

{{/* Port the service listens on for its clients (HTTP for the gateway, else gRPC). */}}
{{- define "duban.servePort" -}}
{{- if include "duban.isGateway" . }}{{ .svc.httpPort }}{{ else }}{{ .svc.grpcPort }}{{ end }}
{{- end }}

{{/*
Environment shared by every service (the <fullname>-config ConfigMap), as a YAML map.
Clients of the gRPC services (the gateway; each service's reconcilers, which read their sources'
retained outboxes): DUBAN_<SERVICE>_ADDR for each enabled one.
*/}}
{{- define "duban.sharedEnv" -}}
{{- $v := .Values -}}
DUBAN_KAFKA_BOOTSTRAP: {{ $v.kafka.bootstrapServers | quote }}
DUBAN_LOG_LEVEL: {{ $v.logLevel | quote }}
{{- with $v.orgName }}
DUBAN_ORG_NAME: {{ . | quote }}
{{- end }}
DUBAN_CALENDAR_DIR: {{ $v.calendar.mountPath | quote }}
DUBAN_STORAGE_DIR: {{ $v.storage.mountPath | quote }}
{{- with $v.storage.s3.bucket }}
DUBAN_STORAGE_S3_BUCKET: {{ . | quote }}
{{- end }}
{{- with $v.storage.s3.endpoint }}
DUBAN_STORAGE_S3_ENDPOINT: {{ . | quote }}
{{- end }}
{{- with $v.storage.s3.region }}
AWS_REGION: {{ . | quote }}
{{- end }}
DUBAN_MIGRATE_ON_START: "false"
DUBAN_GENERAL_DUE_DAYS: {{ $v.policy.generalDueDays | toString | quote }}
DUBAN_COMPLEX_DUE_DAYS: {{ $v.policy.complexDueDays | toString | quote }}
DUBAN_NOTICE_WORKING_DAYS: {{ $v.policy.noticeWorkingDays | toString | quote }}
DUBAN_LIGHT_YELLOW_WITHIN: {{ $v.policy.yellowWithin | toString | quote }}
DUBAN_ITEM_NO_PATTERN: {{ $v.policy.itemNoPattern | quote }}
DUBAN_OUTBOX_RETENTION_HOURS: {{ $v.reconcile.outboxRetentionHours | toString | quote }}
DUBAN_RECONCILE_INTERVAL_SECONDS: {{ $v.reconcile.intervalSeconds | toString | quote }}
DUBAN_RECONCILE_SETTLE_SECONDS: {{ $v.reconcile.settleSeconds | toString | quote }}
DUBAN_IMPORT_MAX_BYTES: {{ $v.imports.maxBytes | int64 | toString | quote }}
DUBAN_IMPORT_MAX_INFLATED_BYTES: {{ $v.imports.maxInflatedBytes | int64 | toString | quote }}
DUBAN_IMPORT_MAX_ROWS: {{ $v.imports.maxRows | int64 | toString | quote }}
DUBAN_IMPORT_RETENTION_HOURS: {{ $v.imports.retentionHours | toString | quote }}
DUBAN_IMPORT_LEASE_SECONDS: {{ $v.imports.leaseSeconds | toString | quote }}
DUBAN_IMPORT_MAX_ATTEMPTS: {{ $v.imports.maxAttempts | toString | quote }}
{{- range $name, $svc := $v.services }}
{{- if and $svc.enabled (ne $name "gateway") }}
{{ printf "DUBAN_%s_ADDR" (upper $name) }}: {{ printf "%s:%v" (include "duban.componentName" (dict "root" $ "name" $name)) $svc.grpcPort | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Signed service calls (libs/common/call_auth.py): where a pod finds the trusted public keys (the
callKeys.trustedConfigMap, key trusted.json) and its own component's private key (callKeys.existingSecret,
key <component>.pem, mounted as key.pem). The directories are mount points of their own volumes.
*/}}
{{- define "duban.callTrustedDir" -}}/etc/duban/call-keys/trusted{{- end }}
{{- define "duban.callKeyDir" -}}/etc/duban/call-keys/own{{- end }}

{{/* Key id one component signs with (DUBAN_CALL_KEY_ID): callKeys.keyIds.<name>, else <name>-<keyIdSuffix>;
"" when neither is set (validateValues refuses that). Takes (dict "root" $ "name" $name). */}}
{{- define "duban.callKeyId" -}}
{{- $keys := .root.Values.callKeys -}}
{{- $own := get (default dict $keys.keyIds) .name -}}
{{- if $own }}{{ $own }}{{ else if $keys.keyIdSuffix }}{{ printf "%s-%s" .name $keys.keyIdSuffix }}{{ end }}
{{- end }}

{{/* Environment of one service (its <fullname>-<service> ConfigMap), as a YAML map. */}}
{{- define "duban.serviceEnv" -}}
DUBAN_SERVICE: {{ .name | quote }}
{{- if include "duban.isGateway" . }}
DUBAN_HTTP_PORT: {{ .svc.httpPort | toString | quote }}
DUBAN_HTTP_WORKERS: {{ .svc.workers | toString | quote }}
{{- else }}
DUBAN_GRPC_PORT: {{ .svc.grpcPort | toString | quote }}
{{- end }}
DUBAN_METRICS_PORT: {{ .svc.metricsPort | toString | quote }}
{{- with .svc.logLevel }}
DUBAN_LOG_LEVEL: {{ . | quote }}
{{- end }}
DUBAN_CALL_TRUSTED_KEYS: {{ printf "%s/trusted.json" (include "duban.callTrustedDir" .) | quote }}
DUBAN_CALL_SIGNING_KEY: {{ printf "%s/key.pem" (include "duban.callKeyDir" .) | quote }}
DUBAN_CALL_KEY_ID: {{ include "duban.callKeyId" . | quote }}
{{- if and (eq .name "notification") .root.Values.bulletinTemplates.configMap }}
DUBAN_BULLETIN_TEMPLATE_DIR: {{ .root.Values.bulletinTemplates.mountPath | quote }}
{{- end }}
{{- range $k, $val := .svc.env }}
{{ $k }}: {{ $val | toString | quote }}
{{- end }}
{{- end }}

{{/* Secret-backed env entries of one service's containers (a YAML list; Secrets exist beforehand). */}}
{{- define "duban.secretEnv" -}}
- name: DUBAN_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.database.existingSecret }}
      key: {{ default .name .svc.databaseSecretKey }}
{{- if include "duban.isGateway" . }}
- name: DUBAN_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .svc.secretKey.existingSecret }}
      key: {{ .svc.secretKey.key }}
{{- end }}
{{- with .root.Values.storage.s3.credentialsSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: access-key-id
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: secret-access-key
{{- end }}
{{- end }}

{{/* Pod-level securityContext: the image's non-root user, RuntimeDefault seccomp. */}}
{{- define "duban.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level securityContext: read-only root, no privilege escalation, no capabilities. */}}
{{- define "duban.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Volumes of one component's pod; takes (dict "root" $ "name" $name "hook" bool). A hook Job runs before
the chart's ConfigMaps and PVC exist (pre-install), so it mounts the calendar as optional and files on
an emptyDir. The call keys' Secret and ConfigMap exist before the install (they are never optional).
The pod gets only its own component's private key; mode 0400, which the kubelet turns into 0440
root:<fsGroup 10001> (duban.podSecurityContext): readable by the service's user and nobody else.
*/}}
{{- define "duban.volumes" -}}
{{- $v := .root.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
- name: call-trusted-keys
  configMap:
    name: {{ $v.callKeys.trustedConfigMap }}
    items:
      - key: trusted.json
        path: trusted.json
    defaultMode: 292 # 0444: public keys
- name: call-signing-key
  secret:
    secretName: {{ $v.callKeys.existingSecret }}
    items:
      - key: {{ printf "%s.pem" .name }}
        path: key.pem
    defaultMode: 256 # 0400
- name: calendar
  configMap:
    name: {{ include "duban.fullname" .root }}-calendar
    {{- if .hook }}
    optional: true
    {{- end }}
{{- if and (eq .name "notification") $v.bulletinTemplates.configMap }}
- name: bulletin-templates
  configMap:
    name: {{ $v.bulletinTemplates.configMap }}
    items:
      - key: bulletin.docx
        path: bulletin.docx
      - key: clearance.docx
        path: clearance.docx
{{- end }}
- name: files
{{- if and (eq $v.storage.type "pvc") (not .hook) }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-files" (include "duban.fullname" .root)) $v.storage.pvc.existingClaim }}
{{- else }}
  emptyDir:
    sizeLimit: {{ $v.storage.emptyDir.sizeLimit }}
{{- end }}
{{- end }}

{{/* Mounts matching duban.volumes. */}}
{{- define "duban.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: call-trusted-keys
  mountPath: {{ include "duban.callTrustedDir" . }}
  readOnly: true
- name: call-signing-key
  mountPath: {{ include "duban.callKeyDir" . }}
  readOnly: true
- name: calendar
  mountPath: {{ .Values.calendar.mountPath }}
  readOnly: true
- name: files
  mountPath: {{ .Values.storage.mountPath }}
{{- end }}

{{/* duban.volumeMounts and the service's own (notification: the office's bulletin templates); takes $ctx. */}}
{{- define "duban.serviceVolumeMounts" -}}
{{- include "duban.volumeMounts" .root }}
{{- if and (eq .name "notification") .root.Values.bulletinTemplates.configMap }}
- name: bulletin-templates
  mountPath: {{ .root.Values.bulletinTemplates.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/* envFrom of a long-running or cron pod: the shared ConfigMap, then the service's (which wins). */}}
{{- define "duban.envFrom" -}}
- configMapRef:
    name: {{ include "duban.fullname" .root }}-config
- configMapRef:
    name: {{ include "duban.componentName" . }}
{{- end }}

{{/* Name of the CronJob of one job; takes (dict "root" $ "name" $name "job" $job). */}}
{{- define "duban.cronJobName" -}}
{{- printf "%s-%s" (include "duban.componentName" .) .job.name }}
{{- end }}

{{/* Egress rules of every duban pod (NetworkPolicyEgressRule list); see networkpolicy.yaml. */}}
{{- define "duban.egressRules" -}}
{{- $e := .Values.networkPolicy.egress -}}
- to:
    {{- toYaml $e.dns.to | nindent 4 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
- to:
    - podSelector:
        matchLabels:
          {{- include "duban.instanceSelectorLabels" . | nindent 10 }}
{{- $blocks := list $e.kafka $e.postgres }}
{{- if .Values.storage.s3.bucket }}
{{- $blocks = append $blocks $e.objectStorage }}
{{- end }}
{{- range $blocks }}
- ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- with $e.extra }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Components of the release's Job pods (migrations, cron jobs), as a YAML list. */}}
{{- define "duban.jobComponents" -}}
{{- $root := . -}}
{{- range $name, $svc := .Values.services }}
{{- if $svc.enabled }}
{{- if $root.Values.migrations.enabled }}
- {{ printf "%s-migrate" $name }}
{{- end }}
{{- range $svc.jobs }}
- {{ printf "%s-%s" $name .name }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The services that must run as exactly one pod, and why (a YAML map): their Deployment is replaced
(Recreate), never rolled, and validateValues refuses more replicas or autoscaling. */}}
{{- define "duban.onePod" -}}
evaluation: its consumer scores the events in the order it archives them, the order a replay meets them in; a second pod would score some in another order
{{- end }}

{{/*
Rules that span several values; values.schema.json checks each value alone. Fails with a message
naming the values to change. Included once, from deployment.yaml.
*/}}
{{- define "duban.validateValues" -}}
{{- $v := .Values -}}
{{- $enabled := list -}}
{{- $pods := 0 -}}
{{- range $name, $svc := $v.services }}
{{- if $svc.enabled }}
{{- $enabled = append $enabled $name }}
{{- $pods = add $pods (ternary $svc.autoscaling.maxReplicas $svc.replicas $svc.autoscaling.enabled) }}
{{- if not (include "duban.callKeyId" (dict "root" $ "name" $name)) }}
{{- fail (printf "callKeys.keyIdSuffix is required: services.%s signs its calls with the key id %s-<keyIdSuffix> (DUBAN_CALL_KEY_ID), the kid its key has in trusted.json; e.g. --set callKeys.keyIdSuffix=2026-12 for keys made with --kid %s-2026-12 (or set callKeys.keyIds.%s)" $name $name $name $name) }}
{{- end }}
{{- if eq (int $svc.metricsPort) (int (include "duban.servePort" (dict "name" $name "svc" $svc))) }}
{{- fail (printf "services.%s.metricsPort (%v) must differ from the service's %s port" $name $svc.metricsPort (ternary "HTTP" "gRPC" (eq $name "gateway"))) }}
{{- end }}
{{- if $svc.autoscaling.enabled }}
{{- if gt (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas) }}
{{- fail (printf "services.%s.autoscaling.minReplicas (%v) is above maxReplicas (%v)" $name $svc.autoscaling.minReplicas $svc.autoscaling.maxReplicas) }}
{{- end }}
{{- if not (or $svc.autoscaling.targetCPUUtilizationPercentage $svc.autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail (printf "services.%s.autoscaling needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" $name) }}
{{- end }}
{{- end }}
{{- if and $svc.pdb.enabled $svc.pdb.minAvailable (not (kindIs "string" $svc.pdb.minAvailable)) }}
{{- $least := ternary $svc.autoscaling.minReplicas $svc.replicas $svc.autoscaling.enabled }}
{{- if ge (int $svc.pdb.minAvailable) (int $least) }}
{{- fail (printf "services.%s.pdb.minAvailable (%v) must be below the replica count (%v), or no pod could ever be evicted (node drains would hang); lower it or use pdb.maxUnavailable" $name $svc.pdb.minAvailable $least) }}
{{- end }}
{{- end }}
{{- $jobNames := list }}
{{- range $svc.jobs }}
{{- if has .name $jobNames }}
{{- fail (printf "services.%s.jobs: the job name %q appears twice" $name .name) }}
{{- end }}
{{- $jobNames = append $jobNames .name }}
{{- $cron := include "duban.cronJobName" (dict "root" $ "name" $name "job" .) }}
{{- if gt (len $cron) 52 }}
{{- fail (printf "services.%s.jobs: the CronJob name %q is longer than 52 characters; shorten the job name or set fullnameOverride" $name $cron) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if not $enabled }}
{{- fail "services: enable at least one service (services.<name>.enabled: true)" }}
{{- end }}
{{- if $v.ingress.enabled }}
{{- if not (has "gateway" $enabled) }}
{{- fail "ingress.enabled needs services.gateway.enabled: the Ingress routes to the gateway" }}
{{- end }}
{{- if not $v.ingress.host }}
{{- fail "ingress.enabled needs ingress.host (the portal's host name)" }}
{{- end }}
{{- if and $v.ingress.tls.enabled (not $v.ingress.tls.secretName) }}
{{- fail "ingress.tls.enabled needs ingress.tls.secretName (the TLS Secret for ingress.host)" }}
{{- end }}
{{- end }}
{{- if and (eq $v.storage.type "pvc") (not $v.storage.pvc.existingClaim) (gt $pods 1) (not (has "ReadWriteMany" $v.storage.pvc.accessModes)) }}
{{- fail (printf "storage.type=pvc mounts one claim in up to %d pods: storage.pvc.accessModes needs ReadWriteMany (or use storage.pvc.existingClaim / storage.s3)" $pods) }}
{{- end }}
{{- if and $v.storage.s3.endpoint (not $v.storage.s3.bucket) }}
{{- fail "storage.s3.endpoint is set but storage.s3.bucket is empty: name the bucket" }}
{{- end }}
{{- /* The services that keep files (storage.*), and what they keep: on emptyDir one pod each. */}}
{{- $keepers := dict "tracking" "notices, attachments, dossiers" "inspection" "finding photos, thumbnails" }}
{{- range $name, $files := $keepers }}
{{- $svc := get $v.services $name }}
{{- if and $svc $svc.enabled (eq $v.storage.type "emptyDir") (not $v.storage.s3.bucket) }}
{{- $pods := ternary $svc.autoscaling.maxReplicas $svc.replicas $svc.autoscaling.enabled }}
{{- if gt (int $pods) 1 }}
{{- fail (printf "services.%s runs up to %v pods, each keeping its files (%s) on its own emptyDir, where the others cannot read them: set storage.s3.bucket, or storage.type=pvc (ReadWriteMany), or services.%s.replicas=1" $name $pods $files $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- range $name, $why := include "duban.onePod" . | fromYaml }}
{{- $svc := get $v.services $name }}
{{- if and $svc $svc.enabled (or $svc.autoscaling.enabled (gt (int $svc.replicas) 1)) }}
{{- fail (printf "services.%s runs as one pod (replicas: 1, autoscaling.enabled: false): %s" $name $why) }}
{{- end }}
{{- end }}
{{- if and $v.services.inspection.enabled (not $v.services.ledger.enabled) }}
{{- fail "services.inspection.enabled needs services.ledger.enabled: inspection reads the ledger's directory and registers items there (DUBAN_LEDGER_ADDR)" }}
{{- end }}
{{- range $file, $text := $v.calendar.extraYears }}
{{- $doc := fromJson $text }}
{{- if hasKey $doc "Error" }}
{{- fail (printf "calendar.extraYears[%s] is not valid JSON: %s" $file (get $doc "Error")) }}
{{- end }}
{{- if ne (printf "%v.json" (int (default 0 $doc.year))) $file }}
{{- fail (printf "calendar.extraYears[%s] holds the table of year %v: the file name must be <year>.json of its \"year\"" $file (default "(missing)" $doc.year)) }}
{{- end }}
{{- end }}
{{- end }}
