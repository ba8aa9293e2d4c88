"""The image needs no system package beyond its base (python:3.11-slim-bookworm): every native module the
wheels install - Pillow's and pillow-heif's decoders (libjpeg, libpng, libwebp, libheif, libde265) as
much as grpcio's or psycopg's - needs only libraries its wheel bundles or the base image has.

manylinux wheels bundle what they link (auditwheel puts them, renamed with a hash, in `<package>.libs/`);
the base image has glibc, libgcc_s, libstdc++ (apt needs them) and zlib. This venv holds the same
wheels the image's `pip install -r requirements.txt` picks (plus the dev tools), so a wheel that starts
to need another system library fails here, not in a pod that cannot import it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sysconfig
from collections import defaultdict
from pathlib import Path

import pytest

# Shared libraries of python:3.11-slim-bookworm's Debian packages that manylinux wheels may link:
# libc6 (glibc), libgcc-s1, libstdc++6, zlib1g.
BASE_IMAGE_LIBRARIES = frozenset({
    "libc.so.6", "libm.so.6", "libmvec.so.1", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libresolv.so.2",
    "libutil.so.1", "ld-linux-x86-64.so.2", "libgcc_s.so.1", "libstdc++.so.6", "libz.so.1",
})
SITE_PACKAGES = Path(sysconfig.get_paths()["platlib"])


def needed_libraries(files: list[Path]) -> dict[Path, list[str]]:
    """DT_NEEDED of each ELF file (readelf -d), by file."""
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.fail("readelf is missing: apt-get install binutils")
    out = subprocess.run([readelf, "-d", "-W", *map(str, files)], capture_output=True, text=True, timeout=120,
                         check=False).stdout
    needed: dict[Path, list[str]] = defaultdict(list)
    current = files[0] if len(files) == 1 else None
    for line in out.splitlines():
        if line.startswith("File: "):
            current = Path(line[len("File: "):].strip())
        elif (found := re.search(r"\(NEEDED\)\s+Shared library: \[(.+)\]", line)) and current is not None:
            needed[current].append(found.group(1))
    return needed


def problems(site: Path, base: frozenset[str] = BASE_IMAGE_LIBRARIES) -> list[str]:
    """Every needed library that is neither bundled by some wheel (a file under site-packages) nor in `base`."""
    objects = [f for f in site.rglob("*.so*") if f.is_file() and not f.is_symlink()]
    bundled = {f.name for f in objects}
    return [f"{so.relative_to(site)} needs {lib}: neither bundled by its wheel nor in the base image"
            for so, libs in sorted(needed_libraries(objects).items()) for lib in libs
            if lib not in bundled and lib not in base]


def test_photo_libraries_are_importable_and_bundled() -> None:
    """The photo checks' decoders load, and come from the wheels (not from this machine's libheif)."""
    import pillow_heif
    from PIL import features

    assert features.check("jpg") and features.check("zlib") and features.check("webp")
    assert "libde265" in pillow_heif.libheif_info()["decoders"], "no HEVC decoder: HEIC photos would be refused"
    libs = {so.name for so in SITE_PACKAGES.glob("pillow*.libs/*.so*")}
    assert any(n.startswith("libjpeg-") for n in libs) and any(n.startswith("libheif-") for n in libs), libs


def test_every_native_module_needs_only_bundled_or_base_image_libraries() -> None:
    assert problems(SITE_PACKAGES) == []


def test_a_library_the_base_image_lacks_is_reported() -> None:
    """Without libstdc++ in the base set, the C++ extensions (grpcio, pillow-heif's libheif) are reported."""
    found = problems(SITE_PACKAGES, BASE_IMAGE_LIBRARIES - {"libstdc++.so.6"})
    assert found and all("needs libstdc++.so.6" in p for p in found)
