"""Shared fixtures: the tiny random-weight CLIP and a small line drawing."""

from __future__ import annotations

import pytest
from analysis_samples import make_drawing

from drawing import Drawing, load_clip


@pytest.fixture(scope="session")
def tiny_clip():
    return load_clip("test:tiny")


@pytest.fixture
def line_drawing() -> Drawing:
    return make_drawing()
