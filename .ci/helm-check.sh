#!/usr/bin/env bash
# Validates the Helm chart (helm/tickmesh) without a cluster:
#   1. tools: helm (go install, pinned) and kubernetes-validate (PyPI, pinned; it ships the
#      Kubernetes JSON schemas, so validation works offline), cached between runs;
#   2. helm lint --strict for the default values and every profile in helm/tickmesh/ci/;
#   3. helm template of each profile, every rendered manifest validated strictly (unknown fields,
#      unknown kinds, duplicate keys are errors) against Kubernetes 1.29 and 1.37; ServiceMonitor
#      against helm/ci/crd-schemas/;
#   4. negative checks: bad values files must be rejected (values.schema.json and the chart's
#      own guards), and the manifest validator must reject broken manifests;
#   5. every value in values.yaml is documented in helm/tickmesh/README.md;
#   6. deploy/Dockerfile parses with BuildKit's parser and linter and matches the repository
#      (COPY sources, ignore file, the services it installs and the chart runs).
# Exit status: 0 when everything passed. Usage: bash .ci/helm-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)

HELM_VERSION=v3.22.0 # helm.sh/helm/v3 on the Go module proxy (newest 3.x)
KV_VERSION=1.37.0    # kubernetes-validate on PyPI: schemas for Kubernetes 1.25 … 1.37
# Its dependencies, pinned too so a run is reproducible.
KV_PINS=(attrs==26.1.0 importlib_resources==7.1.0 jsonschema==4.26.0 jsonschema-specifications==2025.9.1
  packaging==26.4 PyYAML==6.0.4 referencing==0.37.0 rpds-py==2026.9.1 typing_extensions==4.16.0)
KUBE_VERSIONS=(1.29.0 1.37.0) # the chart's minimum (Chart.yaml kubeVersion) and the newest covered
CACHE=${TICKMESH_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tickmesh-ci}

chart_src=helm/tickmesh
validator=$root/helm/ci/validate-manifests.py
passed=0
failed=0
failures=()

section() { printf '\n== %s\n' "$*"; }
pass() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
fail() {
  failed=$((failed + 1))
  failures+=("$1")
  printf '  FAIL  %s\n' "$1"
  if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/        | /' "$2" | head -n 40; fi
}

# ---------------------------------------------------------------------------------------------
section "tools (cache: $CACHE)"
command -v go >/dev/null || { echo "go is required (to install helm)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is required (kubernetes-validate)" >&2; exit 1; }
HELM="$(go env GOPATH)/bin/helm"
t0=$(date +%s)
if [ -x "$HELM" ] && go version -m "$HELM" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+helm\.sh/helm/v3[[:space:]]+$HELM_VERSION[[:space:]]"; then
  echo "  helm $HELM_VERSION: cached ($HELM)"
else
  echo "  helm $HELM_VERSION: go install (about 3 minutes on 2 cores the first time) ..."
  (cd "${TMPDIR:-/tmp}" && go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" 2>&1 | { grep -v '^go: downloading ' || true; })
  echo "  helm $HELM_VERSION: installed in $(($(date +%s) - t0)) s"
fi
venv="$CACHE/kubernetes-validate-$KV_VERSION"
t0=$(date +%s)
if "$venv/bin/python" -c "import kubernetes_validate.version as v, sys; sys.exit(v.__version__ != '$KV_VERSION')" 2>/dev/null; then
  echo "  kubernetes-validate $KV_VERSION: cached ($venv)"
else
  echo "  kubernetes-validate $KV_VERSION: pip install into $venv ..."
  rm -rf "$venv"
  mkdir -p "$CACHE"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    "kubernetes-validate==$KV_VERSION" "${KV_PINS[@]}"
  echo "  kubernetes-validate $KV_VERSION: installed in $(($(date +%s) - t0)) s"
fi
PY="$venv/bin/python"
# (`helm version` says "v3.22": a go-installed helm lacks the release build's version stamp.)
echo "  using helm $(go version -m "$HELM" | awk '$1 == "mod" { print $3 }') ($("$HELM" version --template '{{ .GoVersion }}')), kubernetes-validate $("$PY" -c 'import kubernetes_validate.version as v; print(v.__version__)')"

# ---------------------------------------------------------------------------------------------
# The chart declares optional dependencies (nats, redis; condition flags default to false).
# Helm refuses to lint or render a chart whose declared dependencies are missing from charts/,
# even disabled ones, and the chart repositories are not reachable here. So the checks run on a
# copy of the chart in which each missing dependency is an empty stand-in chart (name and
# version only, no templates); the chart in the repository is not changed.
work=$(mktemp -d "${TMPDIR:-/tmp}/helm-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
chart="$work/tickmesh"
cp -R "$chart_src" "$chart"
"$PY" - "$chart" <<'PY'
import os, re, sys, yaml
chart = sys.argv[1]
meta = yaml.safe_load(open(os.path.join(chart, 'Chart.yaml')))
for dep in meta.get('dependencies') or []:
    charts = os.path.join(chart, 'charts')
    d = os.path.join(charts, dep['name'])
    if os.path.isdir(d) or (os.path.isdir(charts) and any(
            f.startswith(dep['name'] + '-') and f.endswith('.tgz') for f in os.listdir(charts))):
        continue  # the real dependency is there (helm dependency build)
    os.makedirs(d)
    version = re.sub(r'[xX*]', '0', dep['version'])
    with open(os.path.join(d, 'Chart.yaml'), 'w') as f:
        f.write(f"apiVersion: v2\nname: {dep['name']}\nversion: {version}\n"
                "description: offline stand-in created by .ci/helm-check.sh (no templates)\n")
    print(f"  stand-in for dependency {dep['name']} {dep['version']} (condition {dep.get('condition')})")
PY

# NOTES.txt is rendered only by `helm install`/`upgrade` (neither lint nor template does), so a
# second copy renders it as a ConfigMap value to catch template errors in it.
notes_chart="$work/notes/tickmesh"
mkdir -p "$work/notes"
cp -R "$chart" "$notes_chart"
{
  printf '{{- define "helmcheck.notes" -}}\n'
  cat "$notes_chart/templates/NOTES.txt"
  printf '\n{{- end }}\n'
} >"$notes_chart/templates/_helmcheck-notes.tpl"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: helmcheck-notes }\ndata:\n  notes: {{ include "helmcheck.notes" . | toJson }}\n' \
  >"$notes_chart/templates/helmcheck-notes.yaml"

kv="${KUBE_VERSIONS[0]}"
lint() { "$HELM" lint --strict --kube-version "$kv" "$chart" "$@"; }
render() { "$HELM" template tm "$chart" --namespace tickmesh --kube-version "$kv" "$@"; }

# Profiles: default values, the files in helm/tickmesh/ci/, and the dependency charts enabled.
declare -A profile_args=(
  [default]=''
  [minimal]="-f $chart/ci/minimal-values.yaml"
  [production]="-f $chart/ci/production-values.yaml"
  [external]="-f $chart/ci/external-values.yaml"
  [bundled-deps]='--set nats.enabled=true --set redis.enabled=true --set redis.auth.enabled=true --set simulator.enabled=true'
)
profiles=(default minimal production external bundled-deps)
for f in "$chart_src"/ci/*-values.yaml; do
  p=$(basename "$f" -values.yaml)
  [ -n "${profile_args[$p]+x}" ] || { profiles+=("$p"); profile_args[$p]="-f $chart/ci/$(basename "$f")"; }
done

# ---------------------------------------------------------------------------------------------
section "helm lint --strict (values checked against values.schema.json)"
for p in "${profiles[@]}"; do
  # shellcheck disable=SC2086
  if lint ${profile_args[$p]} >"$work/lint-$p.log" 2>&1; then pass "lint $p"; else fail "lint $p" "$work/lint-$p.log"; fi
done

# ---------------------------------------------------------------------------------------------
section "helm template + strict manifest validation (Kubernetes ${KUBE_VERSIONS[*]})"
mkdir -p "$work/rendered"
kargs=()
for k in "${KUBE_VERSIONS[@]}"; do kargs+=(-k "$k"); done
for p in "${profiles[@]}"; do
  out="$work/rendered/$p.yaml"
  # shellcheck disable=SC2086
  if ! render ${profile_args[$p]} >"$out" 2>"$work/render-$p.log"; then
    fail "template $p" "$work/render-$p.log"
    continue
  fi
  if "$PY" "$validator" --quiet "${kargs[@]}" "$out" >"$work/validate-$p.log" 2>&1; then
    pass "template $p: $(tail -n 1 "$work/validate-$p.log" | sed 's/^manifests: //')"
  else
    fail "template $p: manifests rejected" "$work/validate-$p.log"
  fi
  # shellcheck disable=SC2086
  if "$HELM" template tm "$notes_chart" --namespace tickmesh --kube-version "$kv" ${profile_args[$p]//$chart\//$notes_chart\/} \
    -s templates/helmcheck-notes.yaml >"$work/notes-$p.yaml" 2>"$work/notes-$p.log"; then
    pass "NOTES.txt renders for $p"
  else
    fail "NOTES.txt for $p" "$work/notes-$p.log"
  fi
done

# What each profile is for, in the rendered output.
expect() { # profile, description, python expression over `docs` (the rendered documents)
  local p=$1 what=$2 expr=$3
  if [ ! -s "$work/rendered/$p.yaml" ]; then fail "$p: $what (not rendered)"; return; fi
  if "$PY" - "$work/rendered/$p.yaml" "$expr" >"$work/expect.log" 2>&1 <<'PY'; then pass "$p: $what"; else fail "$p: $what" "$work/expect.log"; fi
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = [d['kind'] for d in docs]
def get(kind, name=None):
    return [d for d in docs if d['kind'] == kind and (name is None or d['metadata']['name'] == name)]
def env(deploy):
    return {e['name']: e.get('value', e.get('valueFrom')) for e in deploy['spec']['template']['spec']['containers'][0].get('env', [])}
ok = eval(sys.argv[2])
if not ok:
    print('expectation not met:', sys.argv[2])
    sys.exit(1)
PY
}
expect default "pods run as uid 10001, read-only root, no privilege escalation, caps dropped, /tmp emptyDir" \
  "all(c['securityContext']['readOnlyRootFilesystem'] and not c['securityContext']['allowPrivilegeEscalation'] and c['securityContext']['capabilities']['drop']==['ALL'] and c['securityContext']['runAsUser']==10001 and any(m['mountPath']=='/tmp' for m in c['volumeMounts']) for d in get('Deployment') + get('StatefulSet') for c in d['spec']['template']['spec']['containers'])"
expect default "liveness /healthz, readiness /readyz and a startupProbe on every service" \
  "all(c['livenessProbe']['httpGet']['path']=='/healthz' and c['readinessProbe']['httpGet']['path']=='/readyz' and 'startupProbe' in c for d in get('Deployment') + get('StatefulSet') for c in d['spec']['template']['spec']['containers'])"
expect minimal "simulator Deployment + Service, ingestor pointed at it" \
  "get('Deployment','tm-tickmesh-venue-sim') and env(get('Deployment','tm-tickmesh-ingestor-binance')[0])['VENUE_WS_URL']=='ws://tm-tickmesh-venue-sim:9100' and env(get('Deployment','tm-tickmesh-ingestor-binance')[0])['VENUE_REST_URL']=='http://tm-tickmesh-venue-sim:9100'"
expect minimal "helm test pod subscribes over SSE" \
  "any(d['metadata']['annotations'].get('helm.sh/hook')=='test' and '/sse?channels=status.binance.BTC-USDT' in d['spec']['containers'][0]['args'][0] for d in get('Pod'))"
expect production "HPA, PDB, Ingress, NetworkPolicies, ServiceMonitors" \
  "all(k in kinds for k in ['HorizontalPodAutoscaler','PodDisruptionBudget','Ingress','NetworkPolicy','ServiceMonitor'])"
expect production "one ingestor Deployment per entry, one book-builder StatefulSet per group (VENUES)" \
  "sorted(d['metadata']['name'] for d in get('Deployment') if 'ingestor' in d['metadata']['name'])==['tm-tickmesh-ingestor-binance-alts','tm-tickmesh-ingestor-binance-majors','tm-tickmesh-ingestor-bybit'] and env(get('StatefulSet','tm-tickmesh-book-builder-binance')[0])['VENUES']=='binance'"
expect default "named service settings become variables (integers as integers), unset ones are left out" \
  "env(get('Deployment','tm-tickmesh-gateway')[0])['MAX_OUTBOUND_BYTES']=='1048576' and env(get('Deployment','tm-tickmesh-gateway')[0])['AUTH_MODE']=='off' and env(get('Deployment','tm-tickmesh-gateway')[0])['DASHBOARD']=='on' and 'RATE_CONNECT_PER_IP' not in env(get('Deployment','tm-tickmesh-gateway')[0]) and 'JWT_SECRET' not in env(get('Deployment','tm-tickmesh-gateway')[0]) and 'STALE_SOCKET_MS' not in env(get('Deployment','tm-tickmesh-ingestor-binance')[0]) and get('ConfigMap','tm-tickmesh-config')[0]['data']['METRICS']=='on' and 'OTEL_TRACES_EXPORTER' not in get('ConfigMap','tm-tickmesh-config')[0]['data'] and 'Secret' not in kinds"
expect default "one book-builder StatefulSet, one partition, PARTITION_INDEX from the pod-index label" \
  "get('StatefulSet','tm-tickmesh-book-builder-all')[0]['spec']['replicas']==1 and get('StatefulSet','tm-tickmesh-book-builder-all')[0]['spec']['serviceName']=='tm-tickmesh-book-builder-all' and env(get('StatefulSet','tm-tickmesh-book-builder-all')[0])['PARTITIONS']=='1' and env(get('StatefulSet','tm-tickmesh-book-builder-all')[0])['PARTITION_INDEX']=={'fieldRef': {'fieldPath': \"metadata.labels['apps.kubernetes.io/pod-index']\"}}"
expect auth-partitions "book-builder partitions: StatefulSet replicas = PARTITIONS (per group override)" \
  "[(d['spec']['replicas'], env(d)['PARTITIONS']) for d in get('StatefulSet')]==[(3,'3'),(2,'2')] and all('PARTITION_INDEX' in env(d) for d in get('StatefulSet'))"
expect auth-partitions "gateway auth hs256: JWT_SECRET from the chart's Secret, issuer/audience, limits, dashboard off" \
  "env(get('Deployment','tm-tickmesh-gateway')[0])['JWT_SECRET']=={'secretKeyRef': {'name': 'tm-tickmesh-secrets', 'key': 'jwt-secret'}} and 'jwt-secret' in get('Secret','tm-tickmesh-secrets')[0]['data'] and env(get('Deployment','tm-tickmesh-gateway')[0])['AUTH_MODE']=='hs256' and env(get('Deployment','tm-tickmesh-gateway')[0])['JWT_AUDIENCE']=='tickmesh,tickmesh-web' and env(get('Deployment','tm-tickmesh-gateway')[0])['RATE_CONNECT_PER_IP']=='20' and env(get('Deployment','tm-tickmesh-gateway')[0])['SNAPSHOT_CONCURRENCY_MAX']=='64' and env(get('Deployment','tm-tickmesh-gateway')[0])['DASHBOARD']=='off' and env(get('Deployment','tm-tickmesh-gateway')[0])['TRUST_PROXY']=='true' and env(get('Deployment','tm-tickmesh-gateway')[0])['SNAPSHOT_CONCURRENCY']=='vegas' and env(get('Deployment','tm-tickmesh-gateway')[0])['BREAKER_FAILURES']=='3' and 'BREAKER_HALF_OPEN_MS' not in env(get('Deployment','tm-tickmesh-gateway')[0])"
expect auth-partitions "METRICS=off, trace export and sampling in the ConfigMap" \
  "get('ConfigMap','tm-tickmesh-config')[0]['data']['METRICS']=='off' and get('ConfigMap','tm-tickmesh-config')[0]['data']['OTEL_TRACES_EXPORTER']=='otlp' and get('ConfigMap','tm-tickmesh-config')[0]['data']['TRACE_SAMPLE_EVERY']=='1000' and get('ConfigMap','tm-tickmesh-config')[0]['data']['OTEL_TRACES_SAMPLER_ARG']=='0.05'"
expect external "gateway auth rs256: JWT_PUBLIC_KEY from the existing Secret" \
  "env(get('Deployment','tm-tickmesh-gateway')[0])['JWT_PUBLIC_KEY']=={'secretKeyRef': {'name': 'tickmesh-gateway-jwt', 'key': 'jwt-public-key'}}"
expect production "gateway: no replicas (HPA owns them), preStop sleep, grace period" \
  "'replicas' not in get('Deployment','tm-tickmesh-gateway')[0]['spec'] and get('Deployment','tm-tickmesh-gateway')[0]['spec']['template']['spec']['terminationGracePeriodSeconds']==45 and get('Deployment','tm-tickmesh-gateway')[0]['spec']['template']['spec']['containers'][0]['lifecycle']['preStop']['exec']['command']==['sleep','10']"
expect external "REDIS_URL built from the existing Secret, NATS credentials from a Secret, no chart Secret" \
  "env(get('Deployment','tm-tickmesh-gateway')[0])['REDIS_URL']=='rediss://:\$(REDIS_PASSWORD)@redis.example.internal:6380' and env(get('Deployment','tm-tickmesh-gateway')[0])['REDIS_PASSWORD']['secretKeyRef']['name']=='tickmesh-redis' and env(get('Deployment','tm-tickmesh-ingestor-binance')[0])['NATS_USER']['secretKeyRef']['name']=='tickmesh-nats' and 'Secret' not in kinds"
expect bundled-deps "URLs and password Secret of the dependency charts" \
  "get('ConfigMap','tm-tickmesh-config')[0]['data']['NATS_URL']=='nats://tm-nats:4222' and get('ConfigMap','tm-tickmesh-config')[0]['data']['REDIS_URL']=='redis://tm-redis-master:6379' and env(get('Deployment','tm-tickmesh-gateway')[0])['REDIS_PASSWORD']['secretKeyRef']['name']=='tm-redis'"

# ---------------------------------------------------------------------------------------------
section "negative checks: bad values must be rejected"
bad="$work/bad"
mkdir -p "$bad"
# name | expected message (grep -E) | values file body
reject() {
  local name=$1 expect=$2 body=$3 f="$bad/$1.yaml"
  printf '%s\n' "$body" >"$f"
  if render -f "$f" >"$bad/$name.out" 2>"$bad/$name.log"; then
    fail "reject $name: rendered without error"
  elif grep -Eq "$expect" "$bad/$name.log"; then
    pass "reject $name: $(grep -Eo "$expect" "$bad/$name.log" | head -n 1)"
  else
    fail "reject $name: failed, but not with /$expect/" "$bad/$name.log"
  fi
}
reject typo-key "additional properties 'replicaz' not allowed" 'gateway: { replicaz: 3 }'
reject wrong-type "got string, want integer" 'gateway: { replicas: "two" }'
reject ingestor-replicas "maximum: got 2, want 1" $'ingestors:\n  - { venue: binance, symbols: [BTCUSDT], replicas: 2 }'
reject bad-venue "does not match pattern" $'ingestors:\n  - { venue: Binance, symbols: [BTCUSDT] }'
reject missing-symbols "missing property 'symbols'" $'ingestors:\n  - { venue: binance }'
reject unknown-top-level "additional properties 'gatway' not allowed" 'gatway: { replicas: 3 }'
reject nats-key-while-disabled "additional properties 'config' not allowed" 'nats: { config: { jetstream: { enabled: true } } }'
reject credentials-in-redis-url "does not match pattern" 'redis: { url: "redis://:secret@redis:6379" }'
reject bad-log-level "value must be one of" 'config: { logLevel: verbose }'
reject overlapping-book-builders 'venue "binance" is in groups' $'bookBuilder:\n  groups:\n    - { name: a, venues: [binance] }\n    - { name: b, venues: [binance] }'
reject duplicate-ingestor 'two entries are named "binance"' $'ingestors:\n  - { venue: binance, symbols: [BTCUSDT] }\n  - { venue: binance, symbols: [ETHUSDT] }'
reject redis-auth-without-password "set redis.auth.password or redis.auth.existingSecret" 'redis: { auth: { enabled: true } }'
reject short-grace-period "terminationGracePeriodSeconds \\(10\\) must be at least" 'gateway: { terminationGracePeriodSeconds: 10 }'
reject auth-hs256-without-secret "set gateway.auth.secret or gateway.auth.existingSecret" 'gateway: { auth: { mode: hs256 } }'
reject auth-short-secret "does not match pattern" 'gateway: { auth: { mode: hs256, secret: too-short } }'
reject auth-jwks-without-url "set gateway.auth.jwksUrl" 'gateway: { auth: { mode: jwks } }'
reject auth-unquoted-off "value must be one of 'off'" 'gateway: { auth: { mode: off } }'
reject zero-partitions "minimum: got 0, want 1" 'bookBuilder: { partitions: 0 }'
reject partition-index-in-env "PARTITION_INDEX comes from the pod ordinal" 'bookBuilder: { env: { PARTITION_INDEX: "0" } }'
reject snapshot-concurrency-order "must not exceed snapshotConcurrencyMax" 'gateway: { rateLimits: { snapshotConcurrencyMin: 8, snapshotConcurrencyMax: 4 } }'
reject simulator-unknown-env 'simulator.env: "FOO" is not a SIM_' 'simulator: { enabled: true, env: { FOO: "1" } }'
# helm lint must fail on a bad values file too.
if lint -f "$bad/typo-key.yaml" >"$bad/lint.log" 2>&1; then
  fail "lint rejects a bad values file"
else
  pass "lint rejects a bad values file"
fi

section "negative checks: the manifest validator must reject broken manifests"
broken="$work/broken.yaml"
"$PY" - "$work/rendered/minimal.yaml" "$broken" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
dep = next(d for d in docs if d['kind'] == 'Deployment')
dep['spec']['template']['spec']['containers'][0]['resoures'] = dep['spec']['template']['spec']['containers'][0].pop('resources')
svc = next(d for d in docs if d['kind'] == 'Service')
svc['spec']['ports'][0]['port'] = 'eighty'
kind = {'apiVersion': 'apps/v1', 'kind': 'Deploymnt', 'metadata': {'name': 'typo'}, 'spec': {}}
sm = {'apiVersion': 'monitoring.coreos.com/v1', 'kind': 'ServiceMonitor', 'metadata': {'name': 'sm'},
      'spec': {'selector': {}, 'endpoints': [{'port': 'metrics', 'intervall': '30s'}]}}
yaml.safe_dump_all([dep, svc, kind, sm], open(sys.argv[2], 'w'))
PY
# A duplicate key is caught while parsing, so it gets a file of its own.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {A: "1", A: "2"}\n' >"$work/duplicate-key.yaml"
if "$PY" "$validator" "${kargs[@]}" "$broken" "$work/duplicate-key.yaml" >"$work/broken.log" 2>&1; then
  fail "validator accepted broken manifests" "$work/broken.log"
else
  for want in "'resoures' was unexpected" "'eighty' is not of type 'integer'" "no schema for Deploymnt" \
    "'intervall' was unexpected" "duplicate key 'A'"; do
    if grep -q "$want" "$work/broken.log"; then pass "validator rejects: $want"; else fail "validator did not report: $want" "$work/broken.log"; fi
  done
fi

# ---------------------------------------------------------------------------------------------
section "every value is documented in $chart_src/README.md"
if "$PY" - "$chart_src/values.yaml" "$chart_src/README.md" >"$work/docs.log" 2>&1 <<'PY'; then
import sys, yaml
values = yaml.safe_load(open(sys.argv[1]))
readme = open(sys.argv[2]).read()
def paths(node, prefix=''):
    for k, v in node.items():
        p = f'{prefix}{k}'
        if isinstance(v, dict) and v and not p.endswith(('Labels', 'Annotations', 'annotations', 'labels', 'Selector', 'env', 'extraEnv', 'behavior', 'resources', 'nodeSelector', 'affinity')) and p not in ('podSecurityContext', 'containerSecurityContext'):
            yield from paths(v, p + '.')
        else:
            yield p
missing = [p for p in paths(values) if f'`{p}`' not in readme]
if missing:
    print('not in the README tables:', ', '.join(missing))
    sys.exit(1)
print(f'{len(list(paths(values)))} value paths documented')
PY
  pass "README documents every value ($(cat "$work/docs.log"))"
else
  fail "README is missing values" "$work/docs.log"
fi

# ---------------------------------------------------------------------------------------------
# No Docker engine here: the image cannot be built, so check what can be checked without one.
section "deploy/Dockerfile: syntax and consistency with the repository"
DFCHECK_BUILDKIT=v0.34.2 # github.com/moby/buildkit: the Dockerfile parser and linter of `docker build`
dfcheck="$CACHE/dfcheck-$DFCHECK_BUILDKIT"
if [ ! -x "$dfcheck" ]; then
  t0=$(date +%s)
  src="$work/dfcheck"
  mkdir -p "$src" "$CACHE"
  cat >"$src/main.go" <<'GO'
// Parses a Dockerfile with BuildKit's parser and instruction checks, with BuildKit's linter on.
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	res, err := parser.Parse(f)
	if err != nil {
		fmt.Println("parse error:", err)
		os.Exit(1)
	}
	problems := 0
	for _, w := range res.Warnings {
		problems++
		fmt.Println("warning:", w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		problems++
		if len(loc) > 0 {
			fmt.Printf("lint %s (line %d): %s\n", rule, loc[0].Start.Line, msg)
		} else {
			fmt.Printf("lint %s: %s\n", rule, msg)
		}
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		fmt.Println("instruction error:", err)
		os.Exit(1)
	}
	for _, s := range stages {
		fmt.Printf("stage %s: %d instructions\n", s.Name, len(s.Commands))
	}
	if problems > 0 {
		os.Exit(1)
	}
}
GO
  printf 'module dfcheck\n\ngo 1.24\n' >"$src/go.mod"
  if (cd "$src" && go get "github.com/moby/buildkit@$DFCHECK_BUILDKIT" && go mod tidy && go build -o "$dfcheck" .) >"$work/dfcheck-build.log" 2>&1; then
    echo "  Dockerfile checker (buildkit $DFCHECK_BUILDKIT): built in $(($(date +%s) - t0)) s"
  else
    fail "build the Dockerfile checker" "$work/dfcheck-build.log"
  fi
else
  echo "  Dockerfile checker (buildkit $DFCHECK_BUILDKIT): cached ($dfcheck)"
fi
if [ -x "$dfcheck" ]; then
  if "$dfcheck" deploy/Dockerfile >"$work/dfcheck.log" 2>&1; then
    pass "BuildKit parses deploy/Dockerfile without lint warnings ($(grep -c '^stage' "$work/dfcheck.log") stages)"
  else
    fail "BuildKit rejects deploy/Dockerfile" "$work/dfcheck.log"
  fi
fi
if "$PY" - >"$work/dockerfile.log" 2>&1 <<'PY'; then
import glob, json, os, re, sys
df = open('deploy/Dockerfile').read()
ignore = [l.strip() for l in open('deploy/Dockerfile.dockerignore') if l.strip() and not l.startswith('#')]
def rx(p):
    out, i = '', 0
    while i < len(p):
        if p.startswith('**/', i): out += '(?:.*/)?'; i += 3
        elif p.startswith('**', i): out += '.*'; i += 2
        elif p[i] == '*': out += '[^/]*'; i += 1
        elif p[i] == '?': out += '[^/]'; i += 1
        else: out += re.escape(p[i]); i += 1
    return re.compile('^' + out + '$')
rxs = [rx(p) for p in ignore]
def ignored(path):
    parts = path.strip('/').split('/')
    return any(r.match('/'.join(parts[:k])) for r in rxs for k in range(1, len(parts) + 1))
problems = []
# 1. Every COPY from the build context exists and is not excluded by the ignore file.
for m in re.finditer(r'^COPY (?!--from)(.+)$', df, re.M):
    for src in m.group(1).split()[:-1]:
        if src == '.':
            continue
        if not os.path.exists(src):
            problems.append(f'COPY {src}: not in the repository')
        elif ignored(src):
            problems.append(f'COPY {src}: excluded by deploy/Dockerfile.dockerignore')
# 2. What `npm ci` needs is in the context: the lock file and every workspace's package.json.
pkg = json.load(open('package.json'))
needed = ['package.json', 'package-lock.json'] + [
    os.path.join(d, 'package.json') for w in pkg['workspaces'] for d in sorted(glob.glob(w))
    if os.path.isfile(os.path.join(d, 'package.json'))]
for f in needed:
    if ignored(f):
        problems.append(f'{f}: needed by npm ci but excluded by the ignore file')
# 3. The production install covers exactly the services (services/* built by tools/build.mjs into
#    dist/main.mjs); other built packages (static files: the dashboard) are copied into the image.
builds = {os.path.basename(os.path.dirname(p)): json.load(open(p)).get('scripts', {}).get('build')
          for p in glob.glob('services/*/package.json')}
services = sorted(s for s, b in builds.items() if b and 'tools/build.mjs' in b)
static = sorted(s for s, b in builds.items() if b and s not in services)
installed = sorted(re.findall(r'--workspace=services/([\w-]+)', df))
if installed != services:
    problems.append(f'prod-deps installs {installed}, the services are {services}')
for svc in static:
    if f'services/{svc}/dist ' not in df:
        problems.append(f'services/{svc} is built (static files) but the Dockerfile never copies services/{svc}/dist')
# 4. The chart starts each service from the path the image puts it at.
chart_args = set()
for t in glob.glob('helm/tickmesh/templates/*.yaml'):
    chart_args.update(re.findall(r"services/([\w-]+)/dist/main\.mjs", open(t).read()))
for svc in sorted(chart_args - set(services)):
    problems.append(f'the chart runs services/{svc}/dist/main.mjs, which the image does not build')
for svc in sorted(set(services) - chart_args):
    problems.append(f'services/{svc} is in the image but the chart never runs it')
if problems:
    print('\n'.join(problems))
    sys.exit(1)
print(f'{len(services)} services, {len(needed)} manifests for npm ci')
PY
  pass "Dockerfile consistent with the repository ($(tail -n 1 "$work/dockerfile.log"))"
else
  fail "Dockerfile inconsistent with the repository" "$work/dockerfile.log"
fi

# ---------------------------------------------------------------------------------------------
echo
if [ "$failed" -gt 0 ]; then
  echo "failed checks:"
  printf '  - %s\n' "${failures[@]}"
fi
echo "helm-check finished in $(($(date +%s) - start)) s"
echo "helm-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
