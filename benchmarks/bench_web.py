"""Load on the web workspace: 50 concurrent clients saving values, on loopback.

    .venv/bin/python benchmarks/bench_web.py [--clients 50] [--requests 40] [--workers 4]
        [--threads 1] [--seconds 120] [--database-url postgresql://postgres@127.0.0.1/bench]
        [--servers 1]

A fresh database (SQLite in a temporary directory, or the PostgreSQL database
named by ``--database-url``, which is emptied first) gets the Lai Châu dataset
and the demo accounts; gunicorn serves ``ktxh.web.wsgi`` on 127.0.0.1 (a free
port). Every client has a logged-in session of a ward's officer (or the city
planner) and a cell of its own in that officer's scope; it saves a new value
into it ``--requests`` times through ``POST /nhap-lieu/luu/`` (the grid's save:
permission, lock and version checks, the update and its audit record, one
transaction), carrying the version each answer returns. The same clients first
call ``GET /ping``, a trivial view of the same server, as many times: the
difference is what the application itself costs.

``--servers 2`` starts that many gunicorn servers (``--workers`` each) on ports of
their own over the same database, as two application hosts behind a load balancer
would be (docs/deploy.md), and spreads the clients over them in turn; a client's
session, made once, is good on every server.

Bounded: ``--clients`` x ``--requests`` requests per phase, and each phase
stops after ``--seconds``. Only 127.0.0.1 is ever contacted. Prints the
figures as a Markdown table for benchmarks/RESULTS.md: the CPU the servers used
per request, the CPU PostgreSQL's processes serving the database used per request
(its backends; PostgreSQL on this machine), and the load generator's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Client:
    session: str
    csrf: str
    cell: tuple[str, str, int, str]
    version: int
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def prepare(clients: int, env: dict[str, str]) -> list[Client]:
    """Migrate, load, and make one session per client (no password hashing needed)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ktxh.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils.module_loading import import_string

    from ktxh.io.datapackage import shipped_package
    from ktxh.store import accounts, packages
    from ktxh.store.models import Indicator, Value

    SessionStore = import_string(settings.SESSION_ENGINE + ".SessionStore")
    call_command("migrate", verbosity=0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    packages.load(shipped_package(), user="bench", replace=True)
    accounts.create_demo_accounts()
    from django.db import connection

    if connection.vendor == "postgresql":
        # the planner's statistics of the tables just filled, as autovacuum gathers them
        # in a database in service (a server may run without it: the CI's does); without
        # them a cell is looked up through the wrong index
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    units = ["doan-ket", "tan-phong", "dong-phong", "quyet-thang", "quyet-tien", "san-thang"]
    units += ["sung-phai"]
    enterable = [
        i.code
        for i in Indicator.objects.select_related("form").order_by("form", "position")
        if not i.is_group
        and i.form.has_unit_breakdown
        and i.row.get("consolidation") != "city_only"
    ]
    out = []
    for n in range(clients):
        username = units[n % len(units)] if n % 8 else "admin"
        org = units[n % len(units)]
        user = User.objects.get(username=username)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the user table's
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cell = (enterable[n // len(units)], org, 2023, "h1")
        v = Value.objects.filter(
            indicator_id=cell[0], orgunit_id=cell[1], year=cell[2], measure=cell[3]
        ).first()
        assert store.session_key is not None
        out.append(Client(store.session_key, _get_new_csrf_string(), cell, v.version if v else 0))
    from django.db import connections

    connections.close_all()
    return out


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 request; (status, body, whether the server closes the connection)."""
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    closing = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value.strip())
        elif key == b"connection" and value.strip().lower() == b"close":
            closing = True
    data = await reader.readexactly(length) if length else b""
    return int(status_line.split()[1]), data, closing


async def _client(
    c: Client, port: int, requests: int, deadline: float, save: bool, go: asyncio.Event
) -> None:
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    conn = await asyncio.open_connection(HOST, port)
    cookie = f"sessionid={c.session}; csrftoken={c.csrf}"
    await go.wait()
    for k in range(requests):
        if time.monotonic() > deadline:
            break
        if save:
            body = json.dumps(
                {
                    "writes": [
                        {
                            "indicator": c.cell[0],
                            "orgunit": c.cell[1],
                            "year": c.cell[2],
                            "measure": c.cell[3],
                            "version": c.version,
                            "text": f"{k + 1},5",
                        }
                    ]
                }
            ).encode()
            head = (
                f"POST /nhap-lieu/luu/ HTTP/1.1\r\nHost: {HOST}:{port}\r\nCookie: {cookie}\r\n"
                f"X-CSRFToken: {c.csrf}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
        else:
            body = b""
            head = f"GET /ping HTTP/1.1\r\nHost: {HOST}:{port}\r\nCookie: {cookie}\r\n\r\n".encode()
        t0 = time.perf_counter()
        if conn is None:  # a sync worker closes every connection: reconnecting is part of it
            conn = await asyncio.open_connection(HOST, port)
        status, data, closing = await _request(*conn, head, body)
        c.latencies.append(time.perf_counter() - t0)
        if closing:
            conn[1].close()
            conn = None
        c.statuses[status] = c.statuses.get(status, 0) + 1
        if save and status == 200:
            c.version = json.loads(data)["values"][0]["version"]
    if conn is not None:
        conn[1].close()


def run_phase(
    clients: list[Client], ports: list[int], requests: int, seconds: float, save: bool
) -> tuple[list[float], dict[int, int], float]:
    """Every client on its own kept-alive connection, all in one asyncio loop (a
    light client: the server, not the load generator, should use the two cores)."""
    for c in clients:
        c.latencies, c.statuses = [], {}

    async def phase() -> float:
        go = asyncio.Event()
        deadline = time.monotonic() + seconds
        tasks = [
            asyncio.create_task(_client(c, ports[n % len(ports)], requests, deadline, save, go))
            for n, c in enumerate(clients)
        ]
        await asyncio.sleep(0.2)  # every connection open
        t0 = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        return time.perf_counter() - t0

    wall = asyncio.run(phase())
    lat = [x for c in clients for x in c.latencies]
    statuses: dict[int, int] = {}
    for c in clients:
        for s, n in c.statuses.items():
            statuses[s] = statuses.get(s, 0) + n
    return lat, statuses, wall


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and workers."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def database_cpu(url: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL server processes that serve ``url``'s
    database (its backends, this query's excepted), when they run on this machine;
    None for SQLite (in the servers' own processes) or when /proc does not show them."""
    if not url:
        return None
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        pids = [
            int(pid)
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ]
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pct(xs: list[float], p: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(p) - 1] if len(xs) > 1 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=40, help="per client and phase")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=120.0, help="time limit per phase")
    ap.add_argument("--database-url", default="")
    ap.add_argument("--servers", type=int, default=1, help="gunicorn servers on one database")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ktxh-bench-web-"))
    env = {"KTXH_DATABASE": str(tmp / "bench.sqlite3")}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    clients = prepare(args.clients, env)
    ports = [free_port() for _ in range(args.servers)]
    server_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "ktxh.settings"}
    servers = []
    for port in ports:
        cmd = [
            str(Path(sys.executable).with_name("gunicorn")),
            "ktxh.web.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
        ]
        servers.append(subprocess.Popen(cmd, env=server_env, cwd=ROOT))

    def cpu() -> float:
        return sum(server_cpu(s.pid) for s in servers)

    try:
        for port in ports:
            for _ in range(100):
                try:
                    with socket.create_connection((HOST, port), timeout=0.2):
                        break
                except OSError:
                    time.sleep(0.1)
        # warm up every worker (imports, the first connection)
        run_phase(clients[: min(8 * len(ports), len(clients))], ports, 3, 30, save=False)
        rows = []
        for name, save in (("GET /ping (trivial view)", False), ("POST /nhap-lieu/luu/", True)):
            db_before = database_cpu(args.database_url)
            server_before, client_before = cpu(), time.process_time()
            lat, statuses, wall = run_phase(clients, ports, args.requests, args.seconds, save)
            server_used = cpu() - server_before
            client_used = time.process_time() - client_before
            db_after = database_cpu(args.database_url)
            db_used = None if db_before is None or db_after is None else db_after - db_before
            rows.append(
                (
                    name,
                    len(lat),
                    statuses,
                    pct(lat, 50) * 1000,
                    pct(lat, 95) * 1000,
                    pct(lat, 99) * 1000,
                    len(lat) / wall,
                    server_used / max(len(lat), 1) * 1000,
                    None if db_used is None else db_used / max(len(lat), 1) * 1000,
                    client_used / max(len(lat), 1) * 1000,
                )
            )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    db = "PostgreSQL" if args.database_url else "SQLite (WAL)"
    print(
        f"{args.clients} clients x {args.requests} requests per phase; {args.servers} gunicorn "
        f"server(s) of {args.workers} workers x {args.threads} threads; {db}; "
        f"Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    print(
        "| request | requests | answers | p50 | p95 | p99 | throughput "
        "| server CPU / request | database CPU / request | client CPU / request |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, n, statuses, p50, p95, p99, rps, server_ms, db_ms, client_ms in rows:
        answers = ", ".join(f"{s}: {k}" for s, k in sorted(statuses.items()))
        db = "(in the server)" if db_ms is None else f"{db_ms:.2f} ms"
        print(
            f"| {name} | {n} | {answers} | {p50:.1f} ms | {p95:.1f} ms | {p99:.1f} ms "
            f"| {rps:.0f} req/s | {server_ms:.2f} ms | {db} | {client_ms:.2f} ms |"
        )


if __name__ == "__main__":
    main()
