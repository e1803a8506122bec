"""The README's notebook session, run as a script on real pages (three pages of a commentary with
their line ground truth): what it does is then on disk, as the app and the CLI see it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from storage import Store
from storage import lines as line_store

REPO = Path(__file__).resolve().parents[1]


def _session() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### From Python"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_readme_notebook_session_runs(tmp_path: Path, shared_data: Path) -> None:
    src = shared_data / "gt4histcomment" / "cu31924087948174"
    names = ["cu31924087948174_0035.png", "cu31924087948174_0040.png", "cu31924087948174_0051.png"]
    pages = tmp_path / "scans"
    pages.mkdir()
    for n in names:
        shutil.copy(src / "imgs" / n, pages / n)
    rows = [r for r in (src / "cu31924087948174_training.tsv").read_text(encoding="utf-8").splitlines()
            if r.split("\t", 1)[0] in names]
    tsv = tmp_path / "campbell.tsv"
    tsv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code = (_session().replace('"~/kalamos-data"', repr(str(tmp_path / "data")))
            .replace('["p0083.png", "p0084.png", "p0085.png"]', repr([str(pages / n) for n in names]))
            .replace('["campbell.tsv"]', repr([str(tsv)]))
            .replace("minutes=10", "minutes=1, iterations=200"))
    namespace: dict[str, object] = {}
    exec(compile(code, "README session", "exec"), namespace)  # noqa: S102 - the README's own example
    store = Store(tmp_path / "data")
    [project] = store.list_projects()
    [doc] = store.list_documents(project.id)
    stored = store.list_pages(project.id, doc.id)
    assert [p.source.filename for p in stored] == names
    lines = [ln for p in stored for ln in line_store.list_lines(store, project.id, doc.id, p.id)]
    assert sum(ln.status == "verified" for ln in lines) == len(rows)  # the ground truth, untouched by the OCR
    model = namespace["model"]
    assert model.name == "campbell" and model.evaluation.lines > 0  # type: ignore[attr-defined]
    assert model.job.base not in ("", "@best") and model.evaluation.new.cer >= 0  # type: ignore[attr-defined]
    assert namespace["run"].count("done") == len(names)  # type: ignore[attr-defined]
    page = namespace["page"]
    assert page.lines and page.lines[0].number == 1 and page.text  # type: ignore[attr-defined]
    assert any(n.endswith(".txt") for n in namespace["doc"].export("txt"))  # type: ignore[attr-defined]
