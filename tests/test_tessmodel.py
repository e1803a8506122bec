"""Dequantizing Tesseract's integer (fast) models into float ones that training can continue from."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from ocr.metrics import Score, score
from ocr.tessmodel import ModelFormatError, dequantize, dequantize_lstm, extract_components, model_kind, read_network
from ocr.tesseract import run_tesseract

GRC = Path("/usr/share/tesseract-ocr/5/tessdata/grc.traineddata")


@pytest.fixture(scope="module")
def float_grc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "grcfloat.traineddata"
    dequantize(GRC, out)
    return out


def test_the_grc_network_is_read_layer_by_layer(tmp_path: Path) -> None:
    lstm = extract_components(GRC, tmp_path)["lstm"].read_bytes()
    info = read_network(lstm)
    assert info.integer is True and info.matrices == 18 and info.weights == 419_700
    assert info.layers[:2] == ["Series", "Input"] and "SummLSTM" in info.layers and info.layers[-1] == "Softmax"


def test_kinds(float_grc: Path, tmp_path: Path) -> None:
    assert model_kind(GRC) == "integer" and model_kind(float_grc) == "float"
    bad = tmp_path / "x.traineddata"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelFormatError):
        model_kind(bad)


def test_round_trip_through_lstmtraining_gives_back_the_int8_weights(float_grc: Path, tmp_path: Path) -> None:
    parts = extract_components(float_grc, tmp_path / "f", "f")
    back = tmp_path / "back.traineddata"
    subprocess.run(["lstmtraining", "--stop_training", "--convert_to_int", "--continue_from", str(parts["lstm"]),
                    "--traineddata", str(float_grc), "--model_output", str(back)], check=True, capture_output=True)
    original = read_network(extract_components(GRC, tmp_path / "o", "o")["lstm"].read_bytes())
    again = read_network(extract_components(back, tmp_path / "b", "b")["lstm"].read_bytes())
    assert again.integer and len(again.int8) == len(original.int8) == 18
    assert all(np.array_equal(a, b) for a, b in zip(original.int8, again.int8))


def test_the_dequantized_model_reads_like_the_original(float_grc: Path, shared_data: Path) -> None:
    lines = sorted((shared_data / "gazis-lines" / "test").glob("*.jpg"))

    def cer(model_dir: Path | None, lang: str) -> float:
        def one(img: Path) -> Score:
            text = run_tesseract(img, lang, 7, "txt", tessdata_dir=model_dir)
            return score(img.with_suffix(".gt.txt").read_text(encoding="utf-8"), text)
        with ThreadPoolExecutor(2) as pool:
            return sum(pool.map(one, lines), Score()).cer

    stock, dequantized = cer(None, "grc"), cer(float_grc.parent, "grcfloat")
    assert stock < 0.2 and abs(stock - dequantized) <= 0.005, (stock, dequantized)


def test_truncated_or_foreign_networks_are_refused(tmp_path: Path) -> None:
    lstm = extract_components(GRC, tmp_path)["lstm"].read_bytes()
    with pytest.raises(ModelFormatError, match="ends too early"):
        dequantize_lstm(lstm[:5000])
    with pytest.raises(ModelFormatError):
        read_network(b"\x01garbage")
