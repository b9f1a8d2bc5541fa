"""lorebot.toml's validation errors in plain words: the key, what is wrong with it, and a likely fix.

Pydantic says "Extra inputs are not permitted" and "Input should be less than or equal to 1"; a person editing
the file wants "unknown key; did you mean answer_threshold?" and "should be at most 1 (it is 3)".
"""
from __future__ import annotations

import difflib
import types
import typing

from pydantic import BaseModel
from pydantic_core import ErrorDetails

_TYPES = {
    "float_parsing": "a number", "float_type": "a number", "int_parsing": "a whole number",
    "int_type": "a whole number", "int_from_float": "a whole number", "string_type": "text in quotes",
    "bool_parsing": "true or false", "bool_type": "true or false", "list_type": "a list, e.g. [\"a\", \"b\"]",
    "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
}
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most"),
           "greater_than": ("gt", "more than"), "less_than": ("lt", "less than")}


def describe(model: type[BaseModel], errors: list[ErrorDetails]) -> str:
    """One line for the most useful of the errors: an unknown key first, since it often explains a missing one."""
    error = min(errors, key=lambda e: e["type"] != "extra_forbidden")
    loc = _without_tags(model, tuple(error["loc"]))
    key = key_of(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown(model, loc, error["input"])
    if kind == "missing":
        return f"{key}: missing; add it"
    if kind in _TYPES:
        return f"{key}: should be {_TYPES[kind]}, not {_shown(error['input'])}"
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        return f"{key}: should be {words} {_shown(error['ctx'][name])} (it is {_shown(error['input'])})"
    if kind == "too_short":
        return f"{key}: should list at least {error['ctx']['min_length']}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        kinds = ", ".join(str(tag) for tag in _tags(model, loc))
        if kind == "union_tag_not_found":
            return f"{key}.type: missing; add it (one of {kinds})"
        return f"{key}.type: {_shown(error['ctx']['tag'])} is not one of {kinds}"
    message = error["msg"].removeprefix("Value error, ")
    if message.startswith((f"{key}.", f"[{key}.")):
        return message  # the message names its own key, deeper than the one that failed
    return f"{key}: {message}" if key else message


def _tags(model: type[BaseModel], loc: tuple) -> list[object]:
    """Every ``type`` the table at ``loc`` may have."""
    annotation: object = model
    for part in loc:
        models = _models(annotation)
        if models:
            annotation = models[0].model_fields[str(part)].annotation
        else:
            annotation = typing.get_args(_unwrap(annotation))[-1]
    return [tag for m in _models(annotation) for tag in typing.get_args(m.model_fields["type"].annotation)]


def key_of(loc: tuple) -> str:
    """("teams_reactions", "verify", 0) -> "teams_reactions.verify[0]"."""
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else f"{'.' if key else ''}{part}"
    return key


def _unknown(model: type[BaseModel], loc: tuple, value: object) -> str:
    fields = _fields_at(model, loc[:-1])
    is_table = isinstance(value, dict)
    known = [key for key, annotation in fields.items() if not is_table or _is_table(annotation)]
    guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if is_table:
        parent = key_of(loc[:-1])
        prefix = f"{parent}." if parent else ""
        hint = f"; did you mean [{prefix}{guess[0]}]?" if guess else _known(known)
        return f"unknown table [{key_of(loc)}]{hint}"
    hint = f"; did you mean {guess[0]}?" if guess else _known(known)
    return f"{key_of(loc)}: unknown key{hint}"


def _known(keys: list[str]) -> str:
    return f" (known: {', '.join(keys)})" if keys else ""


def _is_table(annotation: object) -> bool:
    return typing.get_origin(_unwrap(annotation)) is dict or bool(_models(annotation))


def _without_tags(model: type[BaseModel], loc: tuple) -> tuple:
    """The location as the file spells it: pydantic adds the chosen ``type`` of a table that may be one of several
    kinds (``sources.intranet.web.url``); the file says ``sources.intranet.url``."""
    annotation: object = model
    kept = []
    for part in loc:
        annotation = _unwrap(annotation)
        member = _tagged(annotation, part)
        if member is not None:
            annotation = member
            continue
        kept.append(part)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            annotation = field.annotation if field is not None else None
        elif typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
        else:
            annotation = None
    return tuple(kept)


def _tagged(annotation: object, tag: object) -> type[BaseModel] | None:
    """The kind of table whose ``type`` is ``tag``, when ``tag`` names a kind rather than a key."""
    for member in _models(annotation):
        field = member.model_fields.get("type")
        if field is not None and tag in typing.get_args(field.annotation) and str(tag) not in member.model_fields:
            return member
    return None


def _fields_at(model: type[BaseModel], loc: tuple) -> dict[str, object]:
    """The keys the table at ``loc`` may hold, with their types, found by walking the models' field types (every
    kind's keys where a table may be one of several kinds)."""
    annotation: object = model
    for part in loc:
        models = _models(annotation)
        if models:
            fields = [m.model_fields[str(part)] for m in models if str(part) in m.model_fields]
            if not fields:
                return {}
            annotation = fields[0].annotation
        elif typing.get_origin(_unwrap(annotation)) in (dict, list):
            annotation = typing.get_args(_unwrap(annotation))[-1]
        else:
            return {}
    return {name: field.annotation for m in _models(annotation) for name, field in m.model_fields.items()}


def _models(annotation: object) -> list[type[BaseModel]]:
    """The table types ``annotation`` stands for: one model, or each member of a union of models."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for m in typing.get_args(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    return []


def _unwrap(annotation: object) -> object:
    """``X | None`` and ``Annotated[X, ...]`` -> X."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
