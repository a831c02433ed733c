"""OKS AP of an estimator on a COCO keypoint file, computed by pycocotools (the official tool)."""
from __future__ import annotations

import contextlib
import io

import numpy as np


def coco_results(estimator, ann, images, progress: bool = False) -> tuple[list[dict], object]:
    from pycocotools.coco import COCO

    from posekit.data.images import read_image

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(ann))
    ids = gt.getImgIds()
    if progress:
        from tqdm import tqdm

        ids = tqdm(ids, desc="images")
    records = []
    for iid in ids:
        info = gt.loadImgs(iid)[0]
        r = estimator.predict(read_image(f"{images}/{info['file_name']}"), image_id=iid)
        for i in range(len(r)):
            kp = np.concatenate([r.keypoints[i], r.keypoint_scores[i][:, None]], axis=1)
            records.append({"image_id": iid, "category_id": 1, "keypoints": kp.ravel().tolist(),
                            "score": float(r.scores[i])})
    return records, gt


def coco_stats(records, gt) -> np.ndarray:
    from pycocotools.cocoeval import COCOeval

    if not records:
        return np.zeros(10)
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, gt.loadRes(records), "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


def coco_ap(estimator, ann, images) -> float:
    return float(coco_stats(*coco_results(estimator, ann, images))[0])


def pycocotools_ap(gt: dict, records: list[dict]) -> float:
    """pycocotools' keypoint AP of ``records`` against the in-memory COCO dict ``gt``."""
    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
    return float(coco_stats(records, coco)[0])
