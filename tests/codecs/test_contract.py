"""Every codec of the package keeps the person-codec contract; image codecs are told apart."""
import numpy as np

from posekit.codecs import DARKHeatmap, MSRAHeatmap, RegressionLabel, SimCCLabel, UDPHeatmap
from posekit.codecs.contract import ImageCodec, PersonCodec, is_image_codec


def test_person_codecs_round_trip_one_person_per_row():
    kp = np.array([[[20.0, 30.0], [40.0, 50.0]], [[10.0, 60.0], [70.0, 20.0]]])
    vis = np.ones((2, 2))
    for codec in (MSRAHeatmap((96, 128), (24, 32), sigma=2), UDPHeatmap((96, 128), (24, 32), sigma=2),
                  DARKHeatmap((96, 128), (24, 32), sigma=2), SimCCLabel((96, 128)), RegressionLabel((96, 128))):
        assert isinstance(codec, PersonCodec) and not is_image_codec(codec)
        target, weight = codec.encode(kp, vis)
        # SimCC's network output is the (x, y) logit pair its target holds side by side
        got, scores = codec.decode(codec.split(target) if isinstance(codec, SimCCLabel) else target)
        assert got.shape == (2, 2, 2) and scores.shape == (2, 2) and weight.shape[:2] == (2, 2)
        assert np.abs(got - kp).max() <= 2.0, type(codec).__name__  # within half a stride-4 heatmap cell


def test_an_image_codec_is_recognised():
    class Whole:
        input_size = (64, 64)

        def encode_image(self, keypoints, visible, mask=None):
            return {"heatmaps": np.zeros((2, 16, 16))}

        def decode_image(self, outputs):
            return np.zeros((0, 2, 2)), np.zeros((0, 2)), np.zeros(0)

    assert isinstance(Whole(), ImageCodec) and is_image_codec(Whole())
