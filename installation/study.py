"""Drawing studies: dreams drawn under a grid of conditions, analysed, and reported.

A study file (TOML) names the dreams (a text file, one per line, or a `[dreams]` query on an
archive), the base `[drawing]` and `[analysis]` settings (as in a venue config) and a `[grid]`
of drawing settings to vary (seed, mode, strokes, iterations, clip, ...). The records a query
chose are frozen in the study's archive folder at the first run, so the study keeps its dreams
however its source archive grows. Every dream is drawn under every condition
into the study's own archive (each record's venue is `STUDY/CONDITION`; its drawing keeps
settings, seed and model id), then analysed exactly once like any archive. A run stopped at
any point, started again, draws and analyses only what is missing.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dreamdraw.installation.archive_query import ArchiveQuery
from dreamdraw.installation.config import ConfigError, config_from_dict

if TYPE_CHECKING:
    from dreamdraw.analysis import AnalysisSettings
    from dreamdraw.archive import Archive
    from dreamdraw.drawing import DrawSettings
    from dreamdraw.installation.reanalysis import AnalysisEngine, PairResult

__all__ = [
    "SELECTION_FILE",
    "Condition",
    "DreamSelection",
    "DrawJob",
    "Study",
    "draw_job",
    "load_study",
    "run_study",
    "study_summary",
]


# In the study's archive folder: the query and the records it chose, written at the first run.
SELECTION_FILE = "dreams.json"


@dataclass
class DreamSelection:
    """The archive records a study's dreams come from: the query (as `ArchiveQuery.describe()`),
    when it ran (UTC, ISO 8601), and each record's id and dream in English (the prompt CLIP saw).
    """

    query: dict[str, Any]
    chosen_at: str
    records: list[tuple[int, str]]

    @property
    def dreams(self) -> list[str]:
        """The distinct dreams, in record order (two visitors may have told the same one)."""
        return list(dict.fromkeys(dream for _, dream in self.records))

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["records"] = [{"id": i, "dream": d} for i, d in self.records]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DreamSelection:
        data = json.loads(text)
        records = [(int(r["id"]), str(r["dream"])) for r in data["records"]]
        return cls(data["query"], str(data["chosen_at"]), records)


@dataclass
class Condition:
    """One cell of the grid: its label (`seed=1,strokes=32`) and its drawing settings."""

    label: str
    drawing: DrawSettings


@dataclass
class Study:
    """A parsed study file: name, dreams, conditions, analysis settings, its archive folder,
    the file's own text (kept in the report, to reproduce the study), and where the dreams
    come from (`selection`, when an archive query chose them)."""

    name: str
    dreams: list[str]
    conditions: list[Condition]
    analysis: AnalysisSettings
    archive_dir: Path
    text: str
    selection: DreamSelection | None = None


def load_study(path: str | Path) -> Study:
    """Read a study file; a wrong key, value or missing dreams file is a ConfigError.

    A `[dreams]` query takes the records frozen in the study's archive folder by an earlier
    run, or else asks its archive now (an unknown archive is an ArchiveError; no match, or a
    query other than the frozen one, a ConfigError).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"study file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    name = str(raw.get("name") or path.stem)
    archive_dir = path.parent / str(raw.get("archive", f"{name}-archive"))
    selection = None
    if isinstance(raw.get("dreams"), dict):
        query = ArchiveQuery.from_table(raw["dreams"], f"{path} [dreams]", path.parent)
        selection = _dream_selection(query, archive_dir / SELECTION_FILE, f"{path} [dreams]")
        dreams = selection.dreams
    else:
        dreams = _dreams_from_file(path, raw.get("dreams"))
    grid = raw.get("grid", {})
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise ConfigError(f"{path}: every [grid] key must be a non-empty list of values")
    conditions = []
    for values in itertools.product(*grid.values()):
        cell = dict(zip(grid, values, strict=True))
        label = ",".join(f"{k}={_label(v)}" for k, v in cell.items()) or "base"
        config = config_from_dict(
            {"drawing": {**raw.get("drawing", {}), **cell}}, source=f"{path} [grid] {label}"
        )
        conditions.append(Condition(label, config.drawing))
    analysis = config_from_dict({"analysis": raw.get("analysis", {})}, source=str(path)).analysis
    return Study(name, dreams, conditions, analysis, archive_dir, text, selection)


def _dreams_from_file(path: Path, name: Any) -> list[str]:
    """The dreams of the text file `name` (relative to the study file), one per line."""
    dreams_file = path.parent / str(name or "")
    if not isinstance(name, str) or not dreams_file.is_file():
        raise ConfigError(
            f"{path}: `dreams` must name a text file with one dream per line, "
            "or be a [dreams] table with an archive query"
        )
    dreams = [line.strip() for line in dreams_file.read_text(encoding="utf-8").splitlines()]
    dreams = [d for d in dreams if d and not d.startswith("#")]
    if not dreams:
        raise ConfigError(f"{dreams_file} holds no dreams (one per line)")
    return dreams


def _dream_selection(query: ArchiveQuery, frozen: Path, source: str) -> DreamSelection:
    """The records frozen at `frozen` by an earlier run of the same query, or those the query
    chooses now."""
    if frozen.is_file():
        try:
            selection = DreamSelection.from_json(frozen.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{frozen} is damaged ({exc}); restore it from a backup") from None
        if selection.query != query.describe():
            raise ConfigError(
                f"{source}: the study's archive holds the dreams another query chose (see "
                f"{frozen}); put that query back, or give the study a new `archive` folder"
            )
        return selection
    records = [(r.id, r.english.strip()) for r in query.records() if r.english.strip()]
    if not records:
        raise ConfigError(
            f"{source}: no dream in {query.describe()['archive']} matches the query "
            "(only pairs whose visitors allowed research use are chosen)"
        )
    chosen_at = datetime.now(UTC).isoformat(timespec="seconds")
    return DreamSelection(query.describe(), chosen_at, records)


def _freeze_selection(selection: DreamSelection, path: Path) -> None:
    """Write `selection` to `path` unless an earlier run did (atomically: temp file, rename)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as out:
        out.write(selection.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class DrawJob:
    """One drawing of a study: the condition's label and settings, and the dream."""

    condition: str
    dream: str
    settings: DrawSettings


def draw_job(job: DrawJob) -> str:
    """Draw one dream under its condition (CLIP loaded once per process); the Drawing's JSON."""
    from dreamdraw.drawing import draw, load_clip, resolve_device

    s = job.settings
    clip = load_clip(s.clip, s.clip_checkpoint, resolve_device(s.device), s.clip_cache_dir)
    return draw(job.dream, s, clip).to_json()


def run_study(
    study: Study,
    archive: Archive,
    engine: AnalysisEngine | None = None,
    *,
    drawn: Callable[[str, str], None] | None = None,
    analysed: Callable[[PairResult], None] | None = None,
) -> list[int]:
    """Draw every dream under every condition not yet in the archive, then analyse every
    pair of the study not yet analysed with its settings; returns the study's record ids.

    `engine`: where drawings and analyses run (default: this process; a `RayEngine` draws
    with Ray tasks too). `drawn(condition, dream)` and `analysed(result)` are told of each
    finished piece; each drawing is stored as soon as it is done.
    """
    from dreamdraw.archive import RecordFilter
    from dreamdraw.drawing import Drawing, load_clip, resolve_device
    from dreamdraw.installation.analysis_stage import analyse_archive
    from dreamdraw.speech import Transcript

    if study.selection is not None:
        _freeze_selection(study.selection, study.archive_dir / SELECTION_FILE)
    done: dict[str, dict[str, int]] = {}
    for condition in study.conditions:
        chosen = RecordFilter(venue=f"{study.name}/{condition.label}", include_hidden=True)
        done[condition.label] = {r.dream: r.id for r in archive.iter_records(chosen)}
    missing = [
        DrawJob(c.label, dream, c.drawing)
        for c in study.conditions
        for dream in study.dreams
        if dream not in done[c.label]
    ]
    drawer = getattr(engine, "draw_unordered", None)
    finished = drawer(missing) if drawer else ((job, draw_job(job)) for job in missing)
    for job, drawing_json in finished:
        drawing = Drawing.from_json(drawing_json)
        record = archive.add(
            transcript=Transcript(job.dream, "en", None, [], duration_s=0.0),
            drawing=drawing,
            svg=drawing.to_svg(),
            venue=f"{study.name}/{job.condition}",
        )
        done[job.condition][job.dream] = record.id
        if drawn is not None:
            drawn(job.condition, job.dream)
    ids = [done[c.label][dream] for c in study.conditions for dream in study.dreams]
    clip = None
    if engine is None:
        a = study.analysis
        clip = load_clip(a.clip, a.clip_checkpoint, resolve_device(a.device))
    analyse_archive(
        archive, clip, study.analysis, study.archive_dir, ids=ids, engine=engine, progress=analysed
    )
    return ids


def study_summary(study: Study, archive: Archive) -> dict[str, Any]:
    """Per condition: pairs, analysed, cluster shares (0-1), CLIP scores, FIXLIP R²; and
    Cohen's kappa of the clusters between every two conditions over their common dreams."""
    from dreamdraw.analysis.clusters import CLUSTERS, cluster_agreement
    from dreamdraw.archive import RecordFilter

    per_condition: dict[str, dict[str, Any]] = {}
    clusters: dict[str, dict[str, str]] = {}
    for condition in study.conditions:
        venue = f"{study.name}/{condition.label}"
        records = list(archive.iter_records(RecordFilter(venue=venue, include_hidden=True)))
        analysed = [r for r in records if r.cluster is not None]
        clusters[condition.label] = {r.dream: r.cluster for r in analysed}
        r2 = [
            r.analysis["fixlip"]["r2"]
            for r in analysed
            if (r.analysis or {}).get("fixlip") and r.analysis["fixlip"].get("r2") is not None
        ]
        per_condition[condition.label] = {
            "pairs": len(records),
            "analysed": len(analysed),
            "cluster_shares": {
                c: sum(r.cluster == c for r in analysed) / len(analysed) if analysed else 0.0
                for c in CLUSTERS
            },
            "clip_scores": [r.clip_score for r in records if r.clip_score is not None],
            "fixlip_r2": r2,
            "settings": dataclasses.asdict(condition.drawing),
        }
    kappa = []
    for a, b in itertools.combinations(clusters, 2):
        common = sorted(set(clusters[a]) & set(clusters[b]))
        if common:
            agreement = cluster_agreement(
                [clusters[a][d] for d in common], [clusters[b][d] for d in common]
            )
            kappa.append({"a": a, "b": b, "n": len(common), "kappa": agreement.kappa})
    dreams_from = dataclasses.asdict(study.selection) if study.selection else None
    return {
        "study": study.name,
        "dreams_from": dreams_from,
        "conditions": per_condition,
        "kappa": kappa,
    }
