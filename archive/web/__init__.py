"""The curator web app (FastAPI + Jinja2, server-rendered) and its JSON API."""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "app": ["create_app"],
        "session": ["load_or_create_secret"],
        "throttle": ["LoginThrottle"],
    },
)
