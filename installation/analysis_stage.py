"""The analysis stage: the explainability suite on an archived pair, stored with its figures."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from dreamdraw.analysis import (
    AnalysisError,
    AnalysisSettings,
    PairAnalysis,
    kmeans_report,
)
from dreamdraw.analysis.clusters import ClusterEvidence
from dreamdraw.archive import Archive, ArchiveError, RecordFilter, RecordNotFound
from dreamdraw.drawing import ClipModel, Drawing, DrawSettings, load_clip
from dreamdraw.installation.disk_watch import is_disk_full
from dreamdraw.installation.drawing_stage import DrawingStage
from dreamdraw.installation.faults import FaultLog
from dreamdraw.installation.reanalysis import (
    ANALYSIS_VERSION,
    AnalysisEngine,
    LocalEngine,
    PairResult,
    analyse_with_figures,
    analysis_fingerprint,
    reanalyse,
)
from dreamdraw.installation.stage import QueueStage
from dreamdraw.speech import Transcript

log = logging.getLogger(__name__)

__all__ = [
    "AnalysisStage",
    "analyse_and_store",
    "analyse_archive",
    "analysis_clip",
    "kmeans_check",
    "select_pairs",
]


def analysis_clip(analysis: AnalysisSettings, drawing: DrawSettings, clip: ClipModel) -> ClipModel:
    """The drawing's CLIP (already resident), unless [analysis] names another model."""
    if (analysis.clip, analysis.clip_checkpoint) == (drawing.clip, drawing.clip_checkpoint):
        return clip
    return load_clip(analysis.clip, analysis.clip_checkpoint, clip.device, drawing.clip_cache_dir)


def analyse_and_store(
    archive: Archive,
    record_id: int,
    drawing: Drawing,
    transcript: Transcript,
    clip: ClipModel,
    settings: AnalysisSettings,
    work_dir: Path,
) -> PairAnalysis:
    """Analyse the pair (the transcript's English against the drawing), attach the result,
    the cluster with its evidence and the figures (PNG) to the archive record."""
    result, figures = analyse_with_figures(drawing, transcript, clip, settings, work_dir)
    stamp = {"version": ANALYSIS_VERSION, "fingerprint": analysis_fingerprint(settings)}
    archive.attach_analysis(
        record_id,
        {**result.to_dict(), "run": stamp},
        cluster=result.cluster,
        confidence=result.confidence,
        rationale=result.rationale,
        evidence=dataclasses.asdict(result.evidence),
        figures=figures,
    )
    return result


def analyse_archive(
    archive: Archive,
    clip: ClipModel | None,
    settings: AnalysisSettings,
    work_dir: Path,
    *,
    ids: Iterable[int] = (),
    since: datetime | None = None,
    everything: bool = False,
    only_new: bool = False,
    retry_failed: bool = False,
    engine: AnalysisEngine | None = None,
    progress: Callable[[PairResult], None] | None = None,
    skipped: Callable[[int], None] | None = None,
) -> list[PairResult]:
    """Analyse archived pairs (the given ids, those created since a UTC time, or all) not yet
    done with these settings and model, storing each result; a pair that cannot be analysed
    is recorded as failed, not fatal. `engine`: where pairs run (default: here, with `clip`)."""
    if getattr(engine, "settings", settings) != settings:
        raise AnalysisError("the engine was started with other analysis settings than these")
    return reanalyse(
        archive,
        select_pairs(archive, ids=ids, since=since, everything=everything),
        settings,
        engine if engine is not None else LocalEngine(_required(clip), settings, work_dir),
        only_new=only_new,
        retry_failed=retry_failed,
        progress=progress,
        skipped=skipped,
    )


def select_pairs(
    archive: Archive,
    *,
    ids: Iterable[int] = (),
    since: datetime | None = None,
    everything: bool = False,
) -> list[int]:
    """The record ids to analyse: the given ids, those created since a UTC time, or all."""
    ids = list(ids)
    if not ids and since is None and not everything:
        raise ArchiveError("say which pairs to analyse: record ids, --since DATE or --all")
    if ids:
        return ids
    chosen = RecordFilter(since=since, include_hidden=True)
    return sorted(r.id for r in archive.iter_records(chosen) if r.id is not None)


def _required(clip: ClipModel | None) -> ClipModel:
    if clip is None:
        raise AnalysisError("analysing here needs a CLIP model; give one or an engine")
    return clip


def kmeans_check(archive: Archive, filter: RecordFilter, out: Path, k: int = 4) -> dict | None:
    """The researchers' unsupervised check beside an export: k-means (k = 4) on the stored
    evidence of the analysed records that `filter` exports, written to `out`/kmeans.json.

    Records without a cluster or with unreadable evidence are left out and counted.
    Returns the report, or None (and writes nothing) when fewer than k records qualify.
    """
    ids, evidence, clusters, skipped = [], [], [], 0
    for record in archive.iter_records(filter):
        if not record.cluster:
            continue
        try:
            evidence.append(ClusterEvidence.from_dict(record.cluster_evidence))
        except ValueError as exc:
            log.warning("record %s left out of k-means: %s", record.id, exc)
            skipped += 1
            continue
        ids.append(record.id)
        clusters.append(record.cluster)
    if len(ids) < k:
        return None
    report = kmeans_report(ids, evidence, clusters, k=k)
    report["left_out_unreadable_evidence"] = skipped
    (out / "kmeans.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


class AnalysisStage(QueueStage[tuple[int, Drawing, Transcript]]):
    """Analyses archived pairs in the background; waits while a visitor watches a drawing.

    Queue items are (record id, drawing, transcript). `on_disk_full(message)` is told when a
    result could not be stored for want of space.
    """

    name = "analysis"

    def __init__(
        self,
        settings: AnalysisSettings,
        drawing: DrawingStage,
        archive: Archive,
        work_dir: Path,
        faults: FaultLog,
        stopping: threading.Event,
        counters: Counter[str],
        on_disk_full: Callable[[str], None],
        maxsize: int,
    ) -> None:
        super().__init__(faults, stopping, maxsize)
        self.settings = settings
        self.drawing = drawing
        self.archive = archive
        self.work_dir = work_dir
        self.counters = counters
        self.on_disk_full = on_disk_full

    def handle(self, item: tuple[int, Drawing, Transcript]) -> None:
        record_id, drawing, transcript = item
        while self.drawing.busy.is_set() and not self.stopping.is_set():
            time.sleep(0.05)  # a visitor is watching a drawing: it has the processor first
        clip = analysis_clip(self.settings, self.drawing.settings, self.drawing.clip)
        try:
            analyse_and_store(
                self.archive, record_id, drawing, transcript, clip, self.settings, self.work_dir
            )
            self.counters["analysed"] += 1
        except RecordNotFound:  # a curator deleted the pair meanwhile
            self.counters["analysis_skipped"] += 1
        except Exception as exc:
            self.counters["analysis_failed"] += 1
            if is_disk_full(exc):
                self.on_disk_full(f"the analysis could not be stored: {exc}")
            self.faults.report(
                "analysis_failed", f"record {record_id}: {exc}", active=False, record=record_id
            )
