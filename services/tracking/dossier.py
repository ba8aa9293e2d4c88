"""The item's dossier (整理建档, Art. 6.8) as one deterministic ZIP with a manifest and SHA256SUMS, and its check."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime

CONTENT_TYPE = "application/zip"
MANIFEST, CHECKSUMS = "manifest.json", "SHA256SUMS"
FORMAT = "duban-dossier/1"
_UNIX = 3
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")  # control characters break SHA256SUMS lines; "\" is a Windows separator
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class DossierEntry:
    """One file of the dossier: `path` inside the ZIP ("01_交办/督办通知.docx"), its bytes, a title and a kind
    (free text such as "notice", "completion_report", "attachment")."""

    path: str
    data: bytes
    title: str
    kind: str


def safe_name(name: str) -> str:
    """`name` as one path part of a dossier: separators and control characters become "_", and a name
    of dots only (".", "..") gets a "_" in front, so an uploader's file name can never leave its folder."""
    cleaned = _BAD_CHARS.sub("_", name).replace("/", "_").strip() or "_"
    return "_" + cleaned if set(cleaned) == {"."} else cleaned


def path_problem(path: str) -> str | None:
    """Why `path` cannot be a member of a dossier, or None. Relative, "/"-separated, no empty, "." or ".."
    parts, no control characters or backslashes, and not one of the two names the dossier writes itself."""
    if not path:
        return "empty path"
    if path.startswith("/") or _DRIVE.match(path):
        return f"absolute path: {path!r}"
    if _BAD_CHARS.search(path):
        return f"control character or backslash in path: {path!r}"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return f"empty, '.' or '..' part in path: {path!r}"
    if path in (MANIFEST, CHECKSUMS):
        return f"reserved name: {path!r}"
    return None


def _check_paths(paths: list[str]) -> None:
    seen: set[str] = set()
    for path in paths:
        problem = path_problem(path)
        if problem:
            raise ValueError(problem)
        if path in seen:
            raise ValueError(f"duplicate path: {path!r}")
        seen.add(path)
    folders = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    clashes = sorted(seen & folders)
    if clashes:
        raise ValueError(f"path is both a file and a folder: {clashes[0]!r}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _member(path: str, created_at: datetime) -> zipfile.ZipInfo:
    # ZIP stores local wall-clock time from 1980 on, at two-second resolution; every field is fixed here
    # so the same inputs give the same bytes on any machine. zipfile sets flag bit 11 (UTF-8 names) itself
    # on every non-ASCII name and resets flag_bits when writing, so it is not set here.
    stamp = (created_at.year, created_at.month, created_at.day, created_at.hour, created_at.minute, created_at.second)
    info = zipfile.ZipInfo(path, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = _UNIX
    info.external_attr = 0o100644 << 16
    return info


def build_dossier_zip(
    item_no: str, title: str, entries: list[DossierEntry], created_at: datetime, archived_by: str
) -> bytes:
    """The dossier: every entry (sorted by path), then manifest.json and SHA256SUMS. Deterministic.
    Raises ValueError naming the path for a duplicate, absolute, ".."-containing or otherwise unsafe path."""
    ordered = sorted(entries, key=lambda e: e.path)
    _check_paths([e.path for e in ordered])
    files = [
        {"path": e.path, "title": e.title, "kind": e.kind, "size": len(e.data), "sha256": _sha256(e.data)}
        for e in ordered
    ]
    manifest = {
        "format": FORMAT,
        "item_no": item_no,
        "title": title,
        "created_at": created_at.isoformat(),
        "archived_by": archived_by,
        "files": files,
    }
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in files).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry in ordered:
            zf.writestr(_member(entry.path, created_at), entry.data)
        zf.writestr(_member(MANIFEST, created_at), manifest_bytes)
        zf.writestr(_member(CHECKSUMS, created_at), sums)
    return out.getvalue()


def _read_all(zf: zipfile.ZipFile, problems: list[str]) -> dict[str, bytes]:
    contents: dict[str, bytes] = {}
    for info in zf.infolist():
        if info.filename in contents:
            problems.append(f"duplicate member: {info.filename}")
            continue
        try:
            contents[info.filename] = zf.read(info)
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError) as exc:  # bad CRC, bad deflate stream
            problems.append(f"unreadable member {info.filename}: {exc}")
    return contents


def _parse_sums(text: str, problems: list[str]) -> dict[str, str]:
    sums: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if not match:
            problems.append(f"{CHECKSUMS} line {n} is malformed")
            continue
        sums[match.group(2)] = match.group(1)
    return sums


def verify_dossier(zip_bytes: bytes) -> list[str]:
    """Every problem found, [] when the dossier is intact: each file listed in manifest.json is present with
    the recorded size and SHA-256, SHA256SUMS agrees with the contents, and nothing is unlisted or unsafe."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
            contents = _read_all(zf, problems)
    except zipfile.BadZipFile as exc:
        return [f"not a ZIP archive: {exc}"]
    try:
        manifest = json.loads(contents.pop(MANIFEST))
        listed = {f["path"]: f for f in manifest["files"]}
    except KeyError:
        return [*problems, f"{MANIFEST} is missing or incomplete"]
    except (ValueError, TypeError) as exc:
        return [*problems, f"{MANIFEST} is not valid: {exc}"]
    sums_bytes = contents.pop(CHECKSUMS, None)
    if sums_bytes is None:
        problems.append(f"{CHECKSUMS} is missing")
        sums: dict[str, str] = {}
    else:
        sums = _parse_sums(sums_bytes.decode("utf-8", "replace"), problems)

    for path in sorted(set(contents) | set(listed) | set(sums)):
        problem = path_problem(path)
        if problem:
            problems.append(problem)
        data = contents.get(path)
        if data is None:
            problems.append(f"missing file: {path}")
            continue
        actual = _sha256(data)
        record = listed.get(path)
        if record is None:
            problems.append(f"file not in {MANIFEST}: {path}")
        else:
            if record.get("size") != len(data):
                problems.append(f"size mismatch: {path} is {len(data)} bytes, {MANIFEST} says {record.get('size')}")
            if record.get("sha256") != actual:
                problems.append(f"checksum mismatch: {path} ({MANIFEST})")
        if sums_bytes is not None and sums.get(path) != actual:
            problems.append(
                f"checksum mismatch: {path} ({CHECKSUMS})" if path in sums else f"file not in {CHECKSUMS}: {path}"
            )
    return problems
