#!/usr/bin/python3
"""Writes small Keras-layout HDF5 files for the converter tests (run with Debian's /usr/bin/python3 + h5py).

usage: make-test-files.py OUT_DIR

Files follow what tf.keras 2.x model.save() writes: root attrs keras_version, backend, model_config (JSON);
group model_weights with attr layer_names, one group per layer with attr weight_names and datasets at
<layer>/<weight_name>. Nested models keep their layers' weights in the nested model's group.
"""
import json
import os
import sys

import h5py
import numpy as np

rng = np.random.default_rng(1234)


def conv(name, filters, kernel, **extra):
    config = {"name": name, "filters": filters, "kernel_size": kernel, "strides": [1, 1], "padding": "same",
              "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "linear", "use_bias": True}
    config.update(extra)
    return {"class_name": "Conv2D", "config": config}


def layer(entry, inbound):
    out = dict(entry)
    out["name"] = entry["config"]["name"]
    out["inbound_nodes"] = [[[i[0], i[1], 0, {}] for i in inbound]] if inbound is not None else []
    return out


def input_layer(name, shape):
    return {"class_name": "InputLayer", "name": name,
            "config": {"batch_input_shape": [None] + shape, "dtype": "float32", "sparse": False, "name": name},
            "inbound_nodes": []}


def functional(name, layers, inputs, outputs):
    return {"class_name": "Functional",
            "config": {"name": name, "layers": layers, "input_layers": [[i, 0, 0] for i in inputs],
                       "output_layers": [[o[0], o[1], 0] for o in outputs]}}


def bn_weights(prefix, c):
    return [(f"{prefix}/gamma:0", rng.uniform(0.5, 1.5, c)), (f"{prefix}/beta:0", rng.normal(0, 0.2, c)),
            (f"{prefix}/moving_mean:0", rng.normal(0, 0.5, c)),
            (f"{prefix}/moving_variance:0", rng.uniform(0.2, 2.0, c))]


def save(path, config, groups, keras_version="2.4.0"):
    """groups: list of (layer_name, [(weight_name, array)])."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = keras_version
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["training_config"] = json.dumps({"loss": "categorical_crossentropy"})
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = [n.encode() for n, _ in groups]
        for name, weights in groups:
            g = mw.create_group(name)
            g.attrs["weight_names"] = [w.encode() for w, _ in weights]
            for w, array in weights:
                g.create_dataset(w, data=np.asarray(array, dtype=np.float32))
        # Optimizer state the converter must ignore.
        f.create_group("optimizer_weights").create_dataset("iterations:0", data=np.int64(7))


def nested_finetuned(out):
    """A fine-tuned layout: backbone Functional model used as a layer, then GAP + new Dense head."""
    backbone = functional("backbone", [
        input_layer("b_input", [16, 16, 3]),
        layer(conv("b_conv1", 8, [3, 3], strides=[2, 2]), [("b_input", 0)]),
        layer({"class_name": "BatchNormalization", "config": {"name": "b_bn1", "axis": [3], "epsilon": 1.001e-5,
                                                              "center": True, "scale": True}}, [("b_conv1", 0)]),
        layer({"class_name": "Activation", "config": {"name": "b_relu1", "activation": "relu"}}, [("b_bn1", 0)]),
        layer({"class_name": "DepthwiseConv2D", "config": {"name": "b_dw", "kernel_size": [3, 3], "strides": [1, 1],
                                                          "padding": "same", "depth_multiplier": 1,
                                                          "use_bias": False, "activation": "relu"}},
              [("b_relu1", 0)]),
    ], ["b_input"], [("b_dw", 0)])
    backbone_layer = dict(backbone)
    backbone_layer["name"] = "backbone"
    backbone_layer["inbound_nodes"] = [[["input_1", 0, 0, {}]]]
    model = functional("finetuned", [
        input_layer("input_1", [16, 16, 3]),
        backbone_layer,
        # Keras numbers the nested model's calls from 1.
        layer({"class_name": "GlobalAveragePooling2D", "config": {"name": "gap"}}, [("backbone", 1)]),
        layer({"class_name": "Dropout", "config": {"name": "drop", "rate": 0.3}}, [("gap", 0)]),
        layer({"class_name": "Dense", "config": {"name": "head", "units": 4, "activation": "softmax",
                                                "use_bias": True}}, [("drop", 0)]),
    ], ["input_1"], [("head", 0)])
    save(os.path.join(out, "nested_finetuned.h5"), model, [
        ("input_1", []),
        ("backbone", [("b_conv1/kernel:0", rng.normal(0, 0.3, (3, 3, 3, 8))), ("b_conv1/bias:0", rng.normal(0, 0.1, 8))]
         + bn_weights("b_bn1", 8) + [("b_dw/depthwise_kernel:0", rng.normal(0, 0.3, (3, 3, 8, 1)))]),
        ("gap", []), ("drop", []),
        ("head", [("head/kernel:0", rng.normal(0, 0.5, (8, 4))), ("head/bias:0", rng.normal(0, 0.1, 4))]),
    ])


def simple(out, filename, extra_layer=None, kernel_shape=(3, 3, 3, 4), drop_weights_of=None):
    layers = [input_layer("input_1", [8, 8, 3]), layer(conv("conv", 4, [3, 3]), [("input_1", 0)])]
    last = "conv"
    if extra_layer is not None:
        layers.append(layer(extra_layer, [("conv", 0)]))
        last = extra_layer["config"]["name"]
    layers.append(layer({"class_name": "Flatten", "config": {"name": "flat"}}, [(last, 0)]))
    layers.append(layer({"class_name": "Dense", "config": {"name": "fc", "units": 2, "activation": "softmax"}},
                        [("flat", 0)]))
    groups = [("input_1", []),
              ("conv", [("conv/kernel:0", rng.normal(0, 0.3, kernel_shape)), ("conv/bias:0", np.zeros(4))]),
              ("flat", []), ("fc", [("fc/kernel:0", rng.normal(0, 0.3, (256, 2))), ("fc/bias:0", np.zeros(2))])]
    if extra_layer is not None:
        groups.insert(2, (extra_layer["config"]["name"], []))
    if drop_weights_of is not None:
        groups = [g for g in groups if g[0] != drop_weights_of]
    save(os.path.join(out, filename), functional("simple", layers, ["input_1"], [("fc", 0)]), groups)


def keras1(out):
    config = {"class_name": "Sequential", "config": [
        {"class_name": "Convolution2D", "config": {"name": "convolution2d_1", "nb_filter": 4, "nb_row": 3,
                                                   "nb_col": 3, "border_mode": "same", "dim_ordering": "tf",
                                                   "batch_input_shape": [None, 8, 8, 3]}}]}
    with h5py.File(os.path.join(out, "keras1.h5"), "w") as f:
        f.attrs["keras_version"] = "1.2.2"
        f.attrs["model_config"] = json.dumps(config)
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = [b"convolution2d_1"]
        g = mw.create_group("convolution2d_1")
        g.attrs["weight_names"] = [b"convolution2d_1_W:0", b"convolution2d_1_b:0"]
        g.create_dataset("convolution2d_1_W:0", data=np.zeros((3, 3, 3, 4), np.float32))
        g.create_dataset("convolution2d_1_b:0", data=np.zeros(4, np.float32))


def no_weights(out):
    with h5py.File(os.path.join(out, "no_weights.h5"), "w") as f:
        f.create_dataset("measurements", data=np.arange(10, dtype=np.float32))
        f.attrs["description"] = "an HDF5 file that is not a Keras model"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    nested_finetuned(out)
    simple(out, "shape_mismatch.h5", kernel_shape=(3, 3, 3, 5))
    simple(out, "missing_layer.h5", drop_weights_of="fc")
    simple(out, "unsupported_layer.h5", extra_layer={"class_name": "Conv2DTranspose", "config": {
        "name": "deconv", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same"}})
    simple(out, "lambda_layer.h5", extra_layer={"class_name": "Lambda", "config": {
        "name": "my_lambda", "function": ["4wEAAAAAAAAA", None, None], "function_type": "lambda"}})
    keras1(out)
    no_weights(out)


if __name__ == "__main__":
    main()
