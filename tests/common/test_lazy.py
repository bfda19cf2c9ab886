"""Lazy packages: an exported function keeps its name when its module of the same name loads."""

from __future__ import annotations

import subprocess
import sys


def test_an_exported_function_is_not_replaced_by_its_module_of_the_same_name() -> None:
    probe = (
        "import importlib, types\n"
        "importlib.import_module('dreamdraw.drawing.augment')\n"
        "importlib.import_module('dreamdraw.analysis.fixlip')\n"
        "from dreamdraw.drawing import augment\n"
        "from dreamdraw.analysis import fixlip\n"
        "assert callable(augment) and not isinstance(augment, types.ModuleType), augment\n"
        "assert callable(fixlip) and not isinstance(fixlip, types.ModuleType), fixlip\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-800:]


def test_a_package_loads_none_of_its_modules_until_a_name_is_used() -> None:
    probe = (
        "import sys, dreamdraw.drawing\n"
        "print(sorted(m for m in sys.modules if m.startswith('dreamdraw.drawing.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout
