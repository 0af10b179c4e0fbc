"""Is an interchange meant for us, and for which use? Decisions on a validation report.

*Addressing.* Partners address their interchanges to our identity (``identity`` in gateway.yaml),
or to the one a partner profile names for that partner (``identity.us``). An interchange whose
ISA08 (or, with the right ID, ISA07) is not ours is refused whole: ``refuse_misaddressed`` adds a
fatal interchange finding (TA104 R, TA105 008 or 007, as the X12 TA1 code list has them), so the
acknowledgement is a TA1 and nothing else. A functional group whose GS03 is not one of our
application IDs is refused in the 997/999 (AK9 R, nothing accepted; X12 has no AK905 code for it).
Either way its transaction sets are quarantined with ``envelope.wrong_receiver``, never mapped.

*Usage.* ISA15 says production (P), test (T) or information (I). A profile takes production
interchanges by default (``usage: production | test | both``); routes may take the other kind
(``usage: test``). What neither the profile nor a route takes is quarantined with
``envelope.usage_mismatch``: acknowledged as validated, never delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config.partner import PartnerProfile
from ..formats.x12 import Finding
from ..formats.x12.results import GroupResult, InterchangeResult, Report, TransactionResult
from ..translate import USAGES

WRONG_RECEIVER = frozenset({"isa.not_our_id", "isa.not_our_qualifier", "gs.not_our_id"})
WRONG_RECEIVER_CODE = "envelope.wrong_receiver"
USAGE_MISMATCH_CODE = "envelope.usage_mismatch"


@dataclass(frozen=True, slots=True)
class Us:
    """Our identity as one partner knows it: what their envelopes must be addressed to, what ours come from."""

    isa_qualifier: str
    isa_id: str
    gs_ids: tuple[str, ...]

    @property
    def gs_id(self) -> str:
        return self.gs_ids[0]

    def label(self) -> str:
        return f"{self.isa_qualifier}/{self.isa_id}"


def us_for(profile: PartnerProfile | None, ours) -> Us | None:
    """The identity ``profile``'s partner addresses: its ``identity.us``, else ours (``OwnIdentity`` or None)."""
    over = profile.identity.us if profile is not None else None
    if over is not None:
        return Us(over.isa_qualifier, over.isa_id, (over.gs_id or over.isa_id,))
    if ours is None:
        return None
    return Us(ours.isa_qualifier, ours.isa_id, tuple(ours.application_ids))


def refuse_misaddressed(report: Report, us: Us) -> None:
    """Add a refusing finding to each interchange (or group) of ``report`` not addressed to ``us``, in place."""
    for ix in report.interchanges:
        if len(ix.elements) < 8:
            continue  # an unreadable ISA: the validator has said so already
        receiver = f"{ix.receiver_qualifier.strip()}/{ix.receiver_id.strip()}"
        if ix.receiver_id.strip() != us.isa_id:
            code, field = "isa.not_our_id", "ISA08"
        elif ix.receiver_qualifier.strip() != us.isa_qualifier:
            code, field = "isa.not_our_qualifier", "ISA07"
        else:
            for g in ix.groups:
                if not g.synthetic and g.receiver.strip() not in us.gs_ids:
                    g.findings.insert(0, Finding("gs.not_our_id", f"functional group {g.control_number} is addressed to GS03 "
                                                 f"{g.receiver.strip()!r}, not to us ({', '.join(us.gs_ids)})", "GS", "GS03",
                                                 value=g.receiver))
            continue
        # First, so that TA105 carries its code (007/008).
        ix.findings.insert(0, Finding(code, f"interchange {ix.control_number} is addressed to {receiver} ({field}), "
                                      f"not to us ({us.label()}): refused", "ISA", field, value=receiver))


def wrong_receiver(t: TransactionResult) -> Finding | None:
    """The finding that refused ``t``'s interchange or group, if one did."""
    envelope: list[Finding] = t.group.interchange.findings + t.group.findings
    return next((f for f in envelope if f.code in WRONG_RECEIVER), None)


def refused_group(g: GroupResult) -> bool:
    return any(f.code == "gs.not_our_id" for f in g.findings)


def usage_of(ix: InterchangeResult) -> str | None:
    return USAGES.get(ix.usage)


def usage_refusal(ix: InterchangeResult, profile: PartnerProfile | None, shown: str) -> str | None:
    """Why ``profile`` takes no interchange of ``ix``'s usage (None: it does); ``shown`` names the profile file."""
    usage = usage_of(ix)
    if profile is None or usage is None or profile.accepts(usage):
        return None
    fix = ("set usage: both (or test) in the profile, or give it routes with usage: test" if usage == "test"
           else "set usage: both (or production) in the profile, or give it routes with usage: production" if usage == "production"
           else "information interchanges are not processed")
    return (f"interchange {ix.control_number} is a {usage} interchange (ISA15 {ix.usage}), but partner {profile.id} takes "
            f"{profile.usage} interchanges only ({shown}): {fix}")
