"""Keypoint definitions are internally consistent and map onto each other by name."""
from __future__ import annotations

import numpy as np
import pytest

from posekit.errors import SkeletonError
from posekit.skeletons import (BLAZEPOSE33, COCO17, CROWDPOSE14, HALPE26, MPII16, POSETRACK17, SKELETONS,
                               Skeleton, mapping, skeleton_from_category)


@pytest.mark.parametrize("skel", list(SKELETONS.values()), ids=list(SKELETONS))
def test_definitions_are_consistent(skel):
    assert skel.problems() == []
    flip = skel.flip_index()
    assert sorted(flip) == list(range(skel.num_keypoints)) and (flip[flip] == np.arange(skel.num_keypoints)).all()
    for a, b in skel.flip_pairs:  # flipping swaps left and right names
        assert skel.names[a].replace("left", "right") == skel.names[b] or "mouth" in skel.names[a]
    for i, name in enumerate(skel.names):  # unpaired keypoints are the midline ones
        if flip[i] == i:
            assert "left" not in name and "right" not in name


def test_sizes_and_sigmas():
    assert [s.num_keypoints for s in (COCO17, MPII16, CROWDPOSE14, HALPE26, BLAZEPOSE33)] == [17, 16, 14, 26, 33]
    # cocoapi's kpt_oks_sigmas
    np.testing.assert_allclose(COCO17.sigma_array(), np.array(
        [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0)
    np.testing.assert_allclose(HALPE26.sigma_array()[:17], COCO17.sigma_array())
    assert POSETRACK17.names[1:3] == ("head_bottom", "head_top")


def test_blazepose_to_coco():
    m = mapping(BLAZEPOSE33, COCO17)
    assert m.available.all()
    assert [BLAZEPOSE33.names[i] for i in m.index] == list(COCO17.names)
    # MediaPipe's documented landmark indices for the COCO joints
    assert list(m.index) == [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
    kp = np.arange(33 * 2, dtype=float).reshape(1, 33, 2)
    np.testing.assert_array_equal(m.apply(kp)[0, 5], kp[0, 11])


def test_mpii_to_coco_subset():
    m = mapping(MPII16, COCO17)
    assert list(m.available) == [False] * 5 + [True] * 12
    out = m.apply(np.ones((2, 16, 3)), fill=-1)
    assert out.shape == (2, 17, 3) and (out[:, :5] == -1).all() and (out[:, 5:] == 1).all()


def test_inconsistent_custom_skeleton_is_named():
    with pytest.raises(SkeletonError, match="flip pair \\(0, 5\\) out of range"):
        Skeleton("bad", ("a", "b"), ((0, 5),), ())
    with pytest.raises(SkeletonError, match="3 sigmas for 2 keypoints"):
        Skeleton("bad", ("a", "b"), (), (), (0.1, 0.1, 0.1))
    with pytest.raises(SkeletonError, match="duplicate keypoint names"):
        Skeleton("bad", ("a", "a"), (), ())


def test_skeleton_from_category():
    cat = {"id": 1, "name": "person", "keypoints": list(CROWDPOSE14.names), "skeleton": [[16, 14]]}
    assert skeleton_from_category(cat) is CROWDPOSE14
    custom = skeleton_from_category({"name": "hand", "keypoints": ["left_tip", "right_tip", "palm"],
                                     "skeleton": [[1, 3], [2, 3], [9, 1]]})
    assert custom.flip_pairs == ((0, 1),) and custom.limbs == ((0, 2), (1, 2)) and custom.sigmas is None
