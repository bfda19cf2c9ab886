"""The curator web app (FastAPI + Jinja2, server-rendered) and its JSON API."""

from dreamdraw.archive.web.app import create_app
from dreamdraw.archive.web.session import load_or_create_secret

__all__ = ["create_app", "load_or_create_secret"]
