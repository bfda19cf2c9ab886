"""The installed layout: one `dreamdraw` namespace, and commands that start without torch."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("installation", "drawing", "plotter", "speech", "analysis", "archive")
# Heavy libraries that only the code using them may import.
HEAVY = (
    "torch",
    "open_clip",
    "faster_whisper",
    "whisper",
    "pygame",
    "shapiq",
    "torchvision",
    "ray",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("dreamdraw-*.whl")
    return path


def test_wheel_installs_every_part_under_the_dreamdraw_namespace_only(wheel: Path) -> None:
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"dreamdraw"}


def test_wheel_carries_the_files_the_code_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "dreamdraw/archive/web/templates/gallery.html",
        "dreamdraw/archive/web/static/style.css",
        "dreamdraw/archive/migrations/script.py.mako",
        "dreamdraw/drawing/model_configs/dreamdraw-tiny.json",
    ):
        assert expected in names


def test_no_bare_part_name_is_importable_from_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import importlib.util, json;"
        f"print(json.dumps({{n: importlib.util.find_spec(n) is not None for n in {PARTS!r}}}));"
        "import dreamdraw.drawing, dreamdraw.archive;"
        "print(sorted(dreamdraw.drawing.__all__)[:1])"
    )
    # Run outside the repository so that its folders are not on sys.path.
    result = subprocess.run(
        [str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    found, _ = result.stdout.splitlines()
    assert found == "{" + ", ".join(f'"{p}": false' for p in PARTS) + "}"


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["config", "check"],
        ["config", "init", "{tmp}/venue.toml"],
        ["status"],
        ["archive", "list"],
        ["plotter", "ports"],
        ["analyse", "archive", "--help"],
    ],
    ids=lambda c: " ".join(c).replace("{tmp}/", ""),
)
def test_command_starts_without_importing_heavy_libraries(
    command: list[str], tmp_path: Path
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dreamdraw", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DREAMDRAW_DATA_DIR": str(tmp_path / "data")},
    )
    assert "Traceback" not in result.stderr
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert imported, result.stderr[-500:]
    assert "dreamdraw.installation.cli" in imported
    assert sorted(imported.intersection(HEAVY)) == []
