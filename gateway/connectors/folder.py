"""The folder connector: one file per delivery in a folder an ERP imports from.

Options (``connector: folder``)::

    path: erp/orders            # required; relative to the home
    format: json                # json (default) | csv | xml, see gateway.connectors.render
    name: "{document_type}-{business_key}-{key}.{ext}"   # the default
    fsync: true                 # make deliveries durable (at flush) before they are recorded
    pretty: false               # json: indented (slower) instead of one line
    csv_formula_guard: true     # csv: neutralise cells a spreadsheet would run as formulas (the default)

Name template fields: ``document_type``, ``business_key``, ``key``, ``partner_id``,
``correlation_id``, ``ext`` (the format's extension). ``{key}`` is required: the file name must
derive from the delivery key, so a repeated delivery overwrites the same file (idempotency) and two
documents never share one. Values are made safe for file names: anything but letters, digits,
``.``, ``_`` and ``-`` becomes ``_``, a missing value is ``none``, other fields are cut to 64
characters, and a key that had to be changed (or is long) keeps a hash of the original so that
distinct keys stay distinct. The template may not contain a path separator or start with ``.``.

CSV deliveries are guarded against formula injection unless ``csv_formula_guard: false``: a cell
starting with ``=``, ``+``, ``-``, ``@``, tab, CR or NUL gets a leading ``'`` (plain numbers such as
``-5`` excepted) and every cell is quoted (see ``gateway.connectors.render``). Turn it off only for an
ERP that imports the file as data and needs the raw values. The option is only taken with
``format: csv`` (with another format it would do nothing, so it is refused).

Publishing is atomic: the file is written as a hidden temporary (``.<name>.<random>.tmp``) in the
same folder, then renamed over the final name with ``os.replace``, so an ERP watching the folder
sees either no file or the whole file. A crash may leave a hidden ``.tmp`` behind; it never becomes
a delivery. Missing folders are created. Durability is batched: ``flush()`` (which the pipeline
calls before recording a batch as delivered) syncs the file system holding the folders written
since the last flush once (``syncfs``), instead of an fsync per file and per folder rename — the
difference between about 4,000 and a few hundred deliveries per second on a busy disk. Where
``syncfs`` is unavailable, each file and folder is fsynced at flush.

Failures (``DeliveryError``):

- retryable: out of space or quota (ENOSPC, EDQUOT), I/O errors (EIO), a stale or timed-out network
  share, too many open files, and any other OS error not listed below: the same write may work later.
- terminal: permission denied (EACCES, EPERM) and a read-only file system (EROFS), a path component
  that is a file (ENOTDIR, EEXIST), the file name being a folder (EISDIR), a name the file system
  rejects (ENAMETOOLONG, EINVAL), and a document that is not JSON-ready. Like an HTTP 403, the target
  answered and refused; retrying on a timer only delays the quarantine an operator must look at.
  After fixing the folder, replay the quarantined deliveries.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import secrets
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from ..config.typed import Doc, Model
from ..errors import ConfigError, DeliveryError
from . import render
from .base import DeliveryItem
from .registry import ConnectorContext, ConnectorType

DEFAULT_NAME = "{document_type}-{business_key}-{key}.{ext}"
NAME_FIELDS = ("document_type", "business_key", "key", "partner_id", "correlation_id", "ext")
EXTENSIONS = {"json": "json", "csv": "csv", "xml": "xml"}

TERMINAL_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG, errno.EINVAL})

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_FIELD_MAX = 64
_KEY_MAX = 100


@dataclass(repr=False, kw_only=True)
class FolderOptions(Model):
    """Write each document as one file in a folder."""

    path: Annotated[str, Doc("the folder; relative paths are relative to the home")]
    format: Annotated[Literal["json", "csv", "xml"], Doc("file format: the canonical JSON, a flat CSV (a row per line item) or XML")] = "json"
    name: Annotated[str, Doc("file name template; fields: " + ", ".join(NAME_FIELDS) + " ({key} required)")] = DEFAULT_NAME
    fsync: Annotated[bool, Doc("make files and renames durable (at flush, before the deliveries are recorded)")] = True
    pretty: Annotated[bool, Doc("json only: indent the document (for people; much slower to write)")] = False
    csv_formula_guard: Annotated[bool | None, Doc("csv only: neutralise cells a spreadsheet would run as formulas (=, +, -, @, tab, CR "
                                                  "first; plain numbers excepted); default true, false for ERPs that need raw values")] = None


class FolderConnector:
    """Delivers by atomically publishing one file per key in ``folder`` (see the module docstring)."""

    name = "folder"

    def __init__(self, folder: Path, *, format: str = "json", name: str = DEFAULT_NAME, fsync: bool = True, pretty: bool = False,
                 csv_formula_guard: bool = True) -> None:
        problems = template_problems(name)
        if problems:
            raise ConfigError(problems)
        self.folder = Path(folder)
        self.format = format
        self.template = name
        self.fsync = fsync
        self.pretty = pretty
        self.csv_formula_guard = csv_formula_guard
        self._unsynced: list[Path] = []  # published since the last flush
    def __repr__(self) -> str:
        return f"FolderConnector(folder={str(self.folder)!r}, format={self.format!r})"

    def file_name(self, item: DeliveryItem) -> str:
        values = {
            "document_type": _safe(item.document_type),
            "business_key": _safe(item.business_key),
            "key": _safe_key(item.key),
            "partner_id": _safe(item.partner_id),
            "correlation_id": _safe(item.correlation_id),
            "ext": EXTENSIONS[self.format],
        }
        name = self.template.format_map(values)
        return "_" + name[1:] if name.startswith(".") else name

    def render(self, item: DeliveryItem) -> bytes:
        if self.format == "csv":
            return render.to_csv(item.document, formula_guard=self.csv_formula_guard)
        if self.format == "xml":
            return render.to_xml(item.document, item.document_type)
        if item.raw is not None and not self.pretty:
            return (item.raw + "\n").encode("utf-8")
        return render.to_json(item.document, self.pretty)

    def deliver(self, item: DeliveryItem) -> str:
        target = self.folder / self.file_name(item)
        try:
            data = self.render(item)
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"{target}: the document cannot be written as {self.format}: {exc}", retryable=False, target=str(target)) from exc
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._publish(target, data)
        except OSError as exc:
            raise DeliveryError(f"{target}: {exc.strerror or exc}", retryable=retryable_os_error(exc), target=str(target)) from exc
        return str(target)

    def _publish(self, target: Path, data: bytes) -> None:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open(temp, "xb") as f:
                f.write(data)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if self.fsync:
            self._unsynced.append(target)

    def flush(self) -> None:
        """Make what was published since the last flush durable (see the module docstring)."""
        pending, self._unsynced = self._unsynced, []
        if not pending:
            return
        try:
            if not _syncfs(self.folder):
                for path in pending:
                    _fsync_path(path, os.O_RDONLY)
                for folder in {p.parent for p in pending}:
                    _fsync_folder(folder)
        except OSError as exc:
            self._unsynced = pending + self._unsynced
            raise DeliveryError(f"{self.folder}: cannot make deliveries durable: {exc.strerror or exc}", retryable=True,
                                target=str(self.folder)) from exc

    def close(self) -> None:
        self.flush()


def retryable_os_error(exc: OSError) -> bool:
    """Whether writing may work later (see the module docstring for the list)."""
    return exc.errno not in TERMINAL_ERRNOS


def template_problems(template: str) -> list[str]:
    """What is wrong with a file name template, as ``name: ...`` messages."""
    problems = []
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return [f"name: {exc} in {template!r}"]
    fields = [f for f, _, _ in parsed]
    if any(spec or conv for _, spec, conv in parsed):
        problems.append("name: fields take no conversion or format spec (write {key}, not {key!r} or {key:>8})")
    unknown = sorted({f for f in fields if f not in NAME_FIELDS})
    if unknown:
        problems.append(f"name: unknown field(s) {', '.join('{' + f + '}' for f in unknown)} (fields: {', '.join(NAME_FIELDS)})")
    if "key" not in fields:
        problems.append("name: the template must contain {key} so that a repeated delivery overwrites its own file")
    if "/" in template or "\\" in template:
        problems.append("name: a file name, not a path: no / or \\ (put folders in path)")
    if template.startswith("."):
        problems.append("name: must not start with '.' (hidden files are the connector's temporary files)")
    return problems


def _safe(value: str | None) -> str:
    if value is None or value == "":
        return "none"
    return _UNSAFE.sub("_", value)[:_FIELD_MAX]


def _safe_key(key: str) -> str:
    safe = _UNSAFE.sub("_", key)
    if safe == key and 0 < len(key) <= _KEY_MAX:
        return key
    # Changed or cut: keep a hash of the original so that two keys never map to one file.
    return f"{safe[:48]}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); folders cannot be opened this way on Windows."""
    if os.name != "posix":
        return
    _fsync_path(folder, os.O_RDONLY)


def _fsync_path(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_LIBC = None


def _syncfs(folder: Path) -> bool:
    """syncfs(2) on the file system holding ``folder`` (Linux); False where it is not available."""
    global _LIBC
    if not sys.platform.startswith("linux"):
        return False
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL(None, use_errno=True)
            _LIBC.syncfs.argtypes = [ctypes.c_int]
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC is False:
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        if _LIBC.syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)
    return True


def _build(options: FolderOptions, context: ConnectorContext) -> FolderConnector:
    if options.csv_formula_guard is not None and options.format != "csv":
        raise ConfigError([f"csv_formula_guard: only used with format: csv (this route writes {options.format})"])
    return FolderConnector(context.confine(options.path, "path", folder=True), format=options.format, name=options.name, fsync=options.fsync,
                           pretty=options.pretty, csv_formula_guard=options.csv_formula_guard is not False)


FOLDER = ConnectorType("folder", FolderOptions, _build, "one file per document in a folder (json, csv or xml), published atomically")
