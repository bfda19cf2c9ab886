"""The `dreamdraw` command line: one-line errors, never a traceback; real processes end to end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli as dreamdraw_in_process


def dreamdraw(
    *args: str, env: dict | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dreamdraw", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=300,
    )


def test_config_init_writes_a_file_that_checks(tmp_path, capsys):
    path = tmp_path / "venue.toml"
    assert dreamdraw_in_process(capsys, "config", "init", str(path))[0] == 0
    code, out, _ = dreamdraw_in_process(capsys, "config", "check", str(path))
    assert code == 0 and "ok" in out


def test_bad_config_exits_nonzero_with_the_key_and_no_traceback(tmp_path, capsys):
    path = tmp_path / "venue.toml"
    path.write_text('[drawing]\niterations = "lots"\n')
    code, _, err = dreamdraw_in_process(
        capsys, "--config", str(path), "draw", "a cat", "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert "drawing.iterations must be an integer" in err
    assert "Traceback" not in err


def test_draw_writes_json_svg_png_and_prints_the_score(tmp_path):
    out = tmp_path / "fish"
    result = dreamdraw(
        "draw",
        "a red fish",
        "--out",
        str(out),
        "--clip",
        "test:tiny",
        "--strokes",
        "16",
        "--iterations",
        "4",
        "--seed",
        "5",
        "--paper",
        "A5",
        "--pens",
        "#000000:2,#c8102e:2",
    )
    assert result.returncode == 0, result.stderr
    assert "CLIP score" in result.stdout and "random-weight test model" in result.stdout
    drawing = json.loads((out / "drawing.json").read_text())
    assert drawing["seed"] == 5 and drawing["model_is_random"] is True
    assert (out / "drawing.svg").read_text().count('inkscape:groupmode="layer"') == 2
    assert (out / "drawing.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["", "--clip", "test:tiny"], "empty"),
        (["a cat", "--strokes", "0", "--clip", "test:tiny"], "'--strokes': must be positive"),
        (["a cat", "--paper", "B9", "--clip", "test:tiny"], "unknown paper size"),
        (["a cat", "--device", "tpu"], "unknown device"),
        (["a cat", "--pens", "#12:x"], "width must be a number"),
    ],
)
def test_bad_draw_input_is_one_clear_line(tmp_path, capsys, args, message):
    code, _, err = dreamdraw_in_process(capsys, "draw", *args, "--out", str(tmp_path / "o"))
    assert code == 2 and message in err
    assert "Traceback" not in err


def test_unreadable_checkpoint_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    code, _, err = dreamdraw_in_process(
        capsys,
        "draw",
        "a cat",
        "--out",
        str(tmp_path / "o"),
        "--clip",
        "ViT-B-32",
        "--clip-checkpoint",
        str(bad),
    )
    assert code == 2 and "cannot read CLIP checkpoint" in err


def test_missing_weights_offline_name_models_pull_and_clip_checkpoint(tmp_path):
    result = dreamdraw(
        "draw",
        "a cat",
        "--out",
        str(tmp_path / "o"),
        env={"XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert result.returncode == 2
    assert "dreamdraw models pull" in result.stderr and "--clip-checkpoint" in result.stderr
    assert "Traceback" not in result.stderr


def test_draw_prunes_by_default_and_says_how_many_strokes_went(tmp_path, capsys):
    config = tmp_path / "venue.toml"
    config.write_text("[drawing]\ncanvas_px = 112\n")
    common = ["--clip", "test:tiny", "--strokes", "48", "--iterations", "5", "--seed", "3",
              "--pens", "#000000:4,#1f4fbf:3"]  # fmt: skip
    code, out, err = dreamdraw_in_process(
        capsys, "--config", str(config), "draw", "two moons", "--out", str(tmp_path / "a"), *common
    )
    assert code == 0, err
    pruned = json.loads((tmp_path / "a" / "drawing.json").read_text())
    gone = pruned["settings"]["strokes_pruned"]
    assert gone > 0 and f"{48 - gone} strokes, {gone} pruned" in out
    code, out, err = dreamdraw_in_process(
        capsys, "--config", str(config), "draw", "two moons", "--out", str(tmp_path / "b"),
        "--no-prune", "--no-plain-view", *common,
    )  # fmt: skip
    assert code == 0, err
    whole = json.loads((tmp_path / "b" / "drawing.json").read_text())
    assert "strokes_pruned" not in whole["settings"] and "48 strokes," in out
    assert pruned["settings"]["plain_view"] and not whole["settings"]["plain_view"]


def test_draw_on_the_cpu_says_how_long_it_will_take_before_its_progress(tmp_path, capsys):
    config = tmp_path / "venue.toml"
    config.write_text("[drawing]\ncanvas_px = 64\nprogress_every = 3\n")
    code, _, err = dreamdraw_in_process(
        capsys, "--config", str(config), "draw", "a red fish", "--out", str(tmp_path / "o"),
        "--clip", "test:tiny", "--device", "cpu", "--strokes", "6", "--iterations", "12",
        "--augmentations", "1", "--no-prune", "--seed", "2",
    )  # fmt: skip
    assert code == 0, err
    lines = err.splitlines()
    estimate = next(i for i, line in enumerate(lines) if line.startswith("drawing on the CPU"))
    assert estimate < lines.index("drawing...")  # said before the first progress line
    match = re.search(r"about ([\d.]+) (s|min) for 6 strokes x 12 iterations, timed over the first 3",
                      lines[estimate])  # fmt: skip
    assert match, lines[estimate]
    expected_s = float(match.group(1)) * (60 if match.group(2) == "min" else 1)
    # The progress stage runs from the first report (iteration 3) to the last (12).
    measured = float(re.search(r"drawing: done after ([\d.]+) s", err).group(1))
    whole_s = measured * 12 / 9
    assert whole_s / 4 < expected_s < whole_s * 4, (expected_s, whole_s)
