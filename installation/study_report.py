"""The Markdown report of a drawing study: a table per condition, plots, agreement, and
everything needed to reproduce it."""

from __future__ import annotations

import json
import statistics
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dreamdraw.installation.reanalysis import ANALYSIS_VERSION, analysis_fingerprint
from dreamdraw.installation.study import SELECTION_FILE, Study, study_summary

if TYPE_CHECKING:
    from dreamdraw.archive import Archive

__all__ = ["write_study_report"]


def write_study_report(study: Study, archive: Archive, out_dir: Path) -> Path:
    """Write OUT/report.md, OUT/summary.json and the plots (cluster_shares.png,
    clip_scores.png); returns the report's path."""
    from dreamdraw.analysis.clusters import CLUSTERS

    out_dir.mkdir(parents=True, exist_ok=True)
    summary = study_summary(study, archive)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _plot(summary, out_dir)
    rows = summary["conditions"]
    lines = [
        f"# Study {study.name}",
        "",
        f"{len(study.dreams)} dreams × {len(study.conditions)} conditions; "
        f"dreamdraw {version('dreamdraw')}, analysis version {ANALYSIS_VERSION}, "
        f"analysis fingerprint {analysis_fingerprint(study.analysis)}, "
        f"analysis model {study.analysis.clip}.",
        "",
        "| condition | pairs | analysed | "
        + " | ".join(CLUSTERS[c].name for c in CLUSTERS)
        + " | CLIP score mean (sd) | FIXLIP R² mean |",
        "|---|---:|---:|" + "---:|" * len(CLUSTERS) + "---:|---:|",
    ]
    for label, row in rows.items():
        shares = " | ".join(f"{row['cluster_shares'][c]:.0%}" for c in CLUSTERS)
        lines.append(
            f"| {label} | {row['pairs']} | {row['analysed']} | {shares} | "
            f"{_mean_sd(row['clip_scores'])} | {_mean(row['fixlip_r2'])} |"
        )
    lines += ["", "![cluster shares](cluster_shares.png)", "", "![CLIP scores](clip_scores.png)"]
    lines += ["", "## Agreement between conditions (Cohen's kappa of the clusters)", ""]
    if summary["kappa"]:
        lines += ["| condition | condition | dreams | kappa |", "|---|---|---:|---:|"]
        lines += [
            f"| {k['a']} | {k['b']} | {k['n']} | {k['kappa']:.3f} |" for k in summary["kappa"]
        ]
    else:
        lines.append("One condition only: nothing to compare.")
    lines += ["", "## Dreams", "", _dreams_origin(study)]
    lines += ["", "## To reproduce", "", "The study file:", "", "```toml", study.text.rstrip()]
    lines += ["```", "", "Drawing settings per condition (seeds, model ids, all settings):", ""]
    for label, row in rows.items():
        lines.append(f"- `{label}`: `{json.dumps(row['settings'], sort_keys=True)}`")
    report = out_dir / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


def _dreams_origin(study: Study) -> str:
    """Where the dreams come from: the text file, or the archive query and the records it chose."""
    if study.selection is None:
        return f"{len(study.dreams)} dreams from the text file the study file names."
    selection = study.selection
    query = selection.query
    filters = ", ".join(f"`{k} = {json.dumps(v)}`" for k, v in query["filters"].items())
    ids = ", ".join(str(record_id) for record_id, _ in selection.records)
    return (
        f"{len(study.dreams)} dreams from {len(selection.records)} records of the archive "
        f"`{query['archive']}`, chosen at {selection.chosen_at} by the query "
        f"{filters or 'with no filter'}"
        + (f", limit {query['limit']}" if query["limit"] else "")
        + f" (only pairs whose visitors allowed research use): record ids {ids}. "
        f"They are frozen in `{study.archive_dir / SELECTION_FILE}`: the study keeps them "
        "however the archive grows."
    )


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.3f}" if values else "–"


def _mean_sd(values: list[float]) -> str:
    if len(values) < 2:
        return _mean(values)
    return f"{statistics.fmean(values):.3f} ({statistics.stdev(values):.3f})"


def _plot(summary: dict[str, Any], out_dir: Path) -> None:
    """Stacked cluster shares per condition, and the CLIP score distribution per condition."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from dreamdraw.analysis.clusters import CLUSTERS

    rows = summary["conditions"]
    labels = list(rows)
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(labels)), 3.5))
    bottom = [0.0] * len(labels)
    for cluster in CLUSTERS:
        shares = [rows[label]["cluster_shares"][cluster] for label in labels]
        ax.bar(labels, shares, bottom=bottom, label=CLUSTERS[cluster].name)
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    ax.set_ylabel("share of pairs")
    ax.legend(fontsize=7)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "cluster_shares.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(labels)), 3.5))
    ax.boxplot([rows[label]["clip_scores"] or [float("nan")] for label in labels])
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, fontsize=7)
    ax.set_ylabel("CLIP score")
    fig.tight_layout()
    fig.savefig(out_dir / "clip_scores.png", dpi=100)
    plt.close(fig)
