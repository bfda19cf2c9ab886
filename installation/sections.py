"""The tables of the venue config, one per part, composed into one Config."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from dreamdraw.analysis import AnalysisSettings
from dreamdraw.archive import ArchiveSettings
from dreamdraw.drawing import DrawSettings
from dreamdraw.installation.settings import (
    ConsentSettings,
    KioskSettings,
    ModerationSettings,
    PlotQueueSettings,
    ShowSettings,
)
from dreamdraw.paper import PaperSettings
from dreamdraw.plotter import PlotterSettings
from dreamdraw.speech import SpeechSettings

__all__ = ["Config", "VenueSettings", "SECTIONS"]


@dataclass
class VenueSettings:
    """Where the installation runs and where it keeps its data."""

    name: str = field(
        default="dreamdraw", metadata={"doc": "the venue's name, stored with every dream"}
    )
    data_dir: str | None = field(
        default=None,
        metadata={"doc": "where archive, queues and logs live (default: the user data directory)"},
    )
    log_level: str = field(default="INFO", metadata={"doc": "DEBUG, INFO, WARNING or ERROR"})


@dataclass
class Config:
    """The whole venue configuration."""

    venue: VenueSettings = field(default_factory=VenueSettings, metadata={"doc": "The venue."})
    paper: PaperSettings = field(
        default_factory=PaperSettings,
        metadata={"doc": "The paper on the plotter; the drawing takes its aspect ratio from it."},
    )
    drawing: DrawSettings = field(
        default_factory=DrawSettings, metadata={"doc": "The drawing engine (CLIPDraw)."}
    )
    speech: SpeechSettings = field(
        default_factory=SpeechSettings, metadata={"doc": "Listening and transcription (Whisper)."}
    )
    plotter: PlotterSettings = field(
        default_factory=PlotterSettings, metadata={"doc": "The pen plotter."}
    )
    archive: ArchiveSettings = field(
        default_factory=ArchiveSettings, metadata={"doc": "The archive and the curator web app."}
    )
    analysis: AnalysisSettings = field(
        default_factory=AnalysisSettings, metadata={"doc": "The explainability suite and clusters."}
    )
    show: ShowSettings = field(
        default_factory=ShowSettings,
        metadata={"doc": "The show: queues between its stages, fallbacks, the status page."},
    )
    kiosk: KioskSettings = field(
        default_factory=KioskSettings, metadata={"doc": "The visitor's screen (pygame)."}
    )
    moderation: ModerationSettings = field(
        default_factory=ModerationSettings,
        metadata={"doc": "Dreams that are not drawn: a word list, and what happens to them."},
    )
    consent: ConsentSettings = field(
        default_factory=ConsentSettings,
        metadata={"doc": "What is kept of each visitor, and for how long."},
    )
    plot_queue: PlotQueueSettings = field(
        default_factory=PlotQueueSettings,
        metadata={"doc": "Drawings waiting for the plotter (kept on disk)."},
    )

    def __post_init__(self) -> None:
        # One sheet for both: the drawing is made for the paper the plotter draws on.
        paper = {"paper": self.paper.size, "orientation": self.paper.orientation}
        self.drawing = replace(self.drawing, **paper)
        self.plotter = replace(self.plotter, **paper)


SECTIONS = {
    "venue": VenueSettings,
    "paper": PaperSettings,
    "drawing": DrawSettings,
    "speech": SpeechSettings,
    "plotter": PlotterSettings,
    "archive": ArchiveSettings,
    "analysis": AnalysisSettings,
    "show": ShowSettings,
    "kiosk": KioskSettings,
    "moderation": ModerationSettings,
    "consent": ConsentSettings,
    "plot_queue": PlotQueueSettings,
}
