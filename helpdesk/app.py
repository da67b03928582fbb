"""The long-lived parts every stage uses, built once from settings (wiring, no logic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .clock import Clock
from .config import Office, Settings
from .desk.saved import SavedAnswers
from .outbound.compose import Templates
from .sla.workdays import WorkingCalendar
from .tickets.spool import Spool
from .tickets.store import Store


@dataclass
class App:
    settings: Settings
    store: Store
    spool: Spool
    templates: Templates
    clock: Clock
    calendars: dict[str, WorkingCalendar] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, clock: Clock) -> App:
        store = Store(settings.data_dir)
        return cls(settings=settings, store=store, spool=Spool(settings.data_dir),
                   templates=Templates(settings.templates_dir), clock=clock,
                   calendars={o.code: WorkingCalendar.for_office(o) for o in settings.offices})

    @cached_property
    def saved_answers(self) -> SavedAnswers:
        return SavedAnswers(self.settings.answers_dir)

    @cached_property
    def operator_addresses(self) -> frozenset[str]:
        return frozenset(o.address for o in self.settings.operators)

    def calendar(self, office: Office) -> WorkingCalendar:
        return self.calendars[office.code]
