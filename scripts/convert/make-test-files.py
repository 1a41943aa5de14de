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


# --- Fine-tuned models with the pooling inside a nested backbone: Sequential([base(pooling='avg'), Dropout,
# Dense]), the layout keras.applications users write. Each graph is described once and written both as
# tf.keras 2 writes it (.h5, TFOpLambda for tensor arithmetic) and as Keras 3 writes it (.keras zip:
# module keys, {args, kwargs} nodes, operation nodes, model.weights.h5 under layers/<snake_case>/vars).

def snake(name):
    import re
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Backbone:
    """Layers of a Functional backbone in call order: (class, name, inputs, config, weights, op)."""

    def __init__(self, name, input_shape):
        self.name, self.input_shape, self.layers = name, input_shape, []
        self.last = "input_image"

    def add(self, cls, name, config=None, weights=(), inputs=None, op=None):
        self.layers.append({"cls": cls, "name": name, "inputs": inputs or [self.last], "config": config or {},
                            "weights": list(weights), "op": op})
        self.last = name
        return name

    def conv(self, name, cin, filters, kernel, strides=1, activation="linear", bias=False):
        w = [("kernel", rng.normal(0, 0.4, (kernel, kernel, cin, filters)))]
        if bias:
            w.append(("bias", rng.normal(0, 0.1, filters)))
        return self.add("Conv2D", name, {"filters": filters, "kernel_size": [kernel, kernel], "strides": [strides, strides],
                                         "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1],
                                         "groups": 1, "activation": activation, "use_bias": bias}, w)

    def bn(self, name, c):
        return self.add("BatchNormalization", name, {"axis": -1, "momentum": 0.99, "epsilon": 1e-3, "center": True,
                                                     "scale": True},
                        [(k.split("/")[1][:-2], v) for k, v in bn_weights(name, c)])

    def op(self, name2, name3, fn2, cls3, module3, const):
        """x <op> const: TFOpLambda in tf.keras 2, an operation node in Keras 3."""
        return self.add("op", name2, op={"fn": fn2, "cls": cls3, "module": module3, "const": const, "name3": name3})


def effnet_backbone():
    """EfficientNet's pieces: Rescaling, adapted Normalization, swish, depthwise, squeeze-and-excite (GAP,
    Reshape, two 1×1 convs, Multiply), drop-connect Dropout, residual Add, pooling='avg'."""
    b = Backbone("mini_efficientnet", [32, 32, 3])
    b.add("Rescaling", "rescaling", {"scale": 1 / 255.0, "offset": 0.0})
    b.add("Normalization", "normalization", {"axis": [-1], "invert": False, "mean": None, "variance": None},
          [("mean", rng.uniform(0.3, 0.6, 3)), ("variance", rng.uniform(0.04, 0.08, 3)), ("count", np.int64(1000))])
    b.conv("stem_conv", 3, 8, 3, strides=2)
    b.bn("stem_bn", 8)
    stem = b.add("Activation", "stem_activation", {"activation": "swish"})
    b.add("DepthwiseConv2D", "block1a_dwconv", {"kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                                                "depth_multiplier": 1, "activation": "linear", "use_bias": False},
          [("depthwise_kernel", rng.normal(0, 0.4, (3, 3, 8, 1)))])
    b.bn("block1a_bn", 8)
    act = b.add("Activation", "block1a_activation", {"activation": "swish"})
    b.add("GlobalAveragePooling2D", "block1a_se_squeeze", {"data_format": "channels_last", "keepdims": False})
    b.add("Reshape", "block1a_se_reshape", {"target_shape": [1, 1, 8]})
    b.conv("block1a_se_reduce", 8, 2, 1, activation="swish", bias=True)
    b.conv("block1a_se_expand", 2, 8, 1, activation="sigmoid", bias=True)
    b.add("Multiply", "block1a_se_excite", inputs=[act, "block1a_se_expand"])
    b.conv("block1a_project_conv", 8, 8, 1)
    b.bn("block1a_project_bn", 8)
    b.add("Dropout", "block1a_drop", {"rate": 0.2, "noise_shape": [None, 1, 1, 1], "seed": None})
    b.add("Add", "block1a_add", inputs=["block1a_drop", stem])
    b.conv("top_conv", 8, 16, 1)
    b.bn("top_bn", 16)
    b.add("Activation", "top_activation", {"activation": "swish"})
    b.add("GlobalAveragePooling2D", "avg_pool", {"data_format": "channels_last", "keepdims": False})
    return b, 16


def mobilenet_v3_backbone():
    """MobileNetV3's pieces: Rescaling(1/127.5, −1), ReLU(6.)(x + 3.) · (1/6) hard_sigmoid as tensor
    arithmetic, hard_swish as Multiply, squeeze-and-excite with keepdims pooling, pooling='avg'."""
    b = Backbone("mini_mobilenet_v3", [32, 32, 3])
    b.add("Rescaling", "rescaling", {"scale": 1 / 127.5, "offset": -1.0})
    b.conv("conv", 3, 8, 3, strides=2)
    conv_bn = b.bn("conv_bn", 8)
    b.op("tf.__operators__.add", "add", "__operators__.add", "Add", "keras.src.ops.numpy", 3.0)
    b.add("ReLU", "re_lu", {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0})
    b.op("tf.math.multiply", "multiply", "math.multiply", "Multiply", "keras.src.ops.numpy", 1 / 6.0)
    hs = b.add("Multiply", "multiply_1", inputs=[conv_bn, "tf.math.multiply"])
    b.add("GlobalAveragePooling2D", "squeeze_excite_avg_pool", {"data_format": "channels_last", "keepdims": True})
    b.conv("squeeze_excite_conv", 8, 8, 1, activation="linear", bias=True)
    b.add("ReLU", "squeeze_excite_relu", {"max_value": None, "negative_slope": 0.0, "threshold": 0.0})
    b.conv("squeeze_excite_conv_1", 8, 8, 1, activation="linear", bias=True)
    b.op("tf.__operators__.add_1", "add_1", "__operators__.add", "Add", "keras.src.ops.numpy", 3.0)
    b.add("ReLU", "re_lu_1", {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0})
    b.op("tf.math.multiply_1", "multiply_2", "math.multiply", "Multiply", "keras.src.ops.numpy", 1 / 6.0)
    b.add("Multiply", "squeeze_excite_mul", inputs=[hs, "tf.math.multiply_1"])
    b.add("GlobalAveragePooling2D", "avg_pool", {"data_format": "channels_last", "keepdims": False})
    return b, 8


def keras2_backbone(b):
    layers = [input_layer("input_image", b.input_shape)]
    for l in b.layers:
        if l["op"]:
            layers.append({"class_name": "TFOpLambda", "name": l["name"],
                           "config": {"name": l["name"], "trainable": True, "dtype": "float32", "function": l["op"]["fn"]},
                           "inbound_nodes": [[[l["inputs"][0], 0, 0, {"y": l["op"]["const"], "name": None}]]]})
            continue
        config = {"name": l["name"], "trainable": True, "dtype": "float32", **l["config"]}
        layers.append({"class_name": l["cls"], "name": l["name"], "config": config,
                       "inbound_nodes": [[[i, 0, 0, {}] for i in l["inputs"]]]})
    return functional(b.name, layers, ["input_image"], [(b.last, 0)])


def keras3_backbone(b):
    dtype = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    names3 = {l["name"]: (l["op"]["name3"] if l["op"] else l["name"]) for l in b.layers}
    names3["input_image"] = "input_image"

    def tensor(name):
        return {"class_name": "__keras_tensor__", "config": {"shape": None, "dtype": "float32",
                                                              "keras_history": [names3[name], 0, 0]}}

    def tuples(config):
        out = dict(config)
        for k, v in config.items():
            if isinstance(v, list) and k in ("axis", "noise_shape", "target_shape", "kernel_size", "strides",
                                             "dilation_rate"):
                out[k] = {"class_name": "__tuple__", "items": v}
        return out

    layers = [{"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "name": "input_image",
               "config": {"batch_shape": [None] + b.input_shape, "dtype": "float32", "sparse": False,
                          "name": "input_image"}, "inbound_nodes": []}]
    for l in b.layers:
        if l["op"]:
            o = l["op"]
            layers.append({"module": o["module"], "class_name": o["cls"], "config": {"name": o["name3"]},
                           "registered_name": o["cls"], "name": o["name3"],
                           "inbound_nodes": [{"args": [tensor(l["inputs"][0]), o["const"]], "kwargs": {}}]})
            continue
        args = [[tensor(i) for i in l["inputs"]]] if len(l["inputs"]) > 1 else [tensor(l["inputs"][0])]
        layers.append({"module": "keras.layers", "class_name": l["cls"], "registered_name": None, "name": l["name"],
                       "config": {"name": l["name"], "trainable": True, "dtype": dtype, **tuples(l["config"])},
                       "build_config": {"input_shape": None}, "inbound_nodes": [{"args": args, "kwargs": {}}]})
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": b.name, "trainable": True, "layers": layers, "input_layers": [["input_image", 0, 0]],
                       "output_layers": [[names3[b.last], 0, 0]]},
            "build_config": {"input_shape": [None] + b.input_shape}}


def head_weights(features, classes):
    return [("kernel", rng.normal(0, 0.5, (features, classes))), ("bias", rng.normal(0, 0.1, classes))]


def save_pooled_h5(path, b, features, classes=3):
    head = head_weights(features, classes)
    config = {"class_name": "Sequential", "config": {"name": "finetuned", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None] + b.input_shape, "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input_1"}},
        {"class_name": "Functional", "config": keras2_backbone(b)["config"]},
        {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.2,
                                             "noise_shape": None, "seed": None}},
        {"class_name": "Dense", "config": {"name": "predictions", "trainable": True, "dtype": "float32",
                                           "units": classes, "activation": "softmax", "use_bias": True}}]}}
    inner = [(f"{l['name']}/{role}:0", w) for l in b.layers for role, w in l["weights"]]
    save(path, config, [(b.name, inner), ("dropout", []),
                        ("predictions", [(f"predictions/{r}:0", w) for r, w in head])], keras_version="2.9.0")


def save_pooled_keras(path, b, features, classes=3):
    import zipfile
    dtype = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    head = head_weights(features, classes)
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None, "config": {
        "name": "finetuned", "trainable": True, "dtype": dtype, "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
             "config": {"batch_shape": [None] + b.input_shape, "dtype": "float32", "sparse": False,
                        "name": "input_layer"}},
            keras3_backbone(b),
            {"module": "keras.layers", "class_name": "Dropout", "registered_name": None,
             "config": {"name": "dropout", "trainable": True, "dtype": dtype, "rate": 0.2, "noise_shape": None,
                        "seed": None}, "build_config": {"input_shape": [None, features]}},
            {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "predictions", "trainable": True, "dtype": dtype, "units": classes,
                        "activation": "softmax", "use_bias": True}, "build_config": {"input_shape": [None, features]}}],
        "build_input_shape": [None] + b.input_shape}, "build_config": {"input_shape": [None] + b.input_shape}}
    weights_path = path + ".weights.h5"
    with h5py.File(weights_path, "w") as f:
        def put(group_path, weights):
            g = f.create_group(group_path).create_group("vars")
            for i, (_, w) in enumerate(weights):
                array = np.asarray(w)
                g.create_dataset(str(i), data=array if array.dtype == np.int64 else array.astype(np.float32))
        counts = {}
        for l in b.layers:
            if l["op"]:
                continue  # Keras 3 operations are not layers: no object, no counter.
            key = snake(l["cls"])
            n = counts.get(key)
            counts[key] = 0 if n is None else n + 1
            put(f"layers/functional/layers/{key if n is None else f'{key}_{n + 1}'}", l["weights"])
        put("layers/dropout", [])
        put("layers/dense", head)
        f.create_group("vars")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "2026-11-30@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.write(weights_path, "model.weights.h5")
    os.remove(weights_path)


def pooled_finetuned(out):
    for stem, make in (("pooled_efficientnet", effnet_backbone), ("pooled_mobilenet_v3", mobilenet_v3_backbone)):
        b, features = make()
        save_pooled_h5(os.path.join(out, f"{stem}.h5"), b, features)
        save_pooled_keras(os.path.join(out, f"{stem}.keras"), b, features)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    nested_finetuned(out)
    pooled_finetuned(out)
    simple(out, "shape_mismatch.h5", kernel_shape=(3, 3, 3, 5))
    simple(out, "missing_layer.h5", drop_weights_of="fc")
    simple(out, "unsupported_layer.h5", extra_layer={"class_name": "LocallyConnected2D", "config": {
        "name": "local", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid"}})
    simple(out, "lambda_layer.h5", extra_layer={"class_name": "Lambda", "config": {
        "name": "my_lambda", "function": ["4wEAAAAAAAAA", None, None], "function_type": "lambda"}})
    keras1(out)
    no_weights(out)


if __name__ == "__main__":
    main()
