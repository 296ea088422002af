"""What an uploaded file is, judged by its content: a PDF that parses, a PNG or a JPEG that decodes.

The name and the type the browser claims are not trusted. A PDF must start with `%PDF-`, end with
`%%EOF`, be readable by pypdf in strict mode, have a page and no encryption (an archive copy must
open without a password). An image must have the PNG or JPEG signature and decode with Pillow,
within Pillow's pixel limit (no decompression bombs). Refusals are German sentences for the user.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
TYPE_NAMES = {PDF: "PDF", PNG: "PNG-Bild", JPEG: "JPEG-Bild"}
ALLOWED_TEXT = "PDF, PNG oder JPEG"


class Refused(Exception):
    """The file is not accepted; `str(exc)` is the German reason."""


@dataclass(frozen=True)
class CheckedFile:
    media_type: str
    filename: str


def _signature(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def _check_pdf(content: bytes) -> None:
    if b"%%EOF" not in content[-1024:]:
        raise Refused("Die PDF-Datei ist unvollständig (ihr Ende fehlt). Bitte die Datei erneut speichern.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(content), strict=True)
            if reader.is_encrypted:
                raise Refused("Die PDF-Datei ist verschlüsselt oder kennwortgeschützt; bitte ohne Kennwort "
                              "speichern, damit sie in der Akte lesbar bleibt.")
            if len(reader.pages) < 1:
                raise Refused("Die PDF-Datei enthält keine Seite.")
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError) as exc:
        raise Refused("Die PDF-Datei ist beschädigt und lässt sich nicht lesen.") from exc


def _check_image(content: bytes, media_type: str) -> None:
    expected = "PNG" if media_type == PNG else "JPEG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                fmt = image.format
                image.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()  # verify() checks the structure; load() decodes the pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused("Das Bild ist zu groß (zu viele Bildpunkte).") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise Refused(f"Das {TYPE_NAMES[media_type]} ist beschädigt und lässt sich nicht öffnen.") from exc
    if fmt != expected:
        raise Refused(f"Die Datei ist kein gültiges {TYPE_NAMES[media_type]}.")


def safe_filename(name: str, media_type: str) -> str:
    """The last path part, without control characters, at most 150 characters, with the right extension."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:150].strip(" .") or "anhang"
    return stem + EXTENSIONS[media_type]


def check(content: bytes, filename: str, max_bytes: int) -> CheckedFile:
    """The file's real type and a safe name, or `Refused` with the reason (nothing is stored then)."""
    if not content:
        raise Refused("Die Datei ist leer.")
    if len(content) > max_bytes:
        raise Refused(f"Die Datei ist zu groß ({_mb(len(content))}); erlaubt sind höchstens {_mb(max_bytes)}.")
    media_type = _signature(content)
    if media_type is None:
        raise Refused(f"Dieser Dateityp ist nicht erlaubt. Erlaubt sind {ALLOWED_TEXT} (geprüft wird der Inhalt, "
                      "nicht der Name).")
    if media_type == PDF:
        _check_pdf(content)
    else:
        _check_image(content, media_type)
    return CheckedFile(media_type, safe_filename(filename, media_type))


def _mb(size: int) -> str:
    value = size / (1024 * 1024)
    text = f"{value:.1f}".replace(".", ",").replace(",0", "") if value < 100 else str(round(value))
    return f"{text} MB"
