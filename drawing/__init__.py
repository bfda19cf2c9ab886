"""Dreams drawn as pen strokes: the stroke model, a differentiable rasterizer, CLIP, CLIPDraw."""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "augment": ["augment", "augment_grid", "letterbox", "through_views"],
        "clip": [
            "RANDOM_LABEL",
            "TEST_MODEL",
            "TOY_LABEL",
            "TOY_MODEL",
            "ClipModel",
            "clip_spec_label",
            "load_clip",
            "pull_clip",
        ],
        "clipdraw": ["DrawProgress", "draw", "resolve_device", "score_drawing"],
        "errors": ["ClipModelMissing", "DrawingError"],
        "model": ["DEFAULT_PENS", "Drawing", "Pen", "Stroke", "parse_color", "parse_pens"],
        "raster": ["StrokeBatch", "ink_layers", "rasterize", "render_drawing", "strokes_to_batch"],
        "settings": ["DEFAULT_CLIP", "DrawSettings"],
    },
)
