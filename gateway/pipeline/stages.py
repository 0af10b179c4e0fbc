"""The pipeline's stages as decisions: bytes and profiles in, records for the store out.

Nothing here writes to the store or to folders; ``worker.py`` persists what a stage
decided and performs the side effects (ack files, deliveries) from committed rows.

- ``envelope``: identify the partner, validate the interchange(s) with the partner's
  overlay, refuse what is not addressed to us (see ``addressing``), decide duplicates, build
  the acknowledgements (from our identity) and one record per transaction set (received, or
  quarantined when it was refused, rejected, or is of a usage the profile does not take).
  Flat files: the partner's layout splits the file into documents.
- ``map_transactions``: each received set (or flat-file document) to a canonical document,
  schema-checked, with one delivery per route of the partner's profile that takes its usage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..config.partner import PartnerProfile, Partners
from ..errors import ConfigError, GatewayError
from ..formats.x12 import AckNumbers, Report, TransactionResult, Validator, acknowledge
from ..home import Home
from ..store import (
    AckRecord,
    EnvelopeRecord,
    GroupRecord,
    InterchangeRecord,
    MappedRecord,
    PendingTransaction,
    Problem,
    RouteRecord,
    TransactionRecord,
    new_correlation_id,
)
from ..translate import KEY_FIELDS, ProfileView, Translated, Translator, describe, looks_like_x12, sender_ids
from .addressing import USAGE_MISMATCH_CODE, WRONG_RECEIVER_CODE, refuse_misaddressed, us_for, usage_refusal, wrong_receiver


class Stop(Exception):
    """The receipt cannot go on: quarantine it with ``problem``."""

    def __init__(self, problem: Problem, partner_id: str | None = None) -> None:
        super().__init__(problem.reason)
        self.problem = problem
        self.partner_id = partner_id


@dataclass(slots=True)
class Parsed:
    """What the envelope stage learnt, kept in memory so the same worker can map without parsing again."""

    partner: PartnerProfile | None
    view: ProfileView | None
    validator: Validator | None = None
    sets: dict[int, TransactionResult] = field(default_factory=dict)  # ordinal -> set (X12)
    flat: dict[int, Translated] = field(default_factory=dict)  # ordinal -> document (flat files)


@dataclass(slots=True)
class Counters:
    """Reserves acknowledgement control numbers (the store's counters)."""

    reserve: object  # callable({name: count}) -> {name: first number}, one store transaction

    def numbers(self, partner_id: str, interchanges: int, groups: int) -> AckNumbers:
        isa, gs, st = (f"ack:{partner_id}:{k}" for k in ("isa", "gs", "st"))
        got = self.reserve({isa: max(1, interchanges), gs: max(1, groups), st: max(1, groups)})
        return AckNumbers(interchange=_wrap(got[isa], 999_999_999), group=_wrap(got[gs], 999_999_999), transaction=_wrap(got[st], 9999))


def _wrap(n: int, top: int) -> int:
    return (n - 1) % top + 1


class Stages:
    def __init__(self, home: Home, partners: Partners, translator: Translator, not_served: dict[str, list[str]] | None = None,
                 identity=None) -> None:
        self.home = home
        self.partners = partners
        self.translator = translator
        self.not_served = not_served or {}  # partner ID -> why serve does not serve it (gateway.preflight)
        self.identity = identity  # ours (gateway.yaml), an OwnIdentity; None: nothing is refused for its receiver

    # -- partner -----------------------------------------------------------------------------------

    def identify(self, data: bytes, channel_partner: str | None, name: str) -> tuple[PartnerProfile | None, bool]:
        """The partner a file comes from, and whether it is X12. Raises ``Stop`` when it cannot be told."""
        is_x12 = looks_like_x12(data)
        channel_profile = self._profile(channel_partner) if channel_partner else None
        if not is_x12:
            if channel_profile is None:
                raise Stop(Problem("identify", "partner.unknown", f"{name}: not an X12 interchange (byte 0: no ISA) and it did not arrive "
                                   "through a partner's channel, so no flat-file layout applies"))
            return channel_profile, False
        sender = sender_ids(data)
        if sender is None:
            if channel_profile is not None:
                return channel_profile, True  # the validator says what is wrong with the ISA
            raise Stop(Problem("identify", "partner.unknown", f"{name}: the ISA segment is unreadable (byte 0), so the sender is unknown"))
        qualifier, ident, gs_id = sender
        try:
            by_envelope = self.partners.find(isa_qualifier=qualifier, isa_id=ident, gs_id=gs_id)
        except ConfigError as exc:
            if exc.code == "config.profile_invalid":
                raise Stop(Problem("identify", "partner.profile_invalid", f"{name}: {exc.problems[0]}",
                                   [{"code": "config.invalid", "message": p} for p in exc.problems]),
                           getattr(exc, "partner_id", channel_partner)) from None
            raise Stop(Problem("identify", "partner.ambiguous", f"{name}: {exc.problems[0]}"), channel_partner) from None
        if by_envelope is not None and by_envelope.id in self.not_served:
            self._profile(by_envelope.id)  # says why it is not served
        if channel_profile is not None:
            mine = channel_profile.identity
            if by_envelope is not None and by_envelope.id != channel_profile.id:
                raise Stop(Problem("identify", "partner.mismatch", f"{name}: arrived through partner {channel_profile.id}'s channel but ISA "
                                   f"sender {qualifier}/{ident} is partner {by_envelope.id}"), channel_profile.id)
            if by_envelope is None and mine.isa_id is not None and (mine.isa_qualifier, mine.isa_id) != (qualifier, ident):
                raise Stop(Problem("identify", "partner.mismatch", f"{name}: arrived through partner {channel_profile.id}'s channel but ISA "
                                   f"sender {qualifier}/{ident} is not theirs ({mine.isa_qualifier}/{mine.isa_id})"), channel_profile.id)
            return channel_profile, True
        if by_envelope is None:
            raise Stop(Problem("identify", "partner.unknown", f"{name}: ISA sender {qualifier}/{ident} (ISA05/ISA06, byte 0) is not a known "
                               "partner; add a profile (gateway partner add) and reprocess"))
        return by_envelope, True

    def _profile(self, partner_id: str) -> PartnerProfile:
        """The partner's profile, if this gateway serves the partner (see ``gateway.preflight``)."""
        try:
            profile = self.partners.load(partner_id)
        except ConfigError as exc:
            raise Stop(Problem("identify", "partner.profile_invalid", f"partner {partner_id}'s profile does not load: {exc.problems[0]}",
                               [{"code": "config.invalid", "message": p} for p in exc.problems]), partner_id) from None
        problems = self.not_served.get(partner_id)
        if problems:
            raise Stop(Problem("identify", "partner.profile_invalid", f"partner {partner_id} is not served: {problems[0]}",
                               [{"code": "config.invalid", "message": p} for p in problems]), partner_id)
        return profile

    def view(self, profile: PartnerProfile | None) -> ProfileView | None:
        return self.translator.partners.get(profile.id) if profile is not None and self.translator.partners is not None else None

    def outbound_dir(self, profile: PartnerProfile) -> Path:
        df = profile.channels.drop_folder
        return self.home.resolve(df.outbound) if df is not None and df.outbound else self.home.outbound_dir(profile.id)

    # -- envelope ----------------------------------------------------------------------------------

    def envelope(self, data: bytes, name: str, channel_partner: str | None, correlation_id: str, *, force: bool,
                 seen, counters: Counters) -> tuple[EnvelopeRecord, Parsed]:
        """``seen(keys) -> {key: receipt id}`` reports interchanges recorded before; ``force`` (an explicit
        reprocess) lets them through again."""
        profile, is_x12 = self.identify(data, channel_partner, name)
        pid = profile.id if profile else None
        view = self.view(profile)
        if not is_x12:
            return self._flat(data, name, profile, view)
        validator, report = self._validate(data, name, profile, view)
        if not report.interchanges:
            issues = [_finding(f) for f in report.findings]
            raise Stop(Problem("validate", "x12.no_interchange", f"{name}: no interchange found"
                               + (f" ({report.findings[0].message})" if report.findings else ""), issues), pid)
        rec = EnvelopeRecord(pid)
        keys = {ix.index: f"{ix.sender_qualifier}:{ix.sender_id.strip()}|{ix.receiver_qualifier}:{ix.receiver_id.strip()}|{ix.control_number}"
                for ix in report.interchanges}
        twice = sorted({k for k in keys.values() if list(keys.values()).count(k) > 1})
        if twice:
            raise Stop(Problem("validate", "duplicate.interchange", f"{name}: the file holds the same interchange more than once: "
                               + ", ".join(f"ISA13 {k.rsplit('|', 1)[1]}" for k in twice)), pid)
        earlier = seen(list(keys.values()))
        if earlier and not force:
            dup = ", ".join(f"ISA13 {k.rsplit('|', 1)[1]} (receipt {r})" for k, r in earlier.items())
            raise Stop(Problem("validate", "duplicate.interchange", f"{name}: interchange already received: {dup}; "
                               "reprocess it to process it again"), pid)
        parsed = Parsed(profile, view, validator)
        ordinal = 0
        for ix in report.interchanges:
            # TA104 R: the interchange is refused, nothing in it goes on. E (errors noted, e.g. a bad ISA09 date) accepts
            # it: the partner must not resend, so its sets are processed as the 997 says.
            broken = ix.ack_code == "R"
            # A rejected interchange keeps no dedupe key: the partner's corrected resend may use the same ISA13.
            key = None if broken or keys[ix.index] in earlier else keys[ix.index]
            irec = InterchangeRecord(f"{ix.sender_qualifier}:{ix.sender_id.strip()}", f"{ix.receiver_qualifier}:{ix.receiver_id.strip()}",
                                     ix.control_number, "rejected" if broken else "accepted", key)
            for f in ix.findings:
                rec.notes.append(f"interchange {ix.control_number}: {f.code}: {f.message}")
            for g in ix.groups:
                grec = GroupRecord(g.functional_id, g.control_number, g.version, g.ack_code)
                for f in g.findings:
                    rec.notes.append(f"group {g.control_number}: {f.code}: {f.message}")
                for t in g.transactions:
                    ordinal += 1
                    parsed.sets[ordinal] = t
                    problem = self._set_problem(t, name, profile)
                    grec.transactions.append(TransactionRecord(ordinal, t.set_id, t.control_number, g.version, new_correlation_id(), problem,
                                                               _raw_keys(t)))
                irec.groups.append(grec)
            if any(t.problem is None for g in irec.groups for t in g.transactions) and any(t.problem for g in irec.groups for t in g.transactions):
                irec.state = "partial"
            rec.interchanges.append(irec)
        if profile is not None:
            ack = self._acks(report, profile, counters, correlation_id)
            if ack is not None:
                rec.acks.append(ack)
        return rec, parsed

    def _acks(self, report: Report, profile: PartnerProfile, counters: Counters, correlation_id: str) -> AckRecord | None:
        policy = profile.acks
        groups = sum(len(ix.groups) for ix in report.interchanges)
        wanted = any(policy.ack_to_send(g.version or ix.version) for ix in report.interchanges for g in ix.groups)
        if not wanted and policy.ta1 == "never":
            return None
        numbers = counters.numbers(profile.id, len(report.interchanges), groups)
        us = us_for(profile, self.identity)
        # acknowledge_report, one interchange at a time: each verdict is then known to answer its inbound interchange
        answers = [(ix.control_number, acknowledge(ix, numbers, kind=policy.ack_to_send, ta1=policy.ta1, sender=us)) for ix in report.interchanges]
        text = "".join(a for _, a in answers)
        if not text:
            return None
        kinds = _ack_kinds(text)
        control = _isa13(text)
        path = self.outbound_dir(profile) / f"ack-{'-'.join(kinds.split('+'))}-{control}-{correlation_id[:8]}.x12"
        return AckRecord(kinds, control, str(path), text, [v for ic, a in answers if a for v in _verdicts(a, ic)])

    def _flat(self, data: bytes, name: str, profile: PartnerProfile, view) -> tuple[EnvelopeRecord, Parsed]:
        try:
            result = self.translator.translate_flat(data, name, profile.id)
        except GatewayError as exc:
            raise Stop(Problem("validate", exc.code, str(exc)), profile.id) from None
        rec = EnvelopeRecord(profile.id, notes=list(result.notes))
        parsed = Parsed(profile, view)
        for ordinal, doc in enumerate(result.documents, 1):
            parsed.flat[ordinal] = doc
            keys = [(k, k, v) for k, v in _keys(doc.document).items() if isinstance(v, str) and v] if doc.document else []
            rec.documents.append(TransactionRecord(ordinal, "file", None, None, new_correlation_id(), keys=keys))
        if not result.documents:
            raise Stop(Problem("validate", "flatfile.empty", f"{name}: the file holds no document"), profile.id)
        return rec, parsed

    def _validate(self, data: bytes, name: str, profile: PartnerProfile | None, view):
        """Validated with the partner's overlay, interchanges and groups not addressed to us refused."""
        validator, report = self.translator.validate_x12(data, name, view)
        us = us_for(profile, self.identity)
        if us is not None:
            refuse_misaddressed(report, us)
        return validator, report

    def _set_problem(self, t: TransactionResult, name: str, profile: PartnerProfile | None) -> Problem | None:
        """Why a transaction set goes no further: not addressed to us, rejected, or of a usage the profile does not take."""
        refused = wrong_receiver(t)
        if refused is not None:
            return Problem("validate", WRONG_RECEIVER_CODE, f"{name}: {t.set_id} {t.control_number}: {refused.message}", [_finding(refused)])
        broken = t.group.interchange.ack_code == "R"
        if t.status == "rejected" or broken or t.group.ack_code == "R":
            return _rejected(t, name, broken, t.group.ack_code == "R")
        why = usage_refusal(t.group.interchange, profile, self.home.display(self.partners.path_of(profile.id)) if profile else "")
        if why is not None:
            return Problem("validate", USAGE_MISMATCH_CODE, f"{name}: {t.set_id} {t.control_number}: {why}")
        return None

    # -- map ---------------------------------------------------------------------------------------

    def parse_again(self, data: bytes, name: str, partner_id: str | None) -> Parsed:
        """After a restart (or for a reprocess): the sets of a stored file, as the envelope stage saw them."""
        profile = self._profile(partner_id) if partner_id else None
        view = self.view(profile)
        if not looks_like_x12(data):
            if profile is None:
                raise Stop(Problem("map", "partner.unknown", f"{name}: a flat file without a partner"))
            _, parsed = self._flat(data, name, profile, view)
            return parsed
        validator, report = self._validate(data, name, profile, view)
        parsed = Parsed(profile, view, validator)
        ordinal = 0
        for t in report.transactions():
            ordinal += 1
            parsed.sets[ordinal] = t
        return parsed

    def map_transactions(self, pending: list[PendingTransaction], parsed: Parsed, name: str) -> list[MappedRecord]:
        out = []
        profile = parsed.partner
        for p in pending:
            rec = MappedRecord(p.id, p.correlation_id)
            if p.set_id == "file":
                translated = parsed.flat.get(p.ordinal)
            else:
                t = parsed.sets.get(p.ordinal)
                problem = self._set_problem(t, name, profile) if t is not None else None
                if problem is not None:  # still refused or rejected: say so as the first time
                    rec.problem = problem
                    out.append(rec)
                    continue
                translated = self.translator.map_set(parsed.validator, t, parsed.view, name) if t is not None else None
            if translated is None:
                rec.problem = Problem("map", "pipeline.lost_set", f"{name}: transaction {p.ordinal} ({p.set_id} {p.control_number}) is no longer "
                                      "in the stored file as parsed now")
                out.append(rec)
                continue
            doc = translated.document
            if doc is not None:
                doc.setdefault("correlation", {})["correlation_id"] = p.correlation_id
                rec.document_type = doc.get("document_type")
                rec.keys = _keys(doc)
                rec.business_key = doc.get(KEY_FIELDS.get(rec.document_type or "", ""), None)
            if not translated.ok:
                errors = [i for i in translated.issues if i.severity == "error"]
                first = errors[0] if errors else None
                code = first.code if first else "mapping.failed"
                stage = "validate" if code.startswith("x12.") else ("schema" if code.startswith("schema.") else "map")
                reason = f"{describe(translated)}: {first.message if first else 'no document'}"
                if first is not None and (first.field or first.source):
                    reason += f" ({', '.join(x for x in (first.field, first.source) if x)})"
                rec.problem = Problem(stage, code, reason, [i.to_dict() for i in translated.issues])
                out.append(rec)
                continue
            usage = (doc or {}).get("correlation", {}).get("usage") or "production"
            routes = profile.routes_for(rec.document_type, usage) if profile is not None else []
            if not routes and rec.document_type == "functional_ack":
                pass  # a partner's 997/999 is kept and traceable; it goes to the ERP only when a route asks for it
            elif not routes and profile is not None and profile.route_for(rec.document_type):
                rec.problem = Problem("route", USAGE_MISMATCH_CODE, f"{describe(translated)}: partner {profile.id} has no route for {usage} "
                                      f"{rec.document_type} documents (usage of the profile and its routes)")
                out.append(rec)
                continue
            elif not routes:
                who = f"partner {profile.id}" if profile is not None else "an unknown partner"
                rec.problem = Problem("route", "route.missing", f"{describe(translated)}: {who} has no route for {rec.document_type} "
                                      "(routes in the partner profile)")
                out.append(rec)
                continue
            rec.spec = translated.spec
            rec.body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
            for route in routes:
                index = profile.routes.index(route)
                rec.routes.append(RouteRecord(index, route.connector, f"{p.correlation_id}-r{index}"))
            out.append(rec)
        return out


# -- helpers ----------------------------------------------------------------------------------------


def _finding(f) -> dict:
    return {"code": f.code, "severity": f.severity, "message": f.message, "segment": f.segment, "element": f.element,
            "segment_number": f.position.segment_number, "offset": f.position.offset}


def _rejected(t: TransactionResult, name: str, broken: bool, group_rejected: bool) -> Problem:
    errors = [f for f in t.findings if f.severity == "error" and f.code != "transaction.segment_errors"]
    if errors:
        f = errors[0]
        where = f"segment {f.position.segment_number}" if f.position.segment_number else "?"
        ref = f.element or f.segment or ""
        reason = f"{name}: {t.set_id} {t.control_number} rejected: {ref + ' ' if ref else ''}at {where}: {f.message}"
    elif broken:
        first = next(f for f in t.group.interchange.findings if f.severity == "error")
        reason = f"{name}: {t.set_id} {t.control_number}: its interchange envelope is broken: {first.code}: {first.message}"
    elif group_rejected:
        first = next((f for f in t.group.findings if f.severity == "error"), None)
        reason = f"{name}: {t.set_id} {t.control_number}: its functional group was rejected" + (f": {first.code}: {first.message}" if first else "")
    else:
        reason = f"{name}: rejected"
    envelope = [f for f in t.group.interchange.findings + t.group.findings if f.severity == "error"] if broken or group_rejected else []
    return Problem("validate", "x12.rejected", reason, [_finding(f) for f in envelope + t.findings])


def _keys(doc: dict) -> dict[str, str | None]:
    po = doc.get("po_number")
    if po is None:
        for order in doc.get("orders") or []:
            if isinstance(order, dict) and order.get("po_number"):
                po = order["po_number"]
                break
    return {"po_number": po, "asn_id": doc.get("shipment_id"), "invoice_number": doc.get("invoice_number")}


def _ack_segments(text: str) -> list[list[str]]:
    """Our own acknowledgement interchange(s) as element lists (we wrote them: the ISA tells the delimiters)."""
    if len(text) < 106:
        return []
    sep, term = text[3], text[105]
    return [seg.split(sep) for seg in (s.strip() for s in text.split(term)) if seg]


def _ack_kinds(text: str) -> str:
    """``TA1+997``: what an outbound acknowledgement interchange holds."""
    kinds: list[str] = []
    for parts in _ack_segments(text):
        kind = "TA1" if parts[0] == "TA1" else (parts[1] if parts[0] == "ST" and len(parts) > 1 else None)
        if kind and kind not in kinds:
            kinds.append(kind)
    return "+".join(kinds) or "ack"


def _verdicts(text: str, interchange: str) -> list[dict]:
    """What the acknowledgement of inbound interchange ``interchange`` says, as sent: TA104 (A/E/R), AK9
    per group (A/E/P/R), AK5/IK5 per set (A/E/R). ``trace`` shows them."""
    out: list[dict] = []
    group: dict = {}
    st: dict = {}
    for parts in _ack_segments(text):
        tag, el = parts[0], parts + [""] * 6
        if tag == "TA1":
            out.append({"segment": "TA1", "interchange": interchange, "code": el[4]})
        elif tag == "AK1":
            group = {"interchange": interchange, "functional_id": el[1], "group": el[2]}
        elif tag == "AK2":
            st = {"set": el[1], "control_number": el[2]}
        elif tag in ("AK5", "IK5"):
            out.append({"segment": tag} | group | st | {"code": el[1]})
        elif tag == "AK9":
            out.append({"segment": "AK9"} | group | {"code": el[1]})
    return out


# Where a set names the business document it carries, read from its raw segments at the envelope stage so that
# ``trace`` finds it even when it never reaches mapping: set -> segment -> ((element position, key), ...).
_KEY_ELEMENTS: dict[str, dict[str, tuple[tuple[int, str], ...]]] = {
    "850": {"BEG": ((3, "po_number"),)},
    "855": {"BAK": ((3, "po_number"),)},
    "856": {"BSN": ((2, "asn_id"),), "PRF": ((1, "po_number"),)},  # a PRF per order of the shipment
    "810": {"BIG": ((2, "invoice_number"), (4, "po_number"))},
}
_REPEATED = {"PRF"}  # segments that occur more than once: the whole set is read, not up to the first


def _raw_keys(t: TransactionResult) -> list[tuple[str, str, str]]:
    """(key, element, value) of a validated set, from the segments the validator kept (no second parse)."""
    wanted = _KEY_ELEMENTS.get(t.set_id)
    d = t.group.interchange.delimiters
    if not wanted or not t.segments or d is None:
        return []
    out: list[tuple[str, str, str]] = []
    left = {tag for tag in wanted if tag not in _REPEATED}
    for seg in t.segments:
        tag = seg[:3].rstrip(d.element)
        if tag not in wanted:
            continue
        parts = seg.split(d.element)
        for pos, key in wanted[tag]:
            value = parts[pos].strip() if len(parts) > pos else ""
            if value and (key, f"{tag}{pos:02d}", value) not in out:
                out.append((key, f"{tag}{pos:02d}", value))
        left.discard(tag)
        if not left and not _REPEATED & wanted.keys():
            break
    return out


def _isa13(text: str) -> str:
    return text[90:99] if len(text) >= 99 else "000000000"
