"""The reference runtime for Lightweight OpenPose: OpenVINO running the shipped IR files itself.

``openvino_fields(xml, strip_fake_quantize=False)`` returns ``run(x (1, 3, H, W) float RGB 0..255)
-> (heatmaps, pafs)`` as float32 arrays, the same contract as posekit's own runner, so posekit's
decoder can be fed by either. The IR reads BGR: the channels are reversed here. With
``strip_fake_quantize`` every FakeQuantize is bypassed: the graph's plain float network, what
posekit runs by default. Used by tests/bottomup and bench/openpose_coco.py.
"""
from __future__ import annotations

import numpy as np


def openvino_fields(xml, strip_fake_quantize: bool = False, threads: int = 1):
    import openvino as ov
    from openvino.preprocess import PrePostProcessor

    core = ov.Core()
    model = core.read_model(str(xml))
    if strip_fake_quantize:
        for op in model.get_ops():
            if op.get_type_name() == "FakeQuantize":
                op.output(0).replace(op.input_value(0))
    model.reshape({model.inputs[0]: ov.PartialShape([1, 3, -1, -1])})
    ppp = PrePostProcessor(model)
    for k in range(len(model.outputs)):
        ppp.output(k).tensor().set_element_type(ov.Type.f32)
    model = ppp.build()
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads})
    outputs = list(compiled.outputs)

    def run(x: np.ndarray):
        result = compiled(np.ascontiguousarray(x[:, ::-1], np.float32))
        by_channels = {int(result[o].shape[1]): result[o] for o in outputs}
        heat = min(by_channels)  # 19 heatmaps, 38 PAF channels
        return by_channels[heat], by_channels[max(by_channels)]

    return run
