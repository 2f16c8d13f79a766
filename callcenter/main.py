"""The composition root: builds every client and service once and passes them in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from agi import after_agent, callback, consult, entry, expert, language, message, rating, transfer
from callcenter.clock import Clock
from callcenter.domain.entry import EntryPolicy, LanguageChoice
from callcenter.domain.statistics import Thresholds
from callcenter.hotline import PROVINCE_QUEUE, HotlineConfig, load_hotline
from callcenter.services.agents import AgentService
from callcenter.services.calls import CallService
from callcenter.services.experts import ExpertService, seed_if_empty
from callcenter.services.ivr import IvrService, MessagePolicy
from callcenter.services.live import AlertThresholds, LiveBoard
from callcenter.services.organisation import OrganisationService, SessionTokens
from callcenter.services.organisation import seed_if_empty as seed_organisation_if_empty
from callcenter.services.spool import SpoolIngester, SpoolWriter
from callcenter.services.statistics import StatisticsService
from callcenter.services.supervision import SupervisionService
from callcenter.services.transfers import Transfers
from callcenter.services.transfers.recordings import RecordingPaths
from callcenter.services.work_orders import DeadlineScheduler, WorkOrderService
from callcenter.settings import PROJECT_DIR, Settings
from callcenter.store.bus import RedisEventBus
from callcenter.store.calls import CallRepository
from callcenter.store.db import Database
from callcenter.store.experts import ExpertRepository
from callcenter.store.migrations import upgrade
from callcenter.store.organisation import OrganisationRepository
from callcenter.store.statistics import StatisticsRepository
from callcenter.store.transfers import TransferRepository
from callcenter.store.work_orders import NewWorkOrder, WorkOrderRepository
from callcenter.telephony.ami.client import AmiClient
from callcenter.telephony.fastagi import FastAgiServer
from callcenter.web.access import Access
from callcenter.web.agents import agents_router
from callcenter.web.app import HealthChecks, create_app
from callcenter.web.console import console_router
from callcenter.web.experts import experts_router
from callcenter.web.organisation import organisation_router
from callcenter.web.statistics import report_public, statistics_router, wallboard_router
from callcenter.web.transfers import transfer_json, transfers_router
from callcenter.web.work_orders import work_orders_router

log = logging.getLogger(__name__)

CONSOLE_DIR = PROJECT_DIR / "agent_console"


@dataclass
class Application:
    settings: Settings
    database: Database
    bus: RedisEventBus
    calls: CallService
    ivr: IvrService
    agents: AgentService
    experts: ExpertService
    transfers: Transfers
    organisation: OrganisationService
    work_orders: WorkOrderService
    deadlines: DeadlineScheduler
    live: LiveBoard
    hotline: HotlineConfig
    ami: AmiClient
    fastagi: FastAgiServer
    spool: SpoolIngester
    web: FastAPI

    async def start(self) -> None:
        experts_csv, roster_csv = self.settings.seed_experts_csv, self.settings.seed_roster_csv
        if experts_csv and roster_csv:
            await seed_if_empty(self.experts, experts_csv, roster_csv)
        if self.settings.seed_units_csv:
            await seed_organisation_if_empty(
                self.organisation,
                self.settings.seed_units_csv,
                lambda name: self.settings.generated_secret(f"demo-password-{name}"),
                self.hotline,
            )
        await self.organisation.check_routing()
        await self.fastagi.start()
        await self.spool.start()
        await self.live.start()
        await self.transfers.start()
        await self.ami.start()
        await self.deadlines.start()

    async def stop(self) -> None:
        await self.deadlines.stop()
        await self.live.stop()
        self.agents.close()
        await self.fastagi.stop()
        await self.ami.stop()
        await self.spool.stop()
        await self.ivr.drain()
        await self.transfers.stop()
        await self.calls.drain()
        await self.bus.close()
        await self.database.dispose()


def entry_policy(hotline: HotlineConfig) -> EntryPolicy:
    return EntryPolicy(
        calendar=hotline.working_calendar,
        region=hotline.region_table,
        languages=tuple(LanguageChoice(option.code, option.digit) for option in hotline.languages),
        default_language=hotline.default_language,
        province_queue=PROVINCE_QUEUE,
        overflow_after_seconds=hotline.queues.overflow_after_seconds,
        language_timeout_seconds=hotline.language_timeout_seconds,
    )


def build(settings: Settings) -> Application:
    hotline = load_hotline(settings.hotline_config)
    clock = Clock(settings.clock_start, settings.clock_anchor)
    # A date the holiday calendar does not cover is an error now, not a guess at the first call.
    hotline.working_calendar.check_covers(clock.now().astimezone(hotline.zone).date())
    database = Database.connect(settings.effective_database_url, clock)
    bus = RedisEventBus(settings.redis_url, settings.redis_namespace)
    calls = CallService(CallRepository(database), bus, SpoolWriter(settings.spool_dir))
    organisation = OrganisationService(
        OrganisationRepository(database),
        hotline,
        SessionTokens(settings.generated_secret("session-key"), settings.session_ttl_seconds, clock.epoch),
        clock=clock,
    )
    access = Access(organisation, settings.admin_token_value())
    work_orders = WorkOrderService(
        hotline,
        WorkOrderRepository(database),
        organisation,
        bus,
        clock,
        settings.data_dir / "attachments",
    )
    ivr = IvrService(
        entry_policy(hotline),
        MessagePolicy(
            max_seconds=hotline.messages.max_seconds,
            silence_seconds=hotline.messages.silence_seconds,
            min_voiced_seconds=hotline.messages.min_seconds,
            host_dir=settings.messages_dir,
            in_root_dir=settings.recordings_dir_in_root / "messages",
        ),
        calls,
        work_orders,
        NewWorkOrder,
        clock,
    )
    ami = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_username,
        settings.ami_secret_value(),
        reconnect_seconds=settings.ami_reconnect_seconds,
        action_timeout_seconds=settings.ami_action_timeout_seconds,
        stamp=clock.from_epoch,
    )
    agents = AgentService(hotline, ami, calls, clock.now)
    experts = ExpertService(ExpertRepository(database), hotline)
    transfers = Transfers(
        hotline=hotline,
        repository=TransferRepository(database),
        calls=calls,
        agents=agents,
        experts=experts,
        ami=ami,
        work_orders=work_orders,
        callbacks=ivr,
        clock=clock,
        recordings=RecordingPaths(settings.recordings_dir, settings.recordings_dir_in_root),
        bus=bus,
        render=transfer_json,
    )
    statistics = StatisticsService(
        StatisticsRepository(database),
        hotline.working_calendar,
        clock,
        Thresholds(
            service_level_seconds=hotline.statistics.service_level_seconds,
            short_abandon_seconds=hotline.statistics.short_abandon_seconds,
        ),
    )
    figures = hotline.statistics
    live = LiveBoard(
        hotline,
        agents,
        calls,
        transfers.choice,
        statistics,
        lambda report: report_public(report, statistics).model_dump(mode="json"),
        bus,
        ami,
        clock,
        AlertThresholds(
            answer_rate_below=figures.answer_rate_alert_below,
            service_level_below=figures.service_level_alert_below,
            wait_above_seconds=figures.wait_alert_seconds,
            overdue_above=figures.overdue_alert_above,
        ),
    )
    # Calls first: the agent's screen pop reads what the call record knows; the wallboard last, once
    # the agents are up to date.
    ami.subscribe(calls.on_ami_event)
    ami.subscribe(agents.on_ami_event)
    ami.subscribe(transfers.hunt.on_ami_event)
    ami.subscribe(live.on_ami_event)

    async def resynchronise() -> None:
        # The wallboard shows the agents: they are rebuilt first.
        await agents.resynchronise()
        await live.resynchronise()

    ami.on_connected(resynchronise)
    routes = {
        entry.ROUTE: entry.make_entry_route(ivr, clock),
        language.ROUTE: language.make_language_route(ivr),
        message.ROUTE: message.make_message_route(ivr),
        callback.ROUTE: callback.make_callback_route(ivr, clock),
        transfer.ROUTE: transfer.make_transfer_route(transfers.hunt, clock),
        after_agent.ROUTE: after_agent.make_after_agent_route(transfers.hunt),
        expert.ROUTE: expert.make_expert_route(transfers.hunt),
        expert.END_ROUTE: expert.make_expert_end_route(transfers.hunt),
        consult.ROUTE: consult.make_consult_route(transfers.hunt),
        rating.ROUTE: rating.make_rating_route(transfers.ratings),
    }
    fastagi = FastAgiServer(routes, settings.agi_host, settings.agi_port)
    spool = SpoolIngester(
        settings.spool_dir,
        calls.record,
        settings.spool_ingest_interval_seconds,
        sinks={"rating": transfers.ratings.ingest_spooled_rating},
        system_stamp=clock.from_epoch,
    )

    web = create_app(
        HealthChecks(
            database=database.ping,
            redis=bus.ping,
            ami=lambda: ami.connected,
            fastagi=lambda: fastagi.listening,
        ),
        routers=[
            agents_router(calls, agents, access, organisation, transfers.pushes),
            console_router(
                hotline,
                access,
                settings.generated_secret,
                settings.sip_host,
                settings.effective_webrtc_websocket_url,
                settings.webrtc_loopback_only,
            ),
            experts_router(experts, access),
            statistics_router(statistics, access),
            wallboard_router(live, SupervisionService(hotline, agents, ami, organisation), access),
            transfers_router(transfers, hotline, access),
            organisation_router(organisation, access),
            work_orders_router(
                work_orders,
                access,
                lookups=bus.rate_limiter("cc:limit:lookup", settings.public_lookups_per_hour, 3600),
                submissions=bus.rate_limiter("cc:limit:submit", settings.public_submissions_per_hour, 3600),
                bus=bus,
            ),
        ],
        console_dir=CONSOLE_DIR,
        now=clock.now,
        zone=str(hotline.zone),
    )
    return Application(
        settings=settings,
        database=database,
        bus=bus,
        calls=calls,
        ivr=ivr,
        agents=agents,
        experts=experts,
        transfers=transfers,
        organisation=organisation,
        work_orders=work_orders,
        deadlines=DeadlineScheduler(work_orders, settings.deadline_check_interval_seconds),
        live=live,
        hotline=hotline,
        ami=ami,
        fastagi=fastagi,
        spool=spool,
        web=web,
    )


async def serve(settings: Settings) -> None:
    application = build(settings)
    await application.start()
    server = uvicorn.Server(
        uvicorn.Config(
            application.web,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
        )
    )
    try:
        await server.serve()
    finally:
        await application.stop()
        log.info("Call centre stopped")


def log_demo_banner(settings: Settings) -> None:
    log.info(
        "Demo call centre up. Point a SIP phone at sip:%s:%s (UDP), account %s, password %s, and dial 12348; "
        "the number you call from is your From user. The agent's console: http://%s:%s/console/ "
        "(user demo-agent, password in var/secrets/demo-password-demo-agent)",
        settings.sip_host,
        settings.sip_port,
        settings.demo_caller_username,
        settings.demo_caller_password.get_secret_value(),
        settings.http_host,
        settings.http_port,
    )


def run_forever(settings: Settings, with_asterisk: bool = False) -> int:
    # uvicorn re-raises the signal that stopped it; SIGTERM's default action would end the process
    # before the shutdown below (and the Asterisk this command started) could run.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        _run(settings, with_asterisk)
    return 0


def _run(settings: Settings, with_asterisk: bool) -> None:
    upgrade(settings.effective_database_url)
    if not with_asterisk:
        asyncio.run(serve(settings))
        return
    from callcenter.asterisk import process

    status = process.start(settings)
    log.info("Asterisk %s running (log %s)", status.version, status.log_file)
    if settings.demo:
        log_demo_banner(settings)
    try:
        asyncio.run(serve(settings))
    finally:
        process.stop(settings)
