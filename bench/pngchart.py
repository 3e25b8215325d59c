"""A tiny bar-chart PNG writer in pure Python (zlib + struct), with a 5x7 bitmap font."""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
GREY: Color = (215, 215, 215)
RED: Color = (200, 40, 40)
PALETTE: list[Color] = [(46, 110, 180), (240, 150, 40), (90, 160, 90), (150, 90, 170)]

# 5x7 glyphs, one string of five "#"/"." per row; lower case is drawn as upper case.
_FONT_ROWS = {
    "A": ".###.|#...#|#...#|#####|#...#|#...#|#...#",
    "B": "####.|#...#|#...#|####.|#...#|#...#|####.",
    "C": ".###.|#...#|#....|#....|#....|#...#|.###.",
    "D": "####.|#...#|#...#|#...#|#...#|#...#|####.",
    "E": "#####|#....|#....|####.|#....|#....|#####",
    "F": "#####|#....|#....|####.|#....|#....|#....",
    "G": ".###.|#...#|#....|#.###|#...#|#...#|.####",
    "H": "#...#|#...#|#...#|#####|#...#|#...#|#...#",
    "I": ".###.|..#..|..#..|..#..|..#..|..#..|.###.",
    "J": "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
    "K": "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#",
    "L": "#....|#....|#....|#....|#....|#....|#####",
    "M": "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#",
    "N": "#...#|##..#|#.#.#|#..##|#...#|#...#|#...#",
    "O": ".###.|#...#|#...#|#...#|#...#|#...#|.###.",
    "P": "####.|#...#|#...#|####.|#....|#....|#....",
    "Q": ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#",
    "R": "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
    "S": ".####|#....|#....|.###.|....#|....#|####.",
    "T": "#####|..#..|..#..|..#..|..#..|..#..|..#..",
    "U": "#...#|#...#|#...#|#...#|#...#|#...#|.###.",
    "V": "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
    "W": "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.",
    "X": "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
    "Y": "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..",
    "Z": "#####|....#|...#.|..#..|.#...|#....|#####",
    "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
    "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####",
    "3": "#####|...#.|..#..|...#.|....#|#...#|.###.",
    "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
    "5": "#####|#....|####.|....#|....#|#...#|.###.",
    "6": "..##.|.#...|#....|####.|#...#|#...#|.###.",
    "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
    "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
    "9": ".###.|#...#|#...#|.####|....#|...#.|.##..",
    " ": ".....|.....|.....|.....|.....|.....|.....",
    ".": ".....|.....|.....|.....|.....|.##..|.##..",
    ",": ".....|.....|.....|.....|.##..|..#..|.#...",
    ":": ".....|.##..|.##..|.....|.##..|.##..|.....",
    ";": ".....|.##..|.##..|.....|.##..|..#..|.#...",
    "_": ".....|.....|.....|.....|.....|.....|#####",
    "-": ".....|.....|.....|#####|.....|.....|.....",
    "+": ".....|..#..|..#..|#####|..#..|..#..|.....",
    "=": ".....|.....|#####|.....|#####|.....|.....",
    "/": ".....|....#|...#.|..#..|.#...|#....|.....",
    "(": "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
    ")": ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
    "<": "...#.|..#..|.#...|#....|.#...|..#..|...#.",
    ">": ".#...|..#..|...#.|....#|...#.|..#..|.#...",
    "%": "##..#|##..#|...#.|..#..|.#...|#..##|#..##",
    "?": ".###.|#...#|....#|...#.|..#..|.....|..#..",
}
FONT: dict[str, list[str]] = {k: v.split("|") for k, v in _FONT_ROWS.items()}


class Canvas:
    """An RGB image in memory."""

    def __init__(self, width: int, height: int, background: Color = WHITE) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill [x0, x1) x [y0, y1), clipped to the image."""
        x0, x1 = max(0, x0), min(self.width, x1)
        if x1 <= x0:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(max(0, y0), min(self.height, y1)):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, text: str, color: Color = BLACK, scale: int = 2) -> int:
        """Draw ``text`` with its top-left corner at (x, y); return the width drawn."""
        cx = x
        for ch in text.upper():
            glyph = FONT.get(ch, FONT["?"])
            for gy, line in enumerate(glyph):
                for gx, bit in enumerate(line):
                    if bit == "#":
                        self.rect(
                            cx + gx * scale,
                            y + gy * scale,
                            cx + (gx + 1) * scale,
                            y + (gy + 1) * scale,
                            color,
                        )
            cx += 6 * scale
        return cx - x

    def save(self, path: str) -> None:
        """Write the image as an 8-bit RGB PNG."""
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * stride : (y + 1) * stride]) for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        with open(path, "wb") as f:
            f.write(
                b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(raw, 9))
                + chunk(b"IEND", b"")
            )


def text_width(text: str, scale: int = 2) -> int:
    return len(text) * 6 * scale


def bar_chart(
    path: str,
    title: str,
    groups: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
    reference: float | None = None,
    targets: Sequence[float | None] = (),
    width: int = 1000,
) -> None:
    """Horizontal grouped bars: one group per label, one bar per series, a reference line.

    ``targets`` (one per group, or None) are drawn as a black tick across the group.
    """
    bar_h, gap = 14, 12
    label_w = max([text_width(label) for label, _ in groups] + [80]) + 20
    top, bottom, right = 80, 40, 90
    group_h = bar_h * len(series) + gap
    height = top + bottom + max(1, len(groups)) * group_h
    values = [v for _, vs in groups for v in vs if v is not None]
    values += [t for t in targets if t is not None]
    vmax = max([*values, reference or 0.0, 1.0]) * 1.05
    step = next(s for s in (0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 1e9) if vmax / s <= 12)
    plot_w = width - label_w - right

    def xpos(value: float) -> int:
        return label_w + round(value / vmax * plot_w)

    img = Canvas(width, height)
    img.text(10, 10, title, scale=2)
    lx = 10
    for i, name in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        img.rect(lx, 42, lx + 18, 56, color)
        lx += 26 + img.text(lx + 24, 43, name, scale=2) + 20
    if reference is not None:
        lx += 20 + img.text(lx, 43, f"red line: {reference:g}x", RED, scale=2)
    if any(t is not None for t in targets):
        img.rect(lx, 40, lx + 3, 58, BLACK)
        img.text(lx + 10, 43, "target", scale=2)
    for k in range(math.floor(vmax / step) + 1):
        x = xpos(k * step)
        img.rect(x, top - 4, x + 1, height - bottom, GREY)
        label = f"{k * step:g}x"
        img.text(x - text_width(label, 1) // 2, height - bottom + 8, label, scale=1)
    for gi, (label, vals) in enumerate(groups):
        y = top + gi * group_h
        img.text(10, y + (group_h - gap) // 2 - 7, label, scale=2)
        for si, value in enumerate(vals):
            if value is None:
                continue
            y0 = y + si * bar_h
            img.rect(
                label_w,
                y0,
                max(label_w + 1, xpos(value)),
                y0 + bar_h - 2,
                PALETTE[si % len(PALETTE)],
            )
            img.text(xpos(value) + 4, y0 + 2, f"{value:.2f}x", scale=1)
        target = targets[gi] if gi < len(targets) else None
        if target is not None:
            x = xpos(target)
            img.rect(x - 1, y - 3, x + 2, y + group_h - gap + 1, BLACK)
    img.rect(label_w, top - 4, label_w + 1, height - bottom, BLACK)
    if reference is not None:
        x = xpos(reference)
        img.rect(x, top - 4, x + 2, height - bottom, RED)
    img.save(path)
