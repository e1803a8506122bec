"""Tesseract model files: what kind a ``.traineddata`` is, and turning an integer ("fast") LSTM
model into a float one that ``lstmtraining`` can continue training (tesseract-ocr/tesseract#3659).

The network component (``lstm``) is a tree of layers, serialised as Tesseract 5.3 does
(``src/lstm/network.cpp``, ``plumbing.cpp``, ``lstm.cpp``, ``fullyconnected.cpp``,
``weightmatrix.cpp``; all little-endian). Each layer starts with a header: int8 0, the type name
(u32 length + bytes), int8 training state, int8 needs_to_backprop, int32 network flags, ni, no,
num_weights, and the layer name (u32 length + bytes). Then, by type:

- plumbing (Series, Parallel, Replicated, ParBidiLSTM, DepParUDLSTM, Par2dLSTM, RTLReversed,
  TTBReversed, XYTranspose): u32 child count, the children, and when flag 64 is set a float
  vector of per-layer learning rates (u32 count + float32s);
- Input: the shape (5 int32); Convolve: half_x, half_y; Maxpool, Reconfig: x_scale, y_scale;
- LSTM, SummLSTM, LSTMSoftmax, LSTMBinarySoftmax: int32 na, the gate matrices CI, GI, GF1, GO
  (and GFS for 2-D LSTMs), and for the softmax types a fully connected layer;
- fully connected (Logistic, LinLogistic, LinTanh, Tanh, Relu, Linear, Softmax, SoftmaxNoCTC):
  one weight matrix.

A weight matrix starts with a mode byte (1: int8, 4: Adam, 128: doubles format). Integer form: an
int8 2-D array (u32 dim1, u32 dim2, the int8 empty value, row-major data; the last column is the
bias) and u32 n + n doubles, the per-row scales as stored on disk, where ``w = int8 × scale``
(writers pad n past dim1: the first dim1 are used). Float form: the mode without the int8 flag,
then a 2-D array of doubles (u32 dim1, u32 dim2, double empty value, data), followed, for a layer
in training state, by the same shape of zero "updates" (and of zero Adam sums when flag 4 is set).
After the network come the recognizer's fields; its ``training_flags`` (int32) has bit 1 for
integer mode, which is cleared. Everything else is copied byte for byte.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

__all__ = ["ModelFormatError", "NetworkInfo", "read_network", "dequantize_lstm", "dequantize", "model_kind",
           "extract_components", "read_components", "ModelDescription", "describe_model", "unicharset_size", "LSTM_COMPONENT"]

LSTM_COMPONENT = "lstm"
#: The components of a .traineddata, in the order of its offset table (``ccutil/tessdatamanager.h``).
COMPONENT_NAMES = ("config", "unicharset", "unicharambigs", "inttemp", "pffmtable", "normproto", "punc-dawg",
                   "word-dawg", "number-dawg", "freq-dawg", "fixed-length-dawgs", "cube-unicharset",
                   "cube-word-dawg", "shapetable", "bigram-dawg", "unambig-dawg", "params-model", "lstm",
                   "lstm-punc-dawg", "lstm-word-dawg", "lstm-number-dawg", "lstm-unicharset", "lstm-recoder",
                   "version")
INT8_FLAG, ADAM_FLAG, DOUBLE_FLAG = 1, 4, 128
NF_LAYER_SPECIFIC_LR = 64
TS_ENABLED = 1
PLUMBING = {"Series", "Parallel", "Replicated", "ParBidiLSTM", "DepParUDLSTM", "Par2dLSTM", "RTLReversed",
            "TTBReversed", "XYTranspose"}
FULLY_CONNECTED = {"Logistic", "LinLogistic", "LinTanh", "Tanh", "Relu", "Linear", "Softmax", "SoftmaxNoCTC"}
LSTMS = {"LSTM", "SummLSTM", "LSTMSoftmax", "LSTMBinarySoftmax"}
RECOGNIZER_INT_MODE = 1


class ModelFormatError(ValueError):
    """A model file Kalamos cannot read or convert; the message says why."""


@dataclass
class NetworkInfo:
    layers: list[str] = field(default_factory=list)  #: type names in file order
    matrices: int = 0
    weights: int = 0
    integer: bool | None = None  #: None when the network has no weight matrix
    #: the int8 arrays and their scales, in file order (for tests and for checking a round trip)
    int8: list[np.ndarray] = field(default_factory=list)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelFormatError("the network ends too early (truncated or not a Tesseract LSTM model)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:  # type: ignore[type-arg]
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


class _Converter:
    """Walks the network, copying it to ``out`` and (when ``to_float``) converting integer matrices."""

    def __init__(self, data: bytes, to_float: bool) -> None:
        self.r = _Reader(data)
        self.out = bytearray()
        self.to_float = to_float
        self.info = NetworkInfo()

    def copy(self, n: int) -> bytes:
        chunk = self.r.take(n)
        self.out += chunk
        return chunk

    def copy_unpack(self, fmt: str) -> tuple:  # type: ignore[type-arg]
        return struct.unpack("<" + fmt, self.copy(struct.calcsize("<" + fmt)))

    def string(self) -> str:
        (n,) = self.copy_unpack("I")
        if n > 10_000:
            raise ModelFormatError("a layer name is implausibly long: not a Tesseract 4/5 LSTM network")
        return self.copy(n).decode("utf-8", "replace")

    def layer(self) -> None:
        (marker,) = self.copy_unpack("b")
        if marker != 0:
            raise ModelFormatError(f"unexpected layer marker {marker} at byte {self.r.pos - 1}")
        kind = self.string()
        training, _backprop, flags, _ni, _no, _nw = self.copy_unpack("bbiiii")
        self.string()  # the layer's name
        self.info.layers.append(kind)
        if kind in PLUMBING:
            (count,) = self.copy_unpack("I")
            for _ in range(count):
                self.layer()
            if flags & NF_LAYER_SPECIFIC_LR:
                (n,) = self.copy_unpack("I")
                self.copy(4 * n)
        elif kind == "Input":
            self.copy(5 * 4)
        elif kind in ("Convolve", "Maxpool", "Reconfig"):
            self.copy(2 * 4)
        elif kind in FULLY_CONNECTED:
            self.matrix(training == TS_ENABLED)
        elif kind in LSTMS:
            (na,) = self.copy_unpack("i")
            nf = _no if kind == "LSTMSoftmax" else (int(np.ceil(np.log2(_no))) if kind == "LSTMBinarySoftmax" else 0)
            ns = self.matrix(training == TS_ENABLED)  # CI: its rows are the LSTM's state size
            two_d = na - nf == _ni + 2 * ns
            for _ in range(4 if two_d else 3):  # GI, GF1, GO (, GFS)
                self.matrix(training == TS_ENABLED)
            if kind in ("LSTMSoftmax", "LSTMBinarySoftmax"):
                self.layer()
        else:
            raise ModelFormatError(f"layer type {kind!r} is not supported")

    def matrix(self, training: bool) -> int:
        """Copy or convert one weight matrix; returns its number of rows (outputs)."""
        (mode,) = self.r.unpack("B")
        if not mode & DOUBLE_FLAG:
            raise ModelFormatError("an old (pre-4.0) weight format; Kalamos reads Tesseract 4/5 models")
        integer = bool(mode & INT8_FLAG)
        self.info.integer = integer if self.info.integer is None else self.info.integer and integer
        self.info.matrices += 1
        if not integer:  # float already: copy as it is
            self.out += struct.pack("<B", mode)
            dim1, dim2 = self.copy_unpack("II")
            self.copy(8 + 8 * dim1 * dim2)
            self.info.weights += dim1 * dim2
            if training:
                for _ in range(2 if mode & ADAM_FLAG else 1):
                    d1, d2 = self.copy_unpack("II")
                    self.copy(8 + 8 * d1 * d2)
            return dim1
        dim1, dim2 = self.r.unpack("II")
        self.r.take(1)  # the int8 empty value
        q = np.frombuffer(self.r.take(dim1 * dim2), dtype=np.int8).reshape(dim1, dim2)
        (n,) = self.r.unpack("I")
        scales = np.frombuffer(self.r.take(8 * n), dtype="<f8")
        if n < dim1:
            raise ModelFormatError(f"a weight matrix has {n} scales for {dim1} rows")
        self.info.int8.append(q.copy())
        self.info.weights += dim1 * dim2
        if not self.to_float:
            self.out += struct.pack("<BIIb", mode, dim1, dim2, 0) + q.tobytes() + struct.pack("<I", n) + scales.tobytes()
            return dim1
        weights = q.astype(np.float64) * scales[:dim1, None]
        float_mode = mode & ~INT8_FLAG
        self.out += struct.pack("<BIId", float_mode, dim1, dim2, 0.0) + weights.astype("<f8").tobytes()
        if training:
            for _ in range(2 if float_mode & ADAM_FLAG else 1):
                self.out += struct.pack("<IId", dim1, dim2, 0.0) + bytes(8 * dim1 * dim2)
        return dim1


def _convert(lstm: bytes, to_float: bool) -> tuple[bytes, NetworkInfo, int]:
    conv = _Converter(lstm, to_float)
    conv.layer()
    return bytes(conv.out), conv.info, conv.r.pos


def read_network(lstm: bytes) -> NetworkInfo:
    """Describe the network of an ``lstm`` component."""
    return _convert(lstm, False)[1]


def _recognizer_tail(lstm: bytes, start: int, to_float: bool) -> bytes:
    """The fields after the network (the unicharset may come first when the file includes it)."""
    tail = lstm[start:]
    # network_str_ (u32 length + bytes) then int32 training_flags; a unicharset, when present,
    # is text that starts with its size line: skip to the first position where the layout fits
    for offset in range(0, min(len(tail), 400_000)):
        if offset + 4 > len(tail):
            break
        (n,) = struct.unpack_from("<I", tail, offset)
        end = offset + 4 + n
        if 0 < n < 10_000 and end + 4 <= len(tail):
            spec = tail[offset + 4:end]
            if spec.startswith(b"[") and spec.endswith(b"]"):
                (flags,) = struct.unpack_from("<i", tail, end)
                if to_float:
                    flags &= ~RECOGNIZER_INT_MODE
                return tail[:end] + struct.pack("<i", flags) + tail[end + 4:]
    raise ModelFormatError("the recognizer's network specification was not found after the network")


def dequantize_lstm(lstm: bytes) -> tuple[bytes, NetworkInfo]:
    """A float ``lstm`` component equivalent to an integer one (a float one is returned unchanged)."""
    network, info, end = _convert(lstm, True)
    if info.integer is False:
        return lstm, info
    return network + _recognizer_tail(lstm, end, True), info


def _run(cmd: list[str], what: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        raise ModelFormatError(f"{cmd[0]} is missing (Debian: apt-get install tesseract-ocr)") from None
    if done.returncode != 0:
        raise ModelFormatError(f"{what} failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")


def extract_components(traineddata: Path, folder: Path, prefix: str = "model") -> dict[str, Path]:
    """Unpack a .traineddata with ``combine_tessdata -u``; component name → file."""
    folder.mkdir(parents=True, exist_ok=True)
    _run(["combine_tessdata", "-u", str(traineddata), str(folder / f"{prefix}.")], f"unpacking {traineddata.name}")
    return {p.name[len(prefix) + 1:]: p for p in folder.glob(f"{prefix}.*")}


def read_components(traineddata: Path) -> dict[str, bytes]:
    """The components of a .traineddata (name → bytes), read in Python: an int32 entry count, an
    int64 offset per entry (-1 when absent), then the components one after the other."""
    data = Path(traineddata).read_bytes()
    if len(data) < 4:
        raise ModelFormatError("the file is too short to be a Tesseract model")
    (count,) = struct.unpack_from("<i", data, 0)
    if not 1 <= count <= 64 or len(data) < 4 + 8 * count:
        raise ModelFormatError("this is not a Tesseract .traineddata file (no table of components)")
    offsets = struct.unpack_from(f"<{count}q", data, 4)
    present = sorted((off, i) for i, off in enumerate(offsets) if off >= 0)
    if not present or any(not 4 + 8 * count <= off <= len(data) for off, _ in present):
        raise ModelFormatError("this is not a Tesseract .traineddata file (its table of components is broken)")
    parts = {}
    for k, (off, i) in enumerate(present):
        end = present[k + 1][0] if k + 1 < len(present) else len(data)
        name = COMPONENT_NAMES[i] if i < len(COMPONENT_NAMES) else f"component-{i}"
        parts[name] = data[off:end]
    return parts


def unicharset_size(unicharset: bytes) -> int:
    """The number of entries a unicharset declares on its first line (0 if it declares none)."""
    first = unicharset.split(b"\n", 1)[0].strip()
    return int(first) if first.isdigit() else 0


@dataclass
class ModelDescription:
    kind: Literal["integer", "float", "legacy"]
    unicharset_size: int  #: characters the model can write (of its LSTM unicharset, else the legacy one)
    version: str
    size_bytes: int


def describe_model(traineddata: Path) -> ModelDescription:
    """What a model file is, read from the file itself (raises ModelFormatError if it is not one)."""
    parts = read_components(traineddata)
    if LSTM_COMPONENT in parts:
        try:
            kind: Literal["integer", "float", "legacy"] = "integer" if read_network(parts[LSTM_COMPONENT]).integer else "float"
        except (ModelFormatError, struct.error, ValueError, IndexError) as exc:
            raise ModelFormatError(f"its LSTM network cannot be read ({exc})") from None
    elif "inttemp" in parts or "unicharset" in parts:
        kind = "legacy"
    else:
        raise ModelFormatError("it holds neither an LSTM network nor a legacy model")
    size = unicharset_size(parts.get("lstm-unicharset") or parts.get("unicharset") or b"0")
    version = parts.get("version", b"").decode("utf-8", "replace").strip()
    return ModelDescription(kind, size, version, Path(traineddata).stat().st_size)


def model_kind(traineddata: Path) -> Literal["integer", "float", "legacy"]:
    """"integer" (fast) or "float" (best) LSTM model, or "legacy" when it has no LSTM network."""
    return describe_model(traineddata).kind


def dequantize(traineddata: Path, out: Path) -> NetworkInfo:
    """Write ``out``: the same model with its integer LSTM network turned into a float one."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parts = extract_components(traineddata, folder)
        if LSTM_COMPONENT not in parts:
            raise ModelFormatError(f"{traineddata.name} has no LSTM network (a legacy-only model)")
        data, info = dequantize_lstm(parts[LSTM_COMPONENT].read_bytes())
        parts[LSTM_COMPONENT].write_bytes(data)
        _run(["combine_tessdata", str(folder / "model.")], "repacking the model")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "model.traineddata", out)
    return info
