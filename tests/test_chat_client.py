"""`jxjy chat` lets the whole trial happen without WeChat: typed lines, menu clicks, and photos (`/image PATH`),
uploaded to the (fake) WeChat API's media store and sent as an image message, as WeChat does."""

import builtins
import io

from PIL import Image

from bot.devtools.chat_client import run_chat_client
from storage.models import HourRecord
from tests.console import sign_in
from tests.domain import a_registered_person, a_unit, an_admin
from tests.test_declaration import this_year


def a_photo(path) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


async def chat(service, monkeypatch, capsys, openid: str, *lines: str) -> str:
    """Type `lines` into `jxjy chat` as `openid`, then end the input; what the terminal showed."""
    typed = iter(lines)

    def keyboard(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", keyboard)
    await run_chat_client(service.settings, openid, str(service.client.make_url("/wechat")), safe=False)
    return capsys.readouterr().out


async def test_a_photo_sent_with_image_is_the_declarations_evidence_and_the_console_shows_it(
    console_service, monkeypatch, capsys, tmp_path
):
    unit = await a_unit()
    await a_registered_person("o_decl", unit=unit)
    await an_admin("o_admin", "unit", unit=unit)
    photo = a_photo(tmp_path / "证明.jpg")
    steps = ("申报", "今年", "1", "急诊医学进展", "郑州大学", f"{this_year()}-01-02", "2")
    shown = await chat(console_service, monkeypatch, capsys, "o_decl", *steps, f"/image {tmp_path}/证明.jpg", "确认")
    assert "已上传 1 张照片" in shown and "已提交" in shown, shown

    record = await HourRecord.get()
    await console_service.deliver()  # the outbox fetches the photo from the API, as it would from WeChat
    admin = await sign_in(console_service, "o_admin")
    status, body, content_type = await admin.get_bytes(f"/admin/review/{record.id}/evidence")
    await admin.close()
    assert (status, body, content_type) == (200, photo, "image/jpeg")


async def test_image_without_a_path_a_missing_file_or_no_image_sends_nothing_and_says_why(
    service, monkeypatch, capsys, tmp_path
):
    (tmp_path / "notes.txt").write_text("not a photo")
    shown = await chat(
        service,
        monkeypatch,
        capsys,
        "o_tester",
        "/image",
        f"/image {tmp_path}/missing.jpg",
        f"/image {tmp_path}/notes.txt",
    )
    assert "请在 /image 后写图片文件的路径" in shown
    assert "[无法读取图片]" in shown and "missing.jpg" in shown
    assert "[图片未发送] 不是图片：只能发送 JPG、PNG 或 GIF。" in shown
    assert "服务号>" not in shown  # nothing reached the service


async def test_the_help_names_image(service, monkeypatch, capsys):
    shown = await chat(service, monkeypatch, capsys, "o_tester", "/nonsense")
    assert "/image 图片路径" in shown
