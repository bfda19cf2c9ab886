"""The analysis stage: the explainability suite on an archived pair, stored with its figures."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np

from analysis import AnalysisSettings, PairAnalysis, analyse_pair
from archive import Archive
from drawing import ClipModel, Drawing, DrawSettings, load_clip
from speech import Transcript

__all__ = ["analyse_and_store", "analysis_clip"]


def analysis_clip(analysis: AnalysisSettings, drawing: DrawSettings, clip: ClipModel) -> ClipModel:
    """The drawing's CLIP (already resident), unless [analysis] names another model."""
    if (analysis.clip, analysis.clip_checkpoint) == (drawing.clip, drawing.clip_checkpoint):
        return clip
    return load_clip(analysis.clip, analysis.clip_checkpoint, clip.device)


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
    archive.attach_analysis(
        record_id,
        result.to_json(),
        cluster=result.cluster,
        confidence=result.confidence,
        rationale=result.rationale,
        evidence=dataclasses.asdict(result.evidence),
        figures=figures,
    )
    return result
