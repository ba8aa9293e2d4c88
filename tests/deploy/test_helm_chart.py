"""The Helm chart renders valid, hardened Kubernetes objects and refuses bad values (scripts/helm_check.py).

Needs the pinned helm at .tools/helm (`make .tools/helm`; `make test` fetches it) and the venv's
kubernetes-validate and hadolint; a missing tool fails the test with the command that installs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import helm_check

Objects = list[dict[str, Any]]


@pytest.fixture(scope="module")
def default_objects() -> Objects:
    return helm_check.render_default()


@pytest.fixture(scope="module")
def production_objects() -> Objects:
    return helm_check.render_production()


def find(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert matches, f"no {kind}/{name} in the render: {sorted(helm_check.describe(o) for o in objects)}"
    return matches[0]


def container(obj: dict[str, Any]) -> dict[str, Any]:
    return helm_check.pod_specs(obj)[0]["containers"][0]


def test_helm_binary_is_the_pinned_one() -> None:
    assert helm_check.helm("version", "--short").stdout.startswith("v4.1.4")


def test_helm_lint_passes() -> None:
    assert helm_check.lint() == []


@pytest.mark.parametrize("render", ["default_objects", "production_objects"])
def test_render_is_valid_kubernetes(render: str, request: pytest.FixtureRequest) -> None:
    objects = request.getfixturevalue(render)
    errors, skipped = helm_check.validate_objects(objects)
    assert errors == []
    # Only the Prometheus Operator's custom resources lack a schema in kubernetes-validate.
    assert skipped <= {"monitoring.coreos.com/v1 ServiceMonitor", "monitoring.coreos.com/v1 PrometheusRule"}


@pytest.mark.parametrize("render", ["default_objects", "production_objects"])
def test_workloads_are_hardened_and_wired(render: str, request: pytest.FixtureRequest) -> None:
    assert helm_check.check_workloads(request.getfixturevalue(render)) == []


def test_production_example_renders_every_kind(production_objects: Objects) -> None:
    kinds = {o["kind"] for o in production_objects}
    assert {
        "Deployment",
        "Service",
        "ConfigMap",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "ServiceMonitor",
        "PrometheusRule",
        "Job",
        "CronJob",
        "Ingress",
        "ServiceAccount",
    } <= kinds


def test_validation_catches_a_broken_object(default_objects: Objects) -> None:
    broken = json.loads(json.dumps(find(default_objects, "Deployment", "duban-ledger")))
    container(broken)["readinessProbe"]["grpc"]["port"] = "grpc"  # native gRPC probes take a number
    errors, _ = helm_check.validate_objects([broken])
    assert errors and "readinessProbe.grpc.port" in errors[0]


@pytest.mark.parametrize("case", helm_check.BAD_VALUES, ids=lambda case: case.what)
def test_bad_values_fail_with_their_message(case: helm_check.BadValues) -> None:
    assert helm_check.check_bad_values([case]) == []


def test_every_service_package_has_a_deployment(default_objects: Objects) -> None:
    packages = helm_check.service_packages()
    assert "gateway" in packages
    assert helm_check.missing_deployments(default_objects, packages) == []


def test_chart_values_follow_the_service_table(default_objects: Objects) -> None:
    """The chart runs exactly the services of libs/common/service_table.py (plus the gateway), and the
    gateway is told where each one listens."""
    import yaml

    from libs.common.service_table import SERVICES

    values = yaml.safe_load((helm_check.CHART / "values.yaml").read_text(encoding="utf-8"))
    names = {row.name for row in SERVICES}
    # Blocks of services still to be built stay disabled until they have a row (and an image).
    enabled = {name for name, svc in values["services"].items() if svc["enabled"]} - {"gateway"}
    assert enabled == names
    assert set(helm_check.service_packages()) - {"gateway"} == names
    for name in names:
        find(default_objects, "Deployment", f"duban-{name}")
    config = find(default_objects, "ConfigMap", "duban-config")["data"]
    assert {row.addr_env for row in SERVICES} <= set(config)


def test_a_new_service_package_without_chart_values_is_reported(tmp_path: Path, default_objects: Objects) -> None:
    (tmp_path / "archive").mkdir()  # a service still to be built: the chart has no block for it
    (tmp_path / "archive" / "__main__.py").write_text("")
    (tmp_path / "gateway").mkdir()
    (tmp_path / "helpers").mkdir()  # no __main__.py: not a service
    packages = helm_check.service_packages(tmp_path)
    assert packages == ["archive", "gateway"]
    [problem] = helm_check.missing_deployments(default_objects, packages)
    assert "services.archive.enabled=true" in problem


def test_services_run_their_subcommands(default_objects: Objects) -> None:
    assert container(find(default_objects, "Deployment", "duban-ledger"))["args"] == ["ledger", "serve"]
    assert container(find(default_objects, "Deployment", "duban-gateway"))["args"] == ["gateway", "serve"]
    job = find(default_objects, "Job", "duban-ledger-migrate")
    assert container(job)["args"] == ["ledger", "migrate"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    env = {e["name"]: e.get("value") for e in container(job)["env"]}
    assert env["DUBAN_MIGRATE_ON_START"] == "false"
    assert env["DUBAN_KAFKA_BOOTSTRAP"] == "kafka-0.kafka.kafka.svc:9092"


def test_secrets_are_only_referenced(default_objects: Objects) -> None:
    assert not [o for o in default_objects if o["kind"] == "Secret"]
    env = {e["name"]: e for e in container(find(default_objects, "Deployment", "duban-gateway"))["env"]}
    assert env["DUBAN_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "duban-database", "key": "gateway"}
    assert env["DUBAN_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "duban-gateway", "key": "secret-key"}


def test_settings_reach_the_shared_config_map(production_objects: Objects) -> None:
    data = find(production_objects, "ConfigMap", "duban-config")["data"]
    assert data["DUBAN_GENERAL_DUE_DAYS"] == "7"
    assert data["DUBAN_COMPLEX_DUE_DAYS"] == "10"
    assert data["DUBAN_STORAGE_S3_BUCKET"] == "duban-files"
    assert data["DUBAN_STORAGE_S3_ENDPOINT"] == "https://oss.example.gov.cn"
    assert data["AWS_REGION"] == "cn-north-1"
    assert data["DUBAN_CALENDAR_DIR"] == "/etc/duban/calendar"
    assert {f"DUBAN_{s}_ADDR" for s in ("LEDGER", "TRACKING", "INSPECTION", "NOTIFICATION", "EVALUATION")} <= set(data)
    assert data["DUBAN_TRACKING_ADDR"] == "duban-tracking:50051"


def test_calendar_years_are_mounted(production_objects: Objects) -> None:
    calendar = find(production_objects, "ConfigMap", "duban-calendar")
    assert json.loads(calendar["data"]["2027.json"])["year"] == 2027
    deployment = find(production_objects, "Deployment", "duban-ledger")
    mounts = {m["name"]: m["mountPath"] for m in container(deployment)["volumeMounts"]}
    assert mounts["calendar"] == "/etc/duban/calendar"
    volumes = {v["name"]: v for v in helm_check.pod_specs(deployment)[0]["volumes"]}
    assert volumes["calendar"]["configMap"]["name"] == "duban-calendar"


def test_cron_job_runs_the_service_job(production_objects: Objects) -> None:
    cron = find(production_objects, "CronJob", "duban-tracking-sweep")
    assert container(cron)["args"] == ["tracking", "sweep"]
    assert cron["spec"]["timeZone"] == "Asia/Shanghai"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"


def test_cron_job_extra_args() -> None:
    job = {"name": "overdue-sweep", "schedule": "0 1 * * *", "args": ["--limit", "100"]}
    objects = helm_check.render(*helm_check.REQUIRED_VALUES, "--set-json", f"services.ledger.jobs=[{json.dumps(job)}]")
    cron = find(objects, "CronJob", "duban-ledger-overdue-sweep")
    assert container(cron)["args"] == ["ledger", "overdue-sweep", "--limit", "100"]
    errors, _ = helm_check.validate_objects([cron])
    assert errors == []


def test_inspection_calls_the_ledger_keeps_photos_in_the_files_and_sweeps_daily(
    default_objects: Objects, production_objects: Objects
) -> None:
    deployment = find(default_objects, "Deployment", "duban-inspection")
    assert container(deployment)["args"] == ["inspection", "serve"]
    env = helm_check.env_values(container(deployment), default_objects)
    assert env["DUBAN_LEDGER_ADDR"] == "duban-ledger:50051"  # RegisterItem and the directory, as itself
    assert env["DUBAN_SWEEP_INTERVAL_SECONDS"] == "0"  # the CronJob sweeps, not every replica
    mounts = {m["name"]: m["mountPath"] for m in container(deployment)["volumeMounts"]}
    assert mounts["files"] == env["DUBAN_STORAGE_DIR"] == "/var/lib/duban/files"
    cron = find(default_objects, "CronJob", "duban-inspection-sweep")
    assert container(cron)["args"] == ["inspection", "sweep"]
    minute, hour, *every_day = cron["spec"]["schedule"].split()
    assert every_day == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()
    assert (cron["spec"]["timeZone"], cron["spec"]["concurrencyPolicy"]) == ("Asia/Shanghai", "Forbid")
    assert helm_check.env_values(container(cron), default_objects)["DUBAN_LEDGER_ADDR"] == "duban-ledger:50051"
    # In production the photos go to the bucket, so inspection may run several pods.
    production = find(production_objects, "Deployment", "duban-inspection")
    env = helm_check.env_values(container(production), production_objects)
    assert env["DUBAN_STORAGE_S3_BUCKET"] == "duban-files" and production["spec"]["replicas"] == 2
    assert container(find(production_objects, "CronJob", "duban-inspection-sweep"))["args"] == ["inspection", "sweep"]


def test_network_policies(production_objects: Objects) -> None:
    gateway = find(production_objects, "NetworkPolicy", "duban-gateway")["spec"]
    http_from = gateway["ingress"][0]["from"][0]
    assert http_from["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    ledger = find(production_objects, "NetworkPolicy", "duban-ledger")["spec"]
    grpc_rule = ledger["ingress"][0]
    assert grpc_rule["ports"] == [{"port": "grpc", "protocol": "TCP"}]
    assert grpc_rule["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "duban", "app.kubernetes.io/instance": "duban"}}}
    ]
    egress_ports = {p["port"] for rule in ledger["egress"] for p in rule.get("ports", [])}
    assert {53, 9092, 5432, 443} <= egress_ports


def test_autoscaled_deployment_leaves_replicas_to_the_hpa(production_objects: Objects) -> None:
    assert "replicas" not in find(production_objects, "Deployment", "duban-gateway")["spec"]
    hpa = find(production_objects, "HorizontalPodAutoscaler", "duban-gateway")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 8)


def test_dockerfile_passes_hadolint() -> None:
    assert helm_check.hadolint() == []


def test_shared_volume_storage() -> None:
    objects = helm_check.render(
        *helm_check.REQUIRED_VALUES, "--set", "storage.type=pvc", "--set", "storage.pvc.size=50Gi"
    )
    claim = find(objects, "PersistentVolumeClaim", "duban-files")
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"  # files outlive the release
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for name in ("duban-ledger", "duban-tracking", "duban-inspection"):  # one claim for every service's files
        volumes = {v["name"]: v for v in helm_check.pod_specs(find(objects, "Deployment", name))[0]["volumes"]}
        assert volumes["files"]["persistentVolumeClaim"]["claimName"] == "duban-files"
    # The migration hook runs before the claim exists on a first install, so it never mounts it.
    hook_volumes = {
        v["name"]: v for v in helm_check.pod_specs(find(objects, "Job", "duban-ledger-migrate"))[0]["volumes"]
    }
    assert "emptyDir" in hook_volumes["files"]
    assert helm_check.validate_objects(objects)[0] == []


def test_object_names_follow_the_release() -> None:
    objects = helm_check.render(*helm_check.REQUIRED_VALUES, release="portal")
    data = find(objects, "ConfigMap", "portal-duban-config")["data"]
    assert data["DUBAN_LEDGER_ADDR"] == "portal-duban-ledger:50051"
    assert find(objects, "Deployment", "portal-duban-ledger")


def test_an_alert_fires_on_a_gap_reconciliation_found(production_objects: Objects) -> None:
    rules = {r["alert"]: r for r in find(production_objects, "PrometheusRule", "duban-events")["spec"]["groups"][0]["rules"]}
    assert "duban_reconcile_gap_events_total[15m]" in rules["DubanEventsMissed"]["expr"]
    assert rules["DubanEventsExpired"]["labels"]["severity"] == "critical"
    assert helm_check.check_prometheus_rules(production_objects) == []
    renamed = json.loads(json.dumps(find(production_objects, "PrometheusRule", "duban-events")))
    renamed["spec"]["groups"][0]["rules"][0]["expr"] = "increase(duban_reconcile_gaps_total[15m]) > 0"
    assert helm_check.check_prometheus_rules([renamed]) != []


def test_reconciliation_settings_reach_every_service(production_objects: Objects) -> None:
    shared = find(production_objects, "ConfigMap", "duban-config")["data"]
    assert shared["DUBAN_OUTBOX_RETENTION_HOURS"] == "168" and shared["DUBAN_RECONCILE_INTERVAL_SECONDS"] == "60"
    # Each service's reconcilers find their sources where the gateway finds them.
    assert shared["DUBAN_LEDGER_ADDR"] == "duban-ledger:50051" and shared["DUBAN_TRACKING_ADDR"] == "duban-tracking:50051"


# -- signed service calls (libs/common/call_auth.py) --------------------------------------------------
def call_key_wiring(
    obj: dict[str, Any], objects: Objects
) -> tuple[dict[str, str | None], list[dict[str, Any]], dict[str, Any]]:
    """(environment, the call keys' volumes, their mounts by volume name) of a workload's container."""
    pod = helm_check.pod_specs(obj)[0]
    volumes = [v for v in pod["volumes"] if v["name"] in ("call-signing-key", "call-trusted-keys")]
    mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
    return helm_check.env_values(pod["containers"][0], objects), volumes, mounts


@pytest.mark.parametrize(
    ("kind", "name", "component"),
    [
        ("Deployment", "duban-gateway", "gateway"),
        ("Deployment", "duban-ledger", "ledger"),
        ("Deployment", "duban-tracking", "tracking"),
        ("Job", "duban-gateway-migrate", "gateway"),  # `gateway migrate` refuses to run without the key
        ("Job", "duban-ledger-migrate", "ledger"),
        ("CronJob", "duban-tracking-sweep", "tracking"),
        ("Deployment", "duban-inspection", "inspection"),
        ("Job", "duban-inspection-migrate", "inspection"),
        ("CronJob", "duban-inspection-sweep", "inspection"),
    ],
)
def test_each_pod_mounts_only_its_own_call_key(default_objects: Objects, kind: str, name: str, component: str) -> None:
    env, volumes, mounts = call_key_wiring(find(default_objects, kind, name), default_objects)
    assert env["DUBAN_CALL_SIGNING_KEY"] == "/etc/duban/call-keys/own/key.pem"
    assert env["DUBAN_CALL_TRUSTED_KEYS"] == "/etc/duban/call-keys/trusted/trusted.json"
    assert env["DUBAN_CALL_KEY_ID"] == f"{component}-2026-12"
    assert volumes == [
        {
            "name": "call-trusted-keys",
            "configMap": {
                "name": "duban-call-keys-trusted",
                "items": [{"key": "trusted.json", "path": "trusted.json"}],
                "defaultMode": 0o444,
            },
        },
        {
            "name": "call-signing-key",
            "secret": {
                "secretName": "duban-call-keys",
                "items": [{"key": f"{component}.pem", "path": "key.pem"}],
                "defaultMode": 0o400,
            },
        },
    ]
    assert mounts["call-signing-key"] == {
        "name": "call-signing-key",
        "mountPath": "/etc/duban/call-keys/own",
        "readOnly": True,
    }
    assert mounts["call-trusted-keys"]["mountPath"] == "/etc/duban/call-keys/trusted"
    assert mounts["call-trusted-keys"]["readOnly"] is True


def test_every_pod_signs_with_its_own_key(default_objects: Objects, production_objects: Objects) -> None:
    """All workloads of both renders (every service of the production example, its CronJobs too)."""
    assert helm_check.check_call_keys(default_objects) == []
    assert helm_check.check_call_keys(production_objects) == []
    pem_files = {
        item["key"]
        for obj in production_objects
        for pod in helm_check.pod_specs(obj)
        for volume in pod["volumes"]
        if "secret" in volume and volume["secret"]["secretName"] == "duban-call-keys"
        for item in volume["secret"]["items"]
    }
    services = ("gateway", "ledger", "tracking", "inspection", "notification", "evaluation")
    assert pem_files == {f"{name}.pem" for name in services}


def test_a_pod_with_another_components_key_is_reported(default_objects: Objects) -> None:
    deployment = json.loads(json.dumps(find(default_objects, "Deployment", "duban-gateway")))
    volume = next(v for v in helm_check.pod_specs(deployment)[0]["volumes"] if v["name"] == "call-signing-key")
    volume["secret"]["items"].append({"key": "ledger.pem", "path": "ledger.pem"})
    config_maps = [o for o in default_objects if o["kind"] == "ConfigMap"]  # its environment
    [problem] = helm_check.check_call_keys([deployment, *config_maps])
    assert "must mount only its own key gateway.pem" in problem
    volume["secret"]["items"] = [{"key": "gateway.pem", "path": "key.pem"}]
    volume["secret"]["defaultMode"] = 0o644
    [problem] = helm_check.check_call_keys([deployment, *config_maps])
    assert "needs mode 0400" in problem


def test_call_key_names_and_ids_follow_the_values() -> None:
    objects = helm_check.render(
        *helm_check.REQUIRED_VALUES,
        "--set",
        "callKeys.existingSecret=duban-call-keys-2027-03",
        "--set",
        "callKeys.trustedConfigMap=duban-trusted",
        "--set",
        "callKeys.keyIds.gateway=gateway-2027-03",
    )
    env, volumes, _ = call_key_wiring(find(objects, "Deployment", "duban-gateway"), objects)
    assert env["DUBAN_CALL_KEY_ID"] == "gateway-2027-03"
    sources = {v["name"]: v["secret"]["secretName"] if "secret" in v else v["configMap"]["name"] for v in volumes}
    assert sources == {"call-trusted-keys": "duban-trusted", "call-signing-key": "duban-call-keys-2027-03"}
    env, _, _ = call_key_wiring(find(objects, "Job", "duban-gateway-migrate"), objects)
    assert env["DUBAN_CALL_KEY_ID"] == "gateway-2027-03"
    env, _, _ = call_key_wiring(find(objects, "Deployment", "duban-ledger"), objects)
    assert env["DUBAN_CALL_KEY_ID"] == "ledger-2026-12"  # the others keep <component>-<keyIdSuffix>
    assert helm_check.check_call_keys(objects) == []
    assert helm_check.validate_objects(objects)[0] == []


def test_pods_roll_when_the_trusted_keys_change(default_objects: Objects) -> None:
    """The trusted set is read at start; the Deployments' pod templates carry a checksum of the ConfigMap
    (looked up in the cluster; `helm template` sees none, so the value is the checksum of nothing)."""
    for name in ("duban-gateway", "duban-ledger", "duban-tracking", "duban-inspection"):
        annotations = find(default_objects, "Deployment", name)["spec"]["template"]["metadata"]["annotations"]
        assert len(annotations["checksum/call-keys-trusted"]) == 64


def test_an_alert_fires_on_refused_calls(production_objects: Objects) -> None:
    groups = {g["name"]: g for g in find(production_objects, "PrometheusRule", "duban-events")["spec"]["groups"]}
    [rule] = groups["duban-calls"]["rules"]
    assert rule["alert"] == "DubanCallsRefused"
    assert "duban_grpc_calls_refused_total" in rule["expr"] and "by (service, reason)" in rule["expr"]
    assert rule["for"] == "15m"
    assert rule["labels"]["severity"] == "warning"
    assert helm_check.check_prometheus_rules(production_objects) == []


def test_an_offices_bulletin_templates_reach_notification_only() -> None:
    objects = helm_check.render(*helm_check.REQUIRED_VALUES, "--set", "bulletinTemplates.configMap=office-templates")
    for kind, name in (("Deployment", "duban-notification"), ("CronJob", "duban-notification-bulletins")):
        workload = find(objects, kind, name)
        mounts = {m["name"]: m for m in container(workload)["volumeMounts"]}
        assert mounts["bulletin-templates"]["mountPath"] == "/etc/duban/bulletin-templates"
        assert mounts["bulletin-templates"]["readOnly"] is True
        volumes = {v["name"]: v for v in helm_check.pod_specs(workload)[0]["volumes"]}
        assert volumes["bulletin-templates"]["configMap"]["name"] == "office-templates"
        env = helm_check.env_values(container(workload), objects)
        assert env["DUBAN_BULLETIN_TEMPLATE_DIR"] == "/etc/duban/bulletin-templates"
    ledger = container(find(objects, "Deployment", "duban-ledger"))
    assert "bulletin-templates" not in {m["name"] for m in ledger["volumeMounts"]}
    assert "DUBAN_BULLETIN_TEMPLATE_DIR" not in helm_check.env_names(ledger, objects)
    errors, _ = helm_check.validate_objects(objects)
    assert errors == []
    default = container(find(helm_check.render_default(), "Deployment", "duban-notification"))
    assert "bulletin-templates" not in {m["name"] for m in default["volumeMounts"]}  # the image's templates


def test_evaluation_runs_as_one_replaced_pod_without_cron_jobs(default_objects: Objects) -> None:
    """Evaluation scores events in the order it archives them: one pod, replaced (never two at once during
    an upgrade), its own database key; replay is an admin's command, so no CronJob."""
    deployment = find(default_objects, "Deployment", "duban-evaluation")
    assert container(deployment)["args"] == ["evaluation", "serve"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert find(default_objects, "Deployment", "duban-ledger")["spec"]["strategy"]["type"] == "RollingUpdate"
    env = {e["name"]: e for e in container(deployment)["env"]}
    assert env["DUBAN_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "duban-database", "key": "evaluation"}
    assert not [o for o in default_objects if o["kind"] == "CronJob" and "evaluation" in o["metadata"]["name"]]
    assert find(default_objects, "Job", "duban-evaluation-migrate")
    config = find(default_objects, "ConfigMap", "duban-config")["data"]
    assert config["DUBAN_EVALUATION_ADDR"] == "duban-evaluation:50051"
