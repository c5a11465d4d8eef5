"""One provider request in flight, and the steps every provider takes with it.

Each step reads the contract: who is asking (`contract.auth`), which model
(the operation's path or a body field), the body (read by `Incoming`, as
`contract.content_types` says), whether it is valid (`contract.shape_error` for bodies that do not
deserialize), which job a read is about (`operation.job_param`), and the
scenario it plays. A provider module composes these and renders its answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from starlette.types import Receive, Scope

from contracts import (
    NETWORK_SCENARIOS,
    XAI_RATIOS,
    Checked,
    Contract,
    Model,
    Operation,
    Param,
    Rule,
    check,
    nearest_ratio,
)
from mockserver.engine import (
    Account,
    Choice,
    Emulator,
    Job,
    JobOrder,
    JournalEntry,
    MediaRequest,
    Refusal,
    format_amount,
)
from mockserver.engine.director import DEFAULT_CHOICE
from mockserver.engine.errors import NetworkFault
from mockserver.engine.inputs import ImageInfo, InputImageError, NotFetched, input_image
from mockserver.engine.journal import (
    account_id,
    masked,
    trace_id,
)
from mockserver.engine.outbound import OutboundFailed
from mockserver.engine.scenarios import PROMPT_TOKEN, RequestFacts
from mockserver.engine.webhooks import Render
from mockserver.faults import AFTER_HANDLING
from mockserver.incoming import Incoming
from mockserver.view import View

# A webhook's body and headers for a job in a phase, rendered when the delivery is due.
WebhookBody = Callable[[View, Job, int, float], Awaitable[tuple[Any, dict[str, str]]]]


def webhook_render(view: View, job_id: str, body: WebhookBody) -> Render:
    """A webhook's render: the job as its store holds it when the delivery goes out."""

    async def render(now: float) -> tuple[Any, dict[str, str]]:
        job = view.emulator.held_job(job_id)
        if job is None:
            raise OutboundFailed(f"the record of job {job_id} is gone (past its retention)")
        return await body(view, job, view.emulator.observe(job, count_read=False), now)

    return render


# How an unknown request field is named in X-Mock-Warning (adapter checks look for it).
UNKNOWN_FIELDS = "ignored unknown parameter(s)"
_NAMED = 20
# Problems with a body's shape (not its values): some providers answer them apart.
_SHAPE = ("required", "type", "enum")


class Call(Incoming):
    """A request to one provider operation, with what every handler needs."""

    __slots__ = (
        "_claimed",
        "_scenario_header",
        "account",
        "fault",
        "key",
        "model_name",
        "operation",
        "params",
        "provider",
        "unknown",
        "warnings",
    )

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        emulator: Emulator,
        contract: Contract,
        operation: Operation,
        entry: JournalEntry,
        base_url: str,
        params: dict[str, str],
    ) -> None:
        # Every field of the view and the incoming request set here, not through two
        # `super().__init__` calls: one Call is made per request, and the two cost more
        # than the fields (`tests/test_call.py` checks that none is left unset).
        self.emulator, self.contract, self.base_url = emulator, contract, base_url
        self.scope, self._receive, self.entry = scope, receive, entry
        self._request = None
        self._body_read = False
        self.provider = contract.provider
        self.operation = operation
        self.params = params
        self.account: Account | None = None
        self.key: str | None = None
        # The model asked for, as soon as it is known (it fills error templates).
        self.model_name: str | None = params.get("model") or params.get("slug")
        self.warnings: list[str] = []
        # Request fields the provider does not know: ignored, and named in X-Mock-Warning.
        self.unknown: list[str] = []
        # A network fault that strikes once the request is handled (truncated, slow).
        self.fault: str | None = None
        # The rule use this request claimed when it chose, given back if it never plays.
        self._claimed: Choice | None = None
        # X-Mock-Scenario once read ("" when not sent): a submit asks twice.
        self._scenario_header: str | None = None

    # -- who is asking --------------------------------------------------------

    def authenticate(self) -> Account:
        """The caller's account, from the key where the contract puts it."""
        auth = self.contract.auth
        given = self.header(auth.header)
        key, refusal = given, None
        if not given:
            # A key in the wrong place is a wrong key, not a missing one.
            key = next((self.header(h) for h in auth.foreign if self.header(h)), None)
            refusal = "unauthorized" if key else "missing-key"
        elif not auth.scheme:
            key = given.strip()
        else:
            scheme, _, token = given.partition(" ")
            if scheme.lower() != auth.scheme.lower() or not token.strip():
                refusal = "unauthorized"
            else:
                key = token.strip()
        self.key = key  # journaled whether it is refused or not
        self.entry.note_key(key)
        if refusal is not None:
            raise Refusal(refusal)
        self.account = self.emulator.authenticate(self.provider, key)
        return self.account

    def context(self) -> dict[str, Any]:
        """What fills an error template besides the refusal's own fields."""
        first, last = self.contract.auth.hint
        model = self.model_name or next(iter(self.contract.models.values())).id
        return {
            **self.params,
            "model": model,
            "key_hint": masked(self.key, first, last),
            "account_id": account_id(self.provider, self.key),
            # A gateway's own id for this request, as New API appends to its messages.
            "trace_id": trace_id(self.emulator.clock.now(), self.emulator.traces.hex(8)),
        }

    # -- what is asked ----------------------------------------------------------

    def model(self, name: str | None = None) -> Model:
        """The model a submit names: `name` (a body field), else its path's."""
        operation = self.operation
        if name is None and operation.model_in == "route":
            key = operation.path.format(**self.params)
        else:
            key = name if name is not None else self.model_name or ""
        self.model_name = name or self.model_name
        model = self.contract.models.get(key)
        if model is None:
            more = {"param": "model"} if name else {}
            raise Refusal("model-not-found", named=True, **more)
        return model

    def operation_param(self, name: str) -> Param:
        return next(p for p in self.operation.params if p.name == name)

    def checked(
        self,
        params: Sequence[Param],
        body: dict[str, Any],
        prefix: str = "",
        rules: Sequence[Rule] = (),
    ) -> dict[str, Any]:
        """The body's values, defaults filled in; or the provider's validation refusal.

        Unknown fields are ignored as a gateway would, and named in X-Mock-Warning.
        """
        result = check(params, body, prefix, rules)
        if not result.ok:
            raise self._invalid(result)
        self.unknown += result.unknown
        return result.values

    def _invalid(self, checked: Checked) -> Refusal:
        shape = [p for p in checked.problems if p.kind in _SHAPE]
        case = self.contract.shape_error if shape and self.contract.shape_error else None
        problems = shape if case else checked.problems
        message = "; ".join(p.message for p in problems)
        return Refusal(case or "validation-error", message, param=problems[0].param)

    def warn(self, message: str) -> None:
        """Tell the client (in `X-Mock-Warning`) and the journal what was let through."""
        self.warnings.append(message)

    def all_warnings(self) -> list[str]:
        """Every warning, the unknown fields first, named briefly."""
        if not self.unknown:
            return self.warnings
        shown = ", ".join(self.unknown[:_NAMED])
        more = f" and {len(self.unknown) - _NAMED} more" if len(self.unknown) > _NAMED else ""
        return [f"{UNKNOWN_FIELDS}: {shown}{more}", *self.warnings]

    async def read_image(self, text: str, field: str) -> tuple[ImageInfo | None, str | None]:
        """An input image's size, and the failure it will cause (None if it is readable).

        A URL the emulator may not fetch is named in X-Mock-Warning, never silently
        skipped; the caller keeps the ratio it was asked for.
        """
        try:
            return await input_image(self.emulator, text), None
        except InputImageError as exc:
            return None, f"Invalid value for '{field}': {exc}"
        except NotFetched as skipped:
            self.warn(f"{field}: {skipped}; the output keeps the requested aspect ratio")
            return None, None

    async def input_ratio(
        self, text: str, field: str, params: Sequence[Param] = ()
    ) -> tuple[str | None, str | None]:
        """The documented ratio nearest an input image's (None when it cannot be read),
        and the failure the input will cause. The candidates are `params`'
        aspect_ratio values, else xAI's ratios."""
        info, failure = await self.read_image(text, field)
        if info is None:
            return None, failure
        enum = next((p.enum for p in params if p.name == "aspect_ratio" and p.enum), XAI_RATIOS)
        ratios = tuple(r for r in enum if r != "auto")
        return nearest_ratio(info.width, info.height, ratios), None

    # -- jobs -------------------------------------------------------------------

    def open_job(
        self,
        *,
        account: Account,
        model: Model,
        params: Mapping[str, Any],
        media: MediaRequest,
        choice: Choice,
        price_per_image: Decimal | None = None,
        failure: str | None = None,
        sync: bool = False,
        inline: bool = False,
        pollable: bool = True,
    ) -> Job:
        """Accept a job for this call (see `JobOrder`): provider, operation, model (its
        price unless given) and X-Mock-Profile."""
        order = JobOrder(  # positional, in field order: see `Planner.job`
            self.provider,
            self.operation.id,
            model.id,
            account,
            params,
            media,
            model.price_per_image if price_per_image is None else price_per_image,
            choice,
            failure,
            self.header("x-mock-profile") or None,  # profile
            sync,
            inline,
            pollable,
        )
        job = self.emulator.open_job(order)
        self.entry.job_id = job.id
        return job

    def attach_webhook(self, job: Job, url: str, body: WebhookBody) -> None:
        """POST `body(view, job, phase, now)` to `url` once the job ends (retried if it
        must); rendered then, under this request's base URL. Another process sharing the
        state rebuilds the render from the base URL and the body's name."""
        view = View(self.emulator, self.contract, self.base_url)
        revival = {"base_url": self.base_url, "body": f"{body.__module__}:{body.__qualname__}"}
        self.emulator.attach_webhook(job, url, webhook_render(view, job.id, body), revival)

    def read(self) -> tuple[Job, int]:
        """What every read does first: who asks, which scenario it plays, and the job
        it names (its operation's job parameter) with its phase now."""
        account = self.authenticate()
        self.choose()
        name = self.operation.job_param or "request_id"
        job_id = self.params.get(name) or self.request.query_params.get(name)
        if not job_id:
            raise Refusal("missing-parameter", f"{name} parameter is required")
        self.entry.job_id = job_id
        found = self.emulator.read_job(self.provider, job_id, account)
        if found is None:
            self._note_hidden(job_id, account)
            raise Refusal("request-not-found", request_id=job_id)
        return found

    def _note_hidden(self, job_id: str, account: Account) -> None:
        """A job record-not-ready hid from this read: the journal says so."""
        hidden = self.emulator.job(job_id)
        if hidden is None or not hidden.belongs_to(self.provider, account.key):
            return
        if hidden.pollable and hidden.scenario == "record-not-ready":
            self.entry.scenario, self.entry.scenario_source = hidden.scenario, "job"

    # -- scenarios --------------------------------------------------------------

    def early_refusal(self) -> None:
        """Answer a refusal named by header before reading the body.

        QA can force any error with a bare `curl -H 'X-Mock-Scenario: ...'`.
        """
        if self._scenario():
            self.choose()

    def _scenario(self) -> str:
        """The X-Mock-Scenario header ("" when not sent)."""
        found = self._scenario_header
        if found is None:
            found = self._scenario_header = self.header("x-mock-scenario") or ""
        return found

    def facts(self, *, prompt: Any = None, model: Any = None) -> RequestFacts:
        return RequestFacts(
            self.provider,
            self.operation.id,
            self.operation.kind == "submit",
            key=self.key,
            model=model if isinstance(model, str) else None,
            prompt=prompt if isinstance(prompt, str) else None,
        )

    def choose(self, *, prompt: Any = None, model: Any = None) -> Choice:
        """The scenario for this call; raises the refusal or network fault if it is one."""
        header = self._scenario() or None
        if (
            not header
            and self.emulator.director.idle
            and (not isinstance(prompt, str) or PROMPT_TOKEN.search(prompt) is None)
        ):
            # Nothing could choose another: the common case, answered without the lock.
            self.entry.scenario, self.entry.scenario_source = "success", "default"
            return DEFAULT_CHOICE
        facts = self.facts(prompt=prompt, model=model)
        choice = self.emulator.choose(facts, header=header)
        if choice.claim is not None:
            self._claimed = choice
        self.entry.scenario = choice.scenario
        self.entry.scenario_source = choice.source
        if choice.scenario in NETWORK_SCENARIOS:
            self.emulator.commit(choice)
            if choice.scenario not in AFTER_HANDLING:
                raise NetworkFault(choice.scenario)
            self.fault = choice.scenario
            # Spent here: the job this request still opens must not spend the rule again.
            return Choice(choice.scenario, choice.source)
        if choice.scenario not in self.contract.errors:
            return choice
        if choice.scenario == "insufficient-credits":
            # A submit is refused where its bill is known, so the message names it.
            if facts.submit:
                return choice
            raise self.emulator.refuse(choice, **self._credit_fields())
        raise self.emulator.refuse(choice)

    def release_unplayed(self) -> None:
        """The request is over: a rule use it claimed but never played goes back."""
        claimed = self._claimed
        if claimed is not None and claimed.claim is not None and not claimed.claim.spent:
            self.emulator.release(claimed)

    def _credit_fields(self) -> dict[str, str]:
        cheapest = min(m.price_per_image for m in self.contract.models.values())
        balance = self.account.available if self.account else Decimal(0)
        return {"balance": format_amount(balance), "required": format_amount(cheapest)}
