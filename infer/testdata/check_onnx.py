"""Checks ONNX files with the onnx package's full checker (shape inference
included) and prints each file's inputs, outputs and metadata keys:
/usr/bin/python3 check_onnx.py FILE.onnx...  Used by infer's export tests."""
import sys

import onnx


def dims(v):
    return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]


for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ins = ",".join(f"{v.name}{dims(v)}" for v in m.graph.input)
    outs = ",".join(f"{v.name}{dims(v)}" for v in m.graph.output)
    keys = ",".join(sorted(p.key for p in m.metadata_props))
    print(f"{path}: ok opset={m.opset_import[0].version} in={ins} out={outs} meta={keys}")
