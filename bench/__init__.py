"""Benchmarks of the real parts on loopback: `make bench` (see bench/__main__.py for the options).

- ledger_bench: registrations over gRPC with the outbox relay (SQLite and PostgreSQL), ListItems
  latency over a bulk-loaded ledger, XLSX export time and peak RSS of the ledger process.
- gateway_bench: GET /api/v1/items of the gateway beside a bare Flask endpoint (bare_app.py) making the
  same gRPC call, both under gunicorn with the stack's worker count, driven by wrk.
- tracking_bench: the sweep and the lights over 100k open assignments (SQLite and PostgreSQL), and the
  latency from RegisterItem to the assignment in tracking at a paced 200 registrations/s.
- fixture / tracking_fixture: the realistic ledger / open assignments the benchmarks read; procs: the
  services as processes, the broker, databases; machine: how much CPU other processes took meanwhile;
  report: the tables.
"""
