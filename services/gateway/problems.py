"""Errors as RFC 9457 problem+json for the API, and as Chinese pages for people."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from libs.common.errors import (
    Conflict,
    DomainError,
    FailedPrecondition,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from services.gateway.clients import ServiceFailed, ServiceUnavailable

# Most specific first: status_of takes the first kind the error is an instance of.
STATUS = {IdempotencyKeyReused: 422, IdempotencyKeyInFlight: 409, NotFound: 404, InvalidInput: 422, Conflict: 409,
          FailedPrecondition: 409, PermissionDenied: 403}
TITLES = {
    400: "请求格式错误",
    401: "需要登录",
    403: "没有权限",
    404: "未找到",
    405: "不支持的请求方法",
    409: "冲突",
    413: "文件过大",
    415: "不支持的内容类型",
    422: "输入有误",
    429: "尝试次数过多",
    500: "系统内部错误",
    503: "服务暂不可用",
}


def problem(status: int, detail: str = "", errors: dict[str, str] | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "错误"), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def status_of(error: DomainError) -> int:
    for kind, code in STATUS.items():
        if isinstance(error, kind):
            return code
    return 400


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> ResponseReturnValue:
        status = status_of(error)
        if wants_json():
            # `suggestions`: a value the rule offers for a refused field (the next working day for a
            # deadline on a holiday), beside the field's message in `errors`.
            extra = {"suggestions": error.suggestions} if error.suggestions else {}
            response = problem(status, error.message, error.field_errors, **extra)
            if isinstance(error, IdempotencyKeyInFlight):
                response.headers["Retry-After"] = "1"  # the first request with the key is still running
            return response
        # People read the Chinese field messages; the English message is for API clients and logs.
        detail = "" if error.field_errors else error.message
        return render_template("error.html", status=status, title=TITLES.get(status), detail=detail,
                               errors=error.field_errors), status

    @app.errorhandler(ServiceUnavailable)
    def unavailable(error: ServiceUnavailable) -> ResponseReturnValue:
        app.logger.warning("service unavailable: %s", error)
        if wants_json():
            return problem(503, f"{error.service} 服务暂不可用，请稍后重试")
        return render_template("error.html", status=503, title=TITLES[503],
                               detail=f"{error.service} 服务暂不可用，请稍后重试"), 503

    @app.errorhandler(ServiceFailed)
    def failed(error: ServiceFailed):  # type: ignore[no-untyped-def]
        app.logger.error("service failed: %s", error)
        detail = f"{error.service} 服务内部错误（已记录），请联系系统管理员"
        if wants_json():
            return problem(500, detail)
        return render_template("error.html", status=500, title=TITLES[500], detail=detail), 500

    for status in (400, 401, 403, 404, 405, 413, 415, 429, 500):
        def handler(error: HTTPException, status: int = status) -> Response:
            detail = getattr(error, "description", "") if status != 500 else ""
            if status == 413:  # Werkzeug's words are English; the limits are the portal's settings
                detail = "上传的内容超过大小限制（照片合计与导入文件各有上限），请减少或压缩后重试"
            if wants_json():
                response = problem(status, detail if isinstance(detail, str) else "")
            else:
                response = Response(render_template("error.html", status=status, title=TITLES[status], detail=""),
                                    status=status, mimetype="text/html")
            valid_methods = getattr(error, "valid_methods", None)
            if status == 405 and valid_methods:
                response.headers["Allow"] = ", ".join(valid_methods)  # RFC 9110 requires it
            return response

        app.register_error_handler(status, handler)
