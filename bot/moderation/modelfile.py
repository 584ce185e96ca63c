"""Features for training and the model file: what training and the nightly adaptation share."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .model import DEFAULT_MODEL_PATH, DIM, HEADS, text_features


def featurize(texts: list[str]):  # -> scipy.sparse.csr_matrix
    from scipy.sparse import csr_matrix

    from .classifier import prepare

    indptr, indices, data = [0], [], []
    for t in texts:
        feats = text_features(prepare(t).words)
        counts: dict[int, int] = {}
        for f in feats:
            counts[f] = counts.get(f, 0) + 1
        r = 1.0 / np.sqrt(len(feats))
        indices.extend(counts.keys())
        data.extend(v * r for v in counts.values())
        indptr.append(len(indices))
    return csr_matrix(
        (np.array(data, np.float32), np.array(indices), np.array(indptr)), shape=(len(texts), DIM)
    )


@dataclass
class TrainReport:
    path: Path
    n_train: dict[str, int]
    thresholds: dict[str, float]
    metrics: dict[str, float]
    size_bytes: int


def save_model(out: Path, weights: np.ndarray, bias: np.ndarray, th: dict[str, float]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    arrays = {
        "weights": weights.astype(np.float16),
        "bias": bias,
        "heads": np.array(HEADS),
        "th_names": np.array(list(th.keys())),
        "th_values": np.array(list(th.values()), dtype=np.float64),
    }
    # np.savez_compressed stamps each member with the current time; a fixed stamp keeps the file
    # the same bytes for the same training, so a rebuilt model can be compared with the shipped one
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(arr), allow_pickle=False)
    tmp.replace(out)  # atomic: a running bot reloading the file never sees half of it


def forget_default(out: Path) -> None:
    if out == DEFAULT_MODEL_PATH:
        from .classifier import load_default

        load_default.cache_clear()
