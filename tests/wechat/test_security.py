"""What the webhooks refuse, and the official sample vectors they accept."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from wechatpy.crypto import WeChatCrypto

from bot.bootstrap import App
from bot.http import make_web_app
from domain.clock import FixedClock
from tests.fakes.wechat_server import MP_APP_ID
from tests.wechat.conftest import AppFactory
from tests.wechat.people import (
    MP_ACCOUNT,
    MP_TOKEN,
    WeChatPerson,
    cdata,
    sha1_signature,
)

# WeChat's own WXBizMsgCrypt sample (token "spamtest"): a text message "abcdteT".
SAMPLE_TIMESTAMP = 1409735669
SAMPLE_NONCE = "1320562132"
SAMPLE_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
# wechatpy's WeCom vectors (token "123456"): the URL check, and a text message "test".
WECOM_ECHO = {
    "msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
    "timestamp": "1411443780",
    "nonce": "437374425",
    "echostr": (
        "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    ),
}
WECOM_MESSAGE_QUERY = {
    "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
    "timestamp": "1411525903",
    "nonce": "461056294",
}
WECOM_MESSAGE = (
    "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA["
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTy"
    "eDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYy"
    "olBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWO"
    "MZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7ml"
    "sl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
    "]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>"
)
# wechatpy's plaintext-mode vector (token "test").
PLAIN_CHECK = {
    "signature": "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff",
    "timestamp": "1410685589",
    "nonce": "test",
}

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><Encrypt>&lol3;</Encrypt></xml>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&secret;</Content><MsgId>1</MsgId></xml>"""


# Refusals do not depend on the database: one is enough.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def at(clock: FixedClock, timestamp: int | str) -> None:
    clock.set(datetime.fromtimestamp(int(timestamp), UTC))


# -- the sample vectors ------------------------------------------------------------------------


async def test_the_official_samples_safe_mode_message_is_accepted_and_answered(
    client: TestClient[Any, Any], clock: FixedClock
) -> None:
    at(clock, SAMPLE_TIMESTAMP)
    person = WeChatPerson(client, clock, "oyORnuP8q7ou2gfYjqLzSIWZf0rs")
    query = {
        "timestamp": str(SAMPLE_TIMESTAMP),
        "nonce": SAMPLE_NONCE,
        "msg_signature": SAMPLE_SIGNATURE,
        "signature": sha1_signature(MP_TOKEN, str(SAMPLE_TIMESTAMP), SAMPLE_NONCE),
        "encrypt_type": "aes",
    }
    body = f"<xml><ToUserName>{cdata(MP_ACCOUNT)}</ToUserName>"
    body += f"<Encrypt>{cdata(SAMPLE_ENCRYPT)}</Encrypt></xml>"
    answer = await person.post(query, body)
    assert answer.status == 200
    assert "邀请码" in answer.text  # "abcdteT" from a stranger: please send your invitation code


async def test_wecoms_url_check_vector_is_answered_with_the_decrypted_echo(
    client: TestClient[Any, Any], clock: FixedClock
) -> None:
    at(clock, WECOM_ECHO["timestamp"])
    response = await client.get("/wechat/work", params=WECOM_ECHO)
    assert response.status == 200
    assert await response.text() == "5927782489442352469"


async def test_wecoms_url_check_survives_an_unencoded_plus(
    client: TestClient[Any, Any], clock: FixedClock
) -> None:
    at(clock, WECOM_ECHO["timestamp"])
    raw = "&".join(f"{name}={value}" for name, value in WECOM_ECHO.items())  # "+" left as is
    response = await client.get(f"/wechat/work?{raw}")
    assert (response.status, await response.text()) == (200, "5927782489442352469")


async def test_wecoms_message_vector_is_accepted_and_answered(
    client: TestClient[Any, Any], clock: FixedClock, member: WeChatPerson
) -> None:
    at(clock, WECOM_MESSAGE_QUERY["timestamp"])
    answer = await member.post(WECOM_MESSAGE_QUERY, WECOM_MESSAGE)
    assert answer.status == 200
    assert "邀请码" in answer.text


async def test_plaintext_url_check_vector(make_app: AppFactory, clock: FixedClock) -> None:
    app = await make_app(wechat_token="test", wechat_aes_key=None)
    at(clock, PLAIN_CHECK["timestamp"])
    async with TestClient(TestServer(make_web_app(app))) as client:
        ok = await client.get("/wechat/mp", params={**PLAIN_CHECK, "echostr": "hello"})
        assert (ok.status, await ok.text()) == (200, "hello")
        forged = {**PLAIN_CHECK, "signature": PLAIN_CHECK["signature"][:-1] + "e"}
        refused = await client.get("/wechat/mp", params={**forged, "echostr": "hello"})
        assert refused.status == 403


async def test_safe_mode_url_check(client: TestClient[Any, Any], clock: FixedClock) -> None:
    stamp = str(int(clock.now().timestamp()))
    query = {"timestamp": stamp, "nonce": "42", "echostr": "abc"}
    query["signature"] = sha1_signature(MP_TOKEN, stamp, "42")
    ok = await client.get("/wechat/mp", params=query)
    assert (ok.status, await ok.text()) == (200, "abc")


# -- refusals ------------------------------------------------------------------------------------


@pytest.fixture(params=["mp", "work"])
def someone(
    request: pytest.FixtureRequest, newcomer: WeChatPerson, member: WeChatPerson
) -> WeChatPerson:
    return newcomer if request.param == "mp" else member


async def test_a_forged_signature_is_refused(someone: WeChatPerson, wechat_app: App) -> None:
    query, body = someone.signed(someone.text_xml("NEWP-ART2"))
    query["msg_signature"] = "0" * 40
    assert (await someone.post(query, body)).status == 403


async def test_a_stale_timestamp_is_refused(someone: WeChatPerson, clock: FixedClock) -> None:
    stale = int((clock.now() - timedelta(seconds=301)).timestamp())
    answer = await someone.post(*someone.signed(someone.text_xml("hi"), timestamp=stale))
    assert answer.status == 403
    future = int((clock.now() + timedelta(seconds=301)).timestamp())
    assert (
        await someone.post(*someone.signed(someone.text_xml("hi"), timestamp=future))
    ).status == 403
    assert (await someone.post({"timestamp": "soon"}, "<xml/>")).status == 400


async def test_a_signature_reused_on_a_different_body_is_refused(someone: WeChatPerson) -> None:
    query, _ = someone.signed(someone.text_xml("NEWP-ART2"))
    _, other_body = someone.signed(someone.text_xml("/help"))
    assert (await someone.post(query, other_body)).status == 403


async def test_a_reused_plaintext_signature_with_another_body_is_refused(
    make_app: AppFactory, clock: FixedClock
) -> None:
    app = await make_app(wechat_aes_key=None)
    async with TestClient(TestServer(make_web_app(app))) as client:
        person = WeChatPerson(client, clock, "o-plain", encrypted=False)
        query, body = person.signed(person.text_xml("/help"))
        assert (await person.post(query, body)).status == 200
        assert (await person.post(query, body)).body == "success"  # a retry
        assert (await person.post(query, person.text_xml("/lang en"))).status == 403
        assert app.wechat is not None
        await app.wechat.drain()


def _signed_envelope(person: WeChatPerson, encrypt: str) -> tuple[dict[str, str], str]:
    query, _ = person.signed(person.text_xml("x"))
    query["msg_signature"] = sha1_signature(
        person.crypto.token, query["timestamp"], query["nonce"], encrypt
    )
    return query, f"<xml><Encrypt>{cdata(encrypt)}</Encrypt></xml>"


@pytest.mark.parametrize(
    "encrypt",
    [
        "not base64 at all!",
        "QUJD",  # valid base64, not whole AES blocks
        base64.b64encode(b"\x00" * 32).decode(),  # whole blocks, bad padding inside
        base64.b64encode(b"\xff" * 48).decode(),
    ],
)
async def test_a_properly_signed_body_that_does_not_decrypt_gets_400(
    someone: WeChatPerson, encrypt: str
) -> None:
    assert (await someone.post(*_signed_envelope(someone, encrypt))).status == 400


async def test_a_message_encrypted_for_another_app_gets_400(newcomer: WeChatPerson) -> None:
    other = WeChatCrypto(MP_TOKEN, "a" * 43, MP_APP_ID)
    stamp = str(int(newcomer.clock.now().timestamp()))
    import xmltodict

    encrypt = xmltodict.parse(other.encrypt_message(newcomer.text_xml("hi"), "1", stamp))["xml"][
        "Encrypt"
    ]
    assert (await newcomer.post(*_signed_envelope(newcomer, encrypt))).status == 400


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE])
async def test_entity_laden_xml_is_refused_before_parsing(someone: WeChatPerson, body: str) -> None:
    query, _ = someone.signed(someone.text_xml("x"))
    assert (await someone.post(query, body)).status == 400


async def test_entity_laden_xml_inside_the_encryption_is_refused(someone: WeChatPerson) -> None:
    answer = await someone.post(*someone.signed(XXE))
    assert answer.status == 400


async def test_a_body_over_64_kib_is_refused_before_reading(someone: WeChatPerson) -> None:
    query, body = someone.signed(someone.text_xml("x" * 70_000))
    assert (await someone.post(query, body)).status == 413


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe\x00<",
        b"<xml>",
        b"<xml><Encrypt><a>1</a></Encrypt></xml>",
        b"<notxml/>",
        b"<xml><Encrypt></Encrypt></xml>",
    ],
)
async def test_malformed_bodies_get_400(someone: WeChatPerson, body: bytes) -> None:
    query, _ = someone.signed(someone.text_xml("x"))
    assert (await someone.post(query, body)).status == 400


@pytest.mark.parametrize(
    "inner",
    [
        "<xml><MsgType>text</MsgType></xml>",
        "<xml><FromUserName><a>b</a></FromUserName><ToUserName>x</ToUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
        "<xml><FromUserName>o</FromUserName><ToUserName>x</ToUserName>"
        "<CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>",
        "<xml><FromUserName>o</FromUserName><ToUserName>x</ToUserName>"
        "<CreateTime>1</CreateTime><MsgType>event</MsgType></xml>",
        "not xml",
    ],
)
async def test_properly_encrypted_nonsense_gets_400(someone: WeChatPerson, inner: str) -> None:
    answer = await someone.post(*someone.signed(inner))
    assert answer.status == 400


async def test_safe_mode_refuses_a_plaintext_post(newcomer: WeChatPerson) -> None:
    query, _ = newcomer.signed(newcomer.text_xml("x"))
    del query["encrypt_type"]
    assert (await newcomer.post(query, newcomer.text_xml("/help"))).status == 403
