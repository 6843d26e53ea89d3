"""Scheduled pulls from partners that publish "what changed since": when, from where, and what a failure costs.

The pulling connector here is a landlord feed (the bailleurs format, fetched instead of dropped): each pull writes
the pages published after its cursor into the inbox, and the hub ingests them like any inbound file.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner

from hub import Polled, RetryableError, hookimpl
from hub.cli import cli
from hub.core.journal import utcnow
from hub.core.plugins import PluginHost
from hub.core.polling import PollStore
from hub.core.runtime import Hub
from plugins.bailleurs.plugin import BailleursConnector
from tests.conftest import env_for
from tests.factories import decision, write_decisions

SIREN = "276300019"


class _Feed(BailleursConnector):
    """Publishes ``pages`` (lists of CAL decisions); the cursor is the number of pages already fetched."""

    name = "feed"
    pages: list[list[dict]] = []
    interval: float | None = 3600.0
    failing: list[Exception] = []
    cursors_seen: list[str | None] = []

    def poll_interval(self) -> float | None:
        return self.interval

    def poll(self, cursor: str | None) -> Polled:
        type(self).cursors_seen.append(cursor)
        if self.failing:
            raise self.failing.pop(0)
        start = int(cursor or 0)
        for n, page in enumerate(self.pages[start:], start):
            write_decisions(self.context.inbox, f"page-{n:04d}.json", page, bailleur_siren=SIREN)
        return Polled(cursor=str(len(self.pages)), fetched=len(self.pages) - start)


class _FeedPlugin:
    @hookimpl
    def relais_register_connectors(self, register):
        register(_Feed)


@pytest.fixture
def feed():
    _Feed.pages, _Feed.interval, _Feed.failing, _Feed.cursors_seen = [], 3600.0, [], []
    return _Feed


def _hub(settings) -> Hub:
    host = PluginHost.load(allow=["bailleurs"])
    host.register(_FeedPlugin(), name="feed-plugin")
    return Hub(settings, host)


def _journaled(hub: Hub) -> int:
    return hub.journal.count_events()


def test_run_once_pulls_what_is_due_ingests_it_and_resumes_from_the_cursor_after_a_restart(hub_settings, feed):
    feed.pages = [[decision(), decision()], [decision()]]
    with _hub(hub_settings) as hub:
        summary = hub.run_once()
        assert [(r.connector, r.outcome, r.fetched, r.cursor) for r in summary.polled] == [("feed", "fetched", 2, "2")]
        assert summary.ingested["feed"].journaled == 3
        feed.pages.append([decision()])
        again = hub.run_once()
        assert [r.outcome for r in again.polled] == ["not_due"], "the next pull waits for its interval"
        assert _journaled(hub) == 3
    with _hub(hub_settings) as hub:   # a restart: the schedule and the cursor come from the journal
        assert [r.outcome for r in hub.run_once().polled] == ["not_due"]
        result = hub.poller.poll("feed", force=True)
        assert (result.outcome, result.fetched, result.cursor) == ("fetched", 1, "3")
        hub.run_once()
        assert _journaled(hub) == 4
    assert feed.cursors_seen == [None, "2"]


def test_a_failed_pull_keeps_its_cursor_backs_off_and_does_not_stop_the_hub(hub_settings, feed):
    feed.pages = [[decision()]]
    feed.failing = [RetryableError("SNE indisponible (HTTP 503)")]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
    with _hub(hub_settings) as hub:
        summary = hub.run_once()
        [failed] = summary.polled
        assert failed.outcome == "failed" and "HTTP 503" in failed.error
        assert summary.ingested["bailleurs"].journaled == 1, "the rest of the hub went on"
        state = hub.poller.store.states()["feed"]
        assert state.failures == 1 and state.cursor is None and "HTTP 503" in state.last_error
        assert utcnow() < state.next_due_at <= utcnow() + timedelta(seconds=30), "retried soon, not in an hour"
        retried = hub.poller.poll("feed", force=True)
        assert (retried.outcome, retried.cursor) == ("fetched", "1")
        state = hub.poller.store.states()["feed"]
        assert (state.failures, state.last_error, state.cursor) == (0, None, "1")
        assert state.next_due_at > utcnow() + timedelta(seconds=3000), "back to the normal interval"
    assert feed.cursors_seen == [None, None], "the failed pull was redone from the same cursor"


def test_a_pull_that_breaks_its_contract_is_a_failure_not_a_crash(hub_settings, feed, monkeypatch):
    monkeypatch.setattr(feed, "poll", lambda self, cursor: ["not", "a", "Polled"])
    with _hub(hub_settings) as hub:
        [result] = hub.run_once().polled
    assert result.outcome == "failed" and "not hub.Polled" in result.error


def test_a_connector_whose_schedule_breaks_is_not_pulled_and_the_hub_still_runs(hub_settings, feed, monkeypatch):
    def broken(self):
        raise KeyError("poll_every")
    monkeypatch.setattr(feed, "poll_interval", broken)
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
    with _hub(hub_settings) as hub:
        summary = hub.run_once()
    assert not hub.poller and summary.polled == [] and summary.ingested["bailleurs"].journaled == 1


def test_several_processes_take_turns_one_pull_at_a_time(hub_settings, feed):
    """Eight contenders on one journal (SQLite or PostgreSQL): exactly one gets the pull; a holder that died
    (its lease ran out) is replaced."""
    with _hub(hub_settings) as hub:
        stores = [PollStore(hub.journal.engine) for _ in range(8)]
        barrier = threading.Barrier(len(stores))
        taken: list[bool] = []

        def contend(store: PollStore) -> None:
            barrier.wait()
            taken.append(store.take_turn("feed", lease=0.5)[0])

        threads = [threading.Thread(target=contend, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(taken) == [False] * 7 + [True]
        assert stores[0].take_turn("feed", lease=0.5, force=True) == (False, None), "held: even a forced pull waits"
        time.sleep(0.6)
        assert stores[1].take_turn("feed", lease=0.5)[0], "the lease of a vanished holder runs out"


def test_the_running_hub_pulls_on_schedule(hub_settings, feed):
    feed.interval = 0.2
    feed.pages = [[decision()]]
    with _hub(hub_settings.model_copy(update={"poll_interval": 0.05})) as hub:
        stop = threading.Event()
        runner = threading.Thread(target=hub.run, args=(stop,))
        runner.start()
        try:
            deadline = time.monotonic() + 60
            while _journaled(hub) < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            feed.pages.append([decision(), decision()])   # published later: the next scheduled pull brings it
            while _journaled(hub) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            runner.join()
        assert _journaled(hub) == 3
    assert feed.cursors_seen[:2] == [None, "1"]


@pytest.mark.parametrize("backend", ["embedded"])
def test_relais_poll_cli(hub_settings, feed, monkeypatch):
    feed.pages = [[decision()]]
    for key, value in env_for(hub_settings).items():
        monkeypatch.setenv(key, value)
    host = PluginHost.load(allow=["bailleurs"])
    host.register(_FeedPlugin(), name="feed-plugin")
    monkeypatch.setattr("hub.cli._HOST", [host])
    runner = CliRunner()

    pulled = runner.invoke(cli, ["poll"])
    assert pulled.exit_code == 0, pulled.output
    assert "feed: 1 message(s) fetched, next from cursor 1" in pulled.output
    assert len(list((hub_settings.home / "inbox" / "feed").glob("*.json"))) == 1

    again = runner.invoke(cli, ["poll", "--connector", "feed", "--since", "0"])
    assert again.exit_code == 0 and "1 message(s) fetched" in again.output, "re-fetching a range on demand"

    status = runner.invoke(cli, ["poll", "--status"])
    assert status.exit_code == 0 and "feed" in status.output and "cursor 1" in status.output
    assert "every 3600s" in status.output and "failures 0" in status.output

    wrong = runner.invoke(cli, ["poll", "--connector", "bailleurs"])
    assert wrong.exit_code == 2 and "bailleurs: this connector does not pull" in wrong.output
    assert "those that do: feed" in wrong.output

    feed.failing = [RetryableError("partner down")]
    failed = runner.invoke(cli, ["poll"])
    assert failed.exit_code == 1 and "pull failed (RetryableError: partner down)" in failed.output
