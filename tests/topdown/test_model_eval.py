"""``posekit eval --model``: inference over a dataset, flip test, detector boxes with OKS-NMS."""
import json

import numpy as np
import pytest

from posekit.cli import main
from posekit.data.coco import load_coco
from posekit.engine.checkpoint import save_weights
from posekit.engine.trainer import seed_everything
from posekit.topdown.inference import predict_coco, rescore
from posekit.topdown.transforms import box_to_center_scale
from posekit.zoo import build_model


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    seed_everything(0)
    model = build_model("simplebaseline-r18-128x96").eval()
    path = tmp_path_factory.mktemp("ckpt") / "model.safetensors"
    save_weights(model, path)
    return path


def test_rescore_by_hand():
    ks = np.array([[0.1, 0.5, 0.9], [0.1, 0.1, 0.1]])
    assert np.allclose(rescore(np.array([0.8, 1.0]), ks), [0.8 * 0.7, 0.0])


def test_eval_model_on_gt_and_detector_boxes(checkpoint, coco_val, shared_data, tmp_path, capsys):
    images = shared_data / "coco_mini/images/val2017"
    gt = load_coco(coco_val)
    people = [a for a in gt.annotations if not a["iscrowd"] and a["num_keypoints"] > 0]
    out, res = tmp_path / "m.json", tmp_path / "r.json"
    args = ["eval", "--model", str(checkpoint), "--gt", str(coco_val), "--images", str(images), "--flip",
            "--metric", "coco", "pck", "--json", str(out), "--save-results", str(res)]
    assert main(args) == 0
    metrics = json.loads(out.read_text())
    assert {"AP", "AR", "PCK@0.1", "PCK@0.2"} <= set(metrics)
    records = json.loads(res.read_text())
    assert len(records) == len(people)
    assert sorted(r["image_id"] for r in records) == sorted(a["image_id"] for a in people)
    # each pose lies inside its box's crop region (crop coordinates were mapped back to image pixels)
    for r, a in zip(sorted(records, key=lambda r: r["bbox"]), sorted(people, key=lambda a: a["bbox"])):
        centre, scale = box_to_center_scale(np.array([a["bbox"]]), 96 / 128)
        kp = np.array(r["keypoints"]).reshape(-1, 3)[:, :2]
        assert (np.abs(kp - centre) <= scale / 2 + 1).all()

    # detector boxes: every box twice (the copy scoring lower) -> OKS-NMS removes exactly the copies
    dets = [{"image_id": a["image_id"], "category_id": 1, "bbox": a["bbox"], "score": s}
            for a in people for s in (0.9, 0.4)]
    (tmp_path / "dets.json").write_text(json.dumps(dets))
    recs = predict_coco(build_model("simplebaseline-r18-128x96").eval(), gt, images, dets, flip=False,
                        progress=False)
    assert len(recs) == len(people)
    assert len(predict_coco(build_model("simplebaseline-r18-128x96").eval(), gt, images, dets, flip=False,
                            nms=None, progress=False)) == 2 * len(people)
    assert main(["eval", "--model", str(checkpoint), "--gt", str(coco_val), "--images", str(images),
                 "--boxes", str(tmp_path / "dets.json"), "--nms", "soft", "--json", str(out)]) == 0


def test_eval_model_errors_are_one_line(checkpoint, coco_val, tmp_path, capsys):
    assert main(["eval", "--model", str(checkpoint), "--gt", str(coco_val)]) == 2
    assert "--images" in capsys.readouterr().err
    (tmp_path / "dets.json").write_text(json.dumps([{"image_id": 1, "bbox": [0, 0, 1, 1]}]))
    assert main(["eval", "--model", str(checkpoint), "--gt", str(coco_val), "--images", str(tmp_path),
                 "--boxes", str(tmp_path / "dets.json")]) == 2
    err = capsys.readouterr().err
    assert "dets.json" in err and err.count("\n") == 1


def test_eval_model_with_a_detector_run_on_the_images(checkpoint, shared_data, tmp_path):
    """`eval --model --detector ssd`: the SSD's boxes, then the model; the boxes are the SSD's own."""
    from posekit.topdown.person_ssd import PersonSSD
    from posekit.data.images import read_image

    gt = shared_data / "mmpose_tests" / "coco" / "test_coco.json"
    images = shared_data / "mmpose_tests" / "coco"
    out = tmp_path / "res.json"
    assert main(["eval", "--model", str(checkpoint), "--gt", str(gt), "--images", str(images), "--detector", "ssd",
                 "--save-results", str(out)]) == 0
    records = json.loads(out.read_text())
    coco = load_coco(gt)
    ssd = PersonSSD()
    expected = sum(len(ssd(read_image(coco.image_path(i, images)))[0]) for i in coco.image_ids)
    assert 0 < len(records) <= expected  # OKS-NMS may merge some
    boxes = np.concatenate([ssd(read_image(coco.image_path(i, images)))[0] for i in coco.image_ids]).astype(np.float64)
    assert all(np.abs(boxes - np.asarray(r["bbox"])).max(axis=1).min() < 1e-3 for r in records)
