"""Settings declared once: default, doc and bounds, checked in one place."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dreamdraw.installation.config import ConfigError, config_from_dict, render_default_config
from dreamdraw.settings import check_bounds, setting


@dataclass
class Sample:
    count: int = setting(2, "how many", ge=1)
    share: float = setting(0.5, "a share", gt=0, lt=1)
    rate: float = setting(1.0, "a rate", gt=0)
    levels: list[float] = setting(doc="levels", factory=lambda: [1.0], ge=0)
    name: str | None = setting(None, "no bounds")

    def __post_init__(self) -> None:
        check_bounds(self)


def test_defaults_and_docs_come_from_the_declaration() -> None:
    sample = Sample()
    assert (sample.count, sample.share, sample.levels, sample.name) == (2, 0.5, [1.0], None)
    assert Sample.__dataclass_fields__["count"].metadata["doc"] == "how many"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"count": 0}, "count must be at least 1, not 0"),
        ({"share": 1.0}, "share must be between 0 and 1, not 1.0"),
        ({"rate": 0.0}, "rate must be positive, not 0.0"),
        ({"levels": [1.0, -2.0]}, r"levels must be at least 0, not \[1.0, -2.0\]"),
    ],
)
def test_a_value_outside_its_bounds_is_named_with_them(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        Sample(**changes)


def test_the_config_names_the_key_of_a_value_out_of_bounds() -> None:
    with pytest.raises(ConfigError, match=r"show: draw_queue_size must be at least 1, not 0"):
        config_from_dict({"show": {"draw_queue_size": 0}})


def test_the_written_config_states_each_keys_bounds() -> None:
    text = render_default_config()
    assert "(at least 1)\ndraw_queue_size = 2" in text.replace("\n# ", "\n")
    assert "(between 0 and 65535)\nstatus_port = 8765" in text


def test_a_setting_with_both_a_default_and_a_factory_is_refused_at_declaration() -> None:
    with pytest.raises(TypeError, match="a default or a factory, not both"):
        setting("the doc by mistake in the default's place", factory=list)
