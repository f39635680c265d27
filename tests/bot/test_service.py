"""The service shell: `partnerbot run` serves /healthz and /metrics and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot import http
from bot.bootstrap import ROUTERS, App, bootstrap
from bot.config import PREFIX, Settings
from domain.clock import FixedClock
from domain.enums import Platform
from handlers.context import Context
from handlers.engine import Engine
from handlers.router import Router
from handlers.types import Incoming

PARTNERBOT = str(Path(sys.executable).with_name("partnerbot"))
STARTUP = 60.0  # seconds a slow, busy machine may take to migrate and listen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def closed_port() -> int:
    """A port on this machine that nothing listens on (it was free a moment ago)."""
    return free_port()


async def get(client: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    async with client.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def wait_until_healthy(process: asyncio.subprocess.Process, base: str) -> None:
    deadline = asyncio.get_running_loop().time() + STARTUP
    async with aiohttp.ClientSession() as client:
        while True:
            assert process.returncode is None, "partnerbot run exited before it was healthy"
            try:
                status, _, _ = await get(client, f"{base}/healthz")
                if status == 200:
                    return
            except aiohttp.ClientConnectionError:
                pass
            assert asyncio.get_running_loop().time() < deadline, "never became healthy"
            await asyncio.sleep(0.1)


@pytest.fixture
async def running(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    environment |= {
        "PARTNERBOT_DATABASE_URL": database_url,
        "PARTNERBOT_HTTP_HOST": "127.0.0.1",
        "PARTNERBOT_HTTP_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        PARTNERBOT,
        "run",
        env=environment,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_partnerbot_run_serves_health_and_metrics_and_stops_on_sigterm(
    running: tuple[asyncio.subprocess.Process, str],
) -> None:
    process, base = running
    await wait_until_healthy(process, base)
    async with aiohttp.ClientSession() as client:
        status, _, body = await get(client, f"{base}/healthz")
        assert (status, body) == (200, '{"status": "ok"}')
        status, content_type, body = await get(client, f"{base}/metrics")
        assert status == 200
        assert content_type.startswith("text/plain")
        assert {family.name for family in text_string_to_metric_families(body)} >= {
            "partnerbot_messages_handled",
            "partnerbot_message_errors",
            "partnerbot_message_seconds",
        }
        status, _, _ = await get(client, f"{base}/nowhere")
        assert status == 404
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), STARTUP)
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr


async def test_healthz_is_200_when_the_database_answers(app: App) -> None:
    async with TestClient(TestServer(http.make_web_app(app))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


@pytest.fixture
async def app_without_database(clock: FixedClock) -> AsyncIterator[App]:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/partnerbot"
    application = bootstrap(Settings(database_url=url, _env_file=None), clock=clock)  # type: ignore[call-arg]
    yield application
    await application.aclose()


async def test_healthz_is_503_when_the_database_does_not_answer(app_without_database: App) -> None:
    async with TestClient(TestServer(http.make_web_app(app_without_database))) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["status"] == "database unavailable"


async def test_healthz_is_503_when_the_database_hangs(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that accepts connections but never answers must not hang the health check."""
    connections: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(http, "HEALTH_TIMEOUT", 0.3)
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/partnerbot"
    app = bootstrap(Settings(database_url=url, _env_file=None), clock=clock)  # type: ignore[call-arg]
    try:
        async with TestClient(TestServer(http.make_web_app(app))) as client:
            response = await client.get("/healthz")
            assert response.status == 503
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
        await app.aclose()


def samples(text: str) -> dict[tuple[str, str], float]:
    """Prometheus text as {(sample name, platform): value}."""
    found: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, sample.labels.get("platform", ""))] = sample.value
    return found


async def test_metrics_count_messages_errors_and_latency(app: App) -> None:
    broken = Router("broken")

    @broken.command("boom", "fails on purpose", guest=True)
    async def boom(ctx: Context) -> None:
        raise RuntimeError("a handler failed")

    engine = Engine(
        app.db, app.translator, [*ROUTERS, broken], app.clock, app.engine.settings, app.metrics
    )
    async with TestClient(TestServer(http.make_web_app(app))) as client:
        before = samples(await (await client.get("/metrics")).text())
        assert before.get(("partnerbot_messages_handled_total", "telegram"), 0) == 0

        await engine.handle(Incoming(Platform.TELEGRAM, "7", "7", text="/help"))
        await engine.handle(Incoming(Platform.TELEGRAM, "7", "7", text="hello"))
        failed = await engine.handle(Incoming(Platform.TELEGRAM, "7", "7", text="/boom"))
        assert failed  # the person still gets an apology

        response = await client.get("/metrics")
        assert response.headers["Content-Type"].startswith("text/plain")
        after = samples(await response.text())
    assert after[("partnerbot_messages_handled_total", "telegram")] == 3
    assert after[("partnerbot_message_errors_total", "telegram")] == 1
    assert after[("partnerbot_message_seconds_count", "telegram")] == 3
    assert after[("partnerbot_message_seconds_sum", "telegram")] > 0
