"""The errors a user can cause, from every part: the CLI prints their message, not a traceback."""

from analysis import AnalysisError
from archive import ArchiveError
from drawing import DrawingError
from installation.config import ConfigError
from plotter import PlotterError
from speech import SpeechError

__all__ = ["USER_ERRORS", "ShowError"]


class ShowError(ValueError):
    """The show or the demo cannot go on for a reason the operator can fix; the message says how."""


USER_ERRORS: tuple[type[Exception], ...] = (
    ConfigError,
    DrawingError,
    PlotterError,
    SpeechError,
    ArchiveError,
    AnalysisError,
    ShowError,
)
