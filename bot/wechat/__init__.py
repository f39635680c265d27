"""WeChat adapters: the Official Account (公众号) and a WeCom (企业微信) application.

Webhooks on the one aiohttp app, an aiohttp client for the platform APIs, and the outbox
messengers. wechatpy is used only for crypto, message parsing and reply XML.
"""
