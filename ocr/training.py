"""Fine-tuning Tesseract on line images: the tesstrain data contract (``*.png`` + ``*.gt.txt`` →
``.box`` → ``.lstmf``), a reproducible split by page, a merged unicharset with the report of what
the base model does not know, the starter traineddata, ``lstmtraining`` with its log parsed into
curve points, and the final ``.traineddata``.

Everything runs Tesseract's own training tools (Debian's ``tesseract-ocr``): no download.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from ocr.tessmodel import ModelFormatError, dequantize, extract_components, model_kind, read_components, unicharset_size

__all__ = [
    "TrainingError", "Sample", "write_box", "make_lstmf", "make_lstmfs", "split_by_group", "graphemes",
    "unicharset_symbols", "missing_characters", "Starter", "build_starter", "Progress", "parse_log_line",
    "lstmtraining_command", "finish_model", "build_scratch_starter", "lstmeval_command", "parse_lstmeval",
    "parse_best_checkpoint", "model_symbols", "GainEstimate", "estimate_gain", "TOP_APPEND_INDEX",
]


class TrainingError(RuntimeError):
    """A training step failed; the message says which and why."""


@dataclass(frozen=True)
class Sample:
    image: Path  #: a PNG line image
    text: str  #: NFC, one line
    group: str  #: the page it comes from: lines of one page stay on one side of the split


def _run(cmd: list[str], what: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except FileNotFoundError:
        raise TrainingError(f"{cmd[0]} is missing (Debian: apt-get install tesseract-ocr)") from None
    except subprocess.TimeoutExpired:
        raise TrainingError(f"{what} took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise TrainingError(f"{what} failed: {' / '.join(tail) or done.returncode}")
    return done


def write_box(image: Path, text: str, box: Path) -> None:
    """A tesstrain-style box file: the whole line as one ``WordStr`` box, then the end-of-line tab."""
    with Image.open(image) as img:
        w, h = img.size
    box.write_text(f"WordStr 0 0 {w} {h} 0 #{text}\n\t {w} {h} {w + 1} {h + 1} 0\n", encoding="utf-8")


def make_lstmf(image: Path, text: str) -> Path:
    """``<image>.box`` and ``<image>.lstmf`` beside the image (``tesseract ... --psm 13 lstm.train``)."""
    stem = image.with_suffix("")
    write_box(image, text, stem.with_suffix(".box"))
    _run(["tesseract", str(image), str(stem), "--psm", "13", "lstm.train"], f"making training data of {image.name}", 120)
    out = stem.with_suffix(".lstmf")
    if not out.exists() or out.stat().st_size == 0:
        raise TrainingError(f"{image.name}: Tesseract made no training data (is the text far too long for the image?)")
    return out


def make_lstmfs(samples: Sequence[Sample], jobs: int = 2,
                progress: Callable[[int, int], None] | None = None) -> tuple[list[Path], list[str]]:
    """All ``.lstmf`` files, in parallel; a line that fails is reported and left out."""
    done, failed, files = 0, [], []

    def one(s: Sample) -> Path | str:
        try:
            return make_lstmf(s.image, s.text)
        except TrainingError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for result in pool.map(one, samples):
            done += 1
            (files if isinstance(result, Path) else failed).append(result)  # type: ignore[arg-type]
            if progress:
                progress(done, len(samples))
    return files, failed


def split_by_group(samples: Sequence[Sample], eval_share: float = 0.1, seed: int = 42) -> tuple[list[Sample], list[Sample]]:
    """Train and evaluation lines, whole pages at a time, reproducibly (sorted, then shuffled with
    ``seed``). When whole pages cannot come near ``eval_share`` (one page, or two big ones that would
    hold out half the lines) the lines themselves are split."""
    groups = sorted({s.group for s in samples})
    rng = random.Random(seed)

    def by_line() -> tuple[list[Sample], list[Sample]]:
        items = sorted(samples, key=lambda s: s.image.name)
        rng.shuffle(items)
        k = max(1, round(len(items) * eval_share)) if len(items) > 1 else 0
        return items[k:], items[:k]

    if len(groups) < 2:
        return by_line()
    rng.shuffle(groups)
    wanted = max(1, round(len(samples) * eval_share))
    eval_groups: set[str] = set()
    count = 0
    for g in groups:
        if count >= wanted or len(eval_groups) == len(groups) - 1:
            break
        eval_groups.add(g)
        count += sum(1 for s in samples if s.group == g)
    train = [s for s in samples if s.group not in eval_groups]
    evaluation = [s for s in samples if s.group in eval_groups]
    if len(evaluation) > max(3 * wanted, wanted + 10):
        return by_line()
    return train, evaluation


def graphemes(text: str) -> list[str]:
    """Letters with their combining marks, as a unicharset stores them."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if out and unicodedata.combining(ch):
            out[-1] += ch
        elif not ch.isspace():
            out.append(ch)
    return out


def unicharset_symbols(path: Path | str) -> set[str]:
    """The symbols of a unicharset, given as a file or as its text."""
    text = path if isinstance(path, str) else path.read_text(encoding="utf-8")
    symbols = set()
    for line in text.splitlines()[1:]:
        first = line.split(" ", 1)[0]
        if first and first != "NULL":
            symbols.add(first)
    return symbols


def missing_characters(texts: Iterable[str], unicharset: Path | set[str]) -> dict[str, int]:
    """Characters of the ground truth that the model cannot write yet, with their counts."""
    known = unicharset if isinstance(unicharset, set) else unicharset_symbols(unicharset)
    counts: dict[str, int] = {}
    for text in texts:
        for g in graphemes(text):
            if g not in known:
                counts[g] = counts.get(g, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def model_symbols(traineddata: Path) -> set[str]:
    """What an LSTM model can write (its ``lstm-unicharset``), read from the file."""
    parts = read_components(traineddata)
    if "lstm-unicharset" not in parts:
        raise TrainingError(f"{traineddata.name} has no LSTM unicharset")
    return unicharset_symbols(parts["lstm-unicharset"].decode("utf-8", "replace"))


@dataclass
class Starter:
    lang: str
    traineddata: Path  #: the starter model lstmtraining writes into (merged unicharset, word lists)
    base_lstm: Path | None  #: the float network to continue from (None: from scratch)
    base_traineddata: Path | None  #: the float base model (``--old_traineddata``; None: from scratch)
    missing: dict[str, int] = field(default_factory=dict)
    unicharset_size: int = 0


def _combine(unicharset: Path, workdir: Path, lang: str, lists: dict[str, Path]) -> Path:
    script_dir = workdir / "script"
    script_dir.mkdir(exist_ok=True)
    (script_dir / "radical-stroke.txt").write_text("# no radical-stroke data is needed for alphabetic scripts\n")
    out = workdir / "starter"
    (out / lang).mkdir(parents=True, exist_ok=True)  # combine_lang_model fails to write without it
    args = [a for flag, path in lists.items() for a in (flag, str(path))]
    _run(["combine_lang_model", "--input_unicharset", str(unicharset), "--script_dir", str(script_dir), *args,
          "--output_dir", str(out), "--lang", lang], "building the starter model")
    return out / lang / f"{lang}.traineddata"


def _gt_unicharset(samples: Sequence[Sample], workdir: Path) -> Path:
    boxes = [s.image.with_suffix(".box") for s in samples]
    gt_unicharset = workdir / "gt.unicharset"
    _run(["unicharset_extractor", "--output_unicharset", str(gt_unicharset), "--norm_mode", "2", *map(str, boxes)],
         "extracting the characters of the ground truth")
    return gt_unicharset


def build_scratch_starter(samples: Sequence[Sample], workdir: Path, lang: str) -> Starter:
    """The starter traineddata of a new network: the ground truth's characters, no word lists."""
    workdir.mkdir(parents=True, exist_ok=True)
    unicharset = _gt_unicharset(samples, workdir)
    return Starter(lang, _combine(unicharset, workdir, lang, {}), None, None, {}, unicharset_size(unicharset.read_bytes()))


def build_starter(base: Path, samples: Sequence[Sample], workdir: Path, lang: str) -> Starter:
    """Dequantize the base when needed, merge its unicharset with the ground truth's, and build the
    starter traineddata with the base's word lists (recovered with ``dawg2wordlist``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        kind = model_kind(base)
    except ModelFormatError as exc:
        raise TrainingError(f"the base model {base.name} cannot be read: {exc}") from None
    if kind == "legacy":
        raise TrainingError(f"the base model {base.name} has no LSTM network (legacy engine only): it cannot be fine-tuned")
    float_base = workdir / "base-float.traineddata"
    if kind == "integer":
        dequantize(base, float_base)
    else:
        float_base.write_bytes(base.read_bytes())
    parts = extract_components(float_base, workdir / "base", "base")
    for need in ("lstm", "lstm-unicharset"):
        if need not in parts:
            raise TrainingError(f"the base model {base.name} lacks its {need} component")
    missing = missing_characters((s.text for s in samples), parts["lstm-unicharset"])
    merged = workdir / "merged.unicharset"
    _run(["merge_unicharsets", str(parts["lstm-unicharset"]), str(_gt_unicharset(samples, workdir)), str(merged)],
         "merging the unicharsets")
    lists = {}
    for comp, flag in (("lstm-word-dawg", "--words"), ("lstm-punc-dawg", "--puncs"), ("lstm-number-dawg", "--numbers")):
        if comp in parts:
            target = workdir / f"{comp}.txt"
            _run(["dawg2wordlist", str(parts["lstm-unicharset"]), str(parts[comp]), str(target)], f"reading the {comp}")
            lists[flag] = target
    return Starter(lang, _combine(merged, workdir, lang, lists), parts["lstm"], float_base, missing,
                   unicharset_size(merged.read_bytes()))


@dataclass
class Progress:
    iteration: int
    train_cer: float | None = None  #: percent
    eval_cer: float | None = None  #: percent
    eval_wer: float | None = None
    best: bool = False


_TRAIN = re.compile(r"At iteration (\d+)/(\d+)/(\d+), .*?BCER train=([\d.]+)%")
_EVAL = re.compile(r"At iteration (\d+), stage \d+, Eval Char error rate=([\d.]+), Word error rate=([\d.]+)")


def parse_log_line(line: str) -> Progress | None:
    """A curve point from one line of lstmtraining's log, or None."""
    m = _TRAIN.search(line)
    if m:
        return Progress(int(m.group(2)), train_cer=float(m.group(4)), best="New best" in line)
    m = _EVAL.search(line)
    if m:
        return Progress(int(m.group(1)), eval_cer=float(m.group(2)), eval_wer=float(m.group(3)))
    return None


_BEST = re.compile(r"wrote best model:\s*(\S+?_([\d.]+)_(\d+)_(\d+)\.checkpoint)")


def parse_best_checkpoint(line: str) -> tuple[Path, int] | None:
    """(file, training iteration) of a best checkpoint lstmtraining says it wrote, or None."""
    m = _BEST.search(line)
    return (Path(m.group(1)), int(m.group(4))) if m else None


#: For a new hand: the base's last LSTM layer and its output replaced by new ones (Tesseract's
#: "fine-tune with a new top layer"): the layers up to this index are kept (for the 1,48 networks of
#: grc and grc_hist: Ct, Mp, Lfys64, Lfx96, Lrx96), the new layers start from random weights.
TOP_APPEND_INDEX = 5
TOP_SPEC = "[Lfx192 O1c{outputs}]"


def lstmtraining_command(starter: Starter, checkpoints: Path, train_list: Path, eval_list: Path,
                         max_iterations: int, learning_rate: float = 0.0001, continue_from: Path | None = None,
                         net_spec: str | None = None, new_top: bool = False) -> list[str]:
    """The training command (tesstrain's defaults): fine-tuning ``starter``'s base (``new_top``: with
    its top layers replaced), or a new network ``net_spec`` when the starter has no base; resuming
    from a checkpoint if given."""
    cmd = ["lstmtraining", "--traineddata", str(starter.traineddata), "--model_output", str(checkpoints / starter.lang),
           "--train_listfile", str(train_list), "--eval_listfile", str(eval_list), "--max_iterations", str(max_iterations),
           "--learning_rate", str(learning_rate), "--target_error_rate", "0.01", "--debug_interval", "0"]
    if starter.base_lstm is None:
        if continue_from is not None:
            return cmd + ["--continue_from", str(continue_from)]
        if not net_spec:
            raise TrainingError("training from scratch needs a network specification")
        return cmd + ["--net_spec", net_spec]
    assert starter.base_traineddata is not None
    if new_top and continue_from is None:
        return cmd + ["--continue_from", str(starter.base_lstm), "--append_index", str(TOP_APPEND_INDEX),
                      "--net_spec", TOP_SPEC.format(outputs=starter.unicharset_size)]
    # a model carries the learning rates it was trained with, and lstmtraining keeps them unless told to
    # reset them: without --reset_learning_rate a fine-tune ignores --learning_rate altogether (measured)
    return cmd + ["--continue_from", str(continue_from or starter.base_lstm), "--old_traineddata", str(starter.base_traineddata),
                  "--reset_learning_rate"]


def lstmeval_command(model: Path, eval_list: Path, traineddata: Path | None = None) -> list[str]:
    """Evaluate a checkpoint (with its starter ``traineddata``) or a .traineddata on the eval lines."""
    cmd = ["lstmeval", "--model", str(model), "--eval_listfile", str(eval_list), "--verbosity", "0"]
    return cmd + (["--traineddata", str(traineddata)] if traineddata else [])


_LSTMEVAL = re.compile(r"(?:Eval Char error rate|BCER eval)=([\d.eE+-]+)%?, (?:Word error rate|BWER eval)=([\d.eE+-]+)")


def parse_lstmeval(output: str) -> tuple[float, float] | None:
    """(CER %, WER %) from lstmeval's output (5.3: ``BCER eval=…, BWER eval=…``; older: ``Eval Char
    error rate=…, Word error rate=…``), or None."""
    found = _LSTMEVAL.findall(output)
    return (float(found[-1][0]), float(found[-1][1])) if found else None


def finish_model(checkpoint: Path, starter: Starter, out: Path, integer: bool = False) -> Path:
    """Turn a checkpoint into a ``.traineddata`` Tesseract can use (float unless ``integer``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["lstmtraining", "--stop_training", "--continue_from", str(checkpoint), "--traineddata",
           str(starter.traineddata), "--model_output", str(out)]
    if integer:
        cmd.append("--convert_to_int")
    _run(cmd, "writing the trained model")
    if not out.exists() or out.stat().st_size == 0:
        raise TrainingError("lstmtraining wrote no model")
    return out


@dataclass(frozen=True)
class GainEstimate:
    """What more annotated lines would buy, from trainings on different amounts of lines."""

    points: tuple[tuple[int, float], ...]  #: (training lines, held-out CER %) of the trainings used
    exponent: float  #: CER ∝ lines^exponent (negative: more lines help)
    predictions: tuple[tuple[int, float], ...]  #: (training lines, expected held-out CER %)


def estimate_gain(points: Sequence[tuple[int, float]], targets: Sequence[int]) -> GainEstimate | None:
    """A power law CER = a·lines^b fitted (least squares in log-log) to the held-out CER of trainings on
    different numbers of lines, read at ``targets``. None when the points cannot say it: fewer than two
    sizes at least 1.3× apart. The figures are rough (the held-out lines of the trainings differ) and
    must be shown as such."""
    import math

    by_size: dict[int, list[float]] = {}
    for lines, cer in points:
        if lines > 0 and cer > 0:
            by_size.setdefault(int(lines), []).append(float(cer))
    sizes = sorted(by_size)
    if len(sizes) < 2 or sizes[-1] < 1.3 * sizes[0]:
        return None
    xs = [math.log(n) for n in sizes]
    ys = [math.log(sum(v) / len(v)) for v in (by_size[n] for n in sizes)]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    preds = tuple((int(t), round(math.exp(a + b * math.log(t)), 1)) for t in targets if t > 0)
    return GainEstimate(tuple((n, round(sum(by_size[n]) / len(by_size[n]), 2)) for n in sizes), round(b, 3), preds)
