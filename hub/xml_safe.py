"""The one hardened XML helper of Relais: every partner document is parsed, streamed and validated through it.

Why one module: XML parsers are dangerous by default (entity expansion "billion laughs", external entities reading
local files, DTDs and schemas fetched over the network). Keeping every parse here means the protections are set once,
tested once, and a connector cannot forget one.

What it guarantees:

* **no DTD at all**: a document carrying a ``<!DOCTYPE`` (internal subset, external DTD, entity declarations) is
  rejected before and after parsing; entities are never resolved, nothing is loaded from the network or the disk;
* **size limits**: a whole-document parse refuses inputs over ``max_bytes`` (:class:`~hub.core.errors.InputTooLarge`)
  and nesting deeper than ``max_depth``; streaming refuses a record bigger than ``max_record_bytes``; libxml2's own
  limits (text node 10 MB, depth 256) stay on (``huge_tree=False``);
* **no schema from the document**: ``xsi:schemaLocation`` / ``xsi:noNamespaceSchemaLocation`` hints are refused;
  schemas come only from the connector's own ``schemas/`` directory, and their ``xs:include``/``xs:import`` may not
  leave it;
* **precise errors**: every failure is a :class:`~hub.core.errors.DecodeError` whose location names the file, the
  line and the element path (``interfaceNuu/demande/demandeLogement/numUnique``), so an operator can fix the input;
  XSD messages never quote a value unless the connector declared the element public (names, birth dates and
  incomes must not reach dead letters or logs).

Public API: :func:`parse` (a unit message), :func:`iter_records` (streaming), :class:`XmlSchema` (XSD loading and
validation with line numbers and paths), :func:`split_by_record` and :func:`schema_error` (one bad record among good
ones), :class:`XmlLimits`, :func:`element_path`, :func:`local_name`, :func:`make_parser`.
"""

from __future__ import annotations

import bisect
import copy
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from hub.core.errors import DecodeError, ErrorLocation, InputTooLarge

__all__ = [
    "XmlLimits", "XmlSchema", "SchemaProblem", "parse", "iter_records", "element_path", "local_name", "make_parser",
    "schema_error", "split_by_record", "record_alone", "DEFAULT_LIMITS", "XSI_NS",
]

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_SCHEMA_HINTS = (f"{{{XSI_NS}}}schemaLocation", f"{{{XSI_NS}}}noNamespaceSchemaLocation")
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)
_PROLOG_SCAN = 64 * 1024


@dataclass(frozen=True)
class XmlLimits:
    """How much of a document Relais accepts to parse.

    ``max_bytes`` bounds a whole-document parse (a unit message); ``None`` disables it (bulk files are streamed and
    may be gigabytes). ``max_depth`` bounds nesting in a whole-document parse (streaming relies on libxml2's fixed
    limit of 256). ``max_record_bytes`` bounds one streamed record, so that a single hostile record cannot take the
    memory a streaming import saves."""

    max_bytes: int | None = 50 * 1024 * 1024
    max_depth: int = 64
    max_record_bytes: int = 4 * 1024 * 1024


DEFAULT_LIMITS = XmlLimits()


def make_parser(**overrides: object) -> etree.XMLParser:
    """An lxml parser with every dangerous feature off. Prefer :func:`parse`; this exists for XSD loading."""
    options: dict[str, object] = dict(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, attribute_defaults=False,
        huge_tree=False, remove_comments=False, remove_pis=False, collect_ids=False,
    )
    options.update(overrides)
    return etree.XMLParser(**options)  # type: ignore[arg-type]


def record_alone(root: etree._Element, headers: list[etree._Element], record: etree._Element) -> bytes:
    """A document of ``root``'s kind holding only ``headers`` and one ``record`` (deep copies): what a rejected
    record's dead letter keeps, so that it can be fixed and replayed alone — not the whole message once per bad
    record (5,000 bad records of a 15 KB body used to make 75 MB of dead letters)."""
    shell = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=root.nsmap)
    for element in (*headers, record):
        shell.append(copy.deepcopy(element))
    return etree.tostring(shell, xml_declaration=True, encoding="UTF-8")


def local_name(element: etree._Element) -> str:
    """The element's name without its namespace (``{http://nuu.application.i2/}numUnique`` → ``numUnique``)."""
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rpartition("}")[2]


def element_path(element: etree._Element, top: etree._Element | None = None) -> str:
    """Slash-separated local names from the root (or from ``top``) down to ``element``, with a 1-based index for
    repeated siblings (``interfaceNuu/demande[2]/demandeLogement/numUnique``): the "field" part of an error
    location. Streamed records pass themselves as ``top``: their siblings are gone, the record number says which."""
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = local_name(node)
        parent = node.getparent()
        if node is top:
            parts.append(name)
            break
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/".join(reversed(parts))


def _line_of(body: bytes, offset: int) -> int:
    return body.count(b"\n", 0, offset) + 1


def _reject_doctype_bytes(head: bytes, origin: str) -> None:
    match = _DOCTYPE.search(head)
    if match:
        raise DecodeError(
            "document type declaration (DOCTYPE) refused: partner documents may not carry a DTD or entity "
            "declarations (XXE / entity-expansion protection)",
            location=ErrorLocation(file=origin, line=_line_of(head, match.start())))


def _reject_doctype_tree(tree: etree._ElementTree, origin: str) -> None:
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise DecodeError(
            "document type declaration (DOCTYPE) refused: partner documents may not carry a DTD or entity "
            "declarations (XXE / entity-expansion protection)",
            location=ErrorLocation(file=origin, line=1))


def _reject_schema_hints(element: etree._Element, origin: str) -> None:
    for attr in _SCHEMA_HINTS:
        if element.get(attr) is not None:
            raise DecodeError(
                f"attribute xsi:{attr.rpartition('}')[2]} refused: schemas are never loaded from a document's hints",
                location=ErrorLocation(file=origin, line=element.sourceline, field=element_path(element)))


def _syntax_error(exc: etree.XMLSyntaxError, origin: str, end: tuple[int, int] | None = None,
                  truncated: bool = False) -> DecodeError:
    """Turn libxml2's error into a DecodeError. An error at the very end of the input (``end`` = last line and its
    length), or libxml2's "premature end", means the document was cut short, which an operator fixes differently
    (have it sent again) from a malformed one."""
    message = (exc.msg or str(exc)).strip()
    line = exc.lineno if exc.lineno and exc.lineno > 0 else None
    column = exc.position[1] if exc.position else 0
    truncated = (truncated or "Premature end of data" in message or "end of document" in message.lower()
                 or (end is not None and line == end[0] and column >= end[1]))
    message = f"{'truncated' if truncated else 'malformed'} XML: {message}"
    return DecodeError(message, location=ErrorLocation(file=origin, line=line))


def _end_of(body: bytes) -> tuple[int, int]:
    """(line, length of that line) of the last non-blank line: where a truncated document stops."""
    trimmed = body.rstrip()
    return trimmed.count(b"\n") + 1, len(trimmed) - (trimmed.rfind(b"\n") + 1)


def _check_depth(root: etree._Element, limit: int, origin: str) -> None:
    stack: list[tuple[etree._Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            raise DecodeError(f"XML nested deeper than {limit} levels",
                              location=ErrorLocation(file=origin, line=element.sourceline,
                                                     field=element_path(element)))
        stack.extend((child, depth + 1) for child in element)


def parse(body: bytes, *, origin: str, limits: XmlLimits = DEFAULT_LIMITS,
          expected_root: str | Collection[str] | None = None) -> etree._Element:
    """Parse one whole document (a unit message) safely and return its root element.

    ``expected_root`` is a Clark name (``{namespace}local``), or several; a root with another name or namespace is
    refused with both names in the message, which is how a wrong-namespace document is told apart from a malformed
    one."""
    if limits.max_bytes is not None and len(body) > limits.max_bytes:
        raise InputTooLarge(f"XML document of {len(body)} bytes exceeds the limit of {limits.max_bytes} bytes",
                            location=ErrorLocation(file=origin))
    if not body.strip():
        raise DecodeError("empty document", location=ErrorLocation(file=origin))
    _reject_doctype_bytes(body[:_PROLOG_SCAN], origin)
    try:
        root = etree.fromstring(body, make_parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, origin, end=_end_of(body)) from None
    _reject_doctype_tree(root.getroottree(), origin)
    _check_depth(root, limits.max_depth, origin)
    for element in root.iter(etree.Element):
        _reject_schema_hints(element, origin)
    if expected_root is not None:
        _check_root(root, expected_root, origin)
    return root


def _check_root(root: etree._Element, expected: str | Collection[str], origin: str) -> None:
    """Refuse a root that is not one of ``expected`` (Clark names), telling a wrong namespace (same local name)
    apart from a wrong element, with both names in the message."""
    allowed = [expected] if isinstance(expected, str) else list(expected)
    if root.tag in allowed:
        return
    got_ns, _, got_name = str(root.tag).rpartition("}")
    same_name = [name for name in allowed if name.rpartition("}")[2] == got_name]
    if same_name:
        exp_ns = same_name[0].rpartition("}")[0]
        reason = (f"wrong namespace for root element {got_name!r}: got {got_ns.lstrip('{') or 'none'!r}, "
                  f"expected {exp_ns.lstrip('{')!r}")
    else:
        reason = f"unexpected root element {root.tag!r}, expected {' or '.join(repr(a) for a in allowed)}"
    raise DecodeError(reason, location=ErrorLocation(file=origin, line=root.sourceline, field=local_name(root)))


def _open(source: str | Path | BinaryIO) -> tuple[BinaryIO, bool]:
    if isinstance(source, (str, Path)):
        return open(source, "rb"), True
    return source, False


_SAFE_PULL = dict(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
                  remove_comments=True, remove_pis=True, collect_ids=False)
# counting in XPath stays in C (≈15 µs a record); walking the elements from Python costs five times more
_COUNT_HINTS = etree.XPath(
    "count(descendant-or-self::*/@*[namespace-uri() = $xsi and "
    "(local-name() = 'schemaLocation' or local-name() = 'noNamespaceSchemaLocation')])")


def _reject_hints_below(element: etree._Element, origin: str) -> None:
    if _COUNT_HINTS(element, xsi=XSI_NS):
        for candidate in element.iter(etree.Element):
            _reject_schema_hints(candidate, origin)


def _probe_root(head: bytes, origin: str, expected_root: str | Collection[str] | None) -> None:
    """Parse just enough of the start of a streamed document to see its root: DOCTYPE, name, namespace, hints."""
    probe = etree.XMLPullParser(events=("start",), **_SAFE_PULL)
    try:
        probe.feed(head)
        for _, root in probe.read_events():
            _reject_doctype_tree(root.getroottree(), origin)
            _reject_schema_hints(root, origin)
            if expected_root is not None:
                _check_root(root, expected_root, origin)
            return
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, origin) from None
    if not head.strip():
        raise DecodeError("empty document", location=ErrorLocation(file=origin))
    raise DecodeError(f"no root element in the first {len(head)} bytes", location=ErrorLocation(file=origin))


def _chunks(head: bytes, stream: BinaryIO, size: int) -> Iterator[bytes]:
    """The input in pieces of ``size`` bytes (the already-read head first), then an empty piece at the end."""
    for offset in range(0, len(head), size):
        yield head[offset:offset + size]
    while True:
        chunk = stream.read(size)
        yield chunk
        if not chunk:
            return


def iter_records(source: str | Path | BinaryIO, *, tags: Collection[str], origin: str,
                 expected_root: str | Collection[str] | None = None, limits: XmlLimits = DEFAULT_LIMITS,
                 chunk_size: int = 256 * 1024) -> Iterator[etree._Element]:
    """Stream a large document and yield, one at a time, each complete element whose Clark name is in ``tags``.

    Memory stays constant whatever the file size: the file is fed to libxml2 in chunks; once the caller resumes the
    iterator, the yielded element is cleared and every earlier sibling is removed from the tree, so only the root,
    the current record and the records of one chunk parsed ahead are ever held. The caller must copy what it needs
    (or serialise the record) before asking for the next one.

    Only the records (and the root) are seen by Python, the rest stays in C: that is what keeps streaming fast. The
    limits are therefore enforced per record: the bytes between two records may not exceed ``max_record_bytes``
    (plus one chunk), and nesting is bounded by libxml2's own limit (256 levels without ``huge_tree``).

    Failures are :class:`DecodeError` with file, line and element path: a DOCTYPE, a wrong root (name or
    namespace), schema-location hints, a record over the size limit, or malformed/truncated XML (raised when the
    parser reaches the damage, after the good records before it were yielded)."""
    stream, owned = _open(source)
    try:
        head = stream.read(_PROLOG_SCAN)
        _reject_doctype_bytes(head, origin)
        _probe_root(head, origin, expected_root)
        wanted = frozenset(tags)
        parser = etree.XMLPullParser(events=("start", "end"), tag=sorted(wanted), **_SAFE_PULL)
        pending = 0                                 # bytes fed since the last record was completed
        current: etree._Element | None = None      # the outermost wanted element being built
        chunks = _chunks(head, stream, chunk_size)
        while True:
            chunk = next(chunks)
            try:
                if chunk:
                    pending += len(chunk)
                    parser.feed(chunk)
                else:
                    parser.close()
                events = list(parser.read_events())
            except etree.XMLSyntaxError as exc:
                # every byte was accepted and the document is still open when the input ends: it was cut short
                raise _syntax_error(exc, origin, truncated=not chunk) from None
            for event, element in events:
                if event == "start":
                    if current is None:
                        current = element
                    continue
                if element is not current:
                    continue
                current = None
                pending = 0
                _reject_hints_below(element, origin)
                yield element
                parent = element.getparent()
                element.clear(keep_tail=False)
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
            if pending > limits.max_record_bytes + chunk_size:
                line = current.sourceline if current is not None else None
                raise DecodeError(f"record larger than {limits.max_record_bytes} bytes",
                                  location=ErrorLocation(file=origin, line=line,
                                                         field=local_name(current) if current is not None else None))
            if not chunk:
                return
    finally:
        if owned:
            stream.close()


@dataclass(frozen=True)
class SchemaProblem:
    """One XSD violation: where (line, element path) and what (libxml2's message, which names no personal data
    beyond the offending value of a simple type — callers log only ``line`` and ``field``)."""

    line: int | None
    field: str | None
    message: str

    def as_dict(self, origin: str) -> dict[str, object]:
        return {"reason": self.message, "file": origin, "line": self.line, "field": self.field}


class _LocalOnlyResolver(etree.Resolver):
    """Lets an XSD include or import files of its own directory and nothing else (no network, no other path)."""

    def __init__(self, directory: Path):
        super().__init__()
        self._directory = directory.resolve()

    def resolve(self, system_url, public_id, context):  # noqa: ANN001 - lxml's signature
        candidate = Path(system_url.removeprefix("file://")) if system_url else None
        if candidate is None:
            return None
        if not candidate.is_absolute():
            candidate = self._directory / candidate
        candidate = candidate.resolve()
        if candidate.parent != self._directory:
            raise etree.XMLSchemaParseError(f"schema reference {system_url!r} outside {self._directory} refused")
        if not candidate.is_file():
            raise etree.XMLSchemaParseError(f"schema reference {system_url!r}: no such file")
        return self.resolve_filename(str(candidate), context)


_ELEMENT_IN_MESSAGE = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'")


class XmlSchema:
    """An XSD loaded from a connector's ``schemas/`` directory, validating documents or single records.

    Why a wrapper: libxml2 reports errors with a line and an XPath that loses names under a default namespace; this
    class turns them into :class:`SchemaProblem` items carrying the element path an operator can read.

    libxml2 quotes the offending value in its messages (``The value 'Dupont…' has a length of…``). Those messages end
    up in dead letters and logs, which must never hold names, birth dates or incomes, so every value is masked
    except ``code`` attributes (coded values) and the elements (``name``) or attributes (``@name``) listed in
    ``public`` (identifiers, dates of events…), whose values help an operator and say nothing about a person."""

    def __init__(self, path: Path, *, public: Collection[str] = ()):
        self.path = Path(path)
        self.public = frozenset(public)
        parser = make_parser()
        parser.resolvers.add(_LocalOnlyResolver(self.path.parent))
        try:
            document = etree.parse(str(self.path), parser)
            self._schema = etree.XMLSchema(document)
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
            raise ValueError(f"invalid XSD {self.path}: {exc}") from exc

    def problems(self, element: etree._Element | etree._ElementTree) -> list[SchemaProblem]:
        """Validate and return every violation found (empty when valid). ``element`` may be a whole document or
        one record: a record must be declared as a global element of the schema."""
        if self._schema.validate(element):
            return []
        root = element.getroot() if isinstance(element, etree._ElementTree) else element
        found: list[SchemaProblem] = []
        for error in self._schema.error_log:
            message = _clean_message(error.message)
            found.append(SchemaProblem(line=error.line or None, field=_field_for(root, error),
                                       message=message if self._reveals(message) else _mask_values(message)))
        return found

    def _reveals(self, message: str) -> bool:
        match = _SUBJECT_IN_MESSAGE.match(message)
        if match is None:
            return False
        element, attribute = match.groups()
        if attribute:
            return attribute == "code" or f"@{attribute}" in self.public
        return element in self.public

    def assert_valid(self, element: etree._Element | etree._ElementTree, *, origin: str,
                     record: int | None = None) -> None:
        """Raise a :class:`DecodeError` naming the first violation (and listing all of them) if invalid."""
        found = self.problems(element)
        if found:
            raise schema_error(found, origin=origin, schema=self.path.name, record=record)


def schema_error(problems: list[SchemaProblem], *, origin: str, schema: str,
                 record: int | None = None) -> DecodeError:
    """One :class:`DecodeError` for a list of XSD problems: located at the first, listing all (five in the
    message, every one in ``problems``)."""
    first = problems[0]
    summary = "; ".join(f"{p.field or '?'} (line {p.line}): {p.message}" for p in problems[:5])
    if len(problems) > 5:
        summary += f" (+{len(problems) - 5} more)"
    extra = {"record": record} if record is not None else {}
    return DecodeError(f"does not validate against {schema}: {summary}",
                       location=ErrorLocation(file=origin, line=first.line, field=first.field, record=record),
                       problems=[{**p.as_dict(origin), **extra} for p in problems])


def split_by_record(root: etree._Element, problems: list[SchemaProblem], record_tags: Collection[str]
                    ) -> tuple[list[SchemaProblem], dict[int, list[SchemaProblem]]]:
    """Sort a document's XSD problems into those outside any record (header, root, misplaced elements: the whole
    document is unusable) and those inside one record, keyed by the record's position among the root's children
    (lxml's element proxies are not stable objects). Lets a connector reject one bad record and keep the others."""
    children = list(root)
    starts = [child.sourceline or 0 for child in children]
    outside: list[SchemaProblem] = []
    inside: dict[int, list[SchemaProblem]] = {}
    for problem in problems:
        index = bisect.bisect_right(starts, problem.line or 0) - 1
        child = children[index] if index >= 0 else None
        misplaced = child is not None and problem.field == element_path(child) and "not expected" in problem.message
        if child is None or child.tag not in record_tags or misplaced:
            outside.append(problem)
        else:
            inside.setdefault(index, []).append(problem)
    return outside, inside


_SUBJECT_IN_MESSAGE = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?:")
_VALUE_IN_MESSAGE = re.compile(r"(The value |^Element '[^']+'(?:, attribute '[^']+')?: )'[^']*'")
MASKED = "<masked>"


def _mask_values(message: str) -> str:
    return _VALUE_IN_MESSAGE.sub(lambda m: m.group(1) + MASKED, message)


def _clean_message(message: str) -> str:
    # libxml2 writes elements as Clark names ({uri}name); keep the local name, not the value sets ({'a', 'b'})
    return re.sub(r"\{[^}\s',]*[:/][^}\s',]*\}", "", message).strip()


def _field_for(root: etree._Element, error: etree._LogEntry) -> str | None:
    """Find the element libxml2 complains about (same line, same local name) and return its path."""
    match = _ELEMENT_IN_MESSAGE.match(error.message or "")
    name = match.group(1) if match else None
    top = None if root.getparent() is None else root
    for element in root.iter(etree.Element):
        if element.sourceline == error.line and (name is None or local_name(element) == name):
            return element_path(element, top)
    return None
