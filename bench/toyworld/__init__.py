"""A toy world of plotter line drawings and the small CLIP models trained on it."""

from bench.toyworld.world import (
    FAMILIES,
    OBJECTS,
    PALETTE,
    WORDS,
    Scene,
    World,
    family_captions,
    render_scenes,
)

__all__ = [
    "FAMILIES",
    "OBJECTS",
    "PALETTE",
    "WORDS",
    "Scene",
    "World",
    "family_captions",
    "render_scenes",
]
