"""A two-replica deployment of the assistant on this machine (loopback only).

Starts, from Debian's packages (installed with apt-get when missing, as
root), each as the user its package runs it as:
  - PostgreSQL (user postgres, via scripts/pg_test_server.sh): the tracker
    store, the clinic's booking database and the analytics database;
  - Redis (user redis): the lock store;
  - RabbitMQ (user rabbitmq): the event broker, with the analytics consumer
    of deploy/analytics_consumer.py; skipped with a note if it does not come
    up within RABBITMQ_START_TIMEOUT;
  - nginx (master root, workers www-data): deploy/nginx/clinic.conf.template;
then two action servers and two Rasa replicas with deploy/endpoints.yml,
exactly as deploy/README.md describes, every port a free one on 127.0.0.1.

    python -m tests.scale.cluster     # start everything, print the URL, wait for Ctrl-C
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEPLOY = ROOT / "deploy"
RABBITMQ_START_TIMEOUT = float(os.environ.get("RABBITMQ_START_TIMEOUT", "90"))
PACKAGES = {"redis-server": "redis-server", "nginx": "nginx", "rabbitmq-server": "rabbitmq-server"}


def log(msg: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(
    check,
    timeout: float,
    what: str,
    proc: subprocess.Popen | None = None,
    logfile: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = logfile.read_text()[-3000:] if logfile and logfile.exists() else ""
            raise RuntimeError(f"{what} exited early ({proc.returncode}):\n{tail}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.3)
    tail = logfile.read_text()[-3000:] if logfile and logfile.exists() else ""
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s\n{tail}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def which(*names: str) -> str | None:
    for name in names:
        for d in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin"):
            if os.access(os.path.join(d, name), os.X_OK):
                return os.path.join(d, name)
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_packages(names: list[str]) -> None:
    """apt-get installs what is missing (needs root); never starts services."""
    missing = [PACKAGES[n] for n in names if not which(n)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(
            f"missing {missing}: install them (apt-get install -y {' '.join(missing)})"
        )
    log(f"apt-get install {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # The services are started by this harness, on free ports; keep the
    # packages' scripts from starting system-wide ones.
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = False
    if not policy.exists():
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        made_policy = True
    try:
        subprocess.run(
            ["apt-get", "update", "-qq"], env=env, check=True, capture_output=True, timeout=600
        )
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing],
            env=env,
            check=True,
            capture_output=True,
            timeout=900,
        )
    finally:
        if made_policy:
            policy.unlink()


def fill_template(text: str, values: dict[str, str]) -> str:
    """Fills `${NAME}` (as the nginx image's envsubst does); nginx's own
    `$variables` are left alone; an unknown `${NAME}` is an error."""
    return re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: values[m.group(1)], text)


def as_user(user: str) -> list[str]:
    return ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    logfile: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@dataclass
class Cluster:
    model: Path
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="clinic-scale-")))
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    procs: dict[str, Proc] = field(default_factory=dict)
    pg_dir: str | None = None
    pg_url: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    rabbitmq: bool = False
    notes: list[str] = field(default_factory=list)

    # ---------------------------------------------------------------- services
    def start_services(self, with_rabbitmq: bool = True) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o755)
        ensure_packages(["redis-server", "nginx"] + (["rabbitmq-server"] if with_rabbitmq else []))
        self._start_postgres()
        self._start_redis()
        if with_rabbitmq:
            try:
                self._start_rabbitmq()
                self.rabbitmq = True
            except (RuntimeError, TimeoutError) as error:
                self.notes.append(
                    f"RabbitMQ did not start in {RABBITMQ_START_TIMEOUT:.0f} s: {error}"
                )
                log(self.notes[-1][:300])
                self.stop_proc("rabbitmq")

    def _start_postgres(self) -> None:
        out = subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg_test_server.sh"), "start"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if out.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start:\n{out.stderr[-3000:]}")
        values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        self.pg_dir, admin = values["PG_TEST_DIR"], values["PG_TEST_URL"]
        self.ports["postgres"] = int(admin.rsplit(":", 1)[1].split("/")[0])
        import psycopg2

        conn = psycopg2.connect(admin)
        conn.autocommit = True
        with conn.cursor() as cur:
            for db in ("rasa", "clinic", "analytics"):
                cur.execute(f'CREATE DATABASE "{db}"')
        conn.close()
        self.pg_url = admin.rsplit("/", 1)[0]
        log(f"PostgreSQL on 127.0.0.1:{self.ports['postgres']} ({self.pg_dir})")

    def restart_postgres(self, down_seconds: float = 5.0) -> float:
        """Stops PostgreSQL (fast), keeps it down `down_seconds`, starts it
        again with the same options; returns how long it was away."""
        bindir = Path(
            subprocess.run(
                ["bash", "-c", "ls -1 /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n1"],
                capture_output=True,
                text=True,
            ).stdout.strip()
        ).parent
        data = f"{self.pg_dir}/data"
        opts = shlex.split(Path(data, "postmaster.opts").read_text())[1:]
        if "-D" in opts:
            i = opts.index("-D")
            del opts[i : i + 2]
        quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        subprocess.run(
            [*as_user("postgres"), str(bindir / "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"],
            check=True,
            timeout=120,
            **quiet,
        )
        time.sleep(down_seconds)
        # -l: the new server must not inherit our pipes (we would wait for it)
        subprocess.run(
            [
                *as_user("postgres"),
                str(bindir / "pg_ctl"),
                "-D",
                data,
                "-l",
                f"{self.pg_dir}/server.log",
                "-o",
                shlex.join(opts),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            timeout=120,
            **quiet,
        )
        return time.monotonic() - t0

    def _start_redis(self) -> None:
        port = self.ports["redis"] = free_port()
        d = self.workdir / "redis"
        d.mkdir()
        if os.geteuid() == 0:
            shutil.chown(d, "redis", "redis")
        logfile = self.workdir / "redis.log"
        p = subprocess.Popen(
            [
                *as_user("redis"),
                which("redis-server"),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(d),
                "--daemonize",
                "no",
                "--maxclients",
                "1000",
            ],
            stdout=logfile.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs["redis"] = Proc("redis", p, logfile)
        wait_for(lambda: port_open(port), 30, "redis", p, logfile)
        log(f"Redis on 127.0.0.1:{port}")

    def _start_rabbitmq(self) -> None:
        amqp, dist, epmd = free_port(), free_port(), free_port()
        self.ports.update(rabbitmq=amqp)
        d = self.workdir / "rabbitmq"
        (d / "home").mkdir(parents=True)
        (d / "enabled_plugins").write_text("[].\n")
        (d / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{amqp}\nloopback_users = none\n"
            "management_agent.disable_metrics_collector = true\n"
        )
        if os.geteuid() == 0:
            for path in [d, d / "home", d / "enabled_plugins", d / "rabbitmq.conf"]:
                shutil.chown(path, "rabbitmq", "rabbitmq")
        node = f"clinic{amqp}@localhost"
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOME": str(d / "home"),
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(amqp),
            "RABBITMQ_DIST_PORT": str(dist),
            "ERL_EPMD_PORT": str(epmd),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(d / "pid"),
            "RABBITMQ_CONF_ENV_FILE": str(d / "none.conf"),
        }
        self.ports["epmd"] = epmd
        logfile = self.workdir / "rabbitmq.log"
        server = which("rabbitmq-server")
        p = subprocess.Popen(
            [*as_user("rabbitmq"), "env", *[f"{k}={v}" for k, v in env.items()], server],
            stdout=logfile.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(d),
        )
        self.procs["rabbitmq"] = Proc("rabbitmq", p, logfile)
        t0 = time.monotonic()
        wait_for(
            lambda: port_open(amqp) and self._amqp_ok(),
            RABBITMQ_START_TIMEOUT,
            "rabbitmq",
            p,
            logfile,
        )
        log(f"RabbitMQ on 127.0.0.1:{amqp} (ready in {time.monotonic() - t0:.0f} s)")

    def _amqp_ok(self) -> bool:
        import asyncio

        import aio_pika

        async def check() -> bool:
            conn = await aio_pika.connect(self.amqp_url, timeout=3)
            await conn.close()
            return True

        try:
            return asyncio.run(check())
        except Exception:  # noqa: BLE001 - not up yet
            return False

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.ports['rabbitmq']}/"

    def start_analytics(self) -> None:
        logfile = self.workdir / "analytics.log"
        p = subprocess.Popen(
            [
                str(BIN / "python"),
                str(DEPLOY / "analytics_consumer.py"),
                "--amqp",
                self.amqp_url,
                "--queue",
                "rasa_events",
                "--db",
                f"{self.pg_url}/analytics",
                "--max-seconds",
                "1800",
            ],
            stdout=logfile.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        self.procs["analytics"] = Proc("analytics", p, logfile)

    # -------------------------------------------------------------- assistant
    def env(self) -> dict[str, str]:
        pg = self.ports["postgres"]
        env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONHASHSEED": "0",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
            ),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.ports['nginx_actions']}/webhook",
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(pg),
            "DB_NAME": "rasa",
            "DB_USER": "postgres",
            "DB_PASSWORD": "",
            "SQL_POOL_SIZE": "2",
            "SQL_MAX_OVERFLOW": "3",
            # every simulated client comes from this one address: the
            # per-address limit would throttle the load test, not a client
            # (the per-conversation limit stays on)
            "CLINIC_RATE_LIMIT_IP": "0",
            # a replica that dies holding a conversation's lock frees it after
            # this long (Rasa's default is 60 s; a turn takes well under 1 s)
            "TICKET_LOCK_LIFETIME": "15",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.ports["redis"]),
            "REDIS_DB": "1",
            "CLINIC_DB_URL": f"{self.pg_url}/clinic",
            "CLINIC_PROFILE": str(self.workdir / "profile.yml"),
        }
        if self.rabbitmq:
            env.update(
                RABBITMQ_HOST="127.0.0.1",
                RABBITMQ_PORT=str(self.ports["rabbitmq"]),
                RABBITMQ_USER="guest",
                RABBITMQ_PASSWORD="guest",
                RABBITMQ_QUEUE="rasa_events",
            )
        return env

    def endpoints_file(self) -> Path:
        path = self.workdir / "endpoints.yml"
        text = (DEPLOY / "endpoints.yml").read_text()
        if not self.rabbitmq:  # documented fallback: no broker, no analytics
            text = text.split("event_broker:")[0]
        path.write_text(text)
        return path

    def start_nginx(self) -> None:
        for key in ("rasa_1", "rasa_2", "actions_1", "actions_2", "nginx", "nginx_actions"):
            self.ports.setdefault(key, free_port())
        self.write_nginx_conf(replicas=2)
        logfile = self.workdir / "nginx-stderr.log"
        p = subprocess.Popen(
            [
                which("nginx"),
                "-p",
                str(self.workdir / "nginx"),
                "-c",
                "nginx.conf",
                "-g",
                "daemon off;",
            ],
            stdout=logfile.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs["nginx"] = Proc("nginx", p, logfile)
        wait_for(lambda: port_open(self.ports["nginx"]), 20, "nginx", p, logfile)
        log(f"nginx on 127.0.0.1:{self.ports['nginx']} (actions on {self.ports['nginx_actions']})")

    def write_nginx_conf(self, replicas: int) -> None:
        d = self.workdir / "nginx"
        (d / "tmp").mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(d / "tmp", "www-data", "www-data")
        p = self.ports
        site = fill_template(
            (DEPLOY / "nginx" / "clinic.conf.template").read_text(),
            dict(
                RASA_1=f"127.0.0.1:{p['rasa_1']}",
                RASA_2=f"127.0.0.1:{p['rasa_2']}" + ("" if replicas == 2 else " down"),
                ACTIONS_1=f"127.0.0.1:{p['actions_1']}",
                ACTIONS_2=f"127.0.0.1:{p['actions_2']}",
                LISTEN=f"127.0.0.1:{p['nginx']}",
                ACTIONS_LISTEN=f"127.0.0.1:{p['nginx_actions']}",
                ACCESS_LOG=str(d / "access.log"),
            ),
        )
        (d / "clinic.conf").write_text(site)
        user = "user www-data;\n" if os.geteuid() == 0 else ""
        (d / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"  client_body_temp_path {d}/tmp/body; proxy_temp_path {d}/tmp/proxy;\n"
            f"  fastcgi_temp_path {d}/tmp/fcgi; uwsgi_temp_path {d}/tmp/uwsgi; scgi_temp_path {d}/tmp/scgi;\n"
            f"  include {d}/clinic.conf;\n"
            "}\n"
        )
        out = subprocess.run(
            [which("nginx"), "-t", "-p", str(d), "-c", "nginx.conf"], capture_output=True, text=True
        )
        if out.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{out.stderr}")

    def set_replicas(self, replicas: int) -> None:
        """Routes to one replica (the other marked down) or both; reloads nginx."""
        self.write_nginx_conf(replicas)
        subprocess.run(
            [which("nginx"), "-p", str(self.workdir / "nginx"), "-c", "nginx.conf", "-s", "reload"],
            check=True,
            capture_output=True,
        )
        time.sleep(1.0)

    def start_actions(self, i: int) -> None:
        logfile = self.workdir / f"actions-{i}.log"
        p = subprocess.Popen(
            [str(BIN / "python"), "-m", "actions.serve", "--port", str(self.ports[f"actions_{i}"])],
            cwd=ROOT,
            env=self.env(),
            stdout=logfile.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[f"actions_{i}"] = Proc(f"actions_{i}", p, logfile)

    def start_rasa(self, i: int) -> None:
        logfile = self.workdir / f"rasa-{i}.log"
        p = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "-m",
                str(self.model),
                "--endpoints",
                str(self.endpoints_file()),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--port",
                str(self.ports[f"rasa_{i}"]),
                "--interface",
                "127.0.0.1",
                "--enable-api",
                "--auth-token",
                self.token,
                "--response-timeout",
                "30",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=logfile.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[f"rasa_{i}"] = Proc(f"rasa_{i}", p, logfile)

    def wait_rasa(self, i: int, timeout: float = 420) -> None:
        proc = self.procs[f"rasa_{i}"]
        wait_for(
            lambda: http_ok(
                f"http://127.0.0.1:{self.ports[f'rasa_{i}']}/status?token={self.token}"
            ),
            timeout,
            f"rasa replica {i}",
            proc.popen,
            proc.logfile,
        )

    def start_assistant(self) -> None:
        shutil.copy(ROOT / "clinic" / "profile.yml", self.workdir / "profile.yml")
        self.start_nginx()
        for i in (1, 2):
            self.start_actions(i)
        for i in (1, 2):
            p = self.procs[f"actions_{i}"]
            wait_for(
                lambda i=i: http_ok(f"http://127.0.0.1:{self.ports[f'actions_{i}']}/health"),
                180,
                f"action server {i}",
                p.popen,
                p.logfile,
            )
        # one replica first: it creates the tracker tables, the other finds them
        t0 = time.monotonic()
        self.start_rasa(1)
        self.wait_rasa(1)
        self.start_rasa(2)
        self.wait_rasa(2)
        log(f"2 Rasa replicas ready in {time.monotonic() - t0:.0f} s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['nginx']}"

    def stop_proc(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.get(name)
        if proc:
            proc.stop(sig)

    def stop(self) -> None:
        for name in [
            "rasa_1",
            "rasa_2",
            "actions_1",
            "actions_2",
            "analytics",
            "nginx",
            "rabbitmq",
            "redis",
        ]:
            try:
                self.stop_proc(name)
            except Exception as error:  # noqa: BLE001 - stop the rest anyway
                log(f"stopping {name}: {error}")
        if "epmd" in self.ports:  # Erlang's port mapper outlives the broker: stop ours
            epmd = which("epmd") or "/usr/bin/epmd"
            subprocess.run(
                [epmd, "-port", str(self.ports["epmd"]), "-kill"], capture_output=True, timeout=30
            )
        if self.pg_dir:
            subprocess.run(
                ["bash", str(ROOT / "scripts" / "pg_test_server.sh"), "stop", self.pg_dir],
                capture_output=True,
                timeout=120,
            )
        if not os.environ.get("CLINIC_SCALE_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)


if __name__ == "__main__":
    model = Path(os.environ.get("CLINIC_MODEL") or ROOT / "models" / "clinic.tar.gz")
    cluster = Cluster(model)

    def _term(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    try:
        cluster.start_services()
        if cluster.rabbitmq:
            cluster.start_analytics()
        cluster.start_assistant()
        print(
            f"assistant behind nginx: {cluster.url}/webhooks/rest/webhook  (API token {cluster.token})"
        )
        print(f"logs in {cluster.workdir}; Ctrl-C stops everything")
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
