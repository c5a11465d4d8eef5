"""The provider-neutral core: clock, jobs and lifecycles, accounts, scenarios,
media and journal. Nothing here knows about HTTP."""

from __future__ import annotations

from mockserver.engine.accounts import Account, Accounts, format_amount
from mockserver.engine.clock import DEFAULT_EPOCH, Clock, ManualClock, SystemClock, to_millisecond
from mockserver.engine.emulator import Emulator
from mockserver.engine.errors import (
    JournalMismatch,
    MockError,
    MockUsageError,
    Refusal,
    UnknownScenario,
)
from mockserver.engine.jobs import Job, MediaPlan, MediaRequest, Outcome
from mockserver.engine.journal import Journal, JournalEntry
from mockserver.engine.lifecycle import PROFILES
from mockserver.engine.media import MediaRef
from mockserver.engine.planner import JobOrder
from mockserver.engine.scenarios import Choice, RuleMatch, ScenarioRule
from mockserver.engine.settings import Settings
from mockserver.engine.webhooks import Delivery

__all__ = [
    "DEFAULT_EPOCH",
    "PROFILES",
    "Account",
    "Accounts",
    "Choice",
    "Clock",
    "Delivery",
    "Emulator",
    "Job",
    "JobOrder",
    "Journal",
    "JournalEntry",
    "JournalMismatch",
    "ManualClock",
    "MediaPlan",
    "MediaRef",
    "MediaRequest",
    "MockError",
    "MockUsageError",
    "Outcome",
    "Refusal",
    "RuleMatch",
    "ScenarioRule",
    "Settings",
    "SystemClock",
    "UnknownScenario",
    "format_amount",
    "to_millisecond",
]
