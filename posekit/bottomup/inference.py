"""Bottom-up prediction on dataset images: the evaluation input (resize and pad), the network, the
codec's grouping, and the people mapped back to image pixels; COCO result records from them."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..topdown.transforms import invert_affine
from .dataset import BottomUpDataset, ImageInstance

__all__ = ["predict_images", "coco_records"]


def predict_images(model, instances: Sequence[ImageInstance], batch_size: int = 8
                   ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per instance: keypoints (M, K, 2) in image pixels, scores (M, K), person scores (M,)."""
    import torch

    from ..engine.cpu import flush_denormals

    data = BottomUpDataset(instances, model.codec, model.skeleton, None, encode=False)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    with flush_denormals(device.type == "cpu"), torch.no_grad():
        for start in range(0, len(data), batch_size):
            items = [data[i] for i in range(start, min(start + batch_size, len(data)))]
            images = torch.from_numpy(np.stack([it["image"] for it in items])).to(device)
            for it, (kp, ks, ps) in zip(items, model.predict_inputs(images)):
                back = invert_affine(it["matrix"])
                out.append((kp @ back[:, :2].T + back[:, 2] if len(kp) else kp.reshape(0, ks.shape[-1], 2), ks, ps))
    model.train(was_training)
    return out


def coco_records(instances: Sequence[ImageInstance], predictions, category_id: int = 1) -> list[dict]:
    """COCO keypoint result records (x, y, score per keypoint; the person score) of ``predictions``."""
    records = []
    for inst, (kp, ks, ps) in zip(instances, predictions):
        for i in range(len(kp)):
            records.append({"image_id": int(inst.image_id), "category_id": int(category_id),
                            "keypoints": np.concatenate([kp[i], ks[i][:, None]], 1).reshape(-1).tolist(),
                            "score": float(ps[i])})
    return records
