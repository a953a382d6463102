#!/usr/bin/env bash
# Create .venv and install Batchscope's requirements (torch 2.13.0 first: the CPU build, or your own GPU build
# if one is already installed in the venv). Idempotent: a second call installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
stamp=.venv/.requirements.sha
want=$(cat requirements.txt | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python -c "import torch" 2>/dev/null || pip install -q torch==2.13.0
  pip install -q -r requirements.txt
  echo "$want" > "$stamp"
fi
