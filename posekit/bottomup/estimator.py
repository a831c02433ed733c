"""A trained bottom-up model as an estimator: whole image in, every person out.

Any model of the bottom-up contract (:mod:`posekit.codecs.contract`: PAF, associative embedding,
centre regression, ...) trained with ``posekit train``. The photo is fitted into the model's
training input (aspect kept, centred on a black pad: the geometry the model was validated with,
:func:`~posekit.bottomup.dataset.fit_matrix`), the network runs once, the model's own codec groups
its fields into people, and they are mapped back to image pixels. Boxes and person scores are
those of :mod:`posekit.bottomup.openpose`: keypoint extent grown by 10%, and the codec's person
score.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..structures import PoseResult
from ..topdown.transforms import invert_affine
from .dataset import fit_matrix
from .openpose import person_boxes

__all__ = ["BottomUpEstimator"]


class BottomUpEstimator:
    """``model`` (a trained bottom-up model) on whole images; ``input_size`` (W, H) overrides the
    training input (any multiple of the network's stride), ``max_people`` keeps the best-scored."""

    def __init__(self, model, device: str = "cpu", input_size: tuple[int, int] | None = None, max_people: int = 100,
                 name: str | None = None):
        self.model = model.to(device).eval()
        self.device, self.max_people = device, max_people
        self.input_size = tuple(int(v) for v in (input_size or model.input_size))
        self.skeleton = model.skeleton
        self.name = name or str(getattr(model, "spec", {}).get("builder", "bottom-up"))

    def predict(self, image, image_id: int = 0, file_name: str | None = None, **_ignored) -> PoseResult:
        import torch

        from ..data.images import as_rgb
        from ..engine.cpu import flush_denormals

        image = as_rgb(image)
        h, w = image.shape[:2]
        m = fit_matrix(w, h, self.input_size)
        x = cv2.warpAffine(image, m, self.input_size, flags=cv2.INTER_LINEAR, borderValue=0)
        batch = torch.from_numpy(x.astype(np.float32).transpose(2, 0, 1)[None].copy()).to(self.device)
        with flush_denormals(self.device == "cpu"), torch.no_grad():
            kp, ks, ps = self.model.predict_inputs(batch)[0]
        kp, ks, ps = (np.asarray(a, np.float64)[:self.max_people] for a in (kp, ks, ps))
        k = self.skeleton.num_keypoints
        kp = kp.reshape(-1, k, 2)
        if len(kp):
            back = invert_affine(m)
            kp = kp @ back[:, :2].T + back[:, 2]
        kp[ks <= 0] = 0.0
        return PoseResult(image_id, kp, ks.reshape(-1, k), ps.reshape(-1), person_boxes(kp, ks, (h, w)),
                          skeleton=self.skeleton.name)

    def __call__(self, image) -> list[PoseResult]:
        result = self.predict(image)
        return [result.person(i) for i in range(len(result))]
