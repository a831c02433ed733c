from pathlib import Path

import pytest

from posekit.fileio import read_json, write_json


@pytest.fixture(scope="session")
def coco_handful(shared_data, tmp_path_factory) -> tuple[Path, Path]:
    """A handful of real coco_mini val2017 images (those with a person with >= 8 labelled keypoints)."""
    root = shared_data / "coco_mini"
    raw = read_json(root / "annotations/person_keypoints_val2017.json")
    keep = []
    for img in raw["images"]:
        if any(a["image_id"] == img["id"] and a["num_keypoints"] >= 8 and not a["iscrowd"] for a in raw["annotations"]):
            keep.append(img["id"])
    keep = set(keep[:6])
    sub = dict(raw, images=[i for i in raw["images"] if i["id"] in keep],
               annotations=[a for a in raw["annotations"] if a["image_id"] in keep])
    path = tmp_path_factory.mktemp("coco_handful") / "handful.json"
    write_json(path, sub)
    return path, root / "images/val2017"
