"""Thousands of mutated requests at the real routes: every one gets an answer, none a 5xx."""

from __future__ import annotations

import random
from typing import Any

import pytest
import xmltodict
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bootstrap import App
from domain.clock import FixedClock
from tests.wechat.people import WeChatPerson, cdata, sha1_signature

MUTATED_BODIES = 5000  # four of each example's five requests carry a mutated body

MSG_TYPES = ["text", "event", "image", "location", "voice", "video", "link", "", "TEXT", "<a/>"]
EVENTS = ["subscribe", "unsubscribe", "CLICK", "SCAN", "VIEW", "enter_agent", "LOCATION", ""]


@st.composite
def inner_messages(draw: st.DrawFn) -> str:
    """Plausible and implausible message XML, which will be properly encrypted and signed."""
    fields = {
        "ToUserName": draw(st.sampled_from(["gh_10f6c3c3ac5a", "", "x" * 200])),
        "FromUserName": draw(st.sampled_from(["o-fuzz-1", "o-fuzz-2", "", "<b>", "y" * 300])),
        "CreateTime": draw(
            st.sampled_from(["1764727200", "1764727201", "0", "-1", "soon", "9" * 20])
        ),
        "MsgType": draw(st.sampled_from(MSG_TYPES)),
        "Content": draw(st.text(max_size=60)),
        "MsgId": draw(st.sampled_from(["", "1", "0", "abc", str(draw(st.integers(0, 2**64)))])),
        "Event": draw(st.sampled_from(EVENTS)),
        "EventKey": draw(st.sampled_from(["", "cmd:help", "cmd:", "qrscene_NEWPART2", "z" * 600])),
        "Location_X": draw(st.sampled_from(["23.1", "x", "1e999", ""])),
    }
    if draw(st.booleans()):  # everything a message needs, so some reach the engine
        chosen = sorted(fields)
    else:
        chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
    parts = "".join(f"<{name}>{cdata(fields[name])}</{name}>" for name in chosen)
    if draw(st.booleans()):
        parts += draw(st.sampled_from(["<Content><x>1</x></Content>", "<MsgType/>", "<<", "&amp;"]))
    return f"<xml>{parts}</xml>"


def mutate(data: bytes, rng: random.Random, count: int) -> bytes:
    buffer = bytearray(data)
    for _ in range(count):
        action = rng.randrange(3)
        position = rng.randrange(len(buffer) + 1)
        if action == 0 and buffer:
            buffer[min(position, len(buffer) - 1)] = rng.randrange(256)
        elif action == 1:
            buffer[position:position] = bytes([rng.randrange(256)])
        elif buffer:
            del buffer[min(position, len(buffer) - 1)]
    return bytes(buffer)


def resign(person: WeChatPerson, query: dict[str, str], body: bytes) -> dict[str, str]:
    """Sign whatever Encrypt the mutated body holds, so the request reaches the decryption."""
    try:
        encrypt = xmltodict.parse(body.decode())["xml"]["Encrypt"]
    except Exception:
        return query
    if not isinstance(encrypt, str):
        return query
    token = person.crypto.token
    signature = sha1_signature(token, query["timestamp"], query["nonce"], encrypt)
    return {**query, "msg_signature": signature}


def mutated_requests(
    person: WeChatPerson, data: st.DataObject
) -> list[tuple[dict[str, str], bytes]]:
    """One request of each kind: random bytes; a signed body with bytes flipped, inserted or
    deleted; the same, re-signed so it reaches the decryption; a properly encrypted and signed
    odd message; a valid body under a tampered query."""
    query, body = person.signed(person.text_xml("/help"))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    mutated = mutate(body.encode(), rng, data.draw(st.integers(1, 8)))
    resigned = mutate(body.encode(), rng, data.draw(st.integers(1, 8)))
    inner_query, inner_body = person.signed(data.draw(inner_messages()))
    junk = data.draw(
        st.dictionaries(
            st.sampled_from(["timestamp", "nonce", "msg_signature", "signature"]),
            st.text(max_size=30),
            min_size=1,
        )
    )
    return [
        (query, data.draw(st.binary(max_size=512))),
        (query, mutated),
        (resign(person, query, resigned), resigned),
        (inner_query, inner_body.encode()),
        ({**query, **junk}, body.encode()),
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(
    max_examples=MUTATED_BODIES // 4,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(route=st.sampled_from(["/wechat/mp", "/wechat/work"]), data=st.data())
async def test_mutated_requests_never_get_a_5xx(
    client: TestClient[Any, Any],
    clock: FixedClock,
    wechat_app: App,
    route: str,
    data: st.DataObject,
) -> None:
    person = WeChatPerson(client, clock, "o-fuzz", route=route)
    for query, payload in mutated_requests(person, data):
        response = await client.post(route, params=query, data=payload)
        await response.read()
        assert response.status < 500, (query, payload[:200])
    for platform in ("wechat_mp", "wecom"):
        errors = wechat_app.metrics.registry.get_sample_value(
            "partnerbot_message_errors_total", {"platform": platform}
        )
        assert not errors
