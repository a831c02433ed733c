"""Training data from MPII (MMPose JSON) and CrowdPose (COCO-style, 14 keypoints)."""
import numpy as np

from posekit.topdown.dataset import TopDownDataset, person_instances
from posekit.topdown.training import load_keypoint_file
from posekit.topdown.transforms import RandomAugment
from posekit.zoo import build_model


def test_mpii_and_crowdpose_give_crops_for_their_skeletons(shared_data):
    for folder, file, skeleton, k in (("mpii", "test_mpii.json", "mpii16", 16),
                                      ("crowdpose", "test_crowdpose.json", "crowdpose14", 14)):
        root = shared_data / "mmpose_tests" / folder
        coco = load_keypoint_file(root / file, image_root=root)
        assert coco.skeleton().name == skeleton and coco.skeleton().num_keypoints == k
        people = person_instances(coco, root, train=True)
        assert len(people) > 0
        model = build_model("simplebaseline-r18-128x96", skeleton=coco.skeleton())
        item = TopDownDataset(people, model.codec, coco.skeleton(), RandomAugment(), seed=0)[0]
        assert item["target"].shape == (k, 32, 24) and item["target_weight"].sum() > 0
        assert model.spec["skeleton"] == skeleton
        assert np.isfinite(item["image"]).all()
