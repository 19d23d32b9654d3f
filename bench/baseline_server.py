"""The baseline for bench/webhook.py: the least a WeChat endpoint can do, with no database.

Check the signature, decrypt in safe mode, parse, reply "ok" (encrypted in safe mode). The service's
throughput is measured against this, so the ratio shows what the service adds on top of wechatpy
and aiohttp themselves.

    WECHAT_TOKEN=... WECHAT_AES_KEY=... WECHAT_APP_ID=... python bench/baseline_server.py --port 8081
"""

import argparse
import os

from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature


def make_app(token: str, aes_key: str, app_id: str) -> web.Application:
    crypto = WeChatCrypto(token, aes_key, app_id)

    async def receive(request: web.Request) -> web.Response:
        query = request.query
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        try:
            check_signature(token, query.get("signature", ""), timestamp, nonce)
        except InvalidSignatureException:
            raise web.HTTPForbidden(text="bad signature") from None
        xml = await request.text()
        encrypted = query.get("encrypt_type") == "aes"
        if encrypted:
            xml = crypto.decrypt_message(xml, query.get("msg_signature", ""), timestamp, nonce)
        reply = create_reply("ok", parse_message(xml)).render()
        if encrypted:
            reply = crypto.encrypt_message(reply, nonce)
        return web.Response(text=reply, content_type="application/xml")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/wechat", receive)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = make_app(os.environ["WECHAT_TOKEN"], os.environ["WECHAT_AES_KEY"], os.environ["WECHAT_APP_ID"])
    # Same server settings as `jxjy serve`: no access log, default everything else.
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
