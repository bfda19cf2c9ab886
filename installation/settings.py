"""The installation's own config tables: the show, the kiosk, moderation, consent, the plot queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ConsentSettings",
    "KioskSettings",
    "ModerationSettings",
    "PlotQueueSettings",
    "ShowSettings",
]

DEFAULT_INSTRUCTIONS = (
    "Tell the robot a dream.\n"
    "Hold SPACE (or the button) while you speak, and let go when you are done.\n"
    "The robot will draw your dream and the plotter will put it on paper."
)


@dataclass
class ShowSettings:
    """How the show runs: the queues between its stages, fallbacks, and the technician's status page."""

    draw_queue_size: int = field(
        default=2,
        metadata={
            "doc": "accepted dreams that may wait for the drawing engine; when full, the kiosk\n"
            "asks the next visitor to wait a moment"
        },
    )
    analysis_queue_size: int = field(
        default=8,
        metadata={
            "doc": "pairs that may wait for the explainability suite; beyond it a pair is left\n"
            "unanalysed (logged) so that analysis never delays a visitor"
        },
    )
    analyse: bool = field(
        default=True, metadata={"doc": "analyse every pair in the background and store its cluster"}
    )
    min_free_mb: float = field(
        default=500.0,
        metadata={
            "doc": "free space (MB) the data directory must keep; below it the show stops taking\n"
            "dreams and tells the operator"
        },
    )
    oom_retries: int = field(
        default=2,
        metadata={
            "doc": "after CUDA runs out of memory, retries with fewer strokes and iterations"
        },
    )
    degrade_factor: float = field(
        default=0.5,
        metadata={"doc": "each retry multiplies strokes and iterations by this (0..1)"},
    )
    cpu_fallback: bool = field(
        default=True,
        metadata={"doc": "draw on the CPU when there is no GPU or it keeps running out of memory"},
    )
    cpu_max_strokes: int = field(
        default=64, metadata={"doc": "at most this many strokes when drawing on the CPU"}
    )
    cpu_max_iterations: int = field(
        default=150, metadata={"doc": "at most this many iterations when drawing on the CPU"}
    )
    status_port: int = field(
        default=8765,
        metadata={"doc": "port of the technician's status page (/ and /status.json); 0: off"},
    )
    status_host: str = field(
        default="127.0.0.1",
        metadata={"doc": "address the status page listens on (0.0.0.0: the whole venue network)"},
    )
    keyboard_only: bool = field(
        default=False,
        metadata={"doc": "never open a microphone: visitors type their dreams"},
    )

    def __post_init__(self) -> None:
        if self.draw_queue_size < 1:
            raise ValueError(f"draw_queue_size must be at least 1, not {self.draw_queue_size}")
        if self.analysis_queue_size < 1:
            raise ValueError(
                f"analysis_queue_size must be at least 1, not {self.analysis_queue_size}"
            )
        if self.min_free_mb < 0:
            raise ValueError(f"min_free_mb must be >= 0, not {self.min_free_mb}")
        if not 0.0 < self.degrade_factor < 1.0:
            raise ValueError(f"degrade_factor must be between 0 and 1, not {self.degrade_factor}")
        if self.oom_retries < 0:
            raise ValueError(f"oom_retries must be >= 0, not {self.oom_retries}")
        if self.cpu_max_strokes < 1 or self.cpu_max_iterations < 1:
            raise ValueError("cpu_max_strokes and cpu_max_iterations must be at least 1")
        if not 0 <= self.status_port <= 65535:
            raise ValueError(f"status_port must be a port number (0-65535), not {self.status_port}")


@dataclass
class KioskSettings:
    """The visitor's screen (pygame)."""

    fullscreen: bool = field(default=False, metadata={"doc": "fill the screen (shows: true)"})
    width: int = field(default=1280, metadata={"doc": "window width in px (when not fullscreen)"})
    height: int = field(default=720, metadata={"doc": "window height in px (when not fullscreen)"})
    title: str = field(default="Tell me your dream", metadata={"doc": "the attract screen's title"})
    instructions: str = field(
        default=DEFAULT_INSTRUCTIONS,
        metadata={"doc": "the attract screen's instructions (newlines start new lines)"},
    )
    talk_key: str = field(
        default="space",
        metadata={"doc": "the push-to-talk key (pygame key name: space, return, f1, ...)"},
    )
    confirm_s: float = field(
        default=8.0,
        metadata={"doc": "the transcript is accepted after this many seconds without a key"},
    )
    done_s: float = field(
        default=12.0, metadata={"doc": "the 'thank you' screen stays this long (s)"}
    )
    message_s: float = field(
        default=6.0,
        metadata={"doc": "polite messages (nothing heard, moderated) stay this long (s)"},
    )
    font_size: int = field(default=34, metadata={"doc": "body text size in px"})
    background: str = field(default="#14141c", metadata={"doc": "background colour (#rrggbb)"})
    foreground: str = field(default="#f2efe6", metadata={"doc": "text colour (#rrggbb)"})
    accent: str = field(default="#e8b04a", metadata={"doc": "meters and progress bars (#rrggbb)"})
    max_dream_chars: int = field(
        default=500, metadata={"doc": "typed or heard dreams are cut to this many characters"}
    )
    fps: int = field(default=30, metadata={"doc": "screen refreshes per second"})

    def __post_init__(self) -> None:
        if self.width < 320 or self.height < 240:
            raise ValueError(f"the window must be at least 320x240, not {self.width}x{self.height}")
        for name in ("confirm_s", "done_s", "message_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        for name in ("background", "foreground", "accent"):
            value = getattr(self, name)
            if not (len(value) == 7 and value.startswith("#")):
                raise ValueError(f"{name} must be a colour as #rrggbb, not {value!r}")
            int(value[1:], 16)
        if self.font_size < 8 or self.fps < 1 or self.max_dream_chars < 1:
            raise ValueError("font_size must be >= 8, fps and max_dream_chars >= 1")


@dataclass
class ModerationSettings:
    """Dreams that are not drawn: a word list, and what happens to them."""

    words: list[str] = field(
        default_factory=list,
        metadata={
            "doc": "words or phrases that block drawing a dream (whole words, any case;\n"
            "a trailing * matches any ending, e.g. 'kill*')"
        },
    )
    blocked: Literal["discard", "archive_hidden"] = field(
        default="discard",
        metadata={
            "doc": "discard: the dream is not kept; archive_hidden: kept in the archive, hidden,\n"
            "for the curators to review"
        },
    )
    message: str = field(
        default="Thank you for your dream. The robot cannot draw this one; would you tell it another?",
        metadata={"doc": "what the kiosk says about a blocked dream"},
    )


@dataclass
class ConsentSettings:
    """What the venue keeps of each visitor, and for how long."""

    store_audio: bool = field(
        default=False,
        metadata={"doc": "keep the recording of each dream (only with the visitors' consent)"},
    )
    public: bool = field(default=True, metadata={"doc": "pairs may be shown in the public gallery"})
    research: bool = field(default=True, metadata={"doc": "pairs may be exported for research"})
    retention_days: int = field(
        default=0,
        metadata={"doc": "pairs older than this are deleted at start and daily (0: keep all)"},
    )

    def __post_init__(self) -> None:
        if self.retention_days < 0:
            raise ValueError(f"retention_days must be >= 0, not {self.retention_days}")


@dataclass
class PlotQueueSettings:
    """Drawings waiting for the plotter, kept on disk so they survive a lost plotter and restarts."""

    enabled: bool = field(default=True, metadata={"doc": "plot the drawings (false: archive only)"})
    max_waiting: int = field(
        default=20,
        metadata={
            "doc": "drawings that may wait for the plotter; beyond it a drawing is archived\n"
            "but not plotted (plot status 'skipped')"
        },
    )
    retry_s: float = field(
        default=10.0, metadata={"doc": "seconds between attempts to reach a missing plotter"}
    )
    ask_pen_change: bool = field(
        default=True,
        metadata={
            "doc": "pause at each pen change until the attendant confirms (kiosk key F2);\n"
            "false: keep plotting with the pen that is in (single-pen shows)"
        },
    )
    simulate: bool = field(
        default=False,
        metadata={"doc": "plot on a simulated GRBL plotter (rehearsals, demos; no hardware)"},
    )
    simulator_speedup: float = field(
        default=20.0, metadata={"doc": "the simulated plotter runs this many times faster"}
    )

    def __post_init__(self) -> None:
        if self.max_waiting < 1:
            raise ValueError(f"max_waiting must be at least 1, not {self.max_waiting}")
        if self.retry_s <= 0 or self.simulator_speedup <= 0:
            raise ValueError("retry_s and simulator_speedup must be positive")
