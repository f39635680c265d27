"""How fast the WeChat webhooks answer: encrypted messages posted at a real server on 127.0.0.1.

Two phases against `POST /wechat/mp` (safe mode) and `POST /wechat/work`, on a fresh SQLite
file with the demo network, in one process pinned to one core (the server and the client
share it, so the figures are conservative):

1. closed loop: `--concurrency` clients post as fast as answers come back -> requests/s;
2. open loop at `--rate` requests/s (default 25: five times an expected peak of 5 messages/s --
   2,000 distributors, a fifth of them ordering in the same morning hour at about 15 messages
   each is 1.7 messages/s on average, times three for bursts) -> p50/p99 latency against the
   500 ms target.

Every request is a fresh message (new MsgId) from one of `--users` strangers typing what a
newcomer types; the engine runs and answers passively, as in production.

    .venv/bin/python benchmarks/wechat_throughput.py [--requests 1000] [--rate 25]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from bot.http import make_web_app
from domain import migrate
from domain.demo import seed_demo_network
from tests.fakes.wechat_server import MP_SECRET, WECOM_SECRET, FakeWeChat

MP = ("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")
WECOM = ("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
LINES = ("你好", "/help", "/menu", "ABCD-EFGH", "/lang en", "1")
TARGET_P99 = 0.5

_ids = itertools.count(7_000_000_000_000_000_000)
_nonces = itertools.count(1)


def signed_request(route: str, user: str, text: str) -> tuple[str, dict[str, str], bytes]:
    """What WeChat posts for one text message, signed and encrypted with the sample keys."""
    wecom = route == "/wechat/work"
    token, key, app_id = WECOM if wecom else MP
    crypto = WeComCrypto(token, key, app_id) if wecom else WeChatCrypto(token, key, app_id)
    stamp = str(int(time.time()))
    nonce = str(next(_nonces))
    inner = (
        f"<xml><ToUserName><![CDATA[{app_id}]]></ToUserName>"
        f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{stamp}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{next(_ids)}</MsgId>{'<AgentID>1</AgentID>' if wecom else ''}</xml>"
    )
    encrypted = xmltodict.parse(crypto.encrypt_message(inner, nonce, stamp))["xml"]
    query = {"timestamp": stamp, "nonce": nonce, "msg_signature": encrypted["MsgSignature"]}
    if not wecom:
        query["encrypt_type"] = "aes"
    body = f"<xml><Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>".encode()
    return route, query, body


def requests_for(count: int, users: int) -> list[tuple[str, dict[str, str], bytes]]:
    made = []
    for n in range(count):
        route = "/wechat/work" if n % 4 == 3 else "/wechat/mp"
        made.append(signed_request(route, f"bench-user-{n % users}", LINES[n % len(LINES)]))
    return made


async def post(
    session: aiohttp.ClientSession, base: str, request: tuple[str, dict[str, str], bytes]
) -> float:
    route, query, body = request
    started = time.perf_counter()
    async with session.post(base + route, params=query, data=body) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{route} answered {response.status}")
    return time.perf_counter() - started


async def closed_loop(base: str, requests: list, concurrency: int) -> tuple[float, list[float]]:
    queue = iter(requests)
    latencies: list[float] = []

    async def client(session: aiohttp.ClientSession) -> None:
        for request in queue:
            latencies.append(await post(session, base, request))

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


async def open_loop(base: str, requests: list, rate: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        tasks = []
        for n, request in enumerate(requests):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(session, base, request)))
        latencies = list(await asyncio.gather(*tasks))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, throughput: float, latencies: list[float]) -> float:
    p99 = percentile(latencies, 0.99)
    print(
        f"{name}: {len(latencies)} requests, {throughput:.1f} requests/s, "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )
    return p99


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as directory:
        api = await FakeWeChat().start()  # replies beyond the first go through the API
        settings = Settings(  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}",
            wechat_app_id=MP[2],
            wechat_app_secret=MP_SECRET,
            wechat_token=MP[0],
            wechat_aes_key=MP[1],
            wechat_api_url=api.base_url,
            wecom_corp_id=WECOM[2],
            wecom_agent_id="1",
            wecom_secret=WECOM_SECRET,
            wecom_token=WECOM[0],
            wecom_aes_key=WECOM[1],
            wecom_api_url=api.base_url,
            _env_file=None,
        )
        app: App = bootstrap(settings)
        await migrate.upgrade(app.db)
        async with app.db.transaction() as session:
            await seed_demo_network(session, app.clock, app.settings.timezone)
        runner = web.AppRunner(make_web_app(app), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        try:
            warmup = requests_for(50, args.users)
            await closed_loop(base, warmup, 4)
            throughput, latencies = await closed_loop(
                base, requests_for(args.requests, args.users), args.concurrency
            )
            report(f"closed loop, {args.concurrency} clients", throughput, latencies)
            paced = requests_for(min(args.requests, int(args.rate * args.seconds)), args.users)
            throughput, latencies = await open_loop(base, paced, args.rate)
            p99 = report(f"open loop at {args.rate:g}/s", throughput, latencies)
            verdict = "meets" if p99 < TARGET_P99 else "MISSES"
            print(f"p99 {verdict} the {TARGET_P99 * 1000:.0f} ms target at {args.rate:g}/s")
            print(f"customer-service / application messages sent: {len(api.sent)}")
        finally:
            await runner.cleanup()
            await app.aclose()
            await api.stop()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="closed-loop requests")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=25.0, help="open-loop requests/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="open-loop duration")
    parser.add_argument("--users", type=int, default=200, help="distinct WeChat users")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    arguments = parser.parse_args()
    if not arguments.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    raise SystemExit(asyncio.run(main(arguments)))
