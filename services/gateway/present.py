"""Turning service messages into the API's JSON and reading request input, with field errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast
from urllib.parse import quote

from flask import Response, request, stream_with_context
from flask.json.provider import DefaultJSONProvider
from google.protobuf.message import Message
from werkzeug.sansio.response import Response as SansIOResponse

from duban.common.v1 import common_pb2
from libs.common import protojson
from libs.common.errors import InvalidInput
from libs.common.text import FIELD_ERROR, has_bad_characters


def to_json(message: Message) -> dict[str, Any]:
    """The message as the API writes it: proto field names, every implicit-presence field with its
    default (libs.common.protojson, equal to json_format.MessageToDict with those two options)."""
    return protojson.to_dict(message)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON answers (a view returning a dict, `json.response`) written by orjson: the same bytes
    as the default provider's compact sorted-keys output, several times faster on a page of 50 items.

    Only `response` changes; `dumps` (problem bodies, the registration's body) keeps json.dumps and its
    spacing. A debug-mode (indented) answer, or a value orjson cannot write (an integer beyond 64 bits,
    a non-string key), goes the default way. The API's bodies hold no floats, where the two would
    differ (orjson writes 1e16, json.dumps 1e+16).
    """

    def response(self, *args: Any, **kwargs: Any) -> SansIOResponse:
        if self.compact is False or (self.compact is None and self._app.debug) or self.ensure_ascii \
                or not self.sort_keys:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = protojson.dumps(obj, self.default) + b"\n"
        except TypeError:
            return super().response(*args, **kwargs)
        return cast(type[Response], self._app.response_class)(body, mimetype=self.mimetype)


class JsonObject(dict[str, Any]):
    """A request's JSON body: its values have JSON types, so a Reader takes them as typed (no null for
    a text, no "true" for a boolean, no "5" for a number), as the OpenAPI document says."""


def json_body() -> JsonObject:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", {"body": "请求体必须是 JSON 对象"})
    return JsonObject(body)


class Reader:
    """Typed access to a JSON object, a form or a query string, collecting every field error before
    failing. Forms and query strings carry only text, so there "true" is a boolean and "5" a number."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.typed = isinstance(source, JsonObject)
        self.errors: dict[str, str] = {}

    def text(self, name: str, max_len: int = 4000) -> str:
        value = self.source.get(name, "")
        if value is None and not self.typed:  # a page's own dict of fields may leave one out so
            return ""
        if not isinstance(value, str):
            self.errors[name] = "应为字符串"
            return ""
        if len(value) > max_len:
            self.errors[name] = f"不能超过{max_len}字"
            return ""
        if has_bad_characters(value):
            self.errors[name] = FIELD_ERROR
            return ""
        return value

    def flag(self, name: str) -> bool | None:
        if name not in self.source:
            return None
        value = self.source.get(name)
        if isinstance(value, bool):
            return value
        if not self.typed and value in ("", None):
            return None
        if not self.typed and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        self.errors[name] = "应为 true 或 false"
        return None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        if name not in self.source:
            return default
        value = self.source.get(name)
        if value is None and not self.typed:
            return default
        if self.typed and isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON has one number type: 2026.0 is the integer 2026 (as JSON Schema says)
        if self.typed and not isinstance(value, int):
            self.errors[name] = "应为整数"
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.errors[name] = "应为整数"
            return default
        if isinstance(value, bool) or not low <= number <= high:
            self.errors[name] = f"应在 {low} 到 {high} 之间"
            return default
        return number

    def pairs(self, name: str) -> list[tuple[str, str]] | None:
        value = self.source.get(name)
        if name not in self.source or (value is None and not self.typed):
            return None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.errors[name] = "应为 [{unit_id, duty}] 列表"
            return None
        result = []
        for i, entry in enumerate(value):
            unit_id, duty = entry.get("unit_id", ""), entry.get("duty", "")
            if not isinstance(unit_id, str) or not isinstance(duty, str):
                self.errors[f"{name}[{i}]"] = "unit_id 与 duty 应为字符串"
                continue
            if len(unit_id) > 40 or len(duty) > 4000:
                self.errors[f"{name}[{i}]"] = "unit_id 不能超过40字，duty 不能超过4000字"
                continue
            result.append((unit_id, duty))
        return result

    def unknown(self, allowed: set[str]) -> None:
        for key in self.source:
            if key not in allowed:
                self.errors[key] = "未知字段"

    def done(self) -> None:
        if self.errors:
            raise InvalidInput("invalid input: " + ", ".join(sorted(self.errors)), self.errors)


View = TypeVar("View", bound=Callable[..., Any])


def photo_upload(view: View) -> View:
    """Marks a view that takes photos: its body may be as large as the photo limit, not the import one
    (DUBAN_PHOTO_UPLOAD_MAX_BYTES; services/gateway/app.py sets it before the form is read)."""
    view.photo_upload = True  # type: ignore[attr-defined]
    return view


_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}")


def media_type(value: str) -> str:
    """The stored content type if it is a plain media type (RFC 6838 names): an attachment keeps the
    type its uploader gave, and that may be anything - a header can carry only these."""
    return value if _MEDIA_TYPE.fullmatch(value) else "application/octet-stream"


def file_response(chunks: Iterator[common_pb2.FileChunk], inline: bool = False) -> Response:
    """Stream FileChunks from a service as a download (`inline`: shown in the browser, as a photo is).
    The first chunk is read before answering, so a service error still becomes a proper problem
    response instead of a broken download."""
    first = next(chunks)

    def body() -> Iterator[bytes]:
        yield first.data
        for chunk in chunks:
            yield chunk.data

    response = Response(stream_with_context(body()), mimetype=media_type(first.content_type))
    name = first.filename or "download"
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename=\"download\"; filename*=UTF-8''{quote(name)}"
    return response
