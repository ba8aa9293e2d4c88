"""Container HEALTHCHECK: gateway /healthz over HTTP, other services' gRPC health; exit 0 = healthy.

Kubernetes ignores HEALTHCHECK and uses the chart's probes; this serves `docker run` and compose.
Exits 1 with a one-line reason when the server is down, slow (over DUBAN_HEALTHCHECK_TIMEOUT seconds)
or reports anything but SERVING.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path


def check_http(port: int, timeout: float) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as resp:
            return None if resp.status == 200 else f"/healthz answered {resp.status}"
    except (urllib.error.URLError, OSError) as exc:
        return f"/healthz on port {port}: {exc}"


def check_grpc(port: int, timeout: float) -> str | None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
        except grpc.RpcError as exc:
            return f"gRPC health on port {port}: {exc.code().name}"
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        return f"gRPC health on port {port}: {status}"
    return None


def service_name() -> str:
    """DUBAN_SERVICE from our environment, else from PID 1's (the entrypoint exports it before exec)."""
    name = os.environ.get("DUBAN_SERVICE", "")
    if name:
        return name
    try:
        environ = Path("/proc/1/environ").read_bytes().split(b"\0")
    except OSError:
        return ""
    for entry in environ:
        if entry.startswith(b"DUBAN_SERVICE="):
            return entry.partition(b"=")[2].decode()
    return ""


def main() -> int:
    timeout = float(os.environ.get("DUBAN_HEALTHCHECK_TIMEOUT", "3"))
    if service_name() == "gateway":
        problem = check_http(int(os.environ.get("DUBAN_HTTP_PORT", "8000")), timeout)
    else:
        problem = check_grpc(int(os.environ.get("DUBAN_GRPC_PORT", "50051")), timeout)
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
