"""The deployment files a clinic would use, checked without a Docker engine
or a Kubernetes cluster: they parse, they name every piece the layout needs,
the variables they use are the ones they provide, nginx accepts the proxy
configuration, and Rasa reads the endpoints file. Fast: always runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)")


def load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text())


def endpoint_variables() -> set[str]:
    return set(PLACEHOLDER.findall((DEPLOY / "endpoints.yml").read_text().split("\n", 3)[-1]))


def test_endpoints_file_names_the_scale_out_services() -> None:
    endpoints = load("endpoints.yml")
    assert endpoints["tracker_store"]["type"] == "rasa_ext.sql_tracker_store.ClinicSQLTrackerStore"
    assert endpoints["nlg"]["type"] == "rasa_ext.nlg.ClinicNLG"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "redis"
    assert endpoints["event_broker"]["type"] == "pika"
    assert endpoints["action_endpoint"]["url"]
    # Rasa substitutes ${VAR} only in plain (unquoted) YAML values
    assert not re.search(r"[\"']\$\{", (DEPLOY / "endpoints.yml").read_text())


def test_rasa_reads_the_endpoints_file_with_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rasa.core.utils import AvailableEndpoints

    for name in endpoint_variables():
        monkeypatch.setenv(
            name,
            {"DB_PORT": "5432", "REDIS_PORT": "6379", "RABBITMQ_PORT": "5672", "REDIS_DB": "1"}.get(
                name, f"value-of-{name.lower()}"
            ),
        )
    endpoints = AvailableEndpoints.read_endpoints(str(DEPLOY / "endpoints.yml"))
    assert endpoints.tracker_store.kwargs["dialect"] == "postgresql"
    assert endpoints.tracker_store.url == "value-of-db_host"
    assert str(endpoints.tracker_store.kwargs["port"]) == "5432"
    assert (
        endpoints.lock_store.type == "redis" and endpoints.lock_store.url == "value-of-redis_host"
    )
    assert endpoints.event_broker.type == "pika"
    assert endpoints.event_broker.kwargs["queues"] == ["value-of-rabbitmq_queue"]
    assert endpoints.action.url == "value-of-action_server_url"


def test_compose_file_has_every_service_and_variable() -> None:
    compose = load("docker-compose.yml")
    services = compose["services"]
    for name in (
        "postgres",
        "redis",
        "rabbitmq",
        "rasa-1",
        "rasa-2",
        "actions-1",
        "actions-2",
        "nginx",
        "analytics",
    ):
        assert name in services, name
    env = compose["x-assistant-env"]
    missing = endpoint_variables() - set(env)
    assert not missing, f"deploy/endpoints.yml needs {missing} from the compose environment"
    for name in ("rasa-1", "rasa-2"):
        assert "deploy/endpoints.yml" in services[name]["command"]
        assert services[name]["environment"]["SQL_POOL_SIZE"] == "2"
    template_vars = set(
        PLACEHOLDER.findall((DEPLOY / "nginx" / "clinic.conf.template").read_text())
    )
    assert template_vars <= set(services["nginx"]["environment"]), template_vars - set(
        services["nginx"]["environment"]
    )
    for service in services.values():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), source
    assert (DEPLOY / "Dockerfile").exists()
    assert "rasa_events" in env["RABBITMQ_QUEUE"]


def test_compose_config_when_a_compose_client_is_there() -> None:
    docker = shutil.which("docker")
    if (
        not docker
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0
    ):
        pytest.skip("no `docker compose` client here (the YAML checks above still ran)")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "x",
        "RABBITMQ_PASSWORD": "x",
        "RASA_API_TOKEN": "x",
        "CLINIC_ACTION_TOKEN": "x",
    }
    out = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr


def test_nginx_accepts_the_proxy_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if not nginx:
        pytest.skip("nginx is not installed (the scale-out test installs it)")
    from tests.scale.cluster import fill_template

    site = fill_template(
        (DEPLOY / "nginx" / "clinic.conf.template").read_text(),
        {
            "RASA_1": "127.0.0.1:1",
            "RASA_2": "127.0.0.1:2",
            "ACTIONS_1": "127.0.0.1:3",
            "ACTIONS_2": "127.0.0.1:4",
            "LISTEN": "127.0.0.1:5",
            "ACTIONS_LISTEN": "127.0.0.1:6",
            "ACCESS_LOG": str(tmp_path / "access.log"),
        },
    )
    (tmp_path / "clinic.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"fastcgi_temp_path {tmp_path}/f; uwsgi_temp_path {tmp_path}/u; scgi_temp_path {tmp_path}/s;\n"
        f"include {tmp_path}/clinic.conf; }}\n"
    )
    out = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", "nginx.conf"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "hash $clinic_sender consistent" in site


def test_helm_values_for_rasas_chart() -> None:
    values = load("helm/values.yml")
    assert values["replicaCount"] >= 2
    ends = values["applicationSettings"]["endpoints"]
    assert ends["trackerStore"]["enabled"] and ends["trackerStore"]["dialect"] == "postgresql"
    assert ends["trackerStore"]["type"] == "rasa_ext.sql_tracker_store.ClinicSQLTrackerStore"
    assert ends["additionalEndpoints"]["nlg"]["type"] == "rasa_ext.nlg.ClinicNLG"
    assert ends["lockStore"]["enabled"] and ends["lockStore"]["type"] == "redis"
    assert ends["eventBroker"]["enabled"] and ends["eventBroker"]["type"] == "pika"
    assert (
        values["rasa-action-server"]["install"]
        and values["rasa-action-server"]["replicaCount"] >= 2
    )
    extra = {e["name"]: e.get("value") for e in values["extraEnv"]}
    assert "CLINIC_ACTION_TOKEN" in extra
    assert extra["SQL_POOL_SIZE"] == "2" and extra["SQL_MAX_OVERFLOW"] == "3"
    assert extra["PYTHONPATH"] == "/app"
    annotations = values["ingress"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$http_x_sender_id"
    creds = values["applicationSettings"]["credentials"]["additionalChannelCredentials"]
    assert "channels.rest.ClinicRestInput" in creds
    project = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
    socketio = [name for name in project if "socketio" in name.lower()]
    assert all(name in creds for name in socketio), (socketio, list(creds))


def test_analytics_rows_hold_no_message_text(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "analytics_consumer", DEPLOY / "analytics_consumer.py"
    )
    consumer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(consumer)
    table, row = consumer.row_for(
        {
            "event": "user",
            "sender_id": "s1",
            "timestamp": 1700000000.0,
            "text": "I'm 20 weeks pregnant",
            "parse_data": {"intent": {"name": "start_screening", "confidence": 0.93}},
            "input_channel": "rest",
        }
    )
    assert table.name == "turns" and row["intent"] == "start_screening"
    assert "pregnant" not in repr(row)
    assert consumer.row_for({"event": "action", "sender_id": "s1", "name": "action_listen"}) is None
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    consumer.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert().values(**row))
        assert conn.execute(sa.text("SELECT count(*) FROM turns")).scalar() == 1


def test_every_deployment_requires_the_action_token() -> None:
    """The action servers listen beyond loopback in every deployment, so the
    shared token is required there, with no usable default (issue 12, item 2)."""
    compose = load("docker-compose.yml")
    assert re.fullmatch(
        r"\$\{CLINIC_ACTION_TOKEN:\?[^}]+\}", compose["x-assistant-env"]["CLINIC_ACTION_TOKEN"]
    )
    for name in ("actions-1", "actions-2"):
        assert "--host 0.0.0.0" in compose["services"][name]["command"]
    example = dict(
        line.split("=", 1)
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert example["CLINIC_ACTION_TOKEN"] == "", (
        "env.example must not carry a token anyone could copy"
    )
    values = load("helm/values.yml")
    actions = values["rasa-action-server"]
    assert actions["command"][-4:] == ["--host", "0.0.0.0", "--port", "5055"]
    for env in (values["extraEnv"], actions["extraEnv"]):
        token = next(e for e in env if e["name"] == "CLINIC_ACTION_TOKEN")
        assert "value" not in token and not token["valueFrom"]["secretKeyRef"].get("optional")
