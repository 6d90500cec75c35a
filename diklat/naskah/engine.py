"""Template rendering engine: Word templates with Jinja tags, rendered fast.

Semantics are docxtpl's (``{{ var }}``, ``{%p if %}``, ``{%tr for %}`` ...), with two house
rules: autoescaping is on (a name with ``<``, ``&``, quotes or ``{{ 7*7 }}`` comes out
literally) and a missing variable is an error naming the template and the variable
(:class:`MissingVariableError`), never a blank in an official letter.

The fast path (:class:`CompiledTemplate`) does the expensive work once per template:

1. every XML part that contains Jinja tags (document, headers, footers, footnotes) goes
   through docxtpl's own tag-joining preprocessing (``DocxTemplate.patch_xml``) once, and the
   result is compiled once as a Jinja template;
2. every other zip member is compressed once and kept as ready-made bytes.

Rendering one document is then: render the compiled XML with the context, turn line breaks
in values into ``<w:br/>``, deflate the rendered parts and write the zip by hand (static
members copied as precomputed bytes). Templates that use features the fast path does not
reproduce (column loops ``{%tc %}``, which need docxtpl's table fixing) fall back to docxtpl
for that template, so the result is always right.

Paper size and font come from ``settings.naskah`` and are applied when a template is loaded
(``apply_page_settings``): the page size in every ``<w:pgSz>`` (orientation kept), the
font in the document defaults and the Normal style, and the Normal style's size
(``font_size_pt``; runs with their own size, like the letterhead, keep it). Wording and
layout are the template's.
"""

from __future__ import annotations

import io
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import StrictUndefined

from diklat.naskah.lambang import LAMBANG_PLACEHOLDER, lambang_bytes
from diklat.naskah.teks import seimbang
from diklat.settings import Settings, get_settings

PAPER_TWIPS: dict[str, tuple[int, int]] = {
    # width, height in twentieths of a point (1 mm = 56.6929 twips)
    "A4": (11906, 16838),
    "F4": (12189, 18709),
}

_TAG_RE = re.compile(r"\{\{|\{%|\{#")
# Characters XML 1.0 cannot hold; a value carrying them would make the DOCX unreadable.
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]")
_W_T_RE = re.compile(r"(<w:t(?: [^>]*)?>)([^<]*)</w:t>")


class NaskahError(Exception):
    """Base class for rendering errors."""


class TemplateNotFoundError(NaskahError):
    pass


class MissingVariableError(NaskahError):
    """The context lacks a variable the template uses."""

    def __init__(self, template: str, variable: str, detail: str) -> None:
        self.template = template
        self.variable = variable
        self.detail = detail
        super().__init__(
            f"templat {template!r}: variabel {variable!r} tidak ada dalam konteks ({detail})"
        )


def _missing_name(message: str) -> str:
    """The variable or attribute name in a Jinja ``UndefinedError`` message."""
    for pat in (
        r"'([^']+)' is undefined",
        r"has no attribute '([^']+)'",
        r"has no element '?([^']+?)'?$",
    ):
        m = re.search(pat, message)
        if m:
            return m.group(1)
    return message


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ }}`` value before escaping: ``None`` prints as nothing, text
    loses characters XML cannot carry, ``\\r\\n``/``\\r``/``\\a`` become ``\\n``."""
    if value is None:
        return ""
    if isinstance(value, str):
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if "\a" in value:
            value = value.replace("\a", "\n")
        if _BAD_XML_CHARS.search(value):
            value = _BAD_XML_CHARS.sub("", value)
    return value


def make_environment() -> jinja2.Environment:
    """The Jinja environment of every template (also handed to docxtpl in the slow path)."""
    env = jinja2.Environment(
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
    )
    # {{ ttd.jabatan|seimbang(8.0, ",") }}: balanced lines for a column 8 cm wide
    env.filters["seimbang"] = seimbang
    return env


def _resolve_breaks(xml: str) -> str:
    """Line breaks, tabs and page breaks in rendered values -> Word elements, inside the
    same run (``<w:br/>``, ``<w:tab/>``, ``<w:br w:type="page"/>``)."""

    def fix(m: re.Match[str]) -> str:
        text = m.group(2)
        if "\n" not in text and "\t" not in text and "\f" not in text:
            return m.group(0)
        tail = '<w:t xml:space="preserve">'
        text = (
            text.replace("\n", "</w:t><w:br/>" + tail)
            .replace("\t", "</w:t><w:tab/>" + tail)
            .replace("\f", '</w:t><w:br w:type="page"/>' + tail)
        )
        return f'<w:t xml:space="preserve">{text}</w:t>'

    return _W_T_RE.sub(fix, xml)


def _unescape_braces(xml: str) -> str:
    # docxtpl's escape for literal braces in a template: {_{ -> {{ etc.
    if "_" not in xml:
        return xml
    return xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")


# --------------------------------------------------------------------------- page settings


def apply_page_settings(part: str, xml: str, settings: Settings) -> str:
    """Paper size (every section, orientation kept) and body font from the settings."""
    if part == "word/document.xml":
        w, h = PAPER_TWIPS[settings.naskah.kertas]

        def pgsz(m: re.Match[str]) -> str:
            attrs = m.group(1)
            cur_w = re.search(r'w:w="(\d+)"', attrs)
            cur_h = re.search(r'w:h="(\d+)"', attrs)
            landscape = bool(cur_w and cur_h and int(cur_w.group(1)) > int(cur_h.group(1)))
            nw, nh = (h, w) if landscape else (w, h)
            attrs = re.sub(r'w:w="\d+"', f'w:w="{nw}"', attrs)
            attrs = re.sub(r'w:h="\d+"', f'w:h="{nh}"', attrs)
            return f"<w:pgSz{attrs}/>"

        xml = re.sub(r"<w:pgSz([^>]*?)/>", pgsz, xml)
    elif part == "word/styles.xml":
        font = settings.naskah.font.replace("&", "&amp;").replace('"', "&quot;")

        def fonts(m: re.Match[str]) -> str:
            # explicit names only: theme font attributes would win over them in Word
            return (
                f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/>'
            )

        # the document defaults and the Normal style carry the body font
        xml = re.sub(
            r"<w:docDefaults>.*?</w:docDefaults>",
            lambda m: re.sub(r"<w:rFonts[^>]*/>", fonts, m.group(0)),
            xml,
            count=1,
            flags=re.S,
        )
        half_points = str(round(settings.naskah.font_size_pt * 2))

        def normal(m: re.Match[str]) -> str:
            style = re.sub(r"<w:rFonts[^>]*/>", fonts, m.group(0))
            return re.sub(r'(<w:sz(?:Cs)? w:val=)"\d+"', rf'\1"{half_points}"', style)

        xml = re.sub(
            r'<w:style [^>]*w:styleId="Normal".*?</w:style>', normal, xml, count=1, flags=re.S
        )
    return xml


# --------------------------------------------------------------------------- zip writing


@dataclass(frozen=True)
class ZipMember:
    name: bytes
    method: int
    crc: int
    csize: int
    usize: int
    dostime: int
    dosdate: int
    local: bytes  # local header + compressed data, ready to write


def zip_member(name: str, data: bytes, dostime: int, dosdate: int, level: int = 6) -> ZipMember:
    if len(data) < 64:
        method, payload = zipfile.ZIP_STORED, data
    else:
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        payload = c.compress(data) + c.flush()
        method = zipfile.ZIP_DEFLATED
    crc = zlib.crc32(data) & 0xFFFFFFFF
    bname = name.encode("utf-8")
    flags = 0x800 if not name.isascii() else 0
    header = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        20,
        flags,
        method,
        dostime,
        dosdate,
        crc,
        len(payload),
        len(data),
        len(bname),
        0,
    )
    return ZipMember(
        bname, method, crc, len(payload), len(data), dostime, dosdate, header + bname + payload
    )


def raw_member(zin: zipfile.ZipFile, info: zipfile.ZipInfo) -> ZipMember:
    """A member of an existing package as it is stored there, without decompressing and
    compressing it again (a template's styles are 800 kB of XML that a final never
    changes). Encrypted members and other methods are read and compressed anew."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return zip_member(info.filename, zin.read(info), *_dos(info))
    fp = zin.fp
    assert fp is not None
    fp.seek(info.header_offset)
    head = fp.read(30)
    if head[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"{info.filename}: kepala lokal rusak")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    payload = fp.read(info.compress_size)
    if len(payload) != info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename}: isi terpotong")
    dostime, dosdate = _dos(info)
    bname = info.filename.encode("utf-8")
    flags = 0x800 if not info.filename.isascii() else 0
    header = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        20,
        flags,
        info.compress_type,
        dostime,
        dosdate,
        info.CRC,
        info.compress_size,
        info.file_size,
        len(bname),
        0,
    )
    return ZipMember(
        bname,
        info.compress_type,
        info.CRC,
        info.compress_size,
        info.file_size,
        dostime,
        dosdate,
        header + bname + payload,
    )


def _dos(info: zipfile.ZipInfo) -> tuple[int, int]:
    return dos_datetime(info.date_time)


def write_zip(members: Iterable[ZipMember]) -> bytes:
    out = io.BytesIO()
    central = []
    for m in members:
        offset = out.tell()
        out.write(m.local)
        flags = 0x800 if not m.name.isascii() else 0
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                flags,
                m.method,
                m.dostime,
                m.dosdate,
                m.crc,
                m.csize,
                m.usize,
                len(m.name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + m.name
        )
    cd_offset = out.tell()
    for c in central:
        out.write(c)
    cd_size = out.tell() - cd_offset
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), cd_size, cd_offset, 0
        )
    )
    return out.getvalue()


# --------------------------------------------------------------------------- templates


@dataclass
class _Part:
    name: str
    prolog: str  # the XML declaration, kept outside the template
    template: jinja2.Template


class CompiledTemplate:
    """A template loaded and compiled once; :meth:`render` many times (thread-safe)."""

    def __init__(
        self, path: Path, name: str | None = None, settings: Settings | None = None
    ) -> None:
        from docxtpl import DocxTemplate

        self.path = Path(path)
        self.name = name or self.path.stem
        self.settings = settings or get_settings()
        self.env = make_environment()
        if not self.path.is_file():
            raise TemplateNotFoundError(f"templat {self.name!r} tidak ditemukan: {self.path}")
        source = self.path.read_bytes()
        patcher = DocxTemplate(io.BytesIO(source))
        self._order: list[str] = []
        self._static: dict[str, ZipMember] = {}  # untemplated members, ready-made
        self._stamp: dict[str, tuple[int, int]] = {}  # DOS time/date per member
        self._parts: dict[str, _Part] = {}  # templated members, compiled
        self._sources: dict[str, str] = {}  # their preprocessed Jinja source
        unrendered: list[ZipMember] = []  # the template with page settings, for docxtpl
        lambang = lambang_bytes(self.settings.instansi.lambang)
        self.fast = True
        with zipfile.ZipFile(io.BytesIO(source)) as z:
            for info in z.infolist():
                n = info.filename
                data = z.read(n)
                stamp = dos_datetime(info.date_time)
                self._order.append(n)
                self._stamp[n] = stamp
                text: str | None = None
                if n.startswith("word/") and n.endswith(".xml"):
                    text = data.decode("utf-8")
                    patched = apply_page_settings(n, text, self.settings)
                    if patched != text:
                        text, data = patched, patched.encode("utf-8")
                if n.startswith("word/media/") and data == LAMBANG_PLACEHOLDER and lambang:
                    data = lambang  # the configured regional emblem
                member = zip_member(n, data, *stamp)
                unrendered.append(member)
                if text is None or not _TAG_RE.search(text):
                    self._static[n] = member
                    continue
                prolog, body = _split_prolog(text)
                if re.search(r"\{%-?\s*tc\s|\{\{\s*tc\s", body):
                    self.fast = False  # column loops need docxtpl's table fixing
                xml = patcher.patch_xml(body)
                try:
                    tpl = self.env.from_string(xml)
                except jinja2.TemplateSyntaxError as e:
                    raise NaskahError(
                        f"templat {self.name!r} ({n}): tag Jinja rusak: {e.message}"
                    ) from e
                self._parts[n] = _Part(n, prolog, tpl)
                self._sources[n] = xml
        self._patched_source = write_zip(unrendered)

    # ------------------------------------------------------------------ rendering

    def render_xml(self, context: Mapping[str, Any]) -> dict[str, str]:
        """The rendered XML of every templated part (``{member name: xml}``)."""
        out: dict[str, str] = {}
        for name, part in self._parts.items():
            try:
                xml = part.template.render(context)
            except jinja2.exceptions.UndefinedError as e:
                raise MissingVariableError(self.name, _missing_name(str(e)), str(e)) from None
            xml = _unescape_braces(xml)
            if "\n" in xml or "\t" in xml or "\f" in xml:
                xml = _resolve_breaks(xml)
            out[name] = part.prolog + xml
        return out

    def render(self, context: Mapping[str, Any]) -> bytes:
        """One DOCX document as bytes."""
        if not self.fast:
            return self.render_docxtpl(context)
        rendered = self.render_xml(context)
        members = []
        for n in self._order:
            if n in rendered:
                members.append(zip_member(n, rendered[n].encode("utf-8"), *self._stamp[n]))
            else:
                members.append(self._static[n])
        return write_zip(members)

    def render_to(self, context: Mapping[str, Any], path: Path) -> Path:
        path = Path(path)
        data = self.render(context)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return path

    def render_docxtpl(self, context: Mapping[str, Any]) -> bytes:
        """The slow path: plain docxtpl with the same environment (baseline, fallback)."""
        from docxtpl import DocxTemplate

        doc = DocxTemplate(io.BytesIO(self._patched_source))
        try:
            doc.render(dict(context), jinja_env=make_environment(), autoescape=True)
        except jinja2.exceptions.UndefinedError as e:
            raise MissingVariableError(self.name, _missing_name(str(e)), str(e)) from None
        buf = io.BytesIO()
        doc.save(buf)
        return buf.getvalue()

    def variables(self) -> set[str]:
        """Top-level variables the template uses (for checks and documentation)."""
        from jinja2 import meta

        names: set[str] = set()
        for source in self._sources.values():
            names |= meta.find_undeclared_variables(self.env.parse(source))
        return names


def _split_prolog(xml: str) -> tuple[str, str]:
    if xml.startswith("<?xml"):
        end = xml.index("?>") + 2
        # keep the line break Word writes after the declaration in the prolog
        while end < len(xml) and xml[end] in "\r\n":
            end += 1
        return xml[:end], xml[end:]
    return "", xml


def dos_datetime(t: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = t
    y = max(y, 1980)
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


# --------------------------------------------------------------------------- cache and API

_cache: dict[tuple[Any, ...], CompiledTemplate] = {}
_cache_lock = threading.Lock()


def template_path(jenis: str, settings: Settings | None = None) -> Path:
    s = settings or get_settings()
    if not re.fullmatch(r"[a-z0-9_]+", jenis):
        raise TemplateNotFoundError(f"jenis naskah tidak valid: {jenis!r}")
    return Path(s.templates_dir) / f"{jenis}.docx"


def load_template(jenis: str | Path, settings: Settings | None = None) -> CompiledTemplate:
    """The compiled template of a document type (or a path), cached while the file and the
    page settings are unchanged."""
    s = settings or get_settings()
    path = Path(jenis) if isinstance(jenis, Path) else template_path(jenis, s)
    if not path.is_file():
        raise TemplateNotFoundError(
            f"templat {path.stem!r} tidak ditemukan di {path.parent} "
            f"(buat dengan: python -m tools.build_templates)"
        )
    lambang = s.instansi.lambang
    lambang_mtime = Path(lambang).stat().st_mtime if lambang and Path(lambang).exists() else 0
    key = (
        str(path.resolve()),
        path.stat().st_mtime,
        s.naskah.kertas,
        s.naskah.font,
        s.naskah.font_size_pt,
        str(lambang or ""),
        lambang_mtime,
    )
    with _cache_lock:
        tpl = _cache.get(key)
    if tpl is None:
        tpl = CompiledTemplate(path, settings=s)
        with _cache_lock:
            _cache[key] = tpl
    return tpl


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def render_one(
    jenis: str | Path, context: Mapping[str, Any], out_path: Path, settings: Settings | None = None
) -> Path:
    """Render one document to ``out_path`` (DOCX)."""
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    return load_template(jenis, settings).render_to(context, out_path)


def render_batch(
    jenis: str | Path,
    contexts: Sequence[Mapping[str, Any]],
    out_dir: Path,
    *,
    names: Sequence[str] | None = None,
    settings: Settings | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Render one document per context into ``out_dir``; the template is loaded once.

    File names: ``names[i]`` (without extension) or ``<jenis>_<0001>.docx``. Rendering
    stops at the first error; files already written stay (each complete: writes are atomic
    renames), so a rerun overwrites them with the same content."""
    tpl = load_template(jenis, settings)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if names is not None and len(names) != len(contexts):
        raise ValueError("names and contexts differ in length")
    paths = []
    for i, ctx in enumerate(contexts):
        stem = names[i] if names is not None else f"{tpl.name}_{i + 1:04d}"
        if "/" in stem or "\\" in stem or stem.startswith("."):
            raise ValueError(f"nama berkas tidak valid: {stem!r}")
        paths.append(tpl.render_to(ctx, out / f"{stem}.docx"))
        if progress:
            progress(i + 1)
    return paths
