"""The errors a user can cause, from every part: the CLI prints their message, not a traceback."""

from dreamdraw.analysis import AnalysisError
from dreamdraw.archive import ArchiveError
from dreamdraw.drawing import DrawingError
from dreamdraw.installation.config import ConfigError
from dreamdraw.plotter import PlotterError
from dreamdraw.speech import SpeechError

__all__ = ["USER_ERRORS", "ClusterError", "ModelsError", "ShowError"]


class ShowError(ValueError):
    """The show or the demo cannot go on for a reason the operator can fix; the message says how."""


class ModelsError(ValueError):
    """Models cannot be listed, pulled, exported or imported as asked; the message says why."""


class ClusterError(ValueError):
    """The Ray cluster cannot be used as asked (not installed, unreachable, every worker
    lost); the message says what to do."""


USER_ERRORS: tuple[type[Exception], ...] = (
    ConfigError,
    DrawingError,
    PlotterError,
    SpeechError,
    ArchiveError,
    AnalysisError,
    ShowError,
    ModelsError,
    ClusterError,
)
