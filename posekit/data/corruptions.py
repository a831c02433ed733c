"""Image corruptions at severities 1-5: the challenging conditions the survey names
(exposure, noise, motion and defocus blur, occlusion, compression).

Severity scales follow the common-corruption benchmarks of Hendrycks & Dietterich
("Benchmarking Neural Network Robustness to Common Corruptions and Perturbations", ICLR 2019),
which were applied to pose estimation as COCO-C / OCHuman-C. Each corruption is built so that
severity ``s + 1`` contains severity ``s`` (the same noise field scaled up, the same blur
direction lengthened, the same occluders enlarged and added to), so its strength grows
monotonically. Occluder patches are placed over joints when ground truth is given, and the
covered keypoints become v = 1 (labelled, occluded).

Kinds: ``overexposure``, ``underexposure``, ``gaussian_noise``, ``motion_blur``, ``defocus_blur``,
``occlusion``, ``jpeg``. Images are (H, W, 3) uint8 in either channel order.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..errors import InputError

__all__ = ["KINDS", "corrupt", "image_rng", "corrupt_file", "corrupt_folder", "corrupt_coco", "motion_blur_kernel",
           "defocus_kernel"]

_EV = (0.6, 1.1, 1.6, 2.1, 2.6)            # stops of exposure added / removed
_NOISE = (0.08, 0.12, 0.18, 0.26, 0.38)   # std of Gaussian noise, fraction of full scale (ImageNet-C)
_MOTION = (4, 8, 12, 16, 22)               # blur length in pixels per 224 px of the short side
_DEFOCUS = (1.5, 2.5, 3.5, 4.5, 6.0)       # disk radius in pixels per 224 px of the short side
_JPEG = (25, 18, 15, 10, 7)                # JPEG quality (ImageNet-C)
_OCCLUDERS = ((1, 0.25), (2, 0.32), (3, 0.38), (4, 0.44), (5, 0.5))  # (patches, size / person size)


def _check(image: np.ndarray, severity: int) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"corruptions take (H, W, 3) uint8 images, got {image.dtype} {image.shape}")
    if severity not in (1, 2, 3, 4, 5):
        raise InputError(f"severity must be 1..5, got {severity}")
    return image


def _exposure(image: np.ndarray, stops: float) -> np.ndarray:
    """Scale scene light by ``2**stops`` (sRGB approximated by gamma 2.2), clipping at white."""
    x = np.arange(256) / 255.0
    lut = np.clip((x ** 2.2 * 2.0 ** stops) ** (1 / 2.2), 0, 1) * 255
    return cv2.LUT(image, np.round(lut).astype(np.uint8))


def overexposure(image, severity, rng):
    return _exposure(image, _EV[severity - 1])


def underexposure(image, severity, rng):
    return _exposure(image, -_EV[severity - 1])


def gaussian_noise(image, severity, rng):
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(_NOISE[severity - 1] * 255)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def motion_blur_kernel(length: float, angle: float) -> np.ndarray:
    """A normalised line kernel of ``length`` pixels at ``angle`` radians (camera or subject motion)."""
    size = int(np.ceil(length)) | 1
    k = np.zeros((size, size), np.float32)
    c = (size - 1) / 2
    dx, dy = np.cos(angle) * (length - 1) / 2, np.sin(angle) * (length - 1) / 2
    cv2.line(k, (round((c - dx) * 16), round((c - dy) * 16)), (round((c + dx) * 16), round((c + dy) * 16)),
             1.0, 1, cv2.LINE_AA, 4)
    return k / k.sum()


def motion_blur(image, severity, rng):
    length = max(2.0, _MOTION[severity - 1] * min(image.shape[:2]) / 224)
    angle = rng.uniform(0, np.pi)
    return cv2.filter2D(image, -1, motion_blur_kernel(length, angle), borderType=cv2.BORDER_REFLECT)


def defocus_kernel(radius: float) -> np.ndarray:
    """A normalised disk (the out-of-focus point spread function of a round aperture)."""
    size = 2 * int(np.ceil(radius)) + 1
    k = np.zeros((size, size), np.float32)
    c = size // 2
    cv2.circle(k, (c * 16, c * 16), int(round(radius * 16)), 1.0, -1, cv2.LINE_AA, 4)
    return k / k.sum()


def defocus_blur(image, severity, rng):
    radius = max(1.0, _DEFOCUS[severity - 1] * min(image.shape[:2]) / 224)
    return cv2.filter2D(image, -1, defocus_kernel(radius), borderType=cv2.BORDER_REFLECT)


def jpeg(image, severity, rng):
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, _JPEG[severity - 1]])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def occlusion(image, severity, rng, keypoints=None, boxes=None):
    """Opaque textured patches; over labelled joints when ``keypoints`` (N, K, 3) are given.

    Returns the image and the keypoints with covered v = 2 entries set to 1.
    """
    h, w = image.shape[:2]
    count, size = _OCCLUDERS[severity - 1]
    n_max = _OCCLUDERS[-1][0]
    # Draw all five patches' parameters first, so each severity extends the one below it.
    kp = None if keypoints is None else np.array(keypoints, np.float64, copy=True)
    labelled = np.argwhere(kp[..., 2] > 0) if kp is not None else np.zeros((0, 2), int)
    centres, scales = [], []
    for _ in range(n_max):
        if len(labelled):
            p, k = labelled[rng.integers(len(labelled))]
            centres.append(kp[p, k, :2] + rng.normal(0, 0.03, 2) * _person_size(kp[p], boxes, p))
            scales.append(_person_size(kp[p], boxes, p))
        else:
            centres.append(rng.uniform(0, 1, 2) * (w, h))
            scales.append(0.5 * min(h, w))
    aspect = rng.uniform(0.6, 1.6, n_max)
    colours = rng.uniform(0, 255, (n_max, 3))
    angle = rng.uniform(-30, 30, n_max)
    round_ = rng.random(n_max) < 0.4
    mask = np.zeros((h, w), np.uint8)
    for i in range(count):
        half = np.array([np.sqrt(aspect[i]), 1 / np.sqrt(aspect[i])]) * size * scales[i] / 2
        cx, cy = centres[i]
        if round_[i]:
            cv2.ellipse(mask, (round(cx * 16), round(cy * 16)), (round(half[0] * 16), round(half[1] * 16)),
                        angle[i], 0, 360, i + 1, -1, cv2.LINE_8, 4)
        else:
            rect = cv2.boxPoints(((cx, cy), tuple(2 * half), angle[i]))
            cv2.fillConvexPoly(mask, np.round(rect * 16).astype(np.int32), i + 1, cv2.LINE_8, 4)
    if not mask.any():
        return image.copy(), kp
    texture = rng.integers(-25, 26, (h, w), dtype=np.int16)  # one texture for every severity
    palette = np.concatenate([np.zeros((1, 3)), colours]).astype(np.int16)
    painted = np.clip(palette[mask] + texture[..., None], 0, 255).astype(np.uint8)
    out = np.where(mask[..., None] > 0, painted, image)
    if kp is not None:
        ix = np.clip(np.floor(kp[..., 0]).astype(int), 0, w - 1)
        iy = np.clip(np.floor(kp[..., 1]).astype(int), 0, h - 1)
        inside = (kp[..., 0] >= 0) & (kp[..., 1] >= 0) & (kp[..., 0] < w) & (kp[..., 1] < h)
        covered = inside & (mask[iy, ix] > 0) & (kp[..., 2] == 2)
        kp[..., 2][covered] = 1
    return out, kp


def _person_size(kp: np.ndarray, boxes, p: int) -> float:
    if boxes is not None:
        return float(np.sqrt(max(boxes[p][2] * boxes[p][3], 1.0)))
    pts = kp[kp[:, 2] > 0, :2]
    return float(max(np.ptp(pts, 0).max() if len(pts) > 1 else 0.0, 20.0))


KINDS = {
    "overexposure": overexposure, "underexposure": underexposure, "gaussian_noise": gaussian_noise,
    "motion_blur": motion_blur, "defocus_blur": defocus_blur, "occlusion": occlusion, "jpeg": jpeg,
}


def corrupt(image: np.ndarray, kind: str, severity: int, rng: np.random.Generator | int = 0,
            keypoints: np.ndarray | None = None, boxes: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Apply corruption ``kind`` at ``severity`` (1-5) to ``image`` (H, W, 3) uint8.

    ``keypoints`` (N, K, 3) (x, y, v) and ``boxes`` (N, 4) xywh are optional ground truth; only
    ``occlusion`` changes keypoints (covered visible joints become v = 1). Returns
    (image, keypoints or None). The same ``rng`` seed gives the same result.
    """
    if kind not in KINDS:
        raise InputError(f"unknown corruption {kind!r}; known: {', '.join(KINDS)}")
    image = _check(image, severity)
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    if kind == "occlusion":
        return occlusion(image, severity, rng, keypoints, boxes)
    kp = None if keypoints is None else np.array(keypoints, np.float64, copy=True)
    return KINDS[kind](image, severity, rng), kp


# --- applying corruptions to files, folders and COCO datasets -------------------------------------

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def image_rng(seed: int, name: str) -> np.random.Generator:
    """A stream per (seed, file name): results do not depend on which other files are processed."""
    import zlib

    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _read(path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(f"{path}: cannot read image (missing, unreadable or not an image)")
    return img


def _write(path, image: np.ndarray) -> None:
    from pathlib import Path

    from ..fileio import write_bytes

    suffix = Path(path).suffix.lower()
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if suffix in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(suffix if suffix in IMAGE_SUFFIXES else ".png", image, params)
    if not ok:
        raise InputError(f"{path}: cannot encode image as {suffix}")
    write_bytes(path, buf.tobytes())


def corrupt_file(src, dst, kind: str, severity: int, seed: int = 0) -> None:
    """Corrupt one image file into ``dst`` (same format as the extension of ``dst``)."""
    from pathlib import Path

    img, _ = corrupt(_read(src), kind, severity, image_rng(seed, Path(src).name))
    _write(dst, img)


def corrupt_folder(src, dst, kind: str, severity: int, seed: int = 0, progress: bool = False) -> list[str]:
    """Corrupt every image under folder ``src`` into the same relative paths under ``dst``.

    Goes on past unreadable files; returns one message per file that failed.
    """
    from pathlib import Path

    from tqdm import tqdm

    src, dst = Path(src), Path(dst)
    files = sorted(p for p in src.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    problems = []
    for p in tqdm(files, desc=f"corrupt {kind} {severity}", unit="img", disable=not progress):
        rel = p.relative_to(src).as_posix()
        try:
            img, _ = corrupt(_read(p), kind, severity, image_rng(seed, rel))
            _write(dst / rel, img)
        except InputError as e:
            problems.append(str(e))
    return problems


def corrupt_coco(ann_file, images_dir, dst, kind: str, severity: int, seed: int = 0,
                 progress: bool = False) -> list[str]:
    """Corrupt a COCO dataset: each image of ``ann_file`` (found under ``images_dir``) is written
    to ``dst/images/<file_name>``, and the annotations to ``dst/annotations.json`` with the
    visibility of occluded keypoints updated (``num_keypoints`` is unchanged: they stay labelled).
    Records other than keypoints are copied as they are. Returns one message per failed image.
    """
    from pathlib import Path

    from tqdm import tqdm

    from ..errors import DataError
    from ..fileio import read_json, write_json

    from ..errors import ValidationError
    from .validate import dataset_problems

    data = read_json(ann_file)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise DataError("not a COCO annotation file (no 'images' list)", ann_file)
    problems = dataset_problems(data, str(ann_file))
    if problems:  # the rules of `posekit validate` (ids that index, boxes, keypoints)
        raise ValidationError(problems)
    anns = data.get("annotations") or []
    by_image: dict = {}
    for a in anns:
        by_image.setdefault(a.get("image_id"), []).append(a)
    dst = Path(dst)
    problems = []
    for rec in tqdm(data["images"], desc=f"corrupt {kind} {severity}", unit="img", disable=not progress):
        name = str(rec.get("file_name", ""))
        people = [a for a in by_image.get(rec.get("id"), []) if a.get("keypoints") and not a.get("iscrowd")]
        try:
            img = _read(Path(images_dir) / name)
            kps = boxes = None
            if people:
                kps = np.array([a["keypoints"] for a in people], np.float64).reshape(len(people), -1, 3)
                boxes = np.array([a.get("bbox", [0, 0, 0, 0]) for a in people], np.float64)
            out, kps2 = corrupt(img, kind, severity, image_rng(seed, name), kps, boxes)
            _write(dst / "images" / name, out)
            if kps2 is not None and kind == "occlusion":
                for a, k in zip(people, kps2):
                    a["keypoints"] = list(a["keypoints"])
                    a["keypoints"][2::3] = [int(v) for v in k[:, 2]]
        except InputError as e:
            problems.append(f"image {rec.get('id')}: {e}")
    info = dict(data.get("info") or {})
    info["corruption"] = {"kind": kind, "severity": severity, "seed": seed}
    data["info"] = info
    write_json(dst / "annotations.json", data)
    return problems
