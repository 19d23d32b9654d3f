"""What any DialogStore must do: one open dialog per user, kept until cleared, expired after idling, purged."""

from datetime import UTC, datetime, timedelta

from storage.dialogs import Dialog, LoadedDialog
from tests.contracts.conftest import DIALOG_IDLE as IDLE

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
NOTHING = LoadedDialog(None, expired=False)


async def test_a_saved_dialog_loads_as_it_was_saved(dialogs):
    data = {"name": "周杰", "unit_id": 7, "hours": "1.5", "years": [2025, 2026], "paper": {"no": "豫-01"}}
    await dialogs.save("o_a", Dialog("register", "confirm", data), NOW)
    assert await dialogs.load("o_a", NOW + timedelta(minutes=1)) == LoadedDialog(
        Dialog("register", "confirm", data), expired=False
    )


async def test_a_user_with_no_dialog_has_none_and_nothing_expired(dialogs):
    assert await dialogs.load("o_nobody", NOW) == NOTHING


async def test_saving_again_replaces_the_users_dialog(dialogs):
    await dialogs.save("o_a", Dialog("register", "name"), NOW)
    await dialogs.save("o_a", Dialog("declare", "year", {"year": 2026}), NOW)
    assert (await dialogs.load("o_a", NOW)).dialog == Dialog("declare", "year", {"year": 2026})


async def test_users_have_their_own_dialogs(dialogs):
    await dialogs.save("o_a", Dialog("register", "name"), NOW)
    await dialogs.save("o_b", Dialog("verify", "number"), NOW)
    await dialogs.clear("o_a")
    assert await dialogs.load("o_a", NOW) == NOTHING
    assert (await dialogs.load("o_b", NOW)).dialog == Dialog("verify", "number")


async def test_a_cleared_dialog_is_gone_and_did_not_expire(dialogs):
    await dialogs.save("o_a", Dialog("register", "name"), NOW)
    await dialogs.clear("o_a")
    assert await dialogs.load("o_a", NOW) == NOTHING
    await dialogs.clear("o_a")  # clearing nothing is fine


async def test_a_dialog_idle_for_its_whole_idle_time_continues(dialogs):
    await dialogs.save("o_a", Dialog("register", "id_number"), NOW)
    assert (await dialogs.load("o_a", NOW + IDLE)).dialog == Dialog("register", "id_number")


async def test_a_dialog_idle_for_longer_has_expired_once_and_is_then_gone(dialogs):
    await dialogs.save("o_a", Dialog("register", "id_number"), NOW)
    later = NOW + IDLE + timedelta(seconds=1)
    assert await dialogs.load("o_a", later) == LoadedDialog(None, expired=True)
    assert await dialogs.load("o_a", later) == NOTHING


async def test_saving_restarts_the_idle_time(dialogs):
    await dialogs.save("o_a", Dialog("register", "name"), NOW)
    await dialogs.save("o_a", Dialog("register", "id_number"), NOW + timedelta(minutes=20))
    assert (await dialogs.load("o_a", NOW + timedelta(minutes=45))).dialog == Dialog("register", "id_number")


async def test_purging_drops_the_dialogs_idle_since_before_the_cut_and_keeps_the_rest(dialogs):
    await dialogs.save("o_old", Dialog("register", "name"), NOW - timedelta(days=2))
    await dialogs.save("o_older", Dialog("declare", "year"), NOW - timedelta(days=3))
    await dialogs.save("o_recent", Dialog("verify", "number"), NOW)
    assert await dialogs.purge_idle(NOW - timedelta(days=1)) == 2
    assert await dialogs.load("o_old", NOW) == NOTHING  # purged: not even "expired" is left to say
    assert await dialogs.load("o_older", NOW) == NOTHING
    assert (await dialogs.load("o_recent", NOW)).dialog == Dialog("verify", "number")
