"""The installation's own config tables: the show, the kiosk, moderation, consent, the plot queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dreamdraw.settings import check_bounds, setting

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

    draw_queue_size: int = setting(
        2,
        "accepted dreams that may wait for the drawing engine; when full, the kiosk\n"
        "asks the next visitor to wait a moment",
        ge=1,
    )
    analysis_queue_size: int = setting(
        8,
        "pairs that may wait for the explainability suite; beyond it a pair is left\n"
        "unanalysed (logged) so that analysis never delays a visitor",
        ge=1,
    )
    analyse: bool = setting(True, "analyse every pair in the background and store its cluster")
    min_free_mb: float = setting(
        500.0,
        "free space (MB) the data directory must keep; below it the show stops taking\n"
        "dreams and tells the operator",
        ge=0,
    )
    oom_retries: int = setting(
        2, "after CUDA runs out of memory, retries with fewer strokes and iterations", ge=0
    )
    degrade_factor: float = setting(
        0.5, "each retry multiplies strokes and iterations by this (0..1)", gt=0, lt=1
    )
    cpu_fallback: bool = setting(
        True, "draw on the CPU when there is no GPU or it keeps running out of memory"
    )
    cpu_max_strokes: int = setting(64, "at most this many strokes when drawing on the CPU", ge=1)
    cpu_max_iterations: int = setting(
        150, "at most this many iterations when drawing on the CPU", ge=1
    )
    status_port: int = setting(
        8765, "port of the technician's status page (/ and /status.json); 0: off", ge=0, le=65535
    )
    status_host: str = setting(
        "127.0.0.1", "address the status page listens on (0.0.0.0: the whole venue network)"
    )
    keyboard_only: bool = setting(False, "never open a microphone: visitors type their dreams")

    def __post_init__(self) -> None:
        check_bounds(self)


@dataclass
class KioskSettings:
    """The visitor's screen (pygame)."""

    fullscreen: bool = setting(False, "fill the screen (shows: true)")
    width: int = setting(1280, "window width in px (when not fullscreen)", ge=320)
    height: int = setting(720, "window height in px (when not fullscreen)", ge=240)
    title: str = setting("Tell me your dream", "the attract screen's title")
    instructions: str = setting(
        DEFAULT_INSTRUCTIONS, "the attract screen's instructions (newlines start new lines)"
    )
    talk_key: str = setting(
        "space", "the push-to-talk key (pygame key name: space, return, f1, ...)"
    )
    confirm_s: float = setting(
        8.0, "the transcript is accepted after this many seconds without a key", gt=0
    )
    done_s: float = setting(12.0, "the 'thank you' screen stays this long (s)", gt=0)
    message_s: float = setting(
        6.0, "polite messages (nothing heard, moderated) stay this long (s)", gt=0
    )
    attract_slide_s: float = setting(
        8.0,
        "the attract screen shows each recent public drawing with its dream this long (s)",
        ge=2,
        le=600,
    )
    font_size: int = setting(34, "body text size in px", ge=8)
    background: str = setting("#14141c", "background colour (#rrggbb)")
    foreground: str = setting("#f2efe6", "text colour (#rrggbb)")
    accent: str = setting("#e8b04a", "meters and progress bars (#rrggbb)")
    max_dream_chars: int = setting(
        500, "typed or heard dreams are cut to this many characters", ge=1
    )
    fps: int = setting(30, "screen refreshes per second", ge=1)

    def __post_init__(self) -> None:
        check_bounds(self)
        for name in ("background", "foreground", "accent"):
            value = getattr(self, name)
            if not (len(value) == 7 and value.startswith("#")):
                raise ValueError(f"{name} must be a colour as #rrggbb, not {value!r}")
            int(value[1:], 16)


@dataclass
class ModerationSettings:
    """Dreams that are not drawn: a word list, and what happens to them."""

    words: list[str] = setting(
        doc="words or phrases that block drawing a dream (whole words, any case;\n"
        "a trailing * matches any ending, e.g. 'kill*')",
        factory=list,
    )
    blocked: Literal["discard", "archive_hidden"] = setting(
        "discard",
        "discard: the dream is not kept; archive_hidden: kept in the archive, hidden,\n"
        "for the curators to review",
    )
    message: str = setting(
        "Thank you for your dream. The robot cannot draw this one; would you tell it another?",
        "what the kiosk says about a blocked dream",
    )


@dataclass
class ConsentSettings:
    """What the venue keeps of each visitor, and for how long."""

    store_audio: bool = setting(
        False, "keep the recording of each dream (only with the visitors' consent)"
    )
    public: bool = setting(True, "pairs may be shown in the public gallery")
    research: bool = setting(True, "pairs may be exported for research")
    retention_days: int = setting(
        0, "pairs older than this are deleted at start and daily (0: keep all)", ge=0
    )

    def __post_init__(self) -> None:
        check_bounds(self)


@dataclass
class PlotQueueSettings:
    """Drawings waiting for the plotter, kept on disk so they survive a lost plotter and restarts."""

    enabled: bool = setting(True, "plot the drawings (false: archive only)")
    max_waiting: int = setting(
        20,
        "drawings that may wait for the plotter; beyond it a drawing is archived\n"
        "but not plotted (plot status 'skipped')",
        ge=1,
    )
    retry_s: float = setting(10.0, "seconds between attempts to reach a missing plotter", gt=0)
    ask_pen_change: bool = setting(
        True,
        "pause at each pen change until the attendant confirms (kiosk key F2);\n"
        "false: keep plotting with the pen that is in (single-pen shows)",
    )
    simulate: bool = setting(
        False, "plot on a simulated GRBL plotter (rehearsals, demos; no hardware)"
    )
    simulator_speedup: float = setting(
        20.0, "the simulated plotter runs this many times faster", gt=0
    )

    def __post_init__(self) -> None:
        check_bounds(self)
