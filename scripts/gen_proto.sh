#!/usr/bin/env bash
# Generate Python gRPC code from proto/ into libs/common/gen (not committed; `make proto` runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
out=libs/common/gen
rm -rf "$out" && mkdir -p "$out"
mapfile -t protos < <(find proto -name '*.proto' | sort)
"$PY" -m grpc_tools.protoc -Iproto --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" "${protos[@]}"
# Make every generated directory a regular package.
find "$out" -type d -exec touch {}/__init__.py \;
echo "generated ${#protos[@]} protos into $out"
