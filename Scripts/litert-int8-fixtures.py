#!/usr/bin/env python3
"""LiteRT reference-kernel fixtures for Edgewise's int8 path (issue 15).

Runs the four ML-zoo int8 models with LiteRT's reference kernels (OpResolverType.BUILTIN_REF, one
thread) and experimental_preserve_all_tensors=True on real inputs, and records every tensor an
operator writes:

  DS-CNN S / M int8   the 11 KWS fixture clips (fixtures/kws_frontend/expected/ds_cnn_{s,m}_int8_input_int8.npy)
  DS-CNN L int8 2020  the same 11 clips as float MFCCs (fixtures/kws_frontend/mfcc_tf_ops.npy; the model quantises)
  MobileNetV2 int8    rows 0-2 of fixtures/mobilenet_v2/inputs.npy (ML-zoo's test input, 2 magnetic tiles)

Writes, per model, Tests/EdgewiseInteropTests/Fixtures/litert-int8/<model>.json (committed; small):
the model's sha256, the input file, and for every operator in execution order its output tensor
(name, shape, dtype, quantisation) with the CRC-32 (zlib) of the tensor's bytes for every sample,
plus the full final output of every sample. A runtime that reproduces every CRC is bit-exact on every
intermediate tensor. With --dump DIR it also writes every operator output as DIR/<model>/<tensor
index>.npy (stacked over samples, for layer-by-layer LSB statistics; large for MobileNetV2).

--rounding-check recomputes every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED of the DS-CNN models
in numpy from LiteRT's own input tensor, once with TFLite's double rounding
(SaturatingRoundingDoublingHighMul + RoundingDivideByPOT) and once with TFLITE_SINGLE_ROUNDING (one
64-bit multiply, add 2^(s-1), shift), and prints how many elements each reproduces: the experiment
that tells which MultiplyByQuantizedMultiplier the pip wheel was built with.

Setup: Scripts/setup-litert-venv.sh /tmp/venv-edgewise-litert, then
  /tmp/venv-edgewise-litert/bin/python Scripts/litert-int8-fixtures.py [--shared ../shared] [--dump DIR] [--rounding-check]
"""
import argparse
import hashlib
import json
import os
import sys
import zlib

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from ai_edge_litert import schema_py_generated as schema

KWS = "models/fixtures/kws_frontend"
MODELS = [
    ("ds_cnn_s_int8", "models/ml-zoo/models/keyword_spotting/ds_cnn_small/model_package_tf/model_archive/TFLite/tflite_int8/ds_cnn_s_quantized.tflite",
     KWS + "/expected/ds_cnn_s_int8_input_int8.npy", None),
    ("ds_cnn_m_int8", "models/ml-zoo/models/keyword_spotting/ds_cnn_medium/model_package_tf/model_archive/TFLite/tflite_int8/ds_cnn_m_quantized.tflite",
     KWS + "/expected/ds_cnn_m_int8_input_int8.npy", None),
    ("ds_cnn_l_int8_2020", "models/ml-zoo/models/keyword_spotting/ds_cnn_large/tflite_int8/ds_cnn_l_quantized.tflite",
     KWS + "/mfcc_tf_ops.npy", None),
    ("mobilenet_v2_int8", "models/ml-zoo/models/image_classification/mobilenet_v2_1.0_224/tflite_int8/mobilenet_v2_1.0_224_INT8.tflite",
     "models/fixtures/mobilenet_v2/inputs.npy", [0, 1, 2]),
]


def find_shared(start):
    d = os.path.abspath(start)
    while True:
        cand = os.path.join(d, "shared")
        if os.path.isdir(os.path.join(cand, "models")):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def interpreter(path):
    it = Interpreter(model_path=path, num_threads=1,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                     experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    return it


def quant_of(t):
    q = t["quantization_parameters"]
    if len(q["scales"]) == 0:
        return None
    return {"scales": [float(s) for s in q["scales"]], "zero_points": [int(z) for z in q["zero_points"]],
            "axis": int(q["quantized_dimension"]) if len(q["scales"]) > 1 else None}


def run_model(key, path, inputs, rows):
    it = interpreter(path)
    details = {t["index"]: t for t in it.get_tensor_details()}
    ops = it._get_ops_details()
    inp = it.get_input_details()[0]
    x = np.load(inputs)
    if rows is not None:
        x = x[rows]
    per_op = []      # (op, output tensor index)
    for op in ops:
        for o in op["outputs"]:
            per_op.append((op, o))
    values = {o: [] for _, o in per_op}
    for s in range(x.shape[0]):
        sample = x[s].reshape(inp["shape"]).astype(inp["dtype"])
        it.set_tensor(inp["index"], sample)
        it.invoke()
        for _, o in per_op:
            values[o].append(np.array(it.get_tensor(o)))
    out_index = it.get_output_details()[0]["index"]
    record = {
        "model": key,
        "file": path.split("/shared/", 1)[-1],
        "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
        "inputs": inputs.split("/shared/", 1)[-1],
        "rows": rows if rows is not None else list(range(x.shape[0])),
        "input_tensor": details[inp["index"]]["name"],
        "litert": "ai-edge-litert 2.3.0, OpResolverType.BUILTIN_REF, num_threads=1",
        "operators": [],
        "output_tensor": details[out_index]["name"],
        "outputs": [v.reshape(-1).tolist() for v in values[out_index]],
    }
    for op, o in per_op:
        t = details[o]
        record["operators"].append({
            "op": op["op_name"], "index": int(op["index"]), "tensor": t["name"], "tensor_index": int(o),
            "shape": [int(d) for d in t["shape"]], "dtype": np.dtype(t["dtype"]).name, "quant": quant_of(t),
            "crc32": ["%08x" % (zlib.crc32(np.ascontiguousarray(v).tobytes()) & 0xffffffff) for v in values[o]],
        })
    return it, ops, details, values, record


# ---- the rounding experiment -------------------------------------------------------------------

def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul, int64 numpy arrays."""
    ab = a.astype(np.int64) * np.int64(b)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    s = ab + nudge
    q = np.where(s >= 0, s >> 31, -((-s) >> 31))   # C++ division truncates toward zero
    return q


def rdbpot(x, e):
    if e == 0:
        return x
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def quantize_multiplier(d):
    if d == 0:
        return 0, 0
    m, e = np.frexp(d)
    q = int(np.sign(m) * np.floor(abs(m) * (1 << 31) + 0.5))
    if q == (1 << 31):
        q //= 2
        e += 1
    if e < -31:
        return 0, 0
    return q, int(e)


def mbqm(acc, q, shift, single):
    acc = acc.astype(np.int64)
    if single:
        total = 31 - shift
        return (acc * q + (1 << (total - 1))) >> total
    left = max(shift, 0)
    right = max(-shift, 0)
    return rdbpot(srdhm(acc * (1 << left), q), right)


def op_options(model_bytes, op_index):
    m = schema.Model.GetRootAsModel(model_bytes, 0)
    sg = m.Subgraphs(0)
    op = sg.Operators(op_index)
    return op


def rounding_check(it, ops, details, path):
    buf = open(path, "rb").read()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))
    sg = model.subgraphs[0]
    counts = {"double": [0, 0], "single": [0, 0]}
    for op in ops:
        name = op["op_name"]
        if name not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        fop = sg.operators[op["index"]]
        xi, wi = op["inputs"][0], op["inputs"][1]
        bi = op["inputs"][2] if len(op["inputs"]) > 2 else -1
        oi = op["outputs"][0]
        x = it.get_tensor(xi).astype(np.int64)
        w = it.get_tensor(wi).astype(np.int64)
        b = it.get_tensor(bi).astype(np.int64) if bi >= 0 else None
        y = it.get_tensor(oi).astype(np.int64)
        xq, wq, yq = quant_of(details[xi]), quant_of(details[wi]), quant_of(details[oi])
        zx, zy = xq["zero_points"][0], yq["zero_points"][0]
        sx, sy = np.float32(xq["scales"][0]), np.float32(yq["scales"][0])
        opts = fop.builtinOptions
        act = getattr(opts, "fusedActivationFunction", 0)
        if name == "FULLY_CONNECTED":
            acc = (x.reshape(-1, w.shape[1]) - zx) @ w.T
            if b is not None:
                acc = acc + b
            ch_axis = -1
        else:
            if name == "CONV_2D":
                kh, kw, cout = w.shape[1], w.shape[2], w.shape[0]
            else:
                kh, kw, cout = w.shape[1], w.shape[2], w.shape[3]
            sh, sw = opts.strideH, opts.strideW
            n, h, wd, cin = x.shape
            oh, ow = y.shape[1], y.shape[2]
            if opts.padding == schema.Padding.SAME:
                ph = max(0, (oh - 1) * sh + kh - h) // 2
                pw = max(0, (ow - 1) * sw + kw - wd) // 2
            else:
                ph = pw = 0
            xp = np.zeros((n, h + 2 * kh, wd + 2 * kw, cin), np.int64)
            xp[:, ph:ph + h, pw:pw + wd, :] = x - zx          # padding contributes 0 = (zx - zx)
            acc = np.zeros((n, oh, ow, cout), np.int64)
            for dy in range(kh):
                for dx in range(kw):
                    patch = xp[:, dy:dy + (oh - 1) * sh + 1:sh, dx:dx + (ow - 1) * sw + 1:sw, :]
                    if name == "CONV_2D":
                        acc += patch @ w[:, dy, dx, :].T
                    else:
                        mult = cout // cin
                        acc += np.repeat(patch, mult, axis=-1) * w[0, dy, dx, :]
            if b is not None:
                acc = acc + b
        scales = wq["scales"]
        lo, hi = -128, 127
        if act == 1:
            lo = max(lo, zy)
        elif act == 3:
            lo = max(lo, zy)
            hi = min(hi, zy + int(round(6.0 / float(sy))))
        for mode in ("double", "single"):
            out = np.empty_like(acc)
            for c in range(acc.shape[-1]):
                ws = np.float32(scales[c] if len(scales) > 1 else scales[0])
                if name == "FULLY_CONNECTED" and len(scales) == 1:
                    real = float(np.float32(sx * ws)) / float(sy)   # GetQuantizedConvolutionMultipler: float product
                else:
                    real = float(sx) * float(ws) / float(sy)        # PopulateConvolutionQuantizationParams: double
                q, s = quantize_multiplier(real)
                out[..., c] = mbqm(acc[..., c], q, s, mode == "single")
            out = np.clip(out + zy, lo, hi).reshape(y.shape)
            same = int((out == y).sum())
            counts[mode][0] += same
            counts[mode][1] += y.size
            print("  %-18s op %2d %-30s %s: %d/%d equal, max |diff| %d" %
                  (name, op["index"], details[oi]["name"][:30], mode, same, y.size, int(np.abs(out - y).max())))
    for mode, (a, t) in counts.items():
        print("  total %s rounding: %d/%d elements equal (%.4f %%)" % (mode, a, t, 100.0 * a / max(t, 1)))
    return counts


def write_record(f, record):
    """JSON with one operator (and one output row) per line, so diffs stay readable."""
    f.write("{\n")
    keys = list(record)
    for i, k in enumerate(keys):
        v = record[k]
        end = ",\n" if i + 1 < len(keys) else "\n"
        if k in ("operators", "outputs"):
            f.write(' "%s": [\n' % k)
            f.write(",\n".join("  " + json.dumps(e, separators=(",", ":")) for e in v))
            f.write("\n ]" + end)
        else:
            f.write(' "%s": %s%s' % (k, json.dumps(v), end))
    f.write("}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=None, help="the shared data folder (default: the 'shared' folder found above this script)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests",
                                                 "EdgewiseInteropTests", "Fixtures", "litert-int8"))
    ap.add_argument("--dump", default=None, help="also write every operator output as DIR/<model>/<tensor index>.npy")
    ap.add_argument("--rounding-check", action="store_true", help="recompute conv/depthwise/FC in numpy with both roundings")
    ap.add_argument("--only", default=None, help="comma-separated model keys")
    args = ap.parse_args()
    shared = args.shared or find_shared(os.path.dirname(os.path.abspath(__file__))) or find_shared(os.getcwd())
    if shared is None:
        sys.exit("cannot find the shared data folder; pass --shared")
    os.makedirs(args.out, exist_ok=True)
    for key, rel, inputs, rows in MODELS:
        if args.only and key not in args.only.split(","):
            continue
        path = os.path.join(shared, rel)
        print("%s: %s" % (key, rel), flush=True)
        it, ops, details, values, record = run_model(key, path, os.path.join(shared, inputs), rows)
        with open(os.path.join(args.out, key + ".json"), "w") as f:
            write_record(f, record)
        print("  %d operator outputs x %d samples -> %s.json" % (len(record["operators"]), len(record["rows"]), key))
        if args.dump:
            d = os.path.join(args.dump, key)
            os.makedirs(d, exist_ok=True)
            for o, vs in values.items():
                np.save(os.path.join(d, "%d.npy" % o), np.stack(vs))
        if args.rounding_check and key.startswith("ds_cnn"):
            # The interpreter holds the last sample's tensors.
            rounding_check(it, ops, details, path)


if __name__ == "__main__":
    main()
