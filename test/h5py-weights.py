#!/usr/bin/python3
"""Reads every weight of a Keras file with h5py (Debian's python3-h5py) and prints, per layer, each
weight's shape and the sha256 of its float32 little-endian bytes — an independent reading of the file for
test/convert-h5-reader.test.ts.

usage: h5py-weights.py FILE   (a Keras 2 / tf.keras / Keras 3 legacy .h5, or a Keras 3 .keras zip)

.h5: model_weights/<group> with attr weight_names; a group whose weights name several layers is a nested
model, keyed by the inner layer names (the path segment before the variable name). .keras: Keras 3's
saving_lib layout, layers/<snake_case(class)>[_n]/vars/<i> in model.layers order, nested models under
their own layers/ (operations such as `x + 3` are not layers and take no name).
"""
import hashlib
import io
import json
import re
import sys
import zipfile

import h5py
import numpy as np


def digest(dataset):
    array = np.asarray(dataset[()]).astype("<f4")
    return {"dims": list(array.shape), "sha256": hashlib.sha256(array.tobytes()).hexdigest()}


def h5_layers(f):
    root = f["model_weights"] if "model_weights" in f else f
    out = {}
    for group in [n.decode() if isinstance(n, bytes) else n for n in root.attrs["layer_names"]]:
        names = [n.decode() if isinstance(n, bytes) else n for n in root[group].attrs.get("weight_names", [])]
        inner = {n.split("/")[-2] if "/" in n else group for n in names}
        for n in names:
            layer = (n.split("/")[-2] if "/" in n else group) if len(inner) > 1 else group
            out.setdefault(layer, []).append(digest(root[group][n]))
    return out


def snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def keras3_layers(weights, model, base, out):
    config = model["config"]
    layers = config["layers"] if isinstance(config, dict) else config
    counts = {}
    for layer in layers:
        module = layer.get("module", "")
        if layer["class_name"] == "InputLayer" or module.startswith("keras.src.ops"):
            continue
        key = snake(layer["class_name"])
        n = counts.get(key)
        counts[key] = 0 if n is None else n + 1
        path = f"{base}/{key if n is None else f'{key}_{n + 1}'}"
        if layer["class_name"] in ("Functional", "Sequential", "Model"):
            keras3_layers(weights, layer, f"{path}/layers", out)
            continue
        name = layer.get("name") or layer["config"]["name"]
        vars_ = weights[path]["vars"] if path in weights and "vars" in weights[path] else {}
        tensors = [digest(vars_[k]) for k in sorted(vars_.keys(), key=int)]
        if tensors:
            out[name] = tensors
    return out


def main():
    path = sys.argv[1]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
            with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as weights:
                layers = keras3_layers(weights, config, "layers", {})
    else:
        with h5py.File(path, "r") as f:
            layers = h5_layers(f)
    json.dump(layers, sys.stdout)


if __name__ == "__main__":
    main()
