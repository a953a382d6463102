#!/usr/bin/env bash
# Install, run the embedded default study (cached after the first time), and launch the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
python -m studies run examples/quick.toml
exec streamlit run dashboard.py "$@"
