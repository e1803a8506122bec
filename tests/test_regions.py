"""Regions of a page (issue 16): store rules, the layout engine's grouping and order, formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import page_with_lines

from ocr.hocr import OcrLine, OcrWord
from ocr.regions import analyse, reading_order
from storage import lines as line_store
from storage import regions as region_store
from storage.errors import InvalidInput, NotFound
from storage.models import Line


def _box(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def test_lines_join_the_region_they_lie_in_and_reading_order_follows_regions(tmp_path: Path, shared_data: Path) -> None:
    left = Line("", "box", _box(100, 300, 500, 340), text="left one")
    right = Line("", "box", _box(700, 300, 1100, 340), text="right one")
    left2 = Line("", "box", _box(100, 360, 500, 400), text="left two")
    store, ref = page_with_lines(tmp_path, shared_data, [right, left, left2])
    assert [ln.region for ln in line_store.list_lines(store, *ref)] == [None, None, None]  # old pages: no regions
    col2 = region_store.add_region(store, *ref, _box(650, 250, 1150, 450), "MainZone", "column#2")
    col1 = region_store.add_region(store, *ref, _box(50, 250, 550, 450), "MainZone", "column#1")
    # the default order puts the left column first, whatever the drawing order
    assert [r.id for r in region_store.list_regions(store, *ref)] == [col1.id, col2.id]
    texts = [ln.text for ln in line_store.list_lines(store, *ref)]
    assert texts == ["left one", "left two", "right one"]
    # a line drawn inside a region joins it
    [new] = line_store.add_lines(store, *ref, [Line("", "box", _box(720, 380, 1000, 420), text="right two")])
    assert new.region == col2.id
    # reorder: right column first
    region_store.move_region(store, *ref, col2.id, 0)
    assert [ln.text for ln in line_store.list_lines(store, *ref)] == ["right one", "right two", "left one", "left two"]
    # reorder lines within a region
    ids = {ln.text: ln.id for ln in line_store.list_lines(store, *ref)}
    region_store.move_line_in_region(store, *ref, ids["left two"], -1)
    assert [ln.text for ln in line_store.list_lines(store, *ref)] == ["right one", "right two", "left two", "left one"]
    # a line moved into the other column joins it
    moved = line_store.list_lines(store, *ref)[0]
    line_store.update_line(store, *ref, moved.id, moved.rev, points=_box(120, 420, 480, 445))
    assert line_store.load(store, *ref).lines[moved.id].region == col1.id
    # deleting a region keeps its lines, in no region; nothing is lost
    freed = region_store.delete_region(store, *ref, col2.id)
    assert freed == [ids["right two"]]
    assert len(line_store.list_lines(store, *ref)) == 4
    assert line_store.load(store, *ref).lines[freed[0]].region is None


def test_a_line_is_in_at_most_one_region_the_smallest_holding_it(tmp_path: Path, shared_data: Path) -> None:
    number = Line("", "box", _box(1000, 300, 1060, 340), text="465")
    store, ref = page_with_lines(tmp_path, shared_data, [number])
    big = region_store.add_region(store, *ref, _box(50, 250, 1100, 800), "MainZone")
    small = region_store.add_region(store, *ref, _box(990, 290, 1070, 350), "NumberingZone", "line")
    assert line_store.list_lines(store, *ref)[0].region == small.id
    region_store.delete_region(store, *ref, small.id)
    assert line_store.list_lines(store, *ref)[0].region == big.id


def test_bad_regions_are_refused_with_a_message_and_nothing_changes(tmp_path: Path, shared_data: Path) -> None:
    store, ref = page_with_lines(tmp_path, shared_data, [Line("", "box", _box(100, 300, 500, 340), text="a")])
    before = (store.page_dir(*ref) / "lines.json").read_bytes()
    with pytest.raises(InvalidInput, match="outside the page"):
        region_store.add_region(store, *ref, _box(100, 100, 90000, 400), "MainZone")
    with pytest.raises(InvalidInput, match="not a region type"):
        region_store.add_region(store, *ref, _box(100, 100, 400, 400), "Paragraph")
    with pytest.raises(InvalidInput, match="subtype"):
        region_store.add_region(store, *ref, _box(100, 100, 400, 400), "MainZone", "a;b{c}")
    with pytest.raises(InvalidInput):
        region_store.add_region(store, *ref, [[1, 1], [2, 2]], "MainZone")
    with pytest.raises(NotFound):
        region_store.update_region(store, *ref, "region-nope", type_="MainZone")
    assert (store.page_dir(*ref) / "lines.json").read_bytes() == before


def test_a_project_may_add_its_own_region_types(tmp_path: Path, shared_data: Path) -> None:
    store, ref = page_with_lines(tmp_path, shared_data, [])
    store.update_project(ref.project, lambda p: p.settings.__setitem__("region_types", ["ScholiaZone"]))
    assert "ScholiaZone" in region_store.region_types(store, ref.project)
    r = region_store.add_region(store, *ref, _box(100, 100, 400, 400), "ScholiaZone", "gloss")
    assert r.label == "ScholiaZone:gloss"


def _line(x0: float, y0: float, x1: float, y1: float, text: str, size: float) -> OcrLine:
    words, x = [], x0
    for w in text.split():
        width = (x1 - x0) * len(w) / max(1, len(text))
        words.append(OcrWord([x, y0, x + width, y1], w, 90.0))
        x += width + 0.4 * size
    return OcrLine([x0, y0, x1, y1], [[x0, y1 - 0.2 * size], [x1, y1 - 0.2 * size]], text, 90.0, words, size)


def test_layout_finds_title_main_text_two_commentary_columns_and_numbers_in_reading_order() -> None:
    lines = [_line(900, 100, 1100, 150, "ΑΙΑΣ.", 50), _line(1800, 100, 1860, 150, "67", 50)]
    y = 250
    for k in range(8):  # main text: large type
        lines.append(_line(100, y, 1500, y + 75, f"καὶ ποῖον ὄμμα πατρὶ δηλώσω φανεὶς {k}", 75))
        y += 90
    lines.append(_line(1900, 250 + 4 * 90, 1980, 250 + 4 * 90 + 50, "465", 50))
    y += 120
    for k in range(12):  # commentary: two columns of small type
        lines.append(_line(100, y, 950, y + 50, f"464. γυμνόν wird durch erklärt {k}", 50))
        lines.append(_line(1030, y, 1900, y + 50, f"474 ff. Den Grundsatz der Rede {k}", 50))
        y += 58
    found = analyse(lines, 2100, 3000)
    labels = [r.label for r in found]
    assert labels == ["RunningTitleZone", "NumberingZone:page", "MainZone", "NumberingZone:line",
                      "MainZone:commentary", "MainZone:commentary"], labels
    left, right = found[4], found[5]
    assert left.box[2] < right.box[0]  # the left column first
    assert len(left.lines) == 12 and len(right.lines) == 12


def test_reading_order_reads_bands_top_to_bottom_and_columns_left_to_right() -> None:
    boxes = [(1000, 500, 1900, 900), (100, 500, 950, 900), (100, 100, 1900, 450), (100, 950, 1900, 1000)]
    assert reading_order(boxes) == [2, 1, 0, 3]


# ------------------------------------------------------------------ formats
RES = Path(__file__).parent / "resources"

TRANSKRIBUS = b"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15">
<Page imageFilename="f.png" imageWidth="1000" imageHeight="1400">
<ReadingOrder><OrderedGroup id="ro1"><RegionRefIndexed index="0" regionRef="r2"/><RegionRefIndexed index="1" regionRef="r1"/></OrderedGroup></ReadingOrder>
<TextRegion id="r1" type="marginalia" custom="readingOrder {index:1;}"><Coords points="800,100 980,100 980,600 800,600"/>
 <TextLine id="l1"><Coords points="810,110 970,110 970,150 810,150"/><TextEquiv><Unicode>gloss</Unicode></TextEquiv></TextLine></TextRegion>
<TextRegion id="r2" type="paragraph" custom="readingOrder {index:0;} structure {type:MainZone:column#1;}"><Coords points="50,100 750,100 750,1300 50,1300"/>
 <TextLine id="l2"><Coords points="60,110 740,110 740,160 60,160"/><TextEquiv><Unicode>main one</Unicode></TextEquiv></TextLine>
 <TextLine id="l3"><Coords points="60,170 740,170 740,220 60,220"/><TextEquiv><Unicode>main two</Unicode></TextEquiv></TextLine>
</TextRegion>
<TextRegion id="r3" custom="structure {type:Scholion;}"><Coords points="50,1310 750,1310 750,1390 50,1390"/>
 <TextLine id="l2"><Coords points="60,1320 740,1320 740,1380 60,1380"/><TextEquiv><Unicode>again</Unicode></TextEquiv></TextLine></TextRegion>
</Page></PcGts>"""


def test_page_xml_regions_types_order_and_bad_parts_are_read_with_messages() -> None:
    from storage.formats.pagexml import read_page_xml

    page = read_page_xml(TRANSKRIBUS, "t.xml")
    assert [r.label for r in page.regions] == ["MainZone:column#1", "MarginTextZone", "CustomZone:Scholion"]
    assert [ln.text for ln in page.lines] == ["main one", "main two", "gloss"]
    assert page.line_regions == [0, 0, 1]
    assert any("unknown region type 'Scholion'" in m for m in page.messages)
    assert any("l2: appears in two regions" in m for m in page.messages)


def test_escriptorium_page_regions_are_kept(shared_data: Path) -> None:
    from storage.formats.pagexml import read_page_xml

    page = read_page_xml((RES / "gt" / "escriptorium-page.xml").read_bytes(), "e.xml")
    assert page.regions and all(r.type == "MainZone" for r in page.regions)
    assert all(k is not None for k in page.line_regions)


def test_page_and_alto_with_regions_validate_and_round_trip(tmp_path: Path, shared_data: Path) -> None:
    from lxml import etree
    from test_formats import schema

    from storage.formats.alto import write_alto
    from storage.formats.pagexml import read_page_xml, write_page_xml
    from storage.groundtruth import page_lines

    a = Line("", "box", _box(100, 300, 500, 340), text="left", status="verified")
    b = Line("", "box", _box(700, 300, 1100, 340), text="right", status="verified")
    c = Line("", "box", _box(100, 100, 300, 140), text="", status="empty")
    store, ref = page_with_lines(tmp_path, shared_data, [a, b, c])
    region_store.add_region(store, *ref, _box(650, 250, 1150, 450), "MainZone", "commentary")
    region_store.add_region(store, *ref, _box(50, 250, 550, 450), "MainZone")
    region_store.add_region(store, *ref, _box(50, 80, 350, 160), "RunningTitleZone")
    page = store.get_page(*ref)
    content = page_lines(store, *ref.doc, page, 1, "p.png", ("verified",), layout=True)
    xml = write_page_xml("p.png", page.width, page.height, content.rows, content.regions)
    assert schema("pagecontent-2019-07-15.xsd").validate(etree.fromstring(xml))
    back = read_page_xml(xml, "p.xml")
    assert [r.label for r in back.regions] == ["RunningTitleZone", "MainZone", "MainZone:commentary"]
    assert [ln.text for ln in back.lines] == ["", "left", "right"]  # the empty line as layout only
    assert back.line_regions == [0, 1, 2]
    alto = write_alto("p.png", page.width, page.height, content.rows, content.regions)
    assert schema("alto-4-4.xsd").validate(etree.fromstring(alto))
    assert b'LABEL="MainZone:commentary"' in alto and alto.index(b"left") < alto.index(b"right")


def test_import_keeps_regions_and_olr_layout_joins_existing_lines(tmp_path: Path, shared_data: Path) -> None:
    from storage.groundtruth import import_gt

    store, ref = page_with_lines(tmp_path, shared_data, [])
    page = store.get_page(*ref)
    name = page.source.filename
    xml = TRANSKRIBUS.replace(b'imageFilename="f.png" imageWidth="1000" imageHeight="1400"',
                              f'imageFilename="{name}" imageWidth="{page.width}" imageHeight="{page.height}"'.encode())
    (tmp_path / "t.xml").write_bytes(xml)
    report = import_gt(store, *ref.doc, [tmp_path / "t.xml"])
    assert report.regions == 3 and report.lines == 3, report
    assert any("appears in two regions" in m for m in report.messages)
    texts = [ln.text for ln in line_store.list_lines(store, *ref)]
    assert texts == ["main one", "main two", "gloss"]
    # a layout file onto a page with lines: regions replace regions, every line stays and joins them
    olr = (f'{name},1,"{{}}",2,0,"{{""name"":""rect"",""x"":780,""y"":90,""width"":210,""height"":520}}",'
           f'"{{""text"":""printed_marginalia""}}"\n'
           f'{name},1,"{{}}",2,1,"{{""name"":""rect"",""x"":40,""y"":90,""width"":720,""height"":50000}}",'
           f'"{{""text"":""primary_text""}}"\n')
    (tmp_path / "x_olr.tsv").write_text(olr, encoding="utf-8")
    report = import_gt(store, *ref.doc, [tmp_path / "x_olr.tsv"], replace=True)
    assert report.regions == 1 and any("outside the page" in f for f in report.failed), report
    layout = line_store.load(store, *ref)
    assert [r.label for r in layout.regions] == ["MarginTextZone:marginalia"]
    assert len(layout.lines) == 3
    assert [(ln.text, ln.region) for ln in layout.ordered()] == [
        ("gloss", layout.regions[0].id), ("main one", None), ("main two", None)]


def test_layout_of_a_real_page_then_page_ocr_reads_region_by_region(tmp_path: Path, shared_data: Path) -> None:
    """Real Tesseract on a real commentary page: the CLI finds the regions (main text above two
    commentary columns), then page mode reads them in that order."""
    import shutil
    import subprocess
    import sys

    src = shared_data / "gt4histcomment" / "sophokle1v3soph" / "imgs" / "sophokle1v3soph_0081.png"
    shutil.copy(src, tmp_path / src.name)
    repo = Path(__file__).resolve().parents[1]
    base = [sys.executable, "-m", "cli", "--data-dir", str(tmp_path / "data")]

    def kalamos(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, *args], cwd=repo, capture_output=True, text=True, timeout=600)

    assert kalamos("import", "--project", "P", "--document", "D", str(tmp_path / src.name)).returncode == 0
    done = kalamos("layout", "--project", "P", "--document", "D", "--lang", "grc+deu")
    assert done.returncode == 0, done.stderr
    assert "region(s)" in done.stdout
    again = kalamos("layout", "--project", "P", "--document", "D")
    assert "1 page(s) with regions already" in again.stdout
    from storage import Store

    store = Store(tmp_path / "data")
    [p] = store.list_projects()
    [d] = store.list_documents(p.id)
    [pg] = store.list_pages(p.id, d.id)
    layout = line_store.load(store, p.id, d.id, pg.id)
    labels = [r.label for r in layout.regions]
    assert labels.count("MainZone:commentary") == 2 and "MainZone" in labels, labels
    left, right = [r for r in layout.regions if r.subtype == "commentary"]
    assert max(x for x, _ in left.points) < min(x for x, _ in right.points)
    assert all(ln.region for ln in layout.lines.values())
    out = kalamos("ocr", "--project", "P", "--document", "D", "--model", "grc+deu", "--format", "txt",
                  "--out", str(tmp_path / "out"))
    assert out.returncode == 0, out.stderr
    from storage.ocrruns import list_runs, run_page_text

    [run] = list_runs(store, p.id, d.id)
    text = "\n".join(run_page_text(store, p.id, d.id, pg.id, run.id) or [])
    # the main text, then the left column to its end, then the right column
    assert text.index("ποῖον") < text.index("464.") < text.index("ἔγχεος") < text.index("Grundsatz"), text[:400]


def test_text_export_separates_regions_and_leaves_out_chosen_types(tmp_path: Path, shared_data: Path) -> None:
    from services.exports import NOT_TEXT, transcript_files

    lines = [Line("", "box", _box(900, 100, 1000, 140), text="ΑΙΑΣ."), Line("", "box", _box(1700, 100, 1760, 140), text="67"),
             Line("", "box", _box(100, 300, 500, 340), text="main one"), Line("", "box", _box(100, 360, 500, 400), text="main two"),
             Line("", "box", _box(100, 600, 500, 640), text="note")]
    store, ref = page_with_lines(tmp_path, shared_data, lines)
    region_store.add_region(store, *ref, _box(850, 80, 1050, 160), "RunningTitleZone")
    region_store.add_region(store, *ref, _box(1650, 80, 1800, 160), "NumberingZone", "page")
    region_store.add_region(store, *ref, _box(50, 250, 600, 450), "MainZone")
    region_store.add_region(store, *ref, _box(50, 550, 600, 700), "MainZone", "commentary")
    [(_, full)] = transcript_files(store, *ref.doc, "txt", [ref.page]).items()
    assert full.decode() == "ΑΙΑΣ.\n\n67\n\nmain one\nmain two\n\nnote\n"
    [(_, text)] = transcript_files(store, *ref.doc, "txt", [ref.page], NOT_TEXT).items()
    assert text.decode() == "main one\nmain two\n\nnote\n"
    [(_, main)] = transcript_files(store, *ref.doc, "txt", [ref.page], ["NumberingZone:page", "RunningTitleZone",
                                                                          "MainZone:commentary"]).items()
    assert main.decode() == "main one\nmain two\n"
    with pytest.raises(InvalidInput, match="not a region type"):
        transcript_files(store, *ref.doc, "txt", [ref.page], ["PageNumbers"])


def test_alto_blocks_come_in_as_regions_with_their_tags_and_order(tmp_path: Path, shared_data: Path) -> None:
    from storage.formats.alto import read_alto, write_alto
    from storage.groundtruth import page_lines

    a = Line("", "box", _box(100, 300, 500, 340), text="left", status="verified")
    b = Line("", "box", _box(700, 300, 1100, 340), text="right", status="verified")
    store, ref = page_with_lines(tmp_path, shared_data, [a, b])
    region_store.add_region(store, *ref, _box(650, 250, 1150, 450), "MarginTextZone", "gloss")
    region_store.add_region(store, *ref, _box(50, 250, 550, 450), "MainZone")
    page = store.get_page(*ref)
    content = page_lines(store, *ref.doc, page, 1, "p.png")
    back = read_alto(write_alto("p.png", page.width, page.height, content.rows, content.regions), "p.xml")
    assert [r.label for r in back.regions] == ["MainZone", "MarginTextZone:gloss"]
    assert [ln.text for ln in back.lines] == ["left", "right"] and back.line_regions == [0, 1]


def test_a_project_type_is_added_once_and_checked(tmp_path: Path, shared_data: Path) -> None:
    store, ref = page_with_lines(tmp_path, shared_data, [])
    assert "GlossZone" in region_store.add_region_type(store, ref.project, "GlossZone")
    for bad in ("", "two words", "MainZone", "GlossZone", "x" * 41, "1Zone"):
        with pytest.raises(InvalidInput):
            region_store.add_region_type(store, ref.project, bad)


def test_find_with_replace_keeps_a_persons_lines_and_regions_when_it_finds_little_and_undo_restores(
        tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outside probe: on a photograph Tesseract read as a picture, "replace" wiped drawn regions and
    a drawn line without text. Lines a person made stay; a layout that would leave most of them outside
    every region changes nothing; a layout applied can be undone."""
    from ocr.hocr import OcrLine
    from ocr.regions import FoundRegion
    from services import editing
    from services import regions as layout_service

    drawn = Line("", "box", _box(100, 300, 500, 340))  # drawn by hand, no text yet
    typed = Line("", "box", _box(100, 360, 500, 400), text="λόγος", status="verified")
    machine = Line("", "baseline", [[100, 440], [500, 440]], text="xx", status="machine", source="detected:tesseract")
    store, ref = page_with_lines(tmp_path, shared_data, [drawn, typed, machine])
    mine = region_store.add_region(store, *ref, _box(50, 250, 600, 500), "MainZone")

    def finds(boxes):  # type: ignore[no-untyped-def]
        return lambda img, lang, tessdata: [
            FoundRegion("MainZone", "", b, [OcrLine(list(b), [[b[0], b[3]], [b[2], b[3]]], "νέα", 90.0)]) for b in boxes]

    monkeypatch.setattr(layout_service, "find_layout", finds([]))
    report = layout_service.find_regions_and_lines(store, ref, "grc", replace=True)
    assert "found no text" in report.message() and region_store.list_regions(store, *ref)[0].id == mine.id
    monkeypatch.setattr(layout_service, "find_layout", finds([(10, 10, 40, 30)]))  # a tiny region far from the lines
    report = layout_service.find_regions_and_lines(store, ref, "grc", replace=True)
    assert "your regions were kept" in report.message()
    assert [r.id for r in region_store.list_regions(store, *ref)] == [mine.id] and len(line_store.list_lines(store, *ref)) == 3
    # a layout that holds the page's lines replaces the regions and the machine line only
    monkeypatch.setattr(layout_service, "find_layout", finds([(60, 260, 590, 480)]))
    report = layout_service.find_regions_and_lines(store, ref, "grc", replace=True)
    assert report.removed == 1 and report.kept == 2, report
    after = line_store.load(store, *ref)
    assert {ln.text for ln in after.lines.values()} >= {"", "λόγος"} and "xx" not in {ln.text for ln in after.lines.values()}
    assert mine.id not in [r.id for r in after.regions]
    editing.undo(store, ref, report.undo)  # type: ignore[arg-type]
    back = line_store.load(store, *ref)
    assert [r.id for r in back.regions] == [mine.id]
    assert sorted(ln.text for ln in back.lines.values()) == ["", "xx", "λόγος"]
    # a deleted region comes back with Undo
    freed, record = layout_service.delete_region(store, ref, mine.id)
    assert len(freed) == 3 and line_store.load(store, *ref).regions == []
    editing.undo(store, ref, editing.UndoRecord.from_dict(record.to_dict()))
    assert [r.id for r in line_store.load(store, *ref).regions] == [mine.id]
    assert all(ln.region == mine.id for ln in line_store.load(store, *ref).lines.values())


def test_a_page_of_commentary_only_is_told_by_its_lemmata() -> None:
    """One type size on the page: the verse numbers with a dot that begin the notes make it commentary;
    a text with verse numbers standing alone in its margin stays main text."""
    notes = [_line(100, 200 + 60 * k, 1500, 245 + 60 * k,
                   f"{464 + k}. γυμνόν wird durch erklärt" if k % 4 == 0 else "und weiter im Text der Note", 45)
             for k in range(16)]
    [region] = analyse(notes, 1700, 2400)
    assert region.label == "MainZone:commentary"
    verses = [_line(100, 400 + 60 * k, 1500, 445 + 60 * k, "καὶ ποῖον ὄμμα πατρὶ δηλώσω φανεὶς", 45) for k in range(16)]
    verses += [_line(1600, 400 + 60 * k, 1660, 445 + 60 * k, str(465 + k), 45) for k in range(0, 16, 5)]
    labels = [r.label for r in analyse(verses, 1700, 2400)]
    assert labels[0] == "MainZone" and set(labels[1:]) == {"NumberingZone:line"}, labels
