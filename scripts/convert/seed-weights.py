#!/usr/bin/python3
"""Writes a Keras weights-only HDF5 file (the layout of Keras' official ImageNet weight files and of
`model.save_weights('x.h5')`) filled with seeded random values.

Usage: /usr/bin/python3 seed-weights.py PLAN.json OUT.h5

PLAN.json (written by seed-weights.ts):
  { "seed": 1, "keras_version": "2.2.4", "backend": "tensorflow",
    "layer_names": ["input_1", "block1_conv1", ...],          # every layer, weighted or not
    "layers": [ { "layer": "block1_conv1",
                  "weights": [ { "name": "block1_conv1/kernel:0", "shape": [3, 3, 3, 64],
                                 "dist": "normal" | "uniform", "a": mean|low, "b": std|high } ] } ] }
  "dist": "values" takes "values" (row-major) as they are; "dtype": "int64" stores integers (default float32).

Layout: root attrs layer_names, backend, keras_version; one group per layer with attr weight_names;
each weight a float32 dataset at <layer>/<weight name> (so 'block1_conv1/block1_conv1/kernel:0').

With "model_config" (a model JSON object) in the plan, writes a full-model file as tf.keras'
`model.save('x.h5')` does: root attrs model_config, backend, keras_version and the same layout inside
group 'model_weights'. A nested model is one entry of layer_names whose weight names carry the inner
layer names ('conv1_conv/kernel:0'), listed in the plan's order (trainable weights first, as Keras).

With "keras3" in the plan ({"config", "metadata", "objects": [{"path", "weights"}]}), writes a Keras 3
`.keras` zip instead: config.json, metadata.json and model.weights.h5, in which each object path
("layers/functional/layers/conv2d") holds a group "vars" with datasets "0", "1", … in the order given.
"""
import json
import os
import sys
import tempfile
import zipfile

import h5py
import numpy as np


def draw(rng, w):
    shape = tuple(w["shape"])
    if w["dist"] == "values":
        value = np.array(w["values"]).reshape(shape)
    elif w["dist"] == "normal":
        value = rng.normal(w["a"], w["b"], size=shape)
    else:
        value = rng.uniform(w["a"], w["b"], size=shape)
    return value.astype(np.int64 if w.get("dtype") == "int64" else np.float32)


def write_keras3(plan, rng, out_path):
    k3 = plan["keras3"]
    with tempfile.TemporaryDirectory() as tmp:
        weights_path = os.path.join(tmp, "model.weights.h5")
        with h5py.File(weights_path, "w") as f:
            f.create_group("vars")
            for obj in k3["objects"]:
                group = f.create_group(obj["path"]).create_group("vars")
                for i, w in enumerate(obj["weights"]):
                    group.create_dataset(str(i), data=draw(rng, w))
        tmp_path = out_path + ".tmp"
        with zipfile.ZipFile(tmp_path, "w") as z:
            z.writestr("metadata.json", json.dumps(k3["metadata"]))
            z.writestr("config.json", json.dumps(k3["config"]))
            z.write(weights_path, "model.weights.h5")
        os.replace(tmp_path, out_path)


def main() -> None:
    plan_path, out_path = sys.argv[1], sys.argv[2]
    with open(plan_path) as f:
        plan = json.load(f)
    rng = np.random.default_rng(plan["seed"])
    if "keras3" in plan:
        write_keras3(plan, rng, out_path)
        return
    weighted = {entry["layer"]: entry["weights"] for entry in plan["layers"]}
    tmp_path = out_path + ".tmp"
    with h5py.File(tmp_path, "w") as root:
        f = root
        if "model_config" in plan:
            root.attrs["model_config"] = json.dumps(plan["model_config"]).encode("utf8")
            root.attrs["backend"] = plan["backend"].encode("utf8")
            root.attrs["keras_version"] = plan["keras_version"].encode("utf8")
            f = root.create_group("model_weights")
        f.attrs["layer_names"] = np.array([n.encode("utf8") for n in plan["layer_names"]])
        f.attrs["backend"] = plan["backend"].encode("utf8")
        f.attrs["keras_version"] = plan["keras_version"].encode("utf8")
        # Groups are created in sorted name order, as tf.keras' save_weights_to_hdf5_group does, so a
        # layer 'a/b' exists before 'a/b/pad' (h5py would create 'a/b' as an intermediate group).
        for name in sorted(plan["layer_names"]):
            group = f.create_group(name)
            weights = weighted.get(name, [])
            # As Keras' save_attributes_to_hdf5_group: np.asarray of the encoded names (an empty float
            # array for layers without weights).
            group.attrs["weight_names"] = np.asarray([w["name"].encode("utf8") for w in weights])
            for w in weights:
                group.create_dataset(w["name"], data=draw(rng, w))
    os.replace(tmp_path, out_path)


if __name__ == "__main__":
    main()
