"""WeChat's retries: one effect, the same reply; one user's messages one at a time."""

import asyncio

from bot.devtools.chat_client import read_reply, text_xml
from bot.wechat.gate import RetryGate
from storage.models import CertSerial, Person
from tests.domain import a_unit, an_id_number


async def _to_confirmation(user, unit_name: str) -> None:
    await user.says("注册")
    await user.says("周杰")
    await user.says(an_id_number())
    await user.says(unit_name[:4])
    await user.says("1")


async def test_a_triple_retry_registers_once_and_gets_three_identical_replies(service):
    unit = await a_unit()
    await _to_confirmation(service.user("o_retry"), unit.name)

    confirm = text_xml("o_retry", "确认", msg_id=777_000_001)
    bodies = []
    for _ in range(3):  # WeChat's first try and two retries, byte for byte the same message
        response, _signed = await service.post(confirm)
        bodies.append(await response.text())

    assert bodies[0] == bodies[1] == bodies[2]
    assert "注册成功" in bodies[0]
    assert await Person.filter(openid="o_retry").count() == 1
    assert (await CertSerial.get()).last_serial == 1


async def test_concurrent_retries_in_safe_mode_wait_for_the_first_and_share_its_reply(service):
    unit = await a_unit()
    await _to_confirmation(service.user("o_retry", safe=True), unit.name)

    confirm = text_xml("o_retry", "确认", msg_id=777_000_002)

    async def one_try() -> str:
        response, signed = await service.post(confirm, safe=True)
        return read_reply(service.settings, await response.text(), signed.query)

    replies = await asyncio.gather(one_try(), one_try(), one_try())
    assert replies[0] == replies[1] == replies[2] and "注册成功" in replies[0]
    assert await Person.filter(openid="o_retry").count() == 1


async def test_the_same_msgid_from_another_sender_is_another_message(service):
    a = await service.post(text_xml("o_a", "注册", msg_id=5))
    b = await service.post(text_xml("o_b", "注册", msg_id=5))
    assert "第 1 步" in read_reply(service.settings, await a[0].text(), a[1].query)
    assert "第 1 步" in read_reply(service.settings, await b[0].text(), b[1].query)


async def test_a_retry_that_arrives_while_the_first_try_runs_waits_for_it():
    gate = RetryGate()
    runs = 0
    release = asyncio.Event()

    async def slow_work() -> str:
        nonlocal runs
        runs += 1
        await release.wait()
        return f"reply {runs}"

    first = asyncio.create_task(gate.once("msg-1", "o_a", slow_work))
    retry = asyncio.create_task(gate.once("msg-1", "o_a", slow_work))
    await asyncio.sleep(0.01)
    assert not first.done() and not retry.done()
    release.set()
    assert await first == await retry == "reply 1"
    assert runs == 1


async def test_a_try_that_wechat_abandons_does_not_abandon_the_work():
    gate = RetryGate()
    release = asyncio.Event()

    async def work() -> str:
        await release.wait()
        return "done"

    first = asyncio.create_task(gate.once("msg-1", "o_a", work))
    await asyncio.sleep(0.01)
    first.cancel()  # the first connection was dropped after 5 s
    release.set()
    assert await gate.once("msg-1", "o_a", work) == "done"


async def test_one_users_messages_are_handled_one_at_a_time_and_other_users_in_parallel():
    gate = RetryGate()
    running: dict[str, int] = {"o_a": 0, "o_b": 0}
    most_at_once: dict[str, int] = {"o_a": 0, "o_b": 0}
    both_users_at_once = False

    def work_for(user: str):
        async def work() -> str:
            nonlocal both_users_at_once
            running[user] += 1
            most_at_once[user] = max(most_at_once[user], running[user])
            both_users_at_once = both_users_at_once or all(running.values())
            await asyncio.sleep(0.01)
            running[user] -= 1
            return user

        return work

    await asyncio.gather(*(gate.once(f"{user}-{i}", user, work_for(user)) for i in range(5) for user in ("o_a", "o_b")))
    assert most_at_once == {"o_a": 1, "o_b": 1}
    assert both_users_at_once
    assert len(gate.locks) == 0  # nothing left behind once everyone is done
