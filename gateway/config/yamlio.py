"""Read YAML keeping where every value came from, so errors can say file:line."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from ..errors import ConfigError

Loc = tuple  # a path into the document: keys and list indexes


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


def _plain(node: Any, loc: Loc, lines: dict[Loc, int]) -> Any:
    if isinstance(node, CommentedMap):
        out = {}
        for key in node:
            try:
                line, _ = node.lc.key(key)
                lines[loc + (key,)] = line + 1
            except (KeyError, TypeError):
                pass
            out[str(key)] = _plain(node[key], loc + (str(key),), lines)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for i, item in enumerate(node):
            try:
                line, _ = node.lc.item(i)
                lines[loc + (i,)] = line + 1
            except (KeyError, TypeError, IndexError):
                pass
            out_list.append(_plain(item, loc + (i,), lines))
        return out_list
    if isinstance(node, str):
        return str(node)
    return node


def parse_yaml(text: str, name: str) -> Source:
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = str(getattr(exc, "problem", None) or exc)
        problem = re.sub(r'^(found duplicate key "[^"]*") with value .*$', r"\1", problem, flags=re.DOTALL)  # values may be secrets
        raise ConfigError([f"{where}: not valid YAML: {problem}"]) from None
    lines: dict[Loc, int] = {(): 1}
    return Source(name, _plain(data, (), lines), lines)


def load_yaml(path: str | os.PathLike) -> Source:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{p}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{p}: cannot read ({exc})"]) from None
    return parse_yaml(text, str(p))


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
