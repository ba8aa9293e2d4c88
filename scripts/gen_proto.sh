#!/usr/bin/env bash
# Generate Python gRPC code from proto/ into libs/common/gen (not committed; `make proto` runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
out=libs/common/gen
rm -rf "$out" && mkdir -p "$out"
mapfile -t protos < <(find proto -name '*.proto' | sort)
# Typed stubs for mypy: mypy-protobuf (requirements-dev.txt) writes the messages' and the gRPC stubs'
# .pyi; where it is not installed (the image's proto stage) protoc's own message .pyi is enough.
bin=$(dirname "$PY")
if [[ -x "$bin/protoc-gen-mypy" && -x "$bin/protoc-gen-mypy_grpc" ]]; then
  stubs=(--plugin=protoc-gen-mypy="$bin/protoc-gen-mypy" --plugin=protoc-gen-mypy_grpc="$bin/protoc-gen-mypy_grpc"
         --mypy_out=quiet:"$out" --mypy_grpc_out=quiet:"$out")
else
  stubs=(--pyi_out="$out")
fi
"$PY" -m grpc_tools.protoc -Iproto --python_out="$out" --grpc_python_out="$out" "${stubs[@]}" "${protos[@]}"
# Make every generated directory a regular package.
find "$out" -type d -exec touch {}/__init__.py \;
echo "generated ${#protos[@]} protos into $out"
