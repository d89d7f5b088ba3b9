"""Provenance inside a derivative: an XMP packet saying what it was made from and how.

Beside the treatment record, each derivative carries, where its format holds XMP
(PNG, TIFF, JPEG, WebP):

- ``xmpMM:DerivedFrom``: the source's file name and SHA-256,
- ``xmpMM:History``: one event per operation (action, when, software, parameters),
- ``Iptc4xmpExt:DigitalSourceType``: ``compositeWithTrainedAlgorithmicMedia`` when
  a learned model changed pixels, ``algorithmicallyEnhanced`` when only classical
  restorers did, and none of ours when no operation changed a pixel.

The source's own XMP is kept and extended, never replaced. A JPEG's XMP segment
holds at most 65,502 bytes: a long history is summarised there (the full record
stays beside the file).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import restore_app
from restore_app.core.dates import xmp_date

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stRef": "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
}
SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
#: The most XMP a JPEG's standard APP1 segment holds.
JPEG_XMP_LIMIT = 65502

for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _parameters(op: dict[str, Any]) -> str:
    params = op.get("params") or {}
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if k == "strength")
    who = op.get("restorer") or op.get("detector") or ""
    text = f"{op.get('task', '')} with {who}" + (f" ({shown})" if shown else "")
    return text + (": no pixel changed" if op.get("changed_pixels") == 0 else "")


def _base_tree(source_xmp: bytes | None) -> tuple[ET.Element, ET.Element]:
    """The source's XMP (x:xmpmeta, rdf:RDF), or a new empty one."""
    if source_xmp:
        text = source_xmp.decode("utf-8", "replace")
        start, end = text.find("<x:xmpmeta"), text.rfind("</x:xmpmeta>")
        if start >= 0 and end > start:
            try:
                meta = ET.fromstring(text[start : end + len("</x:xmpmeta>")])
                rdf = meta.find(_q("rdf", "RDF"))
                if rdf is not None:
                    return meta, rdf
            except ET.ParseError:
                pass
    meta = ET.Element(_q("x", "xmpmeta"))
    return meta, ET.SubElement(meta, _q("rdf", "RDF"))


def derivative_xmp(
    source_xmp: bytes | None,
    *,
    source_name: str,
    source_sha256: str,
    operations: list[dict[str, Any]],
    when: str,
    limit: int | None = None,
) -> bytes:
    """The XMP packet of a derivative: the source's, extended with its provenance.

    ``limit`` (bytes) summarises the history until the packet fits.
    """
    # What changed pixels says what the file is: a step that changed none (a
    # strength of 0, nothing to fill) made nothing algorithmic of it.
    changing = [op for op in operations if op.get("changed_pixels", 1)]
    learned = any(
        op.get("kind") == "learned" and op.get("task") != "detect" for op in changing
    )
    steps = [op for op in operations if op.get("task") not in ("damage-record",)]
    # Whether a step of ours changed pixels: only then is the source's own
    # DigitalSourceType (a scan, a capture) replaced.
    restored = any(op.get("task") not in ("detect", "damage-record") for op in changing)
    keep = len(steps)
    while True:
        meta, rdf = _base_tree(source_xmp)
        for desc in rdf.findall(_q("rdf", "Description")):
            # Ours replace any provenance of an earlier derivation: the source
            # of this derivative is the file it was made from.
            for tag in ("DerivedFrom", "History"):
                for old in desc.findall(_q("xmpMM", tag)):
                    desc.remove(old)
            for old in desc.findall(_q("Iptc4xmpExt", "DigitalSourceType")):
                if restored:
                    desc.remove(old)
        desc = ET.SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})
        derived = ET.SubElement(
            desc, _q("xmpMM", "DerivedFrom"), {_q("rdf", "parseType"): "Resource"}
        )
        ET.SubElement(derived, _q("stRef", "filePath")).text = source_name
        ET.SubElement(
            derived, _q("stRef", "documentID")
        ).text = f"sha256:{source_sha256}"
        history = ET.SubElement(
            ET.SubElement(desc, _q("xmpMM", "History")), _q("rdf", "Seq")
        )
        shown = steps if keep >= len(steps) else steps[:keep]
        agent = f"restore-app {restore_app.__version__}"
        for op in shown:
            li = ET.SubElement(
                history, _q("rdf", "li"), {_q("rdf", "parseType"): "Resource"}
            )
            ET.SubElement(li, _q("stEvt", "action")).text = "derived"
            step_time = xmp_date(str(op.get("time") or when))
            ET.SubElement(li, _q("stEvt", "when")).text = step_time
            ET.SubElement(li, _q("stEvt", "softwareAgent")).text = agent
            ET.SubElement(li, _q("stEvt", "parameters")).text = _parameters(op)
        if keep < len(steps):
            li = ET.SubElement(
                history, _q("rdf", "li"), {_q("rdf", "parseType"): "Resource"}
            )
            ET.SubElement(li, _q("stEvt", "action")).text = "derived"
            ET.SubElement(li, _q("stEvt", "when")).text = when
            ET.SubElement(li, _q("stEvt", "softwareAgent")).text = agent
            ET.SubElement(
                li, _q("stEvt", "parameters")
            ).text = f"{len(steps) - keep} more operations: see the treatment record"
        kind = (
            "compositeWithTrainedAlgorithmicMedia"
            if learned
            else "algorithmicallyEnhanced"
        )
        if restored:
            ET.SubElement(desc, _q("Iptc4xmpExt", "DigitalSourceType")).text = (
                SOURCE_TYPES + kind
            )
        body = ET.tostring(meta, encoding="unicode")
        packet = (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            + body
            + '\n<?xpacket end="w"?>'
        ).encode("utf-8")
        if limit is None or len(packet) <= limit or keep == 0:
            return packet
        keep = keep // 2
