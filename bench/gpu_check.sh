#!/usr/bin/env bash
# One GPU check: every GPU figure the issues ask for, as one JSON line (see bench/README.md).
#
#   bench/gpu_check.sh [--device cuda|cpu]
#
# For a machine with a GPU and PyTorch but none of our dependencies: installs dreamdraw
# and its dependencies from the wheels in .whl/ (no network) into a virtual environment
# that sees the machine's PyTorch, then runs bench.gpu_check within 8 minutes.
# PYTHON=/path/to/python skips the install (e.g. PYTHON=.venv/bin/python for a dry run);
# BUDGET_S (default 450) is the time the parts share, the whole run stops 30 s after it.
set -euo pipefail
cd "$(dirname "$0")/.."
device=cuda
if [[ "${1:-}" == "--device" && -n "${2:-}" ]]; then
    device=$2
elif [[ -n "${1:-}" ]]; then
    echo "usage: bench/gpu_check.sh [--device cuda|cpu]" >&2
    exit 2
fi
python=${PYTHON:-}
if [[ -z "$python" ]]; then
    if ! compgen -G ".whl/*.whl" >/dev/null; then
        echo "no wheels in .whl/: build them as bench/README.md says, or set PYTHON" >&2
        exit 2
    fi
    venv=${TMPDIR:-/tmp}/dreamdraw-gpu-check
    python3 -m venv --system-site-packages "$venv" # the machine's PyTorch and Triton stay
    "$venv/bin/pip" install --quiet --no-index --no-deps .whl/*.whl >&2
    python=$venv/bin/python
fi
budget=${BUDGET_S:-450}
exec timeout $((budget + 30)) "$python" -m bench.gpu_check --device "$device" --budget-s "$budget"
