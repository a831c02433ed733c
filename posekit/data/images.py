"""Reading images for inference: any common file, or an array, as RGB uint8.

Unreadable, truncated and empty files raise :class:`InputError` naming the file;
greyscale, alpha, 16-bit and EXIF-rotated images are converted (and the
conversion is reported through ``notes``); images beyond ``MAX_PIXELS`` (64 million pixels,
e.g. 8000 x 8000; ``$POSEKIT_MAX_PIXELS`` changes it) are refused before they are decoded,
so a small "decompression bomb" file cannot exhaust memory.
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["read_image", "decode_image", "as_rgb", "file_problem", "MAX_PIXELS", "IMAGE_SUFFIXES"]

MAX_PIXELS = int(os.environ.get("POSEKIT_MAX_PIXELS", 64_000_000))
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}


def read_image(path: str | os.PathLike, notes: list[str] | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) of an image file, EXIF orientation applied."""
    path = Path(path)
    notes = notes if notes is not None else []
    problem = file_problem(path)
    if problem:
        raise InputError(f"{path}: {problem}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    with open(path, "rb") as f:
        head = f.read(25)
    return _decode(path, str(path), notes, MAX_PIXELS, head)


def decode_image(data: bytes, name: str = "upload", notes: list[str] | None = None,
                 max_pixels: int | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) of an encoded image held in memory (an upload), as :func:`read_image`
    reads a file: the same conversions and the same :class:`InputError` for empty, unreadable,
    truncated and over-large images; ``name`` is the one the messages use."""
    import io

    notes = notes if notes is not None else []
    if len(data) == 0:
        raise InputError(f"{name}: empty file")
    return _decode(io.BytesIO(data), name, notes, MAX_PIXELS if max_pixels is None else max_pixels, bytes(data[:25]))


def _decode(source, name: str, notes: list[str], max_pixels: int, head: bytes) -> np.ndarray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = max(max_pixels, MAX_PIXELS)  # PIL refuses files over twice this reading the header
    try:
        with warnings.catch_warnings():  # between 1x and 2x PIL only warns; the check below refuses
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(source)
        with im:
            if im.width * im.height > max_pixels:
                raise InputError(f"{name}: {im.width}x{im.height} is too large (over {max_pixels:,} pixels; "
                                 "set POSEKIT_MAX_PIXELS to allow it)")
            if im.width == 0 or im.height == 0:
                raise InputError(f"{name}: zero-size image")
            if im.format == "PNG" and im.mode in ("RGB", "RGBA") and _png_bit_depth(head) == 16:
                notes.append("16-bit")  # PIL keeps the high byte of 16-bit colour PNGs
            rotated = ImageOps.exif_transpose(im)
            if rotated.size != im.size or rotated is not im and im.getexif().get(0x0112, 1) != 1:
                notes.append("EXIF-rotated")
            return as_rgb(rotated, notes)
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(f"{name}: too large (far over {max_pixels:,} pixels, not decoded; "
                         "set POSEKIT_MAX_PIXELS to allow it)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        reason = re.sub(r"<_io\.BytesIO object at 0x[0-9a-fA-F]+>", "data", str(e))
        raise InputError(f"{name}: unreadable or truncated image ({reason})") from None


def file_problem(path: str | os.PathLike) -> str | None:
    """Why ``path`` cannot be read as a file (None when it can): missing, a broken or looping
    symbolic link, a folder, a FIFO or another special file."""
    import stat

    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return "broken symbolic link" if path.is_symlink() else "no such file"
    except OSError as e:
        if path.is_symlink():
            return "symbolic link loop" if e.errno == 40 else f"unreadable symbolic link ({e.strerror})"
        return f"cannot read ({e.strerror or e})"
    if stat.S_ISDIR(st.st_mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(st.st_mode):
        return "a FIFO (named pipe), not a regular file"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return None


def _png_bit_depth(head: bytes) -> int:
    return head[24] if len(head) == 25 and head[:8] == b"\x89PNG\r\n\x1a\n" else 8


def as_rgb(image, notes: list[str] | None = None) -> np.ndarray:
    """A path, PIL image or array (greyscale, RGB, RGBA; uint8 or uint16) -> RGB uint8 (H, W, 3)."""
    notes = notes if notes is not None else []
    if isinstance(image, (str, os.PathLike)):
        return read_image(image, notes)
    if hasattr(image, "mode") and hasattr(image, "size"):  # PIL
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            notes.append("16-bit")
            image = np.asarray(image)
        else:
            if image.mode in ("RGBA", "LA", "P", "PA"):
                notes.append("alpha dropped" if "A" in image.mode else "palette")
            if image.mode == "L":
                notes.append("greyscale")
            image = np.asarray(image.convert("RGB"))
    a = np.asarray(image)
    if a.ndim not in (2, 3) or a.size == 0 or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise InputError(f"image array of shape {a.shape} is not (H, W), (H, W, 3) or (H, W, 4)")
    if a.dtype == np.uint16 or (a.dtype.kind in "iu" and a.max(initial=0) > 255):
        if "16-bit" not in notes:
            notes.append("16-bit")
        a = (a.astype(np.float64) / max(float(a.max()), 1.0) * 255).round().astype(np.uint8) if a.dtype != np.uint16 \
            else (a >> 8).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(a.astype(np.float64) * (255 if a.max(initial=0) <= 1 else 1), 0, 255).astype(np.uint8)
    if a.ndim == 2 or a.shape[2] == 1:
        if "greyscale" not in notes:
            notes.append("greyscale")
        a = np.repeat(a.reshape(a.shape[0], a.shape[1], 1), 3, axis=2)
    elif a.shape[2] == 4:
        if "alpha dropped" not in notes:
            notes.append("alpha dropped")
        a = a[:, :, :3]
    return np.ascontiguousarray(a)
