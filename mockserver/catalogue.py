"""The scenario catalogue, straight from the contracts: what each provider answers."""

from __future__ import annotations

import json

from contracts import NETWORK_SCENARIOS, SCENARIOS, Contract
from contracts.record import record
from mockserver.engine.jobs import UNREADY_READS
from mockserver.engine.scenarios import supported

_TIMING = {
    "slow": "accepted; the job takes three times its realistic duration, then ends {done}",
    "stuck": "accepted; the job never leaves {last}",
    "expired": "accepted; its record and media are already past retention (not found)",
    "record-not-ready": f"accepted; its first {UNREADY_READS} reads answer as for an unknown "
    "job, then it goes on to {done}",
}


@record
class Row:
    scenario: str
    answer: str
    source: str


def rows(contract: Contract) -> list[Row]:
    lifecycle = contract.lifecycle
    out = []
    for name in supported(contract):
        if name in contract.errors:
            case = contract.errors[name]
            body, headers = case.render()
            shown = json.dumps(body) if case.content_type == "application/json" else "(HTML page)"
            extra = "".join(f" + header `{k}`" for k in headers)
            answer = f"{case.status} `{shown}`{extra}"
            source: str = case.source.kind
            if case.wording is not None and case.wording.kind != source:
                source = f"{source}; wording {case.wording.kind}"
        elif name in contract.outcomes:
            outcome = contract.outcomes[name]
            if outcome.kind == "succeeded":
                answer = f'accepted; the job ends {lifecycle.succeeded}, but: "{outcome.message}"'
            else:
                word = lifecycle.errored if outcome.kind == "errored" else None
                answer = (
                    f'accepted; the job ends {word or lifecycle.failed} with "{outcome.message}"'
                )
            source = outcome.source.kind
        elif name == "success":
            answer, source = f"accepted; the job ends {lifecycle.succeeded}", lifecycle.source.kind
        elif name in NETWORK_SCENARIOS:
            what = SCENARIOS[name].description
            answer, source = f"network fault: {what[0].lower()}{what[1:]}", "emulator"
        else:
            template = _TIMING[name]
            answer = template.format(done=lifecycle.succeeded, last=lifecycle.phases[-1])
            source = "inferred"
        out.append(Row(name, answer, source))
    return out


def markdown(contract: Contract) -> str:
    lines = ["| scenario | answer | source |", "|---|---|---|"]
    for row in rows(contract):
        answer = row.answer.replace("|", "\\|")
        lines.append(f"| `{row.scenario}` | {answer} | {row.source} |")
    return "\n".join(lines)


def described(name: str) -> str:
    scenario = SCENARIOS.get(name)
    return scenario.description if scenario else "provider-specific"
