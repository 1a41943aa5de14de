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
"""
import json
import os
import sys

import h5py
import numpy as np


def main() -> None:
    plan_path, out_path = sys.argv[1], sys.argv[2]
    with open(plan_path) as f:
        plan = json.load(f)
    rng = np.random.default_rng(plan["seed"])
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
        for name in plan["layer_names"]:
            group = f.create_group(name)
            weights = weighted.get(name, [])
            # As Keras' save_attributes_to_hdf5_group: np.asarray of the encoded names (an empty float
            # array for layers without weights).
            group.attrs["weight_names"] = np.asarray([w["name"].encode("utf8") for w in weights])
            for w in weights:
                shape = tuple(w["shape"])
                if w["dist"] == "values":
                    value = np.array(w["values"]).reshape(shape)
                elif w["dist"] == "normal":
                    value = rng.normal(w["a"], w["b"], size=shape)
                else:
                    value = rng.uniform(w["a"], w["b"], size=shape)
                dtype = np.int64 if w.get("dtype") == "int64" else np.float32
                group.create_dataset(w["name"], data=value.astype(dtype))
    os.replace(tmp_path, out_path)


if __name__ == "__main__":
    main()
