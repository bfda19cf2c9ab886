"""Re-analysing archived pairs exactly once: the per-pair function, run stamps, and the driver.

The driver alone reads and writes the archive. It hands each pair that still needs an analysis
(as a `PairJob`: plain JSON, no archive handle) to an engine, which returns `PairResult`s in any
order; the driver stores each one as it comes. An engine is anything with
`map_unordered(jobs) -> results`: `LocalEngine` here (one process, one CLIP), or the Ray pool in
`dreamdraw.installation.cluster`. Both run `analyse_job`, so their results are the same.

Each stored analysis carries a run stamp (`analysis["run"]`: the analysis version, a fingerprint
of the settings and the model, and for a failure its one-line error). A re-run with the same
fingerprint skips what is done (and what failed, unless asked to retry), so a job stopped at any
point and started again finishes without duplicates and without redoing finished pairs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dreamdraw.analysis import AnalysisSettings, PairAnalysis
    from dreamdraw.archive import Archive, Record
    from dreamdraw.drawing import ClipModel, Drawing
    from dreamdraw.speech import Transcript

__all__ = [
    "ANALYSIS_VERSION",
    "AnalysisEngine",
    "LocalEngine",
    "analyse_with_figures",
    "PairJob",
    "PairResult",
    "analyse_job",
    "analysis_fingerprint",
    "reanalyse",
    "run_stamp",
]

log = logging.getLogger(__name__)

# Raise when a change to the explainability suite changes what it stores for the same settings
# and model: every pair analysed by an older version is then analysed again.
ANALYSIS_VERSION = 1

# Settings that change how fast an analysis runs, not what it finds.
_NOT_IN_FINGERPRINT = frozenset({"device", "batch_size"})


@dataclass
class PairJob:
    """One archived pair to analyse: its id and the record's transcript and drawing (JSON dicts)."""

    id: int
    transcript: dict[str, Any]
    drawing: dict[str, Any]


@dataclass
class PairResult:
    """What analysing one pair gave: the analysis (JSON dict) with its cluster and figures
    (name -> PNG bytes), or the one-line error that stopped it; `seconds` of analysis."""

    id: int
    analysis: dict[str, Any] | None = None
    cluster: str | None = None
    confidence: float | None = None
    rationale: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0


class AnalysisEngine(Protocol):
    """Runs `analyse_job` on pairs and yields each result once, in any order."""

    def map_unordered(self, jobs: Iterable[PairJob]) -> Iterator[PairResult]: ...


def analysis_fingerprint(settings: AnalysisSettings) -> str:
    """A hash (hex) of the analysis version, the settings that shape results, and the model:
    its spec and, for a local checkpoint, the checkpoint's bytes."""
    shaping = {
        k: v for k, v in dataclasses.asdict(settings).items() if k not in _NOT_IN_FINGERPRINT
    }
    identity = {"version": ANALYSIS_VERSION, "settings": shaping}
    if settings.clip_checkpoint:
        identity["checkpoint_sha256"] = _checkpoint_digest(Path(settings.clip_checkpoint))
    text = json.dumps(identity, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _checkpoint_digest(path: Path) -> str:
    """sha256 of a checkpoint file, or of every file (name and bytes) in a checkpoint folder;
    read once per process while the files keep their size and time."""
    if not path.exists():
        from dreamdraw.analysis import AnalysisError

        raise AnalysisError(f"CLIP checkpoint {path} not found; give an existing file or folder")
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return _digest_of(path, tuple((f, f.stat().st_size, f.stat().st_mtime_ns) for f in files))


@functools.lru_cache(maxsize=8)
def _digest_of(path: Path, files: tuple[tuple[Path, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for file, _, _ in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else "").encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def run_stamp(record: Record) -> dict[str, Any]:
    """The run stamp stored with a record's analysis ({} when it has none)."""
    stamp = (record.analysis or {}).get("run")
    return stamp if isinstance(stamp, dict) else {}


def analyse_with_figures(
    drawing: Drawing,
    transcript: Transcript,
    clip: ClipModel,
    settings: AnalysisSettings,
    work_dir: Path | None = None,
) -> tuple[PairAnalysis, dict[str, bytes]]:
    """The suite on one pair (the transcript's English against the drawing), and its figures
    as PNG bytes by name (none when settings.figures is off); the show and re-analysis share it."""
    import numpy as np
    from dreamdraw.analysis import analyse_pair

    logprobs = [s.avg_logprob for s in transcript.segments]
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        result = analyse_pair(
            transcript.prompt,
            drawing,
            clip,
            settings,
            out_dir=tmp if settings.figures else None,
            speech_logprob=float(np.mean(logprobs)) if logprobs else None,
            translated=transcript.language not in (None, "en"),
        )
        figures = {
            Path(name).stem[:48]: (Path(tmp) / name).read_bytes()
            for name in result.figures
            if (Path(tmp) / name).is_file()
        }
    return result, figures


def analyse_job(
    job: PairJob, clip: ClipModel, settings: AnalysisSettings, work_dir: Path | None = None
) -> PairResult:
    """Analyse one pair (the transcript's English against the drawing); errors a pair can cause
    (unreadable drawing or transcript, blank drawing, empty dream) become `PairResult.error`."""
    from dreamdraw.analysis import AnalysisError
    from dreamdraw.drawing import Drawing, DrawingError
    from dreamdraw.speech import SpeechError, Transcript

    started = time.perf_counter()
    try:
        drawing = Drawing.from_json(json.dumps(job.drawing))
        transcript = Transcript.from_json(json.dumps(job.transcript))
        result, figures = analyse_with_figures(drawing, transcript, clip, settings, work_dir)
    except (DrawingError, SpeechError, AnalysisError, ValueError, KeyError, TypeError) as exc:
        error = " ".join(str(exc).split()) or type(exc).__name__
        return PairResult(job.id, error=error, seconds=time.perf_counter() - started)
    return PairResult(
        job.id,
        analysis=result.to_dict(),
        cluster=result.cluster,
        confidence=result.confidence,
        rationale=result.rationale,
        evidence=dataclasses.asdict(result.evidence),
        figures=figures,
        seconds=time.perf_counter() - started,
    )


class LocalEngine:
    """Analyses pairs one after another in this process with one resident CLIP."""

    def __init__(
        self, clip: ClipModel, settings: AnalysisSettings, work_dir: Path | None = None
    ) -> None:
        self.clip = clip
        self.settings = settings
        self.work_dir = work_dir

    def map_unordered(self, jobs: Iterable[PairJob]) -> Iterator[PairResult]:
        for job in jobs:
            yield analyse_job(job, self.clip, self.settings, self.work_dir)


def reanalyse(
    archive: Archive,
    ids: Iterable[int],
    settings: AnalysisSettings,
    engine: AnalysisEngine,
    *,
    only_new: bool = False,
    retry_failed: bool = False,
    progress: Callable[[PairResult], None] | None = None,
    skipped: Callable[[int], None] | None = None,
) -> list[PairResult]:
    """Analyse the pairs `ids` that are not yet done with these settings and model, storing
    each result (or failure) in the archive as it arrives; returns the results of this run.

    Skipped: pairs whose stamp has this fingerprint (done, or failed unless `retry_failed`),
    and with `only_new` every pair with any successful analysis; `skipped(id)` is told of each.
    Ctrl-C (KeyboardInterrupt) stops after the results stored so far.
    """
    from dreamdraw.archive import ArchiveError

    fingerprint = analysis_fingerprint(settings)

    def pending() -> Iterator[PairJob]:
        for record_id in ids:
            try:
                record = archive.get(record_id)
            except ArchiveError as exc:
                results.append(PairResult(record_id, error=str(exc)))
                if progress is not None:
                    progress(results[-1])
                continue
            if _is_settled(record, fingerprint, only_new, retry_failed):
                if skipped is not None:
                    skipped(record_id)
                continue
            yield PairJob(record_id, record.transcript, record.drawing)

    results: list[PairResult] = []
    stored: set[int] = set()
    for result in engine.map_unordered(pending()):
        if result.id in stored:  # an engine that redid a pair: the first result stands
            continue
        _store(archive, result, fingerprint)
        stored.add(result.id)
        results.append(result)
        if progress is not None:
            progress(result)
    return results


def _is_settled(record: Record, fingerprint: str, only_new: bool, retry_failed: bool) -> bool:
    stamp = run_stamp(record)
    succeeded = bool(record.analysis) and "error" not in stamp
    if only_new and (succeeded or record.cluster is not None):
        return True
    if stamp.get("fingerprint") != fingerprint:
        return False
    return "error" not in stamp or not retry_failed


def _store(archive: Archive, result: PairResult, fingerprint: str) -> None:
    """Store a result with its run stamp; a failure keeps the pair's earlier analysis and
    cluster and records the error in the stamp."""
    from dreamdraw.archive import ArchiveError, RecordNotFound

    stamp: dict[str, Any] = {"version": ANALYSIS_VERSION, "fingerprint": fingerprint}
    try:
        if result.error is None:
            analysis = {**(result.analysis or {}), "run": stamp}
            archive.attach_analysis(
                result.id,
                analysis,
                cluster=result.cluster,
                confidence=result.confidence,
                rationale=result.rationale,
                evidence=result.evidence,
                figures=result.figures,
            )
            return
        log.info("record %s not analysed: %s", result.id, result.error)
        record = archive.get(result.id)
        kept = {k: v for k, v in (record.analysis or {}).items() if k != "run"}
        archive.attach_analysis(
            result.id,
            {**kept, "run": {**stamp, "error": result.error}},
            cluster=record.cluster,
            confidence=record.cluster_confidence,
            rationale=record.cluster_rationale,
            evidence=record.cluster_evidence,
        )
    except RecordNotFound:  # a curator deleted the pair meanwhile
        result.error = result.error or f"record {result.id} was deleted during the analysis"
    except ArchiveError as exc:
        result.error = f"not stored: {exc}"
        log.warning("record %s: %s", result.id, result.error)
