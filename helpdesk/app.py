"""The long-lived parts every stage uses, built once from settings (wiring, no logic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from .clock import Clock
from .config import Office, Settings
from .tickets.spool import Spool
from .tickets.store import Store

if TYPE_CHECKING:
    from .desk.saved import SavedAnswers
    from .outbound.compose import Templates
    from .sla.workdays import WorkingCalendar


@dataclass
class App:
    settings: Settings
    store: Store
    spool: Spool
    clock: Clock
    calendars: dict[str, WorkingCalendar] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, clock: Clock) -> App:
        # Imported here, so that a command that builds no App (`--help`, `check` of a bad file)
        # starts without the calendars.
        from .sla.workdays import WorkingCalendar

        store = Store(settings.data_dir, [o.code for o in settings.offices], today=clock.now().date())
        return cls(
            settings=settings,
            store=store,
            spool=Spool(settings.data_dir),
            clock=clock,
            calendars={o.code: WorkingCalendar.for_office(o, settings.cache_dir) for o in settings.offices},
        )

    @cached_property
    def templates(self) -> Templates:
        # Built at first use: the commands that only read the store (status, tickets, show...)
        # start without Jinja2; `run` checks the templates before it builds the App.
        from .outbound.compose import Templates

        return Templates(self.settings.templates_dir, self.settings.cache_dir, self.settings.secret)

    @cached_property
    def saved_answers(self) -> SavedAnswers:
        from .desk.saved import SavedAnswers

        return SavedAnswers(self.settings.answers_dir)

    @property
    def offices(self) -> tuple[Office, ...]:
        """The configured offices whose store works: a broken one's mailbox is not read, its
        tickets not swept, nothing written over its file (`store.broken`; `helpdesk status`)."""
        return tuple(o for o in self.settings.offices if o.code not in self.store.broken)

    @cached_property
    def operator_addresses(self) -> frozenset[str]:
        return frozenset(o.address for o in self.settings.operators)

    def calendar(self, office: Office) -> WorkingCalendar:
        return self.calendars[office.code]
