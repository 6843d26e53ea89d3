"""The hub: wires plugins, journal, bus, ingest and delivery together, and runs them.

``Hub.run_once()`` processes what is waiting (due pulls from partners, inboxes, outbox, due deliveries) and returns;
``Hub.run()`` does the same continuously in threads — one relay, one delivery worker per subscribing connector and
per registered partner with a pushing channel, one poller if a connector pulls from its partner, the inbox scanner
in the calling thread — until its stop event is set, then finishes the delivery in hand, gives the rest of its batch
back to the journal, and closes.

Embedded (in-process transport) a hub is the only process delivering from its journal: it holds an exclusive lock
on ``HOME/relais.lock`` while it runs, which is what lets a restart take back at once the claims a killed
predecessor left. On RabbitMQ any number of hub processes share the work; a dead one's claims are taken back when
their lease (``lease`` seconds) runs out.
"""

from __future__ import annotations

import difflib
import fcntl
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import structlog
from pydantic import ValidationError

from hub.core import metrics
from hub.core.bus import Bus
from hub.core.config import RuntimeSettings
from hub.core.connector import Connector, ConnectorContext
from hub.core.delivery import DeliveryWorker
from hub.core.direct_dispatch import DirectDispatch
from hub.core.fresh import FreshEvents
from hub.core.gc_policy import long_run_heap
from hub.core.errors import ConfigurationError
from hub.core.inbox import InboxScanner
from hub.core.instances import InstanceRegistry
from hub.core.ingest import IngestReport, Ingestor
from hub.core.journal import Backlog, Journal, utcnow
from hub.core.journal_schema import DeliveryStatus
from hub.core.outbox import OutboxRelay
from hub.core.access_rules import AccessRules, DemandFact, Verdict, recipient_of, recipient_of_partner
from hub.core.audit import AuditEntry, AuditKind, AuditTrail, BufferedAudit
from hub.core.demand_facts import DemandFacts
from hub.core.channels import ChannelStore
from hub.core.partner_subscriber import PartnerSubscriber, RevocationWatch
from hub.core.partners import Partner, PartnerRegistry
from hub.core.partners_schema import PartnerStatus
from hub.core.plugins import ENTRY_POINT_GROUP, PluginFailure, PluginHost
from hub.core.polling import Poller, PollResult
from hub.core.processing import ENTITY_KEY, Processor, check_processor_graph, processors_of
from contracts import LegalEntity
from hub.core.processor_worker import ProcessorWorker, TimerFirer, next_wait
from hub.core.projections import ProjectionManager
from hub.core.timers import TimerStore
from hub.core.private import PRIVATE_FILE, private_dir
from hub.core.routing import AccessPolicy, Router

__all__ = ["Hub", "RunSummary", "EXAMPLES_INBOX", "validate_connector_sections"]

log = structlog.get_logger(__name__)

EXAMPLES_INBOX = Path(__file__).resolve().parents[2] / "examples" / "inbox"


@dataclass
class RunSummary:
    ingested: dict[str, IngestReport] = field(default_factory=dict)
    published: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    polled: list[PollResult] = field(default_factory=list)
    left: dict[str, Backlog] = field(default_factory=dict)     # per subscriber, what is still to deliver
    timers_fired: int = 0

    @property
    def unfinished(self) -> int:
        """Deliveries that could have gone and did not (time limit, a claim held by another process): a script
        running ``relais run --once`` must hear about them."""
        return sum(b.due for b in self.left.values())


def validate_connector_sections(classes: dict[str, tuple[str, type[Connector]]], sections: dict[str, Any]
                                ) -> dict[str, tuple[str, type[Connector], Any]]:
    """Validate each ``[connectors.NAME]`` section with its connector's own settings model: name → (plugin, class,
    settings). Every problem is gathered into one :class:`ConfigurationError` — the hub refuses to start rather
    than run without a partner because of a misspelt key.

    A section naming no loaded connector is an error too (with the closest name), unless an installed plugin of
    that name is merely not loaded (``RELAIS_PLUGINS`` / ``RELAIS_PLUGINS_BLOCK``): then it is only logged."""
    validated: dict[str, tuple[str, type[Connector], Any]] = {}
    problems: list[str] = []
    for name, (plugin, cls) in sorted(classes.items()):
        try:
            validated[name] = (plugin, cls, cls.settings_model.model_validate(sections.get(name, {})))
        except ValidationError as exc:
            problems.append(str(ConfigurationError.from_validation(exc, cls.settings_model,
                                                                    section=("connectors", name))))
    installed = {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    for name in sorted(set(sections) - set(classes)):
        if name in installed:
            log.warning("connector_section_unused", connector=name, reason="plugin not loaded")
            continue
        close = difflib.get_close_matches(name, list(classes), n=1, cutoff=0.6)
        hint = f"did you mean [connectors.{close[0]}]?" if close else \
            f"loaded connectors: {', '.join(sorted(classes)) or 'none'} (see `relais plugins`)"
        problems.append(f"[connectors.{name}]: no connector named {name!r}; {hint}")
    if problems:
        raise ConfigurationError("; ".join(problems))
    return validated


class Hub:
    def __init__(self, settings: RuntimeSettings, host: PluginHost | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.settings = settings
        #: what processors see as "now" (timers, derived events); injectable: ``relais tick --at`` replays a day
        self.clock: Callable[[], datetime] = clock or utcnow
        self.host = host or PluginHost.load()
        self.failures: list[PluginFailure] = self.host.failures
        self.home = settings.home
        fresh = not self.home.exists()
        private_dir(self.home)
        self.connectors: dict[str, Connector] = self._configure_connectors()
        check_processor_graph(self.connectors)
        self.processors: dict[str, Processor] = processors_of(self.connectors)
        #: connector → example files copied into its inbox by this start (the faces say so to the operator)
        self.seeded: dict[str, int] = {}
        if fresh and settings.seed_examples:
            self._seed_examples()
        self.policy = AccessPolicy(AccessRules.load(settings.access_rules), history=self._demand_types,
                                   on_denied=self._audit_denial)
        #: every delivery subscriber: the connectors, then (once the registry is open) the partners with a channel
        self.subscribers: dict[str, Connector] = dict(self.connectors)
        self.journal = Journal(settings.journal, router=Router(self.subscribers, self.policy),
                               connect_timeout=settings.journal_timeout,
                               statement_timeout=settings.journal_statement_timeout,
                               dead_letter_quota=self._dead_letter_quota,
                               auto_upgrade=settings.journal_auto_upgrade)
        self.bus = Bus(settings.broker, namespace=settings.namespace)
        self.relay = OutboxRelay(self.journal, self.bus, settings.batch_size)
        self.ingestor = Ingestor(self.journal, self.policy, on_journaled=self.relay.wakeup.set)
        self.fresh = self.ingestor.fresh = FreshEvents()
        if not self.bus.is_amqp:
            self.ingestor.direct = DirectDispatch(self.bus, settings.batch_size)
        self.poller = Poller(self.connectors, self.journal.polls, lease=settings.lease)
        self.timers = TimerStore(self.journal.engine)
        self.projections = ProjectionManager(self.journal.engine, self.processors)
        self.projections.create_tables()
        self.timer_firer = TimerFirer(self.processors, self.journal, self.timers, self.projections,
                                      retry=settings.retry, on_journaled=self.relay.wakeup.set)
        self.workers: dict[str, DeliveryWorker] = {}
        self.instances = InstanceRegistry(self.journal.engine)
        self.partners = PartnerRegistry(self.journal.engine)
        self.channels = ChannelStore(self.journal.engine)
        self.partner_subscribers: dict[str, PartnerSubscriber] = self._load_partner_subscribers()
        self.subscribers.update(self.partner_subscribers)
        #: partners revoked while this process runs: their pushes stop (docs/partners.md, "Receiving events")
        self.revocations = RevocationWatch(self.partner_subscribers, lambda pid: self.find_partner(pid) is not None)
        self._demand_facts = DemandFacts(self.journal.engine)
        self.audit = AuditTrail(self.journal.engine)
        self.audit_buffer = BufferedAudit(self.audit)
        # after the registry and the audit trail: a partner's subdirectory of an inbox is ingested as that partner
        self.inbox = InboxScanner(self.ingestor, {n: c for n, c in self.connectors.items()
                                                  if c.context.inbox is not None},
                                  settle=0.0, partners=self.partners, audit=self.audit)
        self._declared = False
        self._lock_fd: int | None = None
        metrics.register_depth_collector(self._depths, self.journal.outbox_size)

    def _demand_types(self, subject: str) -> frozenset[DemandFact]:
        """The event types journaled for a demand and who emitted them (access rules on a household's past); the
        journal is made after the policy, which it needs for routing, hence the indirection."""
        return self._demand_facts(subject)

    def _load_partner_subscribers(self) -> dict[str, PartnerSubscriber]:
        """The registered partners with a delivery channel, each its own subscriber (read once, at start: a channel
        changed by ``relais partners deliver`` takes effect when the hub restarts). A revoked or removed partner's
        channel is ignored: it receives nothing more."""
        found: dict[str, PartnerSubscriber] = {}
        for channel in self.channels.all():
            partner = self.find_partner(channel.partner)
            if partner is None:
                log.info("partner_channel_ignored", partner=channel.partner, reason="unknown or revoked")
                continue
            try:
                found[channel.subscriber] = PartnerSubscriber(
                    partner, channel, self.connectors.get(partner.connector), self.home,
                    timeout=self.settings.delivery_timeout)
            except Exception as exc:  # one partner's broken channel must not take the hub down
                self.failures.append(PluginFailure(channel.subscriber, "init", f"{type(exc).__name__}: {exc}"))
                log.error("partner_channel_failed", partner=channel.partner, error_type=type(exc).__name__)
        return found

    def _audit_denial(self, connector: Connector, event: Any, verdict: Any) -> None:
        """Every refusal of the access policy is in the audit trail (in batches: routing is on the hot path)."""
        self.audit_buffer.record(AuditEntry(kind=AuditKind.POLICY, actor=recipient_of(connector).id,
                                            outcome="denied", action=f"deliver {event.type}", target=event.subject,
                                            reason=f"{event.id}: {verdict.why}"))

    # --- what plugins ask of the registry, the rules and the trail (public: docs/partners.md, "For plugins") ---
    def find_partner(self, partner_id: str) -> Partner | None:
        """The active registry partner of that id; None when unknown or revoked. Why on the hub: a plugin serving
        data for a partner (an export, an information API) needs its role and communes, not the registry."""
        found = self.partners.get(partner_id)
        return found if found is not None and found.status == PartnerStatus.ACTIVE else None

    def demand_verdict(self, partner: Partner, numero_unique: str, communes: Iterable[str]) -> Verdict:
        """Whether ``partner`` may read the demand ``numero_unique`` wishing ``communes``: the access rules' answer
        (``allowed``, the granting ``rule``, ``why``), the same engine and history as for its events."""
        return self.policy.rules.evaluate_demand(recipient_of_partner(partner), numero_unique, communes,
                                                 self._demand_types)

    def audit_access(self, *, actor: str, action: str, target: str | None = None, outcome: str = "done",
                     key_id: str | None = None, reason: str | None = None, kind: str = AuditKind.READ) -> None:
        """Write one row of the audit trail at once (a read, an export, a refusal). ``actor`` is
        ``partner:ID`` or ``operator:NAME``; ``target`` and ``reason`` hold identifiers and counts, never a
        household's personal values."""
        self.audit.record(AuditEntry(kind=kind, actor=actor, outcome=outcome, action=action, target=target,
                                     key_id=key_id, reason=reason))

    def _dead_letter_quota(self, connector: str) -> int | None:
        configured = self.subscribers.get(connector)
        return configured.settings.dead_letter_quota_bytes if configured is not None else None

    def _depths(self) -> dict[tuple[str, str], int]:
        return self.journal.delivery_counts(statuses=DeliveryStatus.OPEN)

    # --- setup ------------------------------------------------------------------------------------------------
    def _configure_connectors(self) -> dict[str, Connector]:
        configured: dict[str, Connector] = {}
        for name, (plugin, cls, conn_settings) in sorted(
                validate_connector_sections(self.host.connector_classes(), self.settings.connectors).items()):
            if not conn_settings.enabled:
                continue
            # a processor has no partner: no inbox to watch
            inbox = None if issubclass(cls, Processor) else (conn_settings.inbox or self.home / "inbox" / name)
            context = ConnectorContext(name=name, home=self.home, inbox=inbox.resolve() if inbox else None,
                                       outbox=(conn_settings.outbox or self.home / "outbox" / name).resolve(),
                                       read=lambda: self.journal.engine.connect())
            try:
                configured[name] = cls(conn_settings, context)
            except Exception as exc:  # one broken connector must not take the hub down
                self.failures.append(PluginFailure(plugin, "init", f"{type(exc).__name__}: {exc}"))
                log.error("connector_failed_to_start", connector=name, plugin=plugin, error=str(exc))
        return configured

    def _seed_examples(self) -> None:
        """A first start with no configuration processes the examples shipped with the repository (a demo: the
        settings turn ``seed_examples`` on only when no configuration at all was given, so that a deployment never
        delivers example decisions to a real partner)."""
        if not EXAMPLES_INBOX.is_dir():
            return
        for source_dir in sorted(p for p in EXAMPLES_INBOX.iterdir() if p.is_dir()):
            connector = self.connectors.get(source_dir.name)
            if connector is None:
                continue
            private_dir(connector.context.inbox)
            for f in sorted(source_dir.iterdir()):
                if f.is_file():
                    shutil.copy2(f, connector.context.inbox / f.name)
                    self.seeded[source_dir.name] = self.seeded.get(source_dir.name, 0) + 1
            log.info("examples_seeded", connector=source_dir.name, inbox=str(connector.context.inbox))

    @property
    def subscriptions(self) -> dict[str, tuple[str, ...]]:
        """Subscriber → patterns, for those the hub delivers to (a queue and a worker each; a pull partner has
        neither: its delivery rows wait for its pull)."""
        return {n: c.subscriptions for n, c in self.subscribers.items()
                if c.subscriptions and getattr(c, "pushes", True)}

    def connector(self, name: str) -> Connector:
        try:
            return self.connectors[name]
        except KeyError:
            raise ConfigurationError(f"no connector named {name!r}; loaded: {', '.join(self.connectors) or 'none'}"
                                     " (see `relais plugins`)") from None

    def subscriber(self, name: str) -> Connector:
        """A delivery subscriber: a connector, or a partner with a channel (``partner.<id>``)."""
        try:
            return self.subscribers[name]
        except KeyError:
            partners = ", ".join(self.partner_subscribers)
            raise ConfigurationError(f"no connector named {name!r}; loaded: {', '.join(self.connectors) or 'none'}"
                                     + (f"; partner subscribers: {partners}" if partners else "")
                                     + " (see `relais plugins`, `relais partners list`)") from None

    def _lock_home(self) -> None:
        """Embedded: refuse to run two delivering hubs on one journal (both would take back each other's claims)."""
        path = self.home / "relais.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ConfigurationError(
                f"another hub (pid {holder}) is running on {self.home} with the in-process transport; stop it, or "
                "run several hubs on RabbitMQ + PostgreSQL (broker_url, journal_url)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def start(self) -> None:
        """Declare the bus topology and create the delivery workers (idempotent)."""
        if self._declared:
            return
        if not self.bus.is_amqp:
            self._lock_home()
        for d in (self.home / "inbox", self.home / "outbox"):
            private_dir(d)
        for c in self.connectors.values():
            if c.context.inbox is not None:
                private_dir(c.context.inbox)
        self._clean_partial_writes()
        self.bus.declare(self.subscriptions)
        self.instances.register(self.home)
        self.projections.ensure(self.clock)
        s = self.settings
        for name in self.subscriptions:
            common: dict[str, Any] = dict(
                retry=s.retry, batch_size=s.batch_size, batch_wait=s.batch_wait, timeout=s.delivery_timeout,
                lease=s.lease, stale_dispatch=s.stale_dispatch, instances=self.instances, fresh=self.fresh)
            connector = self.subscribers[name]
            if isinstance(connector, Processor):
                self.workers[name] = ProcessorWorker(
                    connector, self.journal, self.bus, self.policy, timers=self.timers,
                    projections=self.projections, clock=self.clock, on_journaled=self.relay.wakeup.set, **common)
            else:
                self.workers[name] = DeliveryWorker(connector, self.journal, self.bus, self.policy, **common)
        self._declared = True
        self.host.startup(self)

    def _clean_partial_writes(self) -> None:
        """Remove what interrupted atomic writes left (``.tmp-*.part`` beside partners' files): a process killed
        mid-write never renamed them, and a partner polling its directory must not trip over them. On RabbitMQ
        another process may be writing right now, so only files older than a delivery timeout go."""
        older_than = 0.0 if not self.bus.is_amqp else time.time() - self.settings.delivery_timeout
        for connector in self.subscribers.values():
            for directory in {connector.context.inbox, connector.context.outbox} - {None}:
                if not directory.is_dir():
                    continue
                for leftover in directory.glob(".tmp-*.part"):
                    try:
                        if not older_than or leftover.stat().st_mtime < older_than:
                            leftover.unlink()
                            log.info("partial_write_removed", connector=connector.name, file=leftover.name)
                    except FileNotFoundError:   # its writer finished or another process cleaned it
                        continue

    def recover(self) -> int:
        """After a start: on the in-process transport nothing survived the last process, so every open delivery is
        flagged for dispatch and the claims of the killed predecessor are taken back now (the home lock proves it
        is gone). On RabbitMQ the queues kept their messages; the periodic sweep handles expired claims."""
        if self.bus.is_amqp:
            return 0
        for name in self.workers:
            self.journal.flag_undispatched(name)
        return sum(w.sweep(lease=0) for w in self.workers.values())

    def rescue_poison(self) -> int:
        """RabbitMQ: messages the broker dead-lettered after too many deliveries go back through the journal,
        which alone decides (by its attempt count) when a delivery is dead."""
        by_subscriber: dict[str, list[int]] = {}
        for subscriber, seq in self.bus.take_poison():
            by_subscriber.setdefault(subscriber, []).append(seq)
        for subscriber, seqs in by_subscriber.items():
            n = self.journal.flag_for_dispatch(subscriber, seqs)
            log.warning("poison_messages_rescued", connector=subscriber, count=len(seqs), reopened=n)
        return sum(len(v) for v in by_subscriber.values())

    # --- running ----------------------------------------------------------------------------------------------
    def run_once(self, max_seconds: float | None = None,
                 on_progress: Callable[[int], None] | None = None) -> RunSummary:
        """Process everything that is due now, then return; ``summary.left`` says what remains per subscriber.

        ``max_seconds`` bounds the run (None: until nothing due is left); ``on_progress(delivered)`` is called after
        each round with the deliveries made so far (``relais run --once`` draws its progress from it)."""
        self.start()
        summary = RunSummary()
        summary.polled = self.poller.run_due()   # what a pull fetched lands in the inbox, scanned next
        summary.ingested = self.inbox.scan()
        self.recover()
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self._drain(self.workers, summary, deadline, on_progress)
        return summary

    def tick(self, at: datetime, on_progress: Callable[[int], None] | None = None) -> RunSummary:
        """Fire what is due at ``at`` and let the processors handle what that derives, with their clock at ``at``
        (``relais tick --at``: a day replayed deterministically; running it twice fires nothing twice).
        Deliveries to partners are left to ``relais run``."""
        self.clock = lambda: at
        for worker in self.workers.values():
            if isinstance(worker, ProcessorWorker):
                worker.clock = self.clock
        self.start()
        self.recover()
        summary = RunSummary()
        self._drain({n: w for n, w in self.workers.items() if isinstance(w, ProcessorWorker)}, summary, None,
                    on_progress)
        return summary

    def _drain(self, workers: dict[str, DeliveryWorker], summary: RunSummary, deadline: float | None,
               on_progress: Callable[[int], None] | None) -> None:
        """Rounds of "fire due timers, publish the outbox, one step per worker" until a round and the sweep after
        it find nothing left (or ``deadline``); ``summary.left`` says what remains per worker."""
        wait = self.settings.batch_wait if self.bus.is_amqp else 0.0
        swept = False
        while deadline is None or time.monotonic() < deadline:
            self._stop_revoked()
            fired = self.timer_firer.fire_due(self.clock())
            summary.timers_fired += fired
            published = self.relay.publish_pending()
            summary.published += published
            progress_made = fired + published
            for name, worker in workers.items():
                if name in self.revocations.stopped:
                    continue
                step = worker.step(wait=wait)
                summary.delivered[name] = summary.delivered.get(name, 0) + step.delivered
                summary.failed[name] = summary.failed.get(name, 0) + step.failed
                # a step that only consumed messages (each blocked behind an earlier event of its demand, which a
                # later step frees) still drained its queue: progress, or --once would stop with work queued
                progress_made += step.delivered + step.failed + step.received
            if on_progress is not None:
                on_progress(sum(summary.delivered.values()))
            if progress_made:
                swept = False
                continue
            if swept:
                break
            # queues drained: dispatch what only the journal knows about (due retries, freed successors), once
            swept = True
            for name, worker in workers.items():
                if name not in self.revocations.stopped:
                    worker.sweep()
        summary.left = {name: self.journal.backlog(name) for name in workers if name not in self.revocations.stopped}

    def schedule_timers(self, processor: str, requests: Iterable[tuple[Any, ...]],
                        chunk: int = 1000) -> int:
        """Set timers for a processor from outside its handling — e.g. a command asking it to recompute every open
        demand: set one timer per demand due now, then ``tick`` fires them, each once, through the processor's
        ``on_timer``. ``requests`` are (key, subject, due, payload) or (key, subject, due, payload, entity) — the
        legal entity answering for what the timer derives when the processor has none; returns how many were set."""
        if processor not in self.processors:
            raise ConfigurationError(f"no processor named {processor!r}; processors: "
                                     f"{', '.join(sorted(self.processors)) or 'none'}")
        done = 0
        batch: list[tuple[str, str | None, datetime, dict[str, Any]]] = []
        for request in [*requests, None]:
            if request is not None:
                key, subject, due, payload, *entity = request
                if entity and entity[0] is not None:
                    payload = {**payload, ENTITY_KEY: LegalEntity.model_validate(entity[0]).model_dump(mode="json")}
                batch.append((key, subject, due, payload))
            if batch and (request is None or len(batch) >= chunk):
                with self.journal.engine.begin() as conn:
                    self.timers.schedule_in(conn, processor, batch, (), utcnow())
                done += len(batch)
                batch = []
        return done

    def _run_timers(self, stop: threading.Event) -> None:
        """The timer thread: fire what is due, sleep until the next one (at most a poll interval)."""
        names = sorted(self.processors)
        while not stop.is_set():
            try:
                self.timer_firer.fire_due(self.clock())
                wait = next_wait(self.timers, names, self.clock, self.settings.poll_interval)
            except Exception as exc:  # journal away: try again shortly
                log.warning("timer_firing_failed", error_type=type(exc).__name__, error=str(exc)[:300])
                wait = self.settings.poll_interval
            stop.wait(max(wait, 0.05))

    def _stop_revoked(self, stops: Mapping[str, threading.Event] | None = None) -> None:
        """Stop delivering to the partners revoked since this process started (``stops``: their workers' own stop
        events). What was queued for them stays pending, as at the next start, which ignores their channels."""
        try:
            revoked = self.revocations.newly_revoked()
        except Exception as exc:  # the journal away: look again at the next turn
            log.warning("revocation_check_failed", error_type=type(exc).__name__)
            return
        for name in revoked:
            if stops is not None and name in stops:
                stops[name].set()
            log.info("partner_channel_stopped", partner=self.partner_subscribers[name].partner.id,
                     reason="revoked")

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set: relay and delivery workers in threads, inbox scanning here."""
        self.start()
        self.recover()
        # Every object alive now (modules, contract schemas, the journal's metadata, the plugins) lives as long as
        # the run: frozen, and the young generation collected less often (hub.core.gc_policy). Embedded, 20,000
        # events: the collector's time 13-15 -> 3 µs per event.
        # this process's workers take the events it journals as objects (hub.core.fresh): only while they run, so
        # that a process that only journals (an import, ``run --once``'s scan) holds nothing for nobody
        self.fresh.enabled = True
        if self.ingestor.direct is not None:   # embedded: the journal is the queue (hub.core.direct_dispatch)
            self.ingestor.direct.start()
        try:
            with long_run_heap():
                self._run_threads(stop)
        finally:
            if self.ingestor.direct is not None:
                self.ingestor.direct.stop()
            self.fresh.enabled = False
            self.fresh.clear()

    def _run_threads(self, stop: threading.Event) -> None:
        threads = [threading.Thread(target=self.relay.run, args=(stop,), name="relay", daemon=True),
                   threading.Thread(target=self.instances.run, args=(stop,), name="heartbeat", daemon=True)]
        # a partner subscriber's worker has its own stop: a revocation ends it alone (set with the hub's on exit)
        own_stops = {n: threading.Event() for n in self.workers if n in self.partner_subscribers}
        threads += [threading.Thread(target=w.run, args=(own_stops.get(n, stop),), name=f"worker-{n}", daemon=True)
                    for n, w in self.workers.items()]
        if self.poller:
            threads.append(threading.Thread(target=self.poller.run, args=(stop,), name="poller", daemon=True))
        if self.processors:
            threads.append(threading.Thread(target=self._run_timers, args=(stop,), name="timers", daemon=True))
        for t in threads:
            t.start()
        log.info("hub_started", connectors=sorted(self.connectors), broker=self.bus.topology.namespace,
                 embedded=not self.bus.is_amqp, pid=os.getpid())
        last_rescue = 0.0
        try:
            while not stop.is_set():
                self._stop_revoked(own_stops)
                try:
                    self.inbox.scan()
                except Exception as exc:  # e.g. journal unreachable: files stay in the inbox, try again
                    log.exception("inbox_scan_failed", error_type=type(exc).__name__)
                if self.bus.is_amqp and time.monotonic() - last_rescue >= self.settings.stale_dispatch:
                    last_rescue = time.monotonic()   # a rare path: at the cadence of the stale sweep
                    try:
                        self.rescue_poison()
                    except Exception as exc:  # broker or journal away: the messages wait in the poison queue
                        log.warning("poison_rescue_failed", error_type=type(exc).__name__, error=str(exc))
                stop.wait(self.settings.poll_interval)
        finally:
            stop.set()
            for own in own_stops.values():
                own.set()
            self.relay.wakeup.set()
            for t in threads:
                t.join(timeout=self.settings.delivery_timeout + 5)
            log.info("hub_stopped")

    def close(self) -> None:
        self.host.shutdown(self)
        try:
            self.instances.stop()
        except Exception as exc:  # the journal away at shutdown: the heartbeat's silence says it instead
            log.warning("instance_stop_not_recorded", error_type=type(exc).__name__)
        for w in self.workers.values():
            w.close()
        self.relay.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)   # releases the home lock
            self._lock_fd = None
        self.audit_buffer.close()
        for c in self.subscribers.values():
            try:
                c.close()
            except Exception as exc:  # closing must go on for the others
                log.warning("connector_close_failed", connector=c.name, error=str(exc))
        self.journal.close()

    def __enter__(self) -> "Hub":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
