"""NewsML-G2 2.35 (Power conformance): one ``newsItem`` per article, a ``packageItem`` grouping them page
by page, and a ``newsMessage`` carrying the package and all items in one file.

Element order and catalogue usage follow the IPTC example listings (news item, text document, simple
package, news message). Each item's body is NITF 3.6 inside ``inlineXML``; the ``nitf`` element is
complete on its own and validates against ``nitf-3-6.xsd``.

Guids are derived from the provider domain, the edition date and the edition and article ids
(``urn:newsml:<provider>:<yyyymmdd>:<edition-id>-<article-id>``), so re-exporting an edition updates the
same items instead of creating new ones. Re-exporting into a folder that holds a previous export keeps
each item's ``firstCreated``; an item whose content changed gets the next ``version``, an unchanged one
keeps its version and timestamps (so its file is rewritten byte for byte). A stitched article (printed on pages 1 and 3) is one item; its
pages are listed in its ``description`` and in the package's page group where it starts.

Text passes through ``xml_safe``: characters XML cannot carry are removed, everything else is kept.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from ocr_pipeline.export._common import article_text, language_tag, ordered_articles, write_files, xml_safe
from ocr_pipeline.export.options import ExportOptions
from ocr_pipeline.export.text import article_file_names
from ocr_pipeline.model import Article, Edition
from ocr_pipeline.util.fs import PendingWrites

log = logging.getLogger(__name__)

NAR_NS = "http://iptc.org/std/nar/2006-10-01/"
NITF_NS = "http://iptc.org/std/NITF/2006-10-18/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IPTC_CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"
NEWSITEM_TYPE = "application/vnd.iptc.g2.newsitem+xml"
SCHEMA_LOCATION = f"{NAR_NS} NewsML-G2_2.35-spec-All-Power.xsd"

_N = f"{{{NAR_NS}}}"
_F = f"{{{NITF_NS}}}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, /, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrib.items()})
    if text is not None:
        el.text = xml_safe(text)
    return el


def _date_token(date: str) -> str:
    digits = re.sub(r"\D", "", date or "")
    return digits[:8] if len(digits) >= 8 else (digits or "undated")


def _iso_date(date: str) -> str | None:
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", (date or "").strip())
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def _urn_part(text: str) -> str:
    # Percent-encoding keeps distinct ids distinct and the guid free of spaces and markup characters.
    return quote(xml_safe(text), safe="-._~") or "_"


def item_guid(edition: Edition, article: Article, options: ExportOptions) -> str:
    return (
        f"urn:newsml:{options.provider}:{_date_token(edition.date)}:"
        f"{_urn_part(edition.id)}-{_urn_part(article.id)}"
    )


def package_guid(edition: Edition, options: ExportOptions) -> str:
    return f"urn:newsml:{options.provider}:{_date_token(edition.date)}:{_urn_part(edition.id)}"


def _pages_text(pages: list[int]) -> str:
    if not pages:
        return ""
    if len(pages) == 1:
        return f"Page {pages[0]}"
    return "Pages " + ", ".join(str(p) for p in pages)


def _root(tag: str, guid: str, options: ExportOptions, lang: str) -> etree._Element:
    root = etree.Element(_N + tag, nsmap={None: NAR_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    root.set("guid", guid)
    root.set("version", str(options.version))
    root.set("standard", "NewsML-G2")
    root.set("standardversion", "2.35")
    root.set("conformance", "power")
    if lang:
        root.set(XML_LANG, lang)
    _sub(root, _N + "catalogRef", href=IPTC_CATALOG)
    return root


def _rights(root: etree._Element, edition: Edition, options: ExportOptions) -> None:
    if not (options.copyright_holder or options.copyright_notice):
        return
    rights = _sub(root, _N + "rightsInfo")
    if options.copyright_holder:
        holder = _sub(rights, _N + "copyrightHolder")
        _sub(holder, _N + "name", options.copyright_holder)
    year = (edition.date or "")[:4]
    notice = options.copyright_notice or (
        f"Copyright {year} {options.copyright_holder}".replace("  ", " ") if options.copyright_holder else ""
    )
    if notice:
        _sub(rights, _N + "copyrightNotice", notice)


def _provider(parent: etree._Element, options: ExportOptions) -> None:
    prov = _sub(parent, _N + "provider", uri=f"http://{options.provider}/")
    if options.provider_name:
        _sub(prov, _N + "name", options.provider_name)


def _item_meta(root: etree._Element, item_class: str, options: ExportOptions, when: str, title: str) -> None:
    meta = _sub(root, _N + "itemMeta")
    _sub(meta, _N + "itemClass", qcode=item_class)
    _provider(meta, options)
    _sub(meta, _N + "versionCreated", when)
    _sub(meta, _N + "firstCreated", when)
    _sub(meta, _N + "pubStatus", qcode="stat:usable")
    _sub(meta, _N + "generator", "ocr-pipeline", versioninfo=_package_version())
    if title:
        _sub(meta, _N + "title", title)


def _package_version() -> str:
    from ocr_pipeline import __version__

    return str(__version__)


def nitf_body(article: Article, lang: str = "") -> etree._Element:
    """The article as a standalone NITF 3.6 ``nitf`` element (hedline, byline, dateline, paragraphs;
    subheads printed in the body become ``hl2``)."""
    nitf = etree.Element(_F + "nitf", nsmap={None: NITF_NS})
    if lang:
        nitf.set(XML_LANG, lang)
    body = _sub(nitf, _F + "body")
    head = _sub(body, _F + "body.head")
    hedline = _sub(head, _F + "hedline")
    _sub(hedline, _F + "hl1", article.headline)
    if article.byline:
        _sub(head, _F + "byline", article.byline)
    if article.dateline:
        _sub(head, _F + "dateline", article.dateline)
    content = _sub(body, _F + "body.content")
    subheads = set(article.subheads)
    for para in article.paragraphs:
        _sub(content, _F + ("hl2" if para in subheads else "p"), para)
    return nitf


def news_item(
    edition: Edition, article: Article, options: ExportOptions, when: str, edition_title: str
) -> etree._Element:
    lang = language_tag(edition.language, article_text(article))
    root = _root("newsItem", item_guid(edition, article, options), options, lang)
    _rights(root, edition, options)
    _item_meta(root, "ninat:text", options, when, "")
    cm = _sub(root, _N + "contentMeta")
    created = _iso_date(edition.date)
    if created:
        _sub(cm, _N + "contentCreated", created)
    _sub(cm, _N + "language", tag=lang)
    for kw in article.keywords:
        if xml_safe(kw).strip():
            _sub(cm, _N + "keyword", kw)
    if article.headline:
        _sub(cm, _N + "headline", article.headline)
    if article.dateline:
        _sub(cm, _N + "dateline", article.dateline)
    if article.byline:
        _sub(cm, _N + "by", article.byline)
    where = " ".join(s for s in (edition_title, edition.date) if s)
    pages = _pages_text(article.pages)
    if pages:
        note = f"{pages} of {where}" if where else pages
        if article.continuation is not None:
            cont = article.continuation
            state = "continued" if cont.matched else "continuation not matched"
            note += f" ({state} from page {cont.from_page} to page {cont.to_page})"
        _sub(cm, _N + "description", note, role="drol:note")
    cs = _sub(root, _N + "contentSet")
    inline = _sub(cs, _N + "inlineXML", contenttype="application/nitf+xml")
    inline.append(nitf_body(article))
    return root


def package_item(
    edition: Edition, articles: list[Article], options: ExportOptions, when: str, edition_title: str,
    item_versions: dict[str, int] | None = None,
) -> etree._Element:
    lang = language_tag(edition.language, "\n".join(article_text(a) for a in articles[:20]))
    root = _root("packageItem", package_guid(edition, options), options, lang)
    _rights(root, edition, options)
    _item_meta(root, "ninat:composite", options, when, edition_title)
    cm = _sub(root, _N + "contentMeta")
    created = _iso_date(edition.date)
    if created:
        _sub(cm, _N + "contentCreated", created)
    _sub(cm, _N + "language", tag=lang)
    if edition_title:
        _sub(cm, _N + "headline", edition_title)
    by_page: dict[int | None, list[Article]] = {}
    for art in articles:
        by_page.setdefault(min(art.pages) if art.pages else None, []).append(art)
    pages = sorted(p.number for p in edition.pages)
    page_keys: list[int | None] = [*pages, *sorted(k for k in by_page if k is not None and k not in pages)]
    if None in by_page:
        page_keys.append(None)
    gs = _sub(root, _N + "groupSet", root="G_edition")
    main = _sub(gs, _N + "group", id="G_edition", role="group:main", mode="pgrmod:seq")
    groups = []
    for key in page_keys:
        gid = f"G_page_{key}" if key is not None else "G_other"
        _sub(main, _N + "groupRef", idref=gid)
        groups.append((gid, key))
    for gid, key in groups:
        group = _sub(gs, _N + "group", id=gid, role="group:page", mode="pgrmod:seq")
        _sub(group, _N + "title", f"Page {key}" if key is not None else "Other")
        for art in by_page.get(key, []):
            guid = item_guid(edition, art, options)
            ref = _sub(
                group, _N + "itemRef", residref=guid,
                version=str((item_versions or {}).get(guid, options.version)), contenttype=NEWSITEM_TYPE,
            )
            _sub(ref, _N + "itemClass", qcode="ninat:text")
            _provider(ref, options)
            _sub(ref, _N + "pubStatus", qcode="stat:usable")
            _sub(ref, _N + "title", art.headline or art.id)
            if len(art.pages) > 1:
                _sub(ref, _N + "description", _pages_text(art.pages), role="drol:note")
    return root


def news_message(package: etree._Element, items: list[etree._Element], options: ExportOptions, when: str) -> etree._Element:
    """The news message holding the package and the items: they are moved into it (write them out first)."""
    root = etree.Element(_N + "newsMessage", nsmap={None: NAR_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    header = _sub(root, _N + "header")
    _sub(header, _N + "sent", when)
    _sub(header, _N + "catalogRef", href=IPTC_CATALOG)
    _sub(header, _N + "sender", options.provider)
    item_set = _sub(root, _N + "itemSet")
    for el in (package, *items):
        # Inside newsMessage the per-item schemaLocation is redundant but harmless: dropped for a cleaner message.
        el.attrib.pop(f"{{{XSI_NS}}}schemaLocation", None)
        item_set.append(el)
    return root


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass(slots=True)
class _Previous:
    version: int
    first_created: str
    version_created: str
    digest: str


def _digest(root: etree._Element) -> str:
    """What a consumer sees as the item's content: everything but the version and its timestamps."""
    h = hashlib.sha256()
    for child in root:
        if child.tag == _N + "itemMeta":
            child = copy.deepcopy(child)
            for tag in ("versionCreated", "firstCreated"):
                el = child.find(_N + tag)
                if el is not None:
                    child.remove(el)
        h.update(etree.tostring(child, method="c14n", with_tail=False))
    return h.hexdigest()


def _previous(paths: list[Path]) -> dict[str, _Previous]:
    """guid -> version, timestamps and content digest of the items a previous export left here."""
    out: dict[str, _Previous] = {}
    for path in paths:
        try:
            # Without the indentation our own pretty-printing added, so digests compare content only.
            root = etree.parse(str(path), etree.XMLParser(remove_blank_text=True)).getroot()
            meta = root.find(_N + "itemMeta")
            out[root.get("guid", "")] = _Previous(
                int(root.get("version", "1")),
                meta.findtext(_N + "firstCreated") or meta.findtext(_N + "versionCreated") or "",
                meta.findtext(_N + "versionCreated") or "",
                _digest(root),
            )
        except (etree.XMLSyntaxError, OSError, ValueError, AttributeError) as exc:
            log.warning("%s: previous NewsML-G2 item not readable (%s); starting its versions afresh", path, exc)
    return out


def _version(root: etree._Element, prev: _Previous | None, options: ExportOptions) -> int:
    """Same guid across exports; the version goes up only when the content changed, and an unchanged
    item keeps its timestamps, so re-running an export rewrites identical items."""
    if prev is None:
        version = options.version
    else:
        meta = root.find(_N + "itemMeta")
        first = meta.find(_N + "firstCreated")
        if prev.first_created:
            first.text = prev.first_created
        if _digest(root) == prev.digest:
            version = max(prev.version, options.version)
            if prev.version_created:
                meta.find(_N + "versionCreated").text = prev.version_created
        else:
            version = max(prev.version + 1, options.version)
    root.set("version", str(version))
    return version


def write_newsml(edition: Edition, outdir: Path, options: ExportOptions, pending: PendingWrites | None = None) -> list[Path]:
    nmdir = Path(outdir) / "newsml"
    when = options.timestamp()
    title = xml_safe(options.title or edition.title).strip()
    articles = ordered_articles(edition)
    names = article_file_names(edition)
    previous = _previous(sorted((nmdir / "items").glob("*.xml")) + [nmdir / "package.xml"]) if nmdir.is_dir() else {}
    items = [news_item(edition, art, options, when, title) for art in articles]
    versions = {item.get("guid"): _version(item, previous.get(item.get("guid")), options) for item in items}
    files = [(nmdir / "items" / f"{names[a.id]}.xml", _bytes(item)) for a, item in zip(articles, items, strict=True)]
    package = package_item(edition, articles, options, when, title, versions)
    _version(package, previous.get(package.get("guid")), options)
    files.append((nmdir / "package.xml", _bytes(package)))
    files.append((nmdir / "edition.xml", _bytes(news_message(package, items, options, when))))
    written = write_files(files, pending)
    log.debug("wrote %d NewsML-G2 files to %s", len(written), nmdir)
    return written
