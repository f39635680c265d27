"""The one aiohttp application: health, metrics, and (later) the chat platforms' webhooks."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.bootstrap import App

log = logging.getLogger(__name__)

APP_KEY = web.AppKey("partnerbot", App)


# A database that accepts connections but never answers must not hang the health check:
# a load balancer's probe needs an answer, and "no answer in time" is "unavailable".
HEALTH_TIMEOUT = 5.0


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            answered = await app.db.ping()
    except TimeoutError:
        answered = False
    if answered:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


async def metrics(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    response = web.Response(body=app.metrics.render())
    response.headers["Content-Type"] = app.metrics.content_type
    return response


def make_web_app(app: App) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    if app.wechat is not None:  # GET|POST /wechat/mp and /wechat/work, as configured
        app.wechat.add_routes(web_app)
    if app.telegram is not None:  # POST /telegram/webhook in webhook mode; polls otherwise
        web_app.add_routes(app.telegram.routes())
        web_app.cleanup_ctx.append(app.telegram.lifespan)
    return web_app


async def serve(app: App, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM or SIGINT (or `stop` is set), then finish requests and close."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(make_web_app(app), shutdown_timeout=10)
    await runner.setup()
    site = web.TCPSite(runner, app.settings.http_host, app.settings.http_port)
    await site.start()
    log.info("listening on http://%s:%s", app.settings.http_host, app.settings.http_port)
    try:
        await stop.wait()
        log.info("stopping")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
