"""Shared fixtures: the tiny random-weight CLIP and a small line drawing."""

from __future__ import annotations

import pytest
from dreamdraw.drawing import Drawing, load_clip

from tests.analysis.analysis_samples import make_drawing


@pytest.fixture(scope="session")
def tiny_clip():
    return load_clip("test:tiny")


@pytest.fixture
def line_drawing() -> Drawing:
    return make_drawing()
