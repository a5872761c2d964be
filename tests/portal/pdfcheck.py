"""Reading a PDF the way a test needs to: its text (poppler's pdftotext) and its document
information (pdfinfo), so a test can say "the remittance is tagged and names every line".
poppler-utils is installed by scripts/setup.sh."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib


def _poppler(tool: str, *args: str, data: bytes) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: apt-get install -y poppler-utils (scripts/setup.sh does)"
    done = subprocess.run([path, *args, "-", "-"] if tool == "pdftotext" else [path, *args, "-"], input=data,
                          capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def pdf_text(data: bytes, layout: bool = False) -> str:
    """The document's text, in reading order (or as laid out, with `layout`)."""
    return _poppler("pdftotext", *(["-layout"] if layout else []), data=data)


def pdf_info(data: bytes) -> dict[str, str]:
    """pdfinfo's fields: Title, Author, Tagged ("yes"), Pages, ..."""
    info = {}
    for line in _poppler("pdfinfo", data=data).splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def pdf_objects(data: bytes) -> bytes:
    """Every object's bytes with its streams inflated (the catalog usually sits in a
    compressed object stream): to find `/Lang (en-GB)`, `/DisplayDocTitle true`."""
    parts = [data]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)
