"""Benchmark: this assistant against the stock `rasa init` assistant, in one run.

    make bench                                   # everything, about 15 minutes on 2 cores
    .venv/bin/python scripts/bench/bench.py --skip-train     # reuse models/clinic.tar.gz

One run:
  1. creates and trains the stock assistant (`rasa init --no-prompt`) in a
     temporary directory, and trains this one into another
     (`rasa train --out TMP --force`), timing both; with
     --skip-train ours is models/clinic.tar.gz (said so in the output);
  2. starts each with its own action server (stock: `rasa run actions` on
     its actions.py; ours: `python -m actions.serve`) and times start-up to
     ready (action server healthy and Rasa's /status answering);
  3. drives both with the same load generator (scripts/bench/loadgen.py,
     REST channel, a new sender per conversation) at 1 and at 16 concurrent
     conversations, alternating stock and ours per level so that both see
     the same background load;
  4. writes results/bench.json, results/bench.md (a table of ratios
     ours/stock) and results/bench.png.

Only 127.0.0.1 is contacted; every level is bounded in turns and seconds.
Each assistant runs as it ships: stock with Rasa's defaults (in-memory
tracker store); ours with the repository's endpoints.yml, as `make run`
starts it (SQLite tracker store, here in a temporary directory), and its
per-client rate limits off (one load generator on one address is not a
client to throttle).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the repository, for tests.assistant

import report  # noqa: E402
from loadgen import Turn, run_level, summarise  # noqa: E402

from tests.assistant import write_endpoints  # noqa: E402  the same endpoints as the HTTP tests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# The same shape for both: two "FAQ" turns (answered from the domain or the
# clinic profile) and three "action" turns (a flow step that runs a custom
# action or a story/form prediction). Expectations catch a wrong answer being
# timed as a right one.
OURS_SCRIPT = [
    Turn("what are your opening hours?", "faq", ("open", "hours", "closed")),
    Turn("how much does a massage cost?", "faq", ("£", "€", "$", "price", "minutes", "min")),
    # slot lookup: massage_type is filled from the entity, the action reads it
    Turn("what is deep tissue massage?", "action", ("deep tissue", "deep-tissue")),
    # the pre-screen: consent question, then the first question of the form
    Turn("can you check if massage is ok for me", "action", ("permission",)),
    Turn("/affirm", "action", ("chest pain",)),
]
STOCK_SCRIPT = [
    Turn("hello", "faq", ("how are you",)),
    Turn("I am sad", "action", ("did that help", "cheer")),
    Turn("yes", "action", ("great", "carry on")),
    Turn("I am great", "faq", ()),
    Turn("are you a bot?", "action", ("bot",)),
]

BASE_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONHASHSEED": "0",
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def wait_ready(url: str, proc: subprocess.Popen, logfile: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited early:\n{logfile.read_text()[-3000:]}")
        if http_ok(url):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout}s:\n{logfile.read_text()[-3000:]}")


def proc_memory_mb(pid: int) -> dict[str, float]:
    """Resident set size now and its peak (VmHWM), MiB, from /proc."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return {"rss_mb": out.get("VmRSS", 0.0), "peak_rss_mb": out.get("VmHWM", 0.0)}


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def background_load(exclude: set[int] = frozenset()) -> dict[str, Any]:
    """What else the machine is doing (the numbers depend on it)."""
    load = os.getloadavg()
    mine = {os.getpid(), *exclude}
    top = subprocess.run(
        ["ps", "-eo", "pid,ppid,pcpu,rss,args", "--sort=-pcpu", "--no-headers"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()[:12]
    rows = []
    for line in top:
        parts = line.split(None, 4)
        if len(parts) < 5 or int(parts[0]) in mine or float(parts[2]) < 5:
            continue
        rows.append(
            {
                "pid": int(parts[0]),
                "cpu_pct": float(parts[2]),
                "rss_mb": round(int(parts[3]) / 1024),
                "cmd": parts[4][:120],
            }
        )
    return {"loadavg_1_5_15": [round(x, 2) for x in load], "busy_processes": rows}


@dataclass
class Bot:
    name: str
    workdir: Path
    model: Path
    cwd: Path
    actions_cmd: list[str]
    env: dict[str, str]
    credentials: Path
    script: list[Turn]
    # ours: the repository's endpoints.yml (what `make run` uses), with this
    # run's action server and tracker database; stock: Rasa's defaults
    project_endpoints: bool = False
    endpoints: Path = field(init=False)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    rasa_port: int = 0
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self, extra_rasa_args: list[str]) -> None:
        actions_port, self.rasa_port = free_port(), free_port()
        self.endpoints = self.workdir / "endpoints.yml"
        if self.project_endpoints:
            write_endpoints(self.endpoints, actions_port, self.workdir / "tracker.db")
        else:
            self.endpoints.write_text(
                f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n"
            )
        env = {**os.environ, **BASE_ENV, **self.env}
        alog, rlog = self.workdir / "actions.log", self.workdir / "rasa.log"
        t0 = time.perf_counter()
        actions = subprocess.Popen(
            self.actions_cmd + ["--port", str(actions_port)],
            cwd=self.cwd,
            env=env,
            stdout=alog.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs["actions"] = actions
        rasa = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "-m",
                str(self.model),
                "--endpoints",
                str(self.endpoints),
                "--credentials",
                str(self.credentials),
                "--port",
                str(self.rasa_port),
                "--interface",
                "127.0.0.1",
                "--enable-api",
                "--auth-token",
                self.token,
                *extra_rasa_args,
            ],
            cwd=self.cwd,
            env=env,
            stdout=rlog.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs["rasa"] = rasa
        wait_ready(f"http://127.0.0.1:{actions_port}/health", actions, alog, 180)
        t_actions = time.perf_counter() - t0
        wait_ready(f"{self.url}/status?token={self.token}", rasa, rlog, 400)
        t_ready = time.perf_counter() - t0
        # the first turn is slow (TensorFlow builds its graphs): time it apart
        t1 = time.perf_counter()
        first = self.send_sync(f"warmup-{uuid.uuid4().hex[:8]}", self.script[0].text)
        first_turn = time.perf_counter() - t1
        self.info.update(
            startup_to_ready_s=round(t_ready, 2),
            action_server_ready_s=round(t_actions, 2),
            first_turn_ms=round(first_turn * 1000, 1),
            first_reply_ok=self.script[0].check(first) is None,
        )
        log(
            f"{self.name}: ready in {t_ready:.1f} s (action server {t_actions:.1f} s), "
            f"first turn {first_turn * 1000:.0f} ms"
        )

    def send_sync(self, sender: str, text: str) -> Any:
        req = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read() or b"null")

    def warm_up(self, conversations: int = 3) -> None:
        for _ in range(conversations):
            sender = f"warmup-{uuid.uuid4().hex[:8]}"
            for turn in self.script:
                problem = turn.check(self.send_sync(sender, turn.text))
                if problem:
                    log(f"{self.name}: WARNING warm-up reply: {problem}")

    def memory(self) -> dict[str, Any]:
        parts = {k: proc_memory_mb(p.pid) for k, p in self.procs.items()}
        return {
            **{f"{k}_{m}": v for k, d in parts.items() for m, v in d.items()},
            "total_rss_mb": round(sum(d["rss_mb"] for d in parts.values()), 1),
            "total_peak_rss_mb": round(sum(d["peak_rss_mb"] for d in parts.values()), 1),
        }

    def cpu(self) -> dict[str, float]:
        return {k: proc_cpu_seconds(p.pid) for k, p in self.procs.items()}

    def pids(self) -> set[int]:
        return {p.pid for p in self.procs.values()}

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def timed(cmd: list[str], cwd: Path, env: dict[str, str], logfile: Path, timeout: float) -> float:
    t0 = time.perf_counter()
    with logfile.open("w") as out:
        done = subprocess.run(
            cmd,
            cwd=cwd,
            env={**os.environ, **BASE_ENV, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{logfile.read_text()[-3000:]}")
    return time.perf_counter() - t0


def prepare_stock(tmp: Path, info: dict[str, Any]) -> Bot:
    stock = tmp / "stock"
    stock.mkdir()  # rasa init wants the directory to exist
    log("stock: rasa init --no-prompt (creates and trains the default assistant)")
    seconds = timed(
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(stock)],
        tmp,
        {"RASA_CACHE_DIRECTORY": str(tmp / "cache-stock")},
        tmp / "stock-init.log",
        1800,
    )
    model = sorted((stock / "models").glob("*.tar.gz"))[-1]
    info["train_s"] = round(seconds, 1)
    info["model_mb"] = round(model.stat().st_size / 2**20, 1)
    log(f"stock: trained in {seconds:.0f} s")
    creds = stock / "bench-credentials.yml"
    creds.write_text("rest:\n")
    work = tmp / "stock-run"
    work.mkdir()
    return Bot(
        "stock",
        work,
        model,
        stock,
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions"],
        {},
        creds,
        STOCK_SCRIPT,
        info=info,
    )


def prepare_ours(
    tmp: Path, info: dict[str, Any], skip_train: bool, model: Path | None, extra_env: dict[str, str]
) -> Bot:
    if model is None and skip_train:
        model = ROOT / "models" / "clinic.tar.gz"
    if model is not None:
        if not model.exists():
            raise SystemExit(f"no model at {model}: run `make train` or drop --skip-train")
        copy = tmp / "clinic.tar.gz"
        shutil.copy(model, copy)  # stable, even if models/ is retrained meanwhile
        info["train_s"] = None
        info["model_source"] = f"reused {model} (--skip-train: training not measured)"
        log(f"ours: NOT trained (--skip-train): using a copy of {model}")
        model = copy
    else:
        if not (ROOT / "build" / "spacy_clinic").exists():
            raise SystemExit(
                "build/spacy_clinic is missing: run `make train` (scripts/setup.sh) first"
            )
        out = tmp / "ours-models"
        log("ours: rasa train --out TMP --force")
        seconds = timed(
            [
                str(BIN / "rasa"),
                "train",
                "--out",
                str(out),
                "--force",
                "--fixed-model-name",
                "clinic",
                "--quiet",
            ],
            ROOT,
            {"RASA_CACHE_DIRECTORY": str(tmp / "cache-ours")},
            tmp / "ours-train.log",
            3600,
        )
        model = out / "clinic.tar.gz"
        info["train_s"] = round(seconds, 1)
        info["model_source"] = "trained in this run"
        log(f"ours: trained in {seconds:.0f} s")
    info["model_mb"] = round(model.stat().st_size / 2**20, 1)
    work = tmp / "ours-run"
    work.mkdir()
    shutil.copy(ROOT / "clinic" / "profile.yml", work / "profile.yml")
    env = {
        "CLINIC_PROFILE": str(work / "profile.yml"),
        "CLINIC_DB_URL": f"sqlite:///{work / 'clinic.db'}",
        # one load generator on one address is not a client to rate-limit
        # (the stock assistant has no limits either)
        "CLINIC_RATE_LIMIT_IP": "0",
        "CLINIC_RATE_LIMIT_SENDER": "0",
        **extra_env,
    }
    return Bot(
        "ours",
        work,
        model,
        ROOT,
        [str(BIN / "python"), "-m", "actions.serve"],
        env,
        ROOT / "credentials.yml",
        OURS_SCRIPT,
        project_endpoints=True,
        info=info,
    )


def merge(into: Any | None, res: Any) -> Any:
    if into is None:
        return res
    for kind, values in res.latencies.items():
        into.latencies.setdefault(kind, []).extend(values)
    into.wall_seconds += res.wall_seconds
    into.errors.extend(res.errors)
    into.conversations += res.conversations
    return into


def project_state() -> dict[str, Any]:
    """Which code and configuration "ours" was: commit, and the config's hash."""
    import hashlib

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip()

    config = (ROOT / "config.yml").read_bytes()
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": len(git("status", "--porcelain").splitlines()),
        "config_sha256": hashlib.sha256(config).hexdigest()[:16],
        "policies": [
            line.strip()[8:]
            for line in config.decode().splitlines()
            if line.strip().startswith("- name:") and "Policy" in line
        ],
    }


def parse_env(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--ours-env wants KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--skip-train",
        action="store_true",
        help="reuse models/clinic.tar.gz instead of training ours (the stock one is always trained)",
    )
    ap.add_argument("--ours-model", type=Path, help="use this model for ours (implies no training)")
    ap.add_argument(
        "--ours-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for our Rasa and action server (e.g. TF thread settings)",
    )
    ap.add_argument("--stock-env", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument(
        "--stock-dir",
        type=Path,
        help="dev runs: reuse a stock project made by `rasa init` (training not measured)",
    )
    ap.add_argument(
        "--only", choices=["ours", "stock"], help="dev runs: one assistant only (no ratios)"
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds per level, alternating the order of the assistants (default 2)",
    )
    ap.add_argument(
        "--levels", default="1,16", help="concurrent conversations per level (default 1,16)"
    )
    ap.add_argument("--turns", default="100,640", help="turns per level, bounded (default 100,640)")
    ap.add_argument(
        "--max-seconds", type=float, default=150, help="time cap per level and assistant"
    )
    ap.add_argument(
        "--out", type=Path, default=ROOT / "results", help="where bench.json/.md/.png go"
    )
    ap.add_argument("--tag", default="bench", help="output file stem (default: bench)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = ap.parse_args()

    levels = [int(x) for x in args.levels.split(",")]
    turns = [int(x) for x in args.turns.split(",")]
    if len(turns) != len(levels):
        raise SystemExit("--turns needs one number per level")
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
    log(f"working in {tmp}")
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "background_before": background_load(),
        "project": project_state(),
        "levels": levels,
        "turns_per_level": turns,
        "scripts": {
            "ours": [t.__dict__ for t in OURS_SCRIPT],
            "stock": [t.__dict__ for t in STOCK_SCRIPT],
        },
        "ours_env": parse_env(args.ours_env),
        "stock_env": parse_env(args.stock_env),
        "bots": {},
    }
    bots: list[Bot] = []
    try:
        if args.only != "ours":
            sinfo: dict[str, Any] = {}
            if args.stock_dir:
                stock_dir = tmp / "stock"
                shutil.copytree(args.stock_dir, stock_dir)
                sinfo["train_s"] = None
                model = sorted((stock_dir / "models").glob("*.tar.gz"))[-1]
                sinfo["model_mb"] = round(model.stat().st_size / 2**20, 1)
                bot = Bot(
                    "stock",
                    tmp / "stock-run",
                    model,
                    stock_dir,
                    [str(BIN / "rasa"), "run", "actions", "--actions", "actions"],
                    {},
                    stock_dir / "bench-credentials.yml",
                    STOCK_SCRIPT,
                    info=sinfo,
                )
                bot.credentials.write_text("rest:\n")
                bot.workdir.mkdir()
            else:
                bot = prepare_stock(tmp, sinfo)
            bot.env.update(parse_env(args.stock_env))
            bots.append(bot)
        if args.only != "stock":
            ours = prepare_ours(tmp, {}, args.skip_train, args.ours_model, parse_env(args.ours_env))
            bots.append(ours)

        for bot in bots:
            bot.start([])
            bot.info["memory_idle"] = bot.memory()
            bot.warm_up()
            bot.info["levels"] = {}

        exclude = set().union(*(b.pids() for b in bots))
        for level, n_turns in zip(levels, turns, strict=True):
            merged: dict[str, Any] = {}
            cpu: dict[str, dict[str, float]] = {b.name: {} for b in bots}
            for rnd in range(args.rounds):
                # alternate the order, so that a change in background load hits all alike
                for bot in bots if rnd % 2 == 0 else list(reversed(bots)):
                    results.setdefault("background_during", []).append(
                        {
                            "before": f"{bot.name} c={level} round {rnd + 1}",
                            **background_load(exclude),
                        }
                    )
                    before = bot.cpu()
                    res = asyncio.run(
                        run_level(
                            f"{bot.url}/webhooks/rest/webhook",
                            bot.script,
                            concurrency=level,
                            max_turns=max(level, n_turns // args.rounds),
                            max_seconds=args.max_seconds,
                            sender_prefix=f"bench-{bot.name}",
                        )
                    )
                    after = bot.cpu()
                    for k in after:
                        cpu[bot.name][k] = cpu[bot.name].get(k, 0.0) + after[k] - before[k]
                    merged[bot.name] = merge(merged.get(bot.name), res)
                    log(
                        f"{bot.name} c={level} round {rnd + 1}: {res.turns} turns, "
                        f"{res.turns / res.wall_seconds:.1f} turns/s, errors {len(res.errors)}"
                    )
            for bot in bots:
                summary = summarise(merged[bot.name])
                summary["memory_after"] = bot.memory()
                summary["cpu_ms_per_turn"] = {
                    k: round(v / max(1, summary["turns"]) * 1000, 1)
                    for k, v in cpu[bot.name].items()
                }
                bot.info["levels"][str(level)] = summary
                kinds = ", ".join(
                    f"{k} p50 {v['p50_ms']:.0f} / p95 {v['p95_ms']:.0f} ms"
                    for k, v in summary["kinds"].items()
                )
                log(
                    f"{bot.name} c={level}: {summary['turns']} turns, {summary['turns_per_second']:.1f} turns/s, "
                    f"{kinds}, CPU ms/turn {summary['cpu_ms_per_turn']}, errors {summary['errors']}"
                )
                if summary["errors"]:
                    log(f"  error samples: {summary['error_samples']}")
        for bot in bots:
            bot.info["memory_end"] = bot.memory()
            results["bots"][bot.name] = bot.info
    finally:
        for bot in bots:
            bot.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    results["background_after"] = background_load()
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    stem = args.out / args.tag
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2))
    md = report.markdown(results)
    stem.with_suffix(".md").write_text(md)
    try:
        report.plot(results, stem.with_suffix(".png"))
    except Exception as error:  # noqa: BLE001 - the numbers matter more than the picture
        log(f"plot failed: {error}")
    print(md)
    log(f"wrote {stem}.json, {stem}.md, {stem}.png")
    failed = [b for b, i in results["bots"].items() for lv in i["levels"].values() if lv["errors"]]
    if failed:
        log(f"WARNING: errors in {sorted(set(failed))}: see error_samples in the JSON")
        sys.exit(1)


if __name__ == "__main__":
    main()
