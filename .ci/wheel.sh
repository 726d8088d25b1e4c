#!/usr/bin/env bash
# The wheel works anywhere: build it, install it with the locked dependencies into a new
# virtualenv, then, from an empty folder far from the checkout, set up a home and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
.venv/bin/python -m pip wheel --quiet --no-deps --disable-pip-version-check -w "$work/dist" .
python3 -m venv "$work/venv"
.venv/bin/uv pip install --quiet --python "$work/venv/bin/python" -r requirements.lock
.venv/bin/uv pip install --quiet --python "$work/venv/bin/python" --no-deps "$work"/dist/kapwatch-*.whl
mkdir "$work/elsewhere"
cd "$work/elsewhere"
"$work/venv/bin/kapwatch" init "$work/elsewhere/clinic"
(set -a; . "$work/elsewhere/clinic/kapwatch.env"; set +a; "$work/venv/bin/kapwatch" seeds --json > seeds.json)
"$work/venv/bin/kapwatch" demo --home "$work/elsewhere/demo-home"
test -s "$work/elsewhere/demo-home/digests/feed.xml"
echo "wheel: kapwatch demo ran from $work/elsewhere"
