"""The venue config: documented defaults, validation that names the key."""

from __future__ import annotations

import tomllib

import pytest
from dreamdraw.installation.config import (
    Config,
    ConfigError,
    config_from_dict,
    load_config,
    render_default_config,
)

from tests.cli_runner import run_cli


def test_default_config_file_parses_back_to_the_defaults(tmp_path):
    text = render_default_config()
    path = tmp_path / "venue.toml"
    path.write_text(text)
    assert load_config(path) == Config()
    assert "# number of strokes" in text and "[[drawing.pens]]" in text


def test_wrong_type_names_the_key():
    with pytest.raises(ConfigError, match=r"drawing\.strokes must be an integer"):
        config_from_dict({"drawing": {"strokes": "many"}})


def test_unknown_key_names_the_key():
    with pytest.raises(ConfigError, match=r"unknown key drawing\.strokez"):
        config_from_dict({"drawing": {"strokez": 3}})


def test_bad_choice_names_the_key_and_the_choices():
    with pytest.raises(ConfigError, match=r"drawing\.mode must be one of 'plotter', 'classic'"):
        config_from_dict({"drawing": {"mode": "watercolour"}})


def test_pens_are_validated_as_tables():
    with pytest.raises(ConfigError, match="pen"):
        config_from_dict({"drawing": {"pens": [{"id": 1, "color": "#12"}]}})
    config = config_from_dict(
        {"drawing": {"pens": [{"id": 4, "color": "#00ff00", "width_mm": 0.3, "name": "g"}]}}
    )
    assert config.drawing.pens[0].width_mm == 0.3


def test_malformed_toml_and_missing_file_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[drawing\nstrokes = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="config init"):
        load_config(tmp_path / "missing.toml")
    assert tomllib.loads(render_default_config())


def test_config_check_without_a_path_checks_the_config_option(tmp_path, capsys) -> None:
    venue = tmp_path / "venue.toml"
    venue.write_text('[paper]\nsize = "A3"\n', encoding="utf-8")
    code, out, _ = run_cli(capsys, "--config", str(venue), "config", "check")
    assert code == 0 and out.strip() == f"{venue}: ok"


def test_config_check_without_any_config_says_what_to_name(capsys) -> None:
    code, _, err = run_cli(capsys, "config", "check")
    assert code == 2 and "name a config file" in err
