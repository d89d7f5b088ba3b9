"""Each derivative carries its provenance in XMP, read back here with exiv2."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from restore_app.core.derivative import write_derivative
from restore_app.core.image import read_image
from restore_app.core.provenance import JPEG_XMP_LIMIT, derivative_xmp

pyexiv2 = pytest.importorskip("pyexiv2")

SOURCE_XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Wedding, 1921</rdf:li>'
    b"</rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def _xmp(path) -> dict:
    img = pyexiv2.Image(str(path))
    try:
        return img.read_xmp()
    finally:
        img.close()


@pytest.mark.parametrize("ext", [".png", ".tif", ".jpg", ".webp"])
def test_derivatives_say_what_they_come_from(tmp_path, ext) -> None:
    src = tmp_path / "scan.png"
    Image.fromarray(np.full((20, 30, 3), 128, np.uint8)).save(
        src, "PNG", pnginfo=_png_xmp(SOURCE_XMP)
    )
    doc = read_image(src)
    assert doc.meta.xmp
    ops = [
        {"task": "inpaint", "restorer": "inpaint.ffc", "kind": "learned",
         "params": {"strength": 1.0}},
        {"task": "denoise", "restorer": "denoise.nlm", "kind": "classical",
         "params": {"strength": 0.5}},
    ]  # fmt: skip
    out = tmp_path / f"out{ext}"
    write_derivative(doc, out, source=src, operations=ops)
    xmp = _xmp(out)
    assert xmp["Xmp.dc.title"] == {'lang="x-default"': "Wedding, 1921"}  # kept
    assert xmp["Xmp.xmpMM.DerivedFrom/stRef:filePath"] == "scan.png"
    assert xmp["Xmp.xmpMM.DerivedFrom/stRef:documentID"].startswith("sha256:")
    assert xmp["Xmp.xmpMM.History[2]/stEvt:parameters"] == (
        "denoise with denoise.nlm (strength=0.5)"
    )
    assert xmp["Xmp.iptcExt.DigitalSourceType"].endswith(
        "compositeWithTrainedAlgorithmicMedia"
    )
    classical = tmp_path / f"classical{ext}"
    write_derivative(doc, classical, source=src, operations=ops[1:])
    assert _xmp(classical)["Xmp.iptcExt.DigitalSourceType"].endswith(
        "algorithmicallyEnhanced"
    )
    # A learned step that changed no pixel makes nothing algorithmic of the
    # file; the history still lists it, saying so.
    idle = [{**ops[0], "changed_pixels": 0}]
    untouched = tmp_path / f"untouched{ext}"
    write_derivative(doc, untouched, source=src, operations=idle)
    xmp = _xmp(untouched)
    assert "Xmp.iptcExt.DigitalSourceType" not in xmp
    assert xmp["Xmp.xmpMM.History[1]/stEvt:parameters"].endswith(": no pixel changed")
    mixed = tmp_path / f"mixed{ext}"
    write_derivative(doc, mixed, source=src, operations=[*idle, ops[1]])
    assert _xmp(mixed)["Xmp.iptcExt.DigitalSourceType"].endswith(
        "algorithmicallyEnhanced"
    )


def test_a_long_history_is_summarised_to_fit_a_jpeg() -> None:
    ops = [
        {"task": "inpaint", "restorer": "inpaint.telea", "kind": "classical",
         "params": {"strength": 1.0}, "time": "2026-01-01T00:00:00Z"}
    ] * 3000  # fmt: skip
    common = {"source_name": "a.png", "source_sha256": "0" * 64, "when": "now"}
    full = derivative_xmp(None, operations=ops, **common)
    assert len(full) > JPEG_XMP_LIMIT
    fitted = derivative_xmp(None, operations=ops, limit=JPEG_XMP_LIMIT, **common)
    assert len(fitted) <= JPEG_XMP_LIMIT
    assert b"more operations: see the treatment record" in fitted


def _png_xmp(packet: bytes):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode("utf-8"), zip=False)
    return info


def test_history_dates_are_valid_xmp_dates_whoever_wrote_the_step(tmp_path) -> None:
    """Steps the window recorded in earlier releases carry ``+0000``; every
    step's date is written as XMP takes it, and exiv2 reads it back as a date."""
    import re

    from restore_app.core import dates

    src = tmp_path / "scan.png"
    Image.fromarray(np.full((20, 30, 3), 128, np.uint8)).save(src)
    doc = read_image(src)
    ops = [
        {"task": "inpaint", "restorer": "inpaint.ns", "kind": "classical",
         "params": {}, "time": "2026-12-07T17:52:05+0000"},
        {"task": "denoise", "restorer": "denoise.nlm", "kind": "classical",
         "params": {"strength": 0.5}, "time": "2026-12-07T18:52:05+0100"},
        {"task": "deblur", "restorer": "deblur.wiener", "kind": "classical",
         "params": {"strength": 0.5}, "time": dates.now()},
    ]  # fmt: skip
    out = tmp_path / "out.png"
    write_derivative(doc, out, source=src, operations=ops)
    xmp = _xmp(out)
    whens = [xmp[f"Xmp.xmpMM.History[{i}]/stEvt:when"] for i in (1, 2, 3)]
    assert whens[:2] == ["2026-12-07T17:52:05Z", "2026-12-07T18:52:05+01:00"]
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
    assert all(iso.match(w) for w in whens), whens
    assert dates.now().endswith("Z")
