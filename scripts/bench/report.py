"""The benchmark's table (ratios ours/stock) and plot, from bench.json."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any


def _ratio(ours: float | None, stock: float | None) -> str:
    if ours is None or stock is None or not stock or (isinstance(ours, float) and math.isnan(ours)):
        return "n/a"
    return f"{ours / stock:.2f}"


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    return f"{value:g}{unit}"


OURS = ("ours",)
LABELS = {"stock": "stock `rasa init`", "ours": "ours (as `make run`)"}


def rows(results: dict[str, Any]) -> list[tuple[str, dict[str, float | None]]]:
    """(metric, {assistant: value}) for every reported figure."""
    bots = results["bots"]
    out: list[tuple[str, dict[str, float | None]]] = []

    def per_bot(get: Any) -> dict[str, float | None]:
        values = {}
        for name, info in bots.items():
            try:
                values[name] = get(info)
            except (KeyError, TypeError):
                values[name] = None
        return values

    for level in results["levels"]:
        lv = str(level)
        for kind in ("faq", "action"):
            for stat in ("p50_ms", "p95_ms", "max_ms"):
                out.append(
                    (
                        f"{kind} turn {stat[:-3]} (ms), {level} conv.",
                        per_bot(lambda i, lv=lv, k=kind, st=stat: i["levels"][lv]["kinds"][k][st]),
                    )
                )
        out.append(
            (
                f"turns per second, {level} conv.",
                per_bot(lambda i, lv=lv: i["levels"][lv]["turns_per_second"]),
            )
        )
        out.append(
            (
                f"CPU ms per turn, rasa process, {level} conv.",
                per_bot(lambda i, lv=lv: i["levels"][lv]["cpu_ms_per_turn"]["rasa"]),
            )
        )
        out.append(
            (
                f"CPU ms per turn, action server, {level} conv.",
                per_bot(lambda i, lv=lv: i["levels"][lv]["cpu_ms_per_turn"]["actions"]),
            )
        )
        out.append((f"errors, {level} conv.", per_bot(lambda i, lv=lv: i["levels"][lv]["errors"])))
    for label, key in (
        ("start-up to ready (s)", "startup_to_ready_s"),
        ("first turn after start (ms)", "first_turn_ms"),
        ("training (s)", "train_s"),
        ("model size (MB)", "model_mb"),
    ):
        out.append((label, per_bot(lambda i, k=key: i.get(k))))
    for label, key in (
        ("RSS rasa + action server, end (MB)", "total_rss_mb"),
        ("peak RSS rasa + action server (MB)", "total_peak_rss_mb"),
        ("peak RSS rasa alone (MB)", "rasa_peak_rss_mb"),
    ):
        out.append((label, per_bot(lambda i, k=key: i["memory_end"][k])))
    return out


def targets(results: dict[str, Any]) -> list[str]:
    """The issue's two targets, judged on this run's own ratios."""
    bots = results["bots"]
    if "stock" not in bots or "ours" not in bots:
        return []
    try:
        faq = (
            bots["ours"]["levels"]["1"]["kinds"]["faq"]["p50_ms"]
            / bots["stock"]["levels"]["1"]["kinds"]["faq"]["p50_ms"]
        )
        tput = (
            bots["ours"]["levels"]["16"]["turns_per_second"]
            / bots["stock"]["levels"]["16"]["turns_per_second"]
        )
    except (KeyError, ZeroDivisionError):
        return []
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    return [
        "",
        f"Targets: FAQ turn p50 at 1 conversation ours/stock {faq:.2f} (at most 0.33: {verdict(faq <= 1 / 3)}); "
        f"turns per second at 16 conversations ours/stock {tput:.2f} (at least 3: {verdict(tput >= 3)}).",
    ]


def markdown(results: dict[str, Any]) -> str:
    names = [n for n in ("stock", *OURS) if n in results["bots"]]
    ours = [n for n in OURS if n in results["bots"]]
    head = "| metric | " + " | ".join(LABELS[n] for n in names)
    head += "".join(f" | {n} / stock" for n in ours if "stock" in names) + " |"
    lines = [
        f"Benchmark of {results['started']} ({results['machine']['cpus']} CPUs); "
        f"load average before: {results['background_before']['loadavg_1_5_15']}.",
        "",
        head,
        "| --- |" + " ---: |" * (head.count("|") - 2),
    ]
    for metric, values in rows(results):
        line = f"| {metric} | " + " | ".join(_fmt(values.get(n)) for n in names)
        if "stock" in names:
            line += "".join(f" | {_ratio(values.get(n), values.get('stock'))}" for n in ours)
        lines.append(line + " |")
    lines += targets(results)
    o = results["bots"].get("ours", {})
    if o.get("model_source"):
        lines += ["", f"Our model: {o['model_source']}."]
    busy = {
        p["cmd"][:90] for b in results.get("background_during", []) for p in b["busy_processes"]
    }
    if busy:
        lines += [
            "",
            "Other busy processes seen during the run (other people's work on the shared machine):",
        ]
        lines += [f"- `{c}`" for c in sorted(busy)[:12]]
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bots = results["bots"]
    names = [n for n in ("stock", *OURS) if n in bots]
    colors = {"stock": "#999999", "ours": "#2a7ab0"}
    levels = results["levels"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))

    ax = axes[0][0]
    groups = [(kind, lv) for lv in levels for kind in ("faq", "action")]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        p50 = [
            bots[name]["levels"][str(lv)]["kinds"].get(k, {}).get("p50_ms", 0) for k, lv in groups
        ]
        p95 = [
            bots[name]["levels"][str(lv)]["kinds"].get(k, {}).get("p95_ms", 0) for k, lv in groups
        ]
        xs = [g + (i - (len(names) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, p95, width, color=colors[name], alpha=0.35, label=f"{name} p95")
        ax.bar(xs, p50, width, color=colors[name], label=f"{name} p50")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{k}\n{lv} conv." for k, lv in groups])
    ax.set_yscale("log")
    ax.set_ylabel("latency per turn (ms, log)")
    ax.set_title("Turn latency: p50 (solid), p95 (light)")
    ax.legend(fontsize=8)

    ax = axes[0][1]
    for i, name in enumerate(names):
        tps = [bots[name]["levels"][str(lv)]["turns_per_second"] for lv in levels]
        xs = [g + (i - (len(names) - 1) / 2) * width for g in range(len(levels))]
        ax.bar(xs, tps, width, color=colors[name], label=name)
        for x, v in zip(xs, tps, strict=True):
            ax.text(x, v, f"{v:.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(levels)))
    ax.set_xticklabels([f"{lv} concurrent" for lv in levels])
    ax.set_ylabel("turns per second")
    ax.set_title("Throughput")
    top = max(bots[n]["levels"][str(lv)]["turns_per_second"] for n in names for lv in levels)
    ax.set_ylim(0, top * 1.35)
    ax.legend(fontsize=8, ncol=len(names), loc="upper left")

    ax = axes[1][0]
    parts = [("rasa_peak_rss_mb", "rasa"), ("actions_peak_rss_mb", "action server")]
    for i, name in enumerate(names):
        mem = bots[name].get("memory_end", {})
        bottom = 0.0
        for key, label in parts:
            v = mem.get(key, 0)
            ax.bar(
                i,
                v,
                0.5,
                bottom=bottom,
                color=colors[name],
                alpha=1.0 if label == "rasa" else 0.5,
                label=f"{name} {label}",
            )
            bottom += v
        ax.text(i, bottom, f"{bottom:.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names)
    ax.set_ylabel("peak RSS (MiB)")
    ax.set_title("Memory: rasa + action server")
    top = max(sum(bots[n].get("memory_end", {}).get(k, 0) for k, _ in parts) for n in names)
    ax.set_ylim(0, top * 1.45)
    ax.legend(fontsize=7, ncol=len(names), loc="upper left")

    ax = axes[1][1]
    metrics = [("startup_to_ready_s", "start-up to ready"), ("train_s", "training")]
    for i, name in enumerate(names):
        vals = [bots[name].get(k) or 0 for k, _ in metrics]
        xs = [g + (i - (len(names) - 1) / 2) * width for g in range(len(metrics))]
        ax.bar(xs, vals, width, color=colors[name], label=name)
        for x, v in zip(xs, vals, strict=True):
            ax.text(x, v, f"{v:.0f}" if v else "n/m", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(metrics)))
    ax.set_xticklabels([m for _, m in metrics])
    ax.set_ylabel("seconds")
    ax.set_title("Start-up and training")
    top = max([bots[n].get(k) or 0 for n in names for k, _ in metrics] + [1])
    ax.set_ylim(0, top * 1.3)
    ax.legend(fontsize=8, ncol=len(names), loc="upper left")

    fig.suptitle(
        f"Clinic assistant vs stock rasa init ({results['started']}, "
        f"{results['machine']['cpus']} CPUs)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    # re-render from a saved JSON: python scripts/bench/report.py results/bench.json
    data = json.loads(Path(sys.argv[1]).read_text())
    print(markdown(data))
    plot(data, Path(sys.argv[1]).with_suffix(".png"))
