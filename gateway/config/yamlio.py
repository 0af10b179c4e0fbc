"""Read YAML keeping where every value came from, so errors can say file:line.

Every YAML document the gateway reads (partner profiles, mapping specs, gateway.yaml) goes through
``load_yaml`` / ``parse_yaml``, which refuse, as ``file:line: ...`` in a ``ConfigError`` and before
building anything large:

* a file over ``MAX_YAML_BYTES`` (1 MiB; not read whole: its size is enough) or not UTF-8;
* more than ``MAX_ALIASES`` aliases (``*name``), or aliases that expand the document to more than
  ``MAX_NODES`` values (the "billion laughs" document: 600 bytes that expand to a billion strings),
  or an alias inside the node it names;
* nesting deeper than ``MAX_DEPTH`` (counting what aliases bring in);
* tags other than YAML's own plain types (``!!str``, ``!!int``, ...): ``!!python/...``, ``!!binary``,
  ``!!set``, ``!custom`` are not configuration.

The shipped profiles and specs are far inside these limits (at most 22 levels, under 1,000 values, 10 KB).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.reader import ReaderError

from ..errors import ConfigError

Loc = tuple  # a path into the document: keys and list indexes

MIB = 1024 * 1024
MAX_YAML_BYTES = 1 * MIB  # a profile, a mapping spec, gateway.yaml
MAX_ALIASES = 1_000
MAX_NODES = 100_000  # values (scalars, mappings, lists) once aliases are expanded: 50,000 inline cross-references
MAX_DEPTH = 64  # levels of mappings and lists
PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq"))


@dataclass(slots=True)
class Source:
    """A loaded YAML document: plain data plus the line of each key and list item, and which values came
    from ``${ENV}`` substitution (``resolve_env``): those are never echoed in an error (they may be secrets,
    whatever field they sit in)."""

    name: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    from_env: dict[Loc, str] = field(default_factory=dict)  # location -> the value after substitution

    def env_values(self, under: Loc = ()) -> list[str]:
        """The substituted values at ``under`` or below it, longest first."""
        under = tuple(under)
        found = {v for loc, v in self.from_env.items() if loc[: len(under)] == under and v}
        return sorted(found, key=len, reverse=True)

    def hide(self, message: str, under: Loc = ()) -> str:
        """``message`` without the substituted values at ``under`` or below (each quoted one becomes ``MASK``)."""
        for value in self.env_values(under):
            message = hide_value(message, value)
        return message

    def where(self, loc: Loc) -> str:
        """``file:line`` of the deepest known location along ``loc``."""
        loc = tuple(loc)
        while loc and loc not in self.lines:
            loc = loc[:-1]
        line = self.lines.get(loc)
        return f"{self.name}:{line}" if line else self.name




def size_text(n: int) -> str:
    """``1 MiB`` for whole mebibytes, else ``1,500 bytes``."""
    return f"{n // MIB} MiB" if n >= MIB and n % MIB == 0 else f"{n:,} bytes"


def read_config_text(path: str | os.PathLike, name: str | None = None, *, limit: int = MAX_YAML_BYTES,
                     what: str = "a YAML configuration file") -> str:
    """The text of a configuration file; ``ConfigError`` naming it when it is missing, not a regular file, larger than
    ``limit`` bytes (told by its size: it is not read), or not UTF-8 (with the line of the first bad byte).
    A leading byte order mark is dropped."""
    shown = name or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except FileNotFoundError:
        raise ConfigError([f"{shown}: no such file"]) from None
    except OSError as exc:
        raise ConfigError([f"{shown}: cannot read ({exc.strerror or exc})"]) from None
    mode = os.fstat(fd)
    if not stat.S_ISREG(mode.st_mode) or mode.st_size > limit:
        os.close(fd)
        if stat.S_ISDIR(mode.st_mode):
            raise ConfigError([f"{shown}: is a directory"])
        if not stat.S_ISREG(mode.st_mode):
            raise ConfigError([f"{shown}: not a regular file"])
        raise ConfigError([_too_large(shown, mode.st_size, limit, what)])
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(limit + 1)  # a file growing while we read is cut here
        except OSError as exc:
            raise ConfigError([f"{shown}: cannot read ({exc.strerror or exc})"]) from None
    if len(data) > limit:
        raise ConfigError([_too_large(shown, len(data), limit, what)])
    return decode_text(data, shown)


def _too_large(name: str, size: int, limit: int, what: str) -> str:
    return f"{name}:1: {size:,} bytes: {what} may hold at most {size_text(limit)}"


def decode_text(data: bytes, name: str) -> str:
    """``data`` as UTF-8 (a leading byte order mark dropped); ``ConfigError`` at the line of the first byte that is not."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise ConfigError([f"{name}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); save the file as UTF-8"]) from None


class LimitError(YAMLError):
    """A document the gateway refuses to build: too many aliases or values, too deep, a tag it does not read."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _GuardedComposer(Composer):
    """Counts, while the document is composed, what building it would cost: values once aliases are expanded
    (each anchored node's expanded size and height are kept, so an alias costs what it brings in), aliases and
    depth; refuses at the first limit passed, before anything large is built. Composing is recursive, so the
    depth is checked before each level is entered."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False  # YAML allows redefining an anchor; the later one counts
        self._values = 0
        self._aliases = 0
        self._heights: list[int] = []  # per open node: the height of what is below it so far
        self._sized: dict[Any, tuple[int, int]] = {}  # anchor -> (values, height) of its complete node
        self.line = 0  # of the last node begun: where to point when the reader itself fails

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        self.line = event.start_mark.line
        if isinstance(event, AliasEvent):
            self._alias(event)
            return super().compose_node(parent, index)
        if len(self._heights) >= MAX_DEPTH:
            raise LimitError(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in PLAIN_TAGS:
            raise LimitError(f"tag {tag} is not read here: write the value plainly (only YAML's own !!str, !!int, !!float, "
                             "!!bool, !!null, !!map and !!seq are taken)", event.start_mark)
        anchor = event.anchor
        if anchor is not None:
            self._sized.pop(anchor, None)  # until this node is complete, an alias to it is one inside it
        start = self._values
        self._count(1, event)
        self._heights.append(1)
        node = super().compose_node(parent, index)
        height = self._heights.pop()
        if self._heights:
            self._heights[-1] = max(self._heights[-1], height + 1)
        if anchor is not None:
            self._sized[anchor] = (self._values - start, height)
        return node

    def _alias(self, event: Any) -> None:
        anchor = event.anchor
        if anchor not in self.anchors:
            return  # the composer says it is undefined
        if anchor not in self._sized:
            raise LimitError(f"alias *{anchor} is inside the node it names (a document may not contain itself)", event.start_mark)
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise LimitError(f"more than {MAX_ALIASES:,} aliases (*name)", event.start_mark)
        values, height = self._sized[anchor]
        self._count(values, event)
        if len(self._heights) + height > MAX_DEPTH:
            raise LimitError(f"alias *{anchor} nests the document more than {MAX_DEPTH} levels deep", event.start_mark)
        if self._heights:
            self._heights[-1] = max(self._heights[-1], height + 1)

    def _count(self, values: int, event: Any) -> None:
        self._values += values
        if self._values > MAX_NODES:
            why = "with its aliases (*name) expanded, " if self._aliases else ""
            raise LimitError(f"{why}the document holds more than {MAX_NODES:,} values (a configuration file may not; "
                             "an alias repeats everything its anchor holds)", event.start_mark)


class _GuardedConstructor(RoundTripConstructor):
    """Values YAML accepts but Python cannot build (``!!int x``, a date of month 13, an integer of 5,000 digits)
    are errors at their line, like any other."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            problem = str(exc).split("; use sys.set_int_max_str_digits")[0]
            raise ConstructorError(None, None, f"cannot read this value: {problem}", node.start_mark) from None


def _plain(node: Any, loc: Loc, lines: dict[Loc, int], name: str) -> Any:
    if isinstance(node, CommentedMap):
        out = {}
        for key in node:
            try:
                line = node.lc.key(key)[0] + 1
            except (KeyError, TypeError):
                line = None
            if isinstance(key, (tuple, list, dict, set)):
                raise ConfigError([f"{name}:{line or lines.get(loc, 1)}: a key that is a list or a mapping is not read here"])
            skey = str(key)
            if skey in out:
                raise ConfigError([f"{name}:{line or lines.get(loc, 1)}: key {skey!r} is given twice"])
            if line is not None:
                lines[loc + (skey,)] = line
            out[skey] = _plain(node[key], loc + (skey,), lines, name)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for i, item in enumerate(node):
            try:
                line, _ = node.lc.item(i)
                lines[loc + (i,)] = line + 1
            except (KeyError, TypeError, IndexError):
                pass
            out_list.append(_plain(item, loc + (i,), lines, name))
        return out_list
    if isinstance(node, str):
        return str(node)
    if isinstance(node, TaggedScalar):  # !!str 850: the only tag left that the round-trip loader keeps as a tag
        return str(node.value)
    return node


def kind_of(value: Any) -> str:
    """What a YAML value is, for messages: a list, a string, a number, ..."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "empty" if value is None else f"a {type(value).__name__}"


def parse_yaml(text: str, name: str) -> Source:
    """``text`` read as one YAML document (within the limits above); ``ConfigError`` at ``name:line``."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError([_too_large(name, len(text.encode("utf-8", "replace")), MAX_YAML_BYTES, "a YAML configuration file")])
    yaml = YAML(typ="rt")
    yaml.Composer = _GuardedComposer
    yaml.Constructor = _GuardedConstructor
    try:
        data = yaml.load(text)
    except LimitError as exc:
        raise ConfigError([f"{name}:{exc.problem_mark.line + 1}: {exc.problem}"]) from None
    except ReaderError as exc:  # a character YAML does not allow (NUL, most control characters)
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise ConfigError([f"{name}:{line}: not valid YAML: control character U+{char:04X} is not allowed (write it as an escape in a "
                           "double-quoted string)"]) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = str(getattr(exc, "problem", None) or exc)
        problem = re.sub(r'^(found duplicate key "[^"]*") with value .*$', r"\1", problem, flags=re.DOTALL)  # values may be secrets
        raise ConfigError([f"{where}: not valid YAML: {problem}"]) from None
    except Exception as exc:  # the round-trip reader's own failures on odd layouts (NotImplementedError: "overlap in comment")
        line = getattr(getattr(yaml, "_composer", None), "line", None)
        where = f"{name}:{line + 1}" if isinstance(line, int) else name
        raise ConfigError([f"{where}: not valid YAML: the YAML reader cannot read the document here ({type(exc).__name__}); "
                           "check the indentation and the comments around this line"]) from None
    lines: dict[Loc, int] = {(): 1}
    return Source(name, _plain(data, (), lines, name), lines)


def load_yaml(path: str | os.PathLike, name: str | None = None) -> Source:
    """The YAML document in the file ``path`` (shown as ``name``), read within ``MAX_YAML_BYTES`` and the limits above."""
    shown = name or str(path)
    return parse_yaml(read_config_text(path, shown), shown)


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def resolve_env(source: Source, environ: dict[str, str] | None = None) -> list[str]:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string, in place. Returns problems."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    def sub(value: str, loc: Loc) -> str:
        def one(m: re.Match) -> str:
            var, default = m.group(1), m.group(2)
            if var in env:
                return env[var]
            if default is not None:
                return default
            problems.append(f"{source.where(loc)}: environment variable {var} is not set")
            return m.group(0)

        resolved = _ENV.sub(one, value)
        if resolved != value:
            source.from_env[loc] = resolved
        return resolved

    def walk(node: Any, loc: Loc) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, loc + (k,)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, loc + (i,)) for i, v in enumerate(node)]
        if isinstance(node, str) and "${" in node:
            return sub(node, loc)
        return node

    source.data = walk(source.data, ())
    return problems


def hide_value(message: str, value: str) -> str:
    """``message`` without ``value``: its repr (as validation messages quote it) becomes ``MASK``, and so does any
    unquoted occurrence of a value long enough not to be found by chance in the sentence around it."""
    from ..masking import MASK

    message = message.replace(repr(value), MASK)
    return message.replace(value, MASK) if len(value) >= 4 else message


def dump_yaml(data: Any) -> str:
    """YAML text for plain data (block style, keys in the given order)."""
    import io

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()
