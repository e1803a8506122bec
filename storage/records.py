"""Typed records of the work products: OCR models, training jobs, OCR runs, and their evaluations.

The store keeps them as JSON files (``model.json``, ``job.json``, ``runs/r-*.json``); these classes are
what every layer above ``storage/`` sees, so that nobody spells ``["eval"]["new"]["CER %"]``. Each has
``from_dict`` (tolerant of files written by older versions: missing keys take defaults) and keeps the
file's dictionary in ``raw`` for the rare reader that needs a field not modelled here (e.g. a newer
version's). Records are frozen: a change goes through the storage function that writes the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Rates", "Evaluation", "OcrModel", "Checkpoint", "FinalPass", "JobSummary", "Job", "RunPage", "OcrRun",
           "JobStatus", "RunState", "BaseScore", "TrainingPreview"]

JobStatus = Literal["prepared", "preparing", "training", "finishing", "done", "failed", "cancelled"]
RunState = Literal["finished", "running", "interrupted"]


@dataclass(frozen=True)
class Rates:
    """Error rates of some model on some lines, in percent (``ocr.metrics.Score.as_row`` in typed form)."""

    chars: int = 0
    cer: float = 0.0
    wer: float = 0.0
    cer_no_diacritics: float = 0.0
    diacritic_share: float = 0.0  #: share of the edits that are accents/breathings, %
    letter_share: float = 0.0
    space_share: float = 0.0

    @classmethod
    def from_row(cls, row: dict[str, Any] | None) -> "Rates | None":
        if not row or "CER %" not in row:
            return None
        return cls(chars=int(row.get("chars", 0)), cer=float(row["CER %"]), wer=float(row.get("WER %", 0.0)),
                   cer_no_diacritics=float(row.get("CER no diacritics %", 0.0)),
                   diacritic_share=float(row.get("diacritic errors %", 0.0)),
                   letter_share=float(row.get("letter errors %", 0.0)), space_share=float(row.get("space errors %", 0.0)))

    def as_row(self) -> dict[str, float | int]:
        """The table form (column label → value), in ``ocr.metrics.RATE_COLUMNS`` order."""
        return {"chars": self.chars, "CER %": self.cer, "WER %": self.wer, "CER no diacritics %": self.cer_no_diacritics,
                "diacritic errors %": self.diacritic_share, "letter errors %": self.letter_share,
                "space errors %": self.space_share}


@dataclass(frozen=True)
class Evaluation:
    """A trained model against its base on the held-out lines (and, optionally, on a second set)."""

    lines: int
    new: Rates | None
    base: Rates | None = None  #: None: trained from scratch, nothing to compare with
    label: str = ""  #: what the lines are (for the second set)
    second: "Evaluation | None" = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Evaluation | None":
        if not d:
            return None
        return cls(lines=int(d.get("lines", 0)), new=Rates.from_row(d.get("new")), base=Rates.from_row(d.get("base")),
                   label=str(d.get("label", "")), second=cls.from_dict(d.get("second")))

    @property
    def no_better(self) -> bool:
        """The new model reads the held-out lines no better than the one it started from."""
        return bool(self.base and self.new and self.new.cer >= self.base.cer)


@dataclass(frozen=True)
class Checkpoint:
    """The checkpoint a training chose as the model, and why."""

    iteration: int
    heldout_cer: float  #: %, measured on the held-out lines when it was written
    by: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Checkpoint | None":
        return cls(int(d.get("iteration", 0)), float(d["heldout_cer"]), str(d.get("by", ""))) if d and "heldout_cer" in d else None


@dataclass(frozen=True)
class FinalPass:
    iterations: int
    lines: int
    status: str  #: "training", "done", or a sentence saying why not

    @property
    def done(self) -> bool:
        return self.status == "done"

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "FinalPass | None":
        return cls(int(d.get("iterations", 0)), int(d.get("lines", 0)), str(d.get("status", ""))) if d else None


@dataclass(frozen=True)
class OcrModel:
    """A model Kalamos can read with: installed with Tesseract (``origin == "system"``) or the project's own."""

    id: str  #: ``m-…`` for a project's model, the name for an installed one
    name: str  #: the Tesseract language code
    origin: str  #: system, trained, imported, downloaded
    kind: str  #: float, integer, legacy
    unicharset_size: int = 0
    size_bytes: int = 0
    version: str = ""
    created: str = ""
    base: str | None = None  #: what a trained model started from
    job_id: str | None = None  #: the training job that made it
    evaluation: Evaluation | None = None
    heldout_cer: float | None = None  #: % of the chosen checkpoint while training
    final_pass: FinalPass | None = None
    training: dict[str, Any] = field(default_factory=dict)  #: the job's summary (lines, pages, characters…)
    integer_of: str | None = None  #: the float model this integer copy was made from
    source: str | None = None  #: download address
    sha256: str | None = None
    path: str | None = None  #: file of an installed model
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def own(self) -> bool:
        return self.origin != "system"

    @property
    def trainable(self) -> bool:
        """An LSTM model a fine-tune can start from."""
        return self.kind in ("float", "integer")

    @property
    def cer(self) -> float | None:
        """The held-out CER of a trained model (the models table's column), else None."""
        return self.evaluation.new.cer if self.evaluation and self.evaluation.new else None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "OcrModel":
        return cls(id=str(d["id"]), name=str(d["name"]), origin=str(d.get("origin", "imported")), kind=str(d.get("kind", "")),
                   unicharset_size=int(d.get("unicharset_size") or 0), size_bytes=int(d.get("size_bytes") or 0),
                   version=str(d.get("version") or ""), created=str(d.get("created") or ""), base=d.get("base"),
                   job_id=d.get("job"), evaluation=Evaluation.from_dict(d.get("eval")),
                   heldout_cer=d.get("heldout_cer"), final_pass=FinalPass.from_dict(d.get("final_pass")),
                   training=dict(d.get("training") or {}), integer_of=d.get("integer_of"), source=d.get("source"),
                   sha256=d.get("sha256"), path=d.get("path"), raw=dict(d))


@dataclass(frozen=True)
class JobSummary:
    lines: int = 0
    characters: int = 0
    pages: int = 0
    train_lines: int = 0
    eval_lines: int = 0
    missing_characters: tuple[str, ...] = ()  #: characters the base could not write (its unicharset grew)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "JobSummary":
        d = d or {}
        return cls(int(d.get("lines", 0)), int(d.get("characters", 0)), int(d.get("pages", 0)), int(d.get("train_lines", 0)),
                   int(d.get("eval_lines", 0)), tuple(d.get("missing_characters") or ()))


@dataclass(frozen=True)
class Job:
    """A training job: what it trains on, where it stands, what it made."""

    id: str
    status: JobStatus
    created: str
    spec: dict[str, Any]  #: the ``TrainSpec`` it was created with (``storage.training.TrainSpec(**spec)``)
    summary: JobSummary
    train: tuple[str, ...] = ()  #: line image names it trains on (augmented copies included)
    held_out: tuple[str, ...] = ()  #: line image names it is measured on
    groups: dict[str, str] = field(default_factory=dict)  #: line image name → page it comes from
    second: dict[str, Any] | None = None  #: {"label", "lines"} of the comparison set
    augmented: int = 0
    problems: tuple[str, ...] = ()
    error: str | None = None
    model_id: str | None = None  #: the registered model, once done
    trained_seconds: float = 0.0
    selected: Checkpoint | None = None
    final_pass: FinalPass | None = None
    stop_reason: str | None = None
    stopped_early: bool = False
    base_comparison: tuple["BaseScore", ...] = ()  #: the base table when the job chose its base
    sources: dict[str, Any] = field(default_factory=dict)  #: line image name → where the line came from
    updated: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return str(self.spec.get("name", ""))

    @property
    def base(self) -> str:
        return str(self.spec.get("base", ""))

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Job":
        return cls(id=d["id"], status=d.get("status", "prepared"), created=d.get("created", ""), spec=dict(d.get("spec") or {}),
                   summary=JobSummary.from_dict(d.get("summary")), train=tuple(d.get("train") or ()),
                   held_out=tuple(d.get("eval") or ()), groups=dict(d.get("groups") or {}), second=d.get("second"),
                   augmented=int(d.get("augmented") or 0), problems=tuple(d.get("problems") or ()), error=d.get("error"),
                   model_id=d.get("model"), trained_seconds=float(d.get("trained_seconds") or 0.0),
                   selected=Checkpoint.from_dict(d.get("selected")), final_pass=FinalPass.from_dict(d.get("final_pass")),
                   stop_reason=d.get("stop_reason"), stopped_early=bool(d.get("stopped_early")),
                   base_comparison=tuple(BaseScore.from_dict(r) for r in d.get("base_comparison") or ()), sources=dict(d.get("sources") or {}),
                   updated=d.get("updated", ""), raw=dict(d))


@dataclass(frozen=True)
class RunPage:
    """One page of an OCR run: waiting, done (with its time and line count) or failed (with why)."""

    status: str
    seconds: float | None = None
    lines: int | None = None
    error: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunPage":
        return cls(str(d.get("status", "waiting")), d.get("seconds"), d.get("lines"), d.get("error"))


@dataclass(frozen=True)
class OcrRun:
    """A batch OCR of some pages of a document with one model and settings."""

    id: str
    spec: dict[str, Any]  #: the ``RunSpec`` (model, psm, mode, preprocessed, tessdata)
    started: str
    finished: str | None
    order: tuple[str, ...]  #: page ids in the order they were asked for
    pages: dict[str, RunPage]
    state: RunState = "finished"
    resumed: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def model(self) -> str:
        return str(self.spec.get("model", ""))

    @property
    def mode(self) -> str:
        return str(self.spec.get("mode", "page"))

    def count(self, status: str) -> int:
        return sum(p.status == status for p in self.pages.values())

    @classmethod
    def from_dict(cls, d: dict[str, Any], state: RunState | None = None) -> "OcrRun":
        pages = {pid: RunPage.from_dict(st) for pid, st in (d.get("pages") or {}).items()}
        return cls(id=d["id"], spec=dict(d.get("spec") or {}), started=d.get("started", ""), finished=d.get("finished"),
                   order=tuple(d.get("order") or pages), pages=pages,
                   state=state or d.get("state") or ("finished" if d.get("finished") else "interrupted"),
                   resumed=tuple(d.get("resumed") or ()), raw=dict(d))


@dataclass(frozen=True)
class BaseScore:
    """How one candidate base model reads the lines a training would hold out (a row of the base table)."""

    model: str
    lines: int
    cer: float | None = None  #: None: the model could not read them (see ``error``)
    cer_no_diacritics: float | None = None
    lacks: float = 0.0  #: % of the ground truth's characters the model cannot write
    lacking: str = ""  #: the commonest of them
    seconds: float = 0.0
    error: str | None = None
    excluded: str | None = None  #: why it is never chosen (it learnt these lines)
    why: str | None = None  #: why it was put first against the figures

    @property
    def usable(self) -> bool:
        return self.cer is not None and not self.excluded

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BaseScore":
        return cls(model=str(d["model"]), lines=int(d.get("lines", 0)), cer=d.get("CER %"),
                   cer_no_diacritics=d.get("CER no diacritics %"), lacks=float(d.get("lacks %", 0.0)),
                   lacking=str(d.get("lacks", "")), seconds=float(d.get("seconds", 0.0)), error=d.get("error"),
                   excluded=d.get("excluded"), why=d.get("why"))


@dataclass(frozen=True)
class TrainingPreview:
    """What a training on some documents would use, before anything is cut."""

    lines: int
    characters: int
    pages: int
    missing: dict[str, int]  #: characters the base cannot write yet → how often
    variants: dict[str, list[str]]  #: role → the forms one character is written in (``ocr.greek.variant_forms``)
    edited: int  #: lines edited but not verified
    statuses: tuple[str, ...]  #: the line statuses it takes
    spacing: dict[str, int]  #: accents standing alone → how often
